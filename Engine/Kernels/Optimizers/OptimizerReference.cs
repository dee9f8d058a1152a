namespace Engine.Kernels;

/// <summary>
/// Reference update kernels for the optimizers: one plain loop per rule over a flat run of parameters,
/// their gradients and the rule's per-parameter state, all of one length P. Kept (plus Nesterov and the
/// decoupled decay) as the test oracle of the vectorised <see cref="OptimizerKernels"/> (which fuses some multiply-adds, so the two agree
/// within a few ulp per step, not bit for bit).
/// </summary>
/// <remarks>
/// <para>
/// Every kernel first forms the effective gradient <c>d = g + λ·w</c> with the <c>l2</c> (λ) it is given,
/// for every element of the span it is given; an optimizer passes its weights with λ and its biases with
/// λ = 0. Decoupled weight decay wd then scales the parameter, <c>w ← w·(1 − η·wd)</c> (after d is formed;
/// wd = 0 leaves it exact), and the rule updates the state and the parameter in place. All arithmetic is scalar
/// <see cref="float"/>, evaluated in exactly the order written in each kernel's documentation
/// (<c>√</c> is <see cref="MathF.Sqrt"/>, correctly rounded), so a vectorised tier can be checked against it.
/// </para>
/// <para>
/// Layout: each rule is a small scalar <c>readonly struct</c> holding its hyper-parameters and implementing one of <see cref="IScalarRule"/>, <see cref="IScalarRule1"/>,
/// <see cref="IScalarRule2"/> (by how many state values it keeps per parameter). One generic driver per arity
/// owns the loop, the L2 term and the decay; the JIT specialises it per rule. Nothing here allocates.
/// </para>
/// </remarks>
internal static class OptimizerReference
{
    // ---------------------------------------------------------------- public entry points, one per rule

    /// <summary>
    /// Plain gradient descent. For each i: <c>d = g[i] + l2·w[i]</c>; <c>w[i] = w[i] − η·d</c>.
    /// </summary>
    /// <param name="parameters">w[P], updated in place.</param>
    /// <param name="gradients">g[P].</param>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="l2">L2 coefficient λ applied to every element of <paramref name="parameters"/>.</param>
    /// <param name="weightDecay">Decoupled weight decay wd applied to every element of <paramref name="parameters"/> (0 for none).</param>
    internal static void Sgd(Span<float> parameters, ReadOnlySpan<float> gradients, float eta, float l2, float weightDecay = 0f)
        => Apply(new SgdRule(eta), parameters, gradients, l2, DecayFactor(eta, weightDecay));

    /// <summary>
    /// Gradient descent with momentum. For each i: <c>d = g[i] + l2·w[i]</c>;
    /// <c>v[i] = μ·v[i] + η·d</c>; <c>w[i] = w[i] − v[i]</c>.
    /// </summary>
    /// <param name="parameters">w[P], updated in place.</param>
    /// <param name="gradients">g[P].</param>
    /// <param name="velocity">v[P], updated in place.</param>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="momentum">Momentum coefficient μ.</param>
    /// <param name="l2">L2 coefficient λ applied to every element of <paramref name="parameters"/>.</param>
    /// <param name="weightDecay">Decoupled weight decay wd applied to every element of <paramref name="parameters"/> (0 for none).</param>
    internal static void Momentum(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> velocity,
                                  float eta, float momentum, float l2, float weightDecay = 0f)
        => Apply(new MomentumRule(eta, momentum), parameters, gradients, velocity, l2, DecayFactor(eta, weightDecay));

    /// <summary>
    /// Nesterov momentum (PyTorch's formulation). For each i: <c>d = g[i] + l2·w[i]</c>;
    /// <c>v[i] = μ·v[i] + d</c>; <c>w[i] = w[i] − η·(d + μ·v[i])</c>.
    /// </summary>
    /// <param name="parameters">w[P], updated in place.</param>
    /// <param name="gradients">g[P].</param>
    /// <param name="velocity">v[P], updated in place.</param>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="momentum">Momentum coefficient μ.</param>
    /// <param name="l2">L2 coefficient λ applied to every element of <paramref name="parameters"/>.</param>
    /// <param name="weightDecay">Decoupled weight decay wd applied to every element of <paramref name="parameters"/> (0 for none).</param>
    internal static void Nesterov(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> velocity,
                                  float eta, float momentum, float l2, float weightDecay = 0f)
        => Apply(new NesterovRule(eta, momentum), parameters, gradients, velocity, l2, DecayFactor(eta, weightDecay));

    /// <summary>
    /// Adagrad. For each i: <c>d = g[i] + l2·w[i]</c>; <c>G[i] = G[i] + d·d</c>;
    /// <c>w[i] = w[i] − (η·d) / (√G[i] + ε)</c>.
    /// </summary>
    /// <param name="parameters">w[P], updated in place.</param>
    /// <param name="gradients">g[P].</param>
    /// <param name="sumOfSquares">G[P], the running sum of squared gradients, updated in place.</param>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="epsilon">ε added to the root of the denominator.</param>
    /// <param name="l2">L2 coefficient λ applied to every element of <paramref name="parameters"/>.</param>
    /// <param name="weightDecay">Decoupled weight decay wd applied to every element of <paramref name="parameters"/> (0 for none).</param>
    internal static void Adagrad(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> sumOfSquares,
                                 float eta, float epsilon, float l2, float weightDecay = 0f)
        => Apply(new AdagradRule(eta, epsilon), parameters, gradients, sumOfSquares, l2, DecayFactor(eta, weightDecay));

    /// <summary>
    /// Adagrad with momentum. For each i: <c>d = g[i] + l2·w[i]</c>; <c>G[i] = G[i] + d·d</c>;
    /// <c>v[i] = μ·v[i] + (η·d) / (√G[i] + ε)</c>; <c>w[i] = w[i] − v[i]</c>.
    /// </summary>
    /// <param name="parameters">w[P], updated in place.</param>
    /// <param name="gradients">g[P].</param>
    /// <param name="sumOfSquares">G[P], the running sum of squared gradients, updated in place.</param>
    /// <param name="velocity">v[P], updated in place.</param>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="momentum">Momentum coefficient μ.</param>
    /// <param name="epsilon">ε added to the root of the denominator.</param>
    /// <param name="l2">L2 coefficient λ applied to every element of <paramref name="parameters"/>.</param>
    /// <param name="weightDecay">Decoupled weight decay wd applied to every element of <paramref name="parameters"/> (0 for none).</param>
    internal static void AdagradMomentum(Span<float> parameters, ReadOnlySpan<float> gradients,
                                         Span<float> sumOfSquares, Span<float> velocity,
                                         float eta, float momentum, float epsilon, float l2, float weightDecay = 0f)
        => Apply(new AdagradMomentumRule(eta, momentum, epsilon), parameters, gradients, sumOfSquares, velocity, l2, DecayFactor(eta, weightDecay));

    /// <summary>
    /// RMSprop. For each i: <c>d = g[i] + l2·w[i]</c>; <c>s[i] = ρ·s[i] + (1−ρ)·(d·d)</c>;
    /// <c>w[i] = w[i] − (η·d) / (√s[i] + ε)</c>. <c>1−ρ</c> is evaluated once, in float.
    /// </summary>
    /// <param name="parameters">w[P], updated in place.</param>
    /// <param name="gradients">g[P].</param>
    /// <param name="meanSquare">s[P], the decaying mean of squared gradients, updated in place.</param>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="rho">Decay ρ of the mean square.</param>
    /// <param name="epsilon">ε added to the root of the denominator.</param>
    /// <param name="l2">L2 coefficient λ applied to every element of <paramref name="parameters"/>.</param>
    /// <param name="weightDecay">Decoupled weight decay wd applied to every element of <paramref name="parameters"/> (0 for none).</param>
    internal static void RmsProp(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> meanSquare,
                                 float eta, float rho, float epsilon, float l2, float weightDecay = 0f)
        => Apply(new RmsPropRule(eta, rho, epsilon), parameters, gradients, meanSquare, l2, DecayFactor(eta, weightDecay));

    /// <summary>
    /// RMSprop with momentum. For each i: <c>d = g[i] + l2·w[i]</c>; <c>s[i] = ρ·s[i] + (1−ρ)·(d·d)</c>;
    /// <c>v[i] = μ·v[i] + (η·d) / (√s[i] + ε)</c>; <c>w[i] = w[i] − v[i]</c>. <c>1−ρ</c> is evaluated once, in float.
    /// </summary>
    /// <param name="parameters">w[P], updated in place.</param>
    /// <param name="gradients">g[P].</param>
    /// <param name="meanSquare">s[P], the decaying mean of squared gradients, updated in place.</param>
    /// <param name="velocity">v[P], updated in place.</param>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="rho">Decay ρ of the mean square.</param>
    /// <param name="momentum">Momentum coefficient μ.</param>
    /// <param name="epsilon">ε added to the root of the denominator.</param>
    /// <param name="l2">L2 coefficient λ applied to every element of <paramref name="parameters"/>.</param>
    /// <param name="weightDecay">Decoupled weight decay wd applied to every element of <paramref name="parameters"/> (0 for none).</param>
    internal static void RmsPropMomentum(Span<float> parameters, ReadOnlySpan<float> gradients,
                                         Span<float> meanSquare, Span<float> velocity,
                                         float eta, float rho, float momentum, float epsilon, float l2, float weightDecay = 0f)
        => Apply(new RmsPropMomentumRule(eta, rho, momentum, epsilon), parameters, gradients, meanSquare, velocity, l2, DecayFactor(eta, weightDecay));

    /// <summary>
    /// Adam (Kingma &amp; Ba), bias-corrected. For each i: <c>d = g[i] + l2·w[i]</c>;
    /// <c>m[i] = β1·m[i] + (1−β1)·d</c>; <c>v[i] = β2·v[i] + (1−β2)·(d·d)</c>;
    /// <c>m̂ = m[i] / c1</c>; <c>v̂ = v[i] / c2</c>; <c>w[i] = w[i] − (η·m̂) / (√v̂ + ε)</c>.
    /// <c>1−β1</c> and <c>1−β2</c> are evaluated once, in float.
    /// </summary>
    /// <param name="parameters">w[P], updated in place.</param>
    /// <param name="gradients">g[P].</param>
    /// <param name="firstMoment">m[P], updated in place.</param>
    /// <param name="secondMoment">v[P], updated in place.</param>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="beta1">Decay β1 of the first moment.</param>
    /// <param name="beta2">Decay β2 of the second moment.</param>
    /// <param name="epsilon">ε added to the root of the denominator.</param>
    /// <param name="biasCorrection1">c1 = 1 − β1^t for step number t (1 on the first step), computed by the caller in double.</param>
    /// <param name="biasCorrection2">c2 = 1 − β2^t for step number t, computed by the caller in double.</param>
    /// <param name="l2">L2 coefficient λ applied to every element of <paramref name="parameters"/>.</param>
    /// <param name="weightDecay">Decoupled weight decay wd applied to every element of <paramref name="parameters"/> (0 for none).</param>
    internal static void Adam(Span<float> parameters, ReadOnlySpan<float> gradients,
                              Span<float> firstMoment, Span<float> secondMoment,
                              float eta, float beta1, float beta2, float epsilon,
                              float biasCorrection1, float biasCorrection2, float l2, float weightDecay = 0f)
        => Apply(new AdamRule(eta, beta1, beta2, epsilon, biasCorrection1, biasCorrection2),
                 parameters, gradients, firstMoment, secondMoment, l2, DecayFactor(eta, weightDecay));

    // ---------------------------------------------------------------- rule contracts, by state arity

    /// <summary>A rule with no per-parameter state.</summary>
    internal interface IScalarRule
    {
        /// <summary>Returns the updated parameter given the parameter w and the effective gradient d.</summary>
        float Update(float w, float d);
    }

    /// <summary>A rule keeping one state value per parameter.</summary>
    internal interface IScalarRule1
    {
        /// <summary>Updates the state <paramref name="s"/> and returns the updated parameter, given w and the effective gradient d.</summary>
        float Update(float w, float d, ref float s);
    }

    /// <summary>A rule keeping two state values per parameter.</summary>
    internal interface IScalarRule2
    {
        /// <summary>Updates the states <paramref name="s1"/>, <paramref name="s2"/> and returns the updated parameter, given w and the effective gradient d.</summary>
        float Update(float w, float d, ref float s1, ref float s2);
    }

    // ---------------------------------------------------------------- drivers: the only loops

    /// <summary>w[P] ← rule(w·decayFactor, g + l2·w) for a stateless rule.</summary>
    internal static void Apply<TRule>(TRule rule, Span<float> parameters, ReadOnlySpan<float> gradients, float l2,
                                      float decayFactor = 1f)
        where TRule : struct, IScalarRule
    {
        CheckLength(nameof(gradients), gradients.Length, parameters.Length);
        for (int i = 0; i < parameters.Length; i++)
        {
            float w = parameters[i];
            float d = gradients[i] + l2 * w;
            w *= decayFactor;
            parameters[i] = rule.Update(w, d);
        }
    }

    /// <summary>w[P] ← rule(w·decayFactor, g + l2·w, ref s[P]) for a rule with one state.</summary>
    internal static void Apply<TRule>(TRule rule, Span<float> parameters, ReadOnlySpan<float> gradients,
                                      Span<float> state, float l2, float decayFactor = 1f)
        where TRule : struct, IScalarRule1
    {
        CheckLength(nameof(gradients), gradients.Length, parameters.Length);
        CheckLength(nameof(state), state.Length, parameters.Length);
        for (int i = 0; i < parameters.Length; i++)
        {
            float w = parameters[i];
            float d = gradients[i] + l2 * w;
            w *= decayFactor;
            parameters[i] = rule.Update(w, d, ref state[i]);
        }
    }

    /// <summary>w[P] ← rule(w·decayFactor, g + l2·w, ref s1[P], ref s2[P]) for a rule with two states.</summary>
    internal static void Apply<TRule>(TRule rule, Span<float> parameters, ReadOnlySpan<float> gradients,
                                      Span<float> state1, Span<float> state2, float l2, float decayFactor = 1f)
        where TRule : struct, IScalarRule2
    {
        CheckLength(nameof(gradients), gradients.Length, parameters.Length);
        CheckLength(nameof(state1), state1.Length, parameters.Length);
        CheckLength(nameof(state2), state2.Length, parameters.Length);
        for (int i = 0; i < parameters.Length; i++)
        {
            float w = parameters[i];
            float d = gradients[i] + l2 * w;
            w *= decayFactor;
            parameters[i] = rule.Update(w, d, ref state1[i], ref state2[i]);
        }
    }

    /// <summary>The decoupled-decay factor <c>1 − η·wd</c>, in plain float (multiply, then subtract).</summary>
    internal static float DecayFactor(float eta, float weightDecay) => 1f - eta * weightDecay;

    private static void CheckLength(string name, int length, int parameterCount)
    {
        if (length != parameterCount)
            throw new ArgumentException(
                $"OptimizerReference: {name} has {length} elements but parameters has {parameterCount}; they must match.", name);
    }

    // ---------------------------------------------------------------- the rules

    /// <summary><c>w − η·d</c>.</summary>
    internal readonly struct SgdRule(float eta) : IScalarRule
    {
        public float Update(float w, float d) => w - eta * d;
    }

    /// <summary><c>v = μ·v + η·d</c>; <c>w − v</c>.</summary>
    internal readonly struct MomentumRule(float eta, float momentum) : IScalarRule1
    {
        public float Update(float w, float d, ref float v)
        {
            v = momentum * v + eta * d;
            return w - v;
        }
    }

    /// <summary><c>v = μ·v + d</c>; <c>w − η·(d + μ·v)</c>.</summary>
    internal readonly struct NesterovRule(float eta, float momentum) : IScalarRule1
    {
        public float Update(float w, float d, ref float v)
        {
            v = momentum * v + d;
            return w - eta * (d + momentum * v);
        }
    }

    /// <summary><c>G = G + d·d</c>; <c>w − (η·d) / (√G + ε)</c>.</summary>
    internal readonly struct AdagradRule(float eta, float epsilon) : IScalarRule1
    {
        public float Update(float w, float d, ref float sumOfSquares)
        {
            sumOfSquares = sumOfSquares + d * d;
            return w - eta * d / (MathF.Sqrt(sumOfSquares) + epsilon);
        }
    }

    /// <summary><c>G = G + d·d</c>; <c>v = μ·v + (η·d) / (√G + ε)</c>; <c>w − v</c>.</summary>
    internal readonly struct AdagradMomentumRule(float eta, float momentum, float epsilon) : IScalarRule2
    {
        public float Update(float w, float d, ref float sumOfSquares, ref float v)
        {
            sumOfSquares = sumOfSquares + d * d;
            v = momentum * v + eta * d / (MathF.Sqrt(sumOfSquares) + epsilon);
            return w - v;
        }
    }

    /// <summary><c>s = ρ·s + (1−ρ)·(d·d)</c>; <c>w − (η·d) / (√s + ε)</c>.</summary>
    internal readonly struct RmsPropRule(float eta, float rho, float epsilon) : IScalarRule1
    {
        private readonly float _oneMinusRho = 1f - rho;

        public float Update(float w, float d, ref float meanSquare)
        {
            meanSquare = rho * meanSquare + _oneMinusRho * (d * d);
            return w - eta * d / (MathF.Sqrt(meanSquare) + epsilon);
        }
    }

    /// <summary><c>s = ρ·s + (1−ρ)·(d·d)</c>; <c>v = μ·v + (η·d) / (√s + ε)</c>; <c>w − v</c>.</summary>
    internal readonly struct RmsPropMomentumRule(float eta, float rho, float momentum, float epsilon) : IScalarRule2
    {
        private readonly float _oneMinusRho = 1f - rho;

        public float Update(float w, float d, ref float meanSquare, ref float v)
        {
            meanSquare = rho * meanSquare + _oneMinusRho * (d * d);
            v = momentum * v + eta * d / (MathF.Sqrt(meanSquare) + epsilon);
            return w - v;
        }
    }

    /// <summary>
    /// <c>m = β1·m + (1−β1)·d</c>; <c>v = β2·v + (1−β2)·(d·d)</c>; <c>m̂ = m / c1</c>; <c>v̂ = v / c2</c>;
    /// <c>w − (η·m̂) / (√v̂ + ε)</c>.
    /// </summary>
    internal readonly struct AdamRule(float eta, float beta1, float beta2, float epsilon,
                                      float biasCorrection1, float biasCorrection2) : IScalarRule2
    {
        private readonly float _oneMinusBeta1 = 1f - beta1;
        private readonly float _oneMinusBeta2 = 1f - beta2;

        public float Update(float w, float d, ref float m, ref float v)
        {
            m = beta1 * m + _oneMinusBeta1 * d;
            v = beta2 * v + _oneMinusBeta2 * (d * d);
            float mHat = m / biasCorrection1;
            float vHat = v / biasCorrection2;
            return w - eta * mHat / (MathF.Sqrt(vHat) + epsilon);
        }
    }
}
