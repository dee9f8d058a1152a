using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels;

/// <summary>
/// The fast update kernels for the optimizers: one pass over a flat run of parameters, their gradients and
/// the rule's per-parameter state (all of one length P), L2 term fused, vectorised per <see cref="Cpu.Tier"/>.
/// </summary>
/// <remarks>
/// <para>
/// Every kernel first forms the effective gradient <c>d = fma(l2, w, g)</c> (= g + λ·w, rounded once) with the
/// <c>l2</c> (λ) it is given; an optimizer passes its weights with λ and its biases with λ = 0. The rule then
/// updates the state and the parameter in place. The exact operation sequence, including which multiply-adds
/// are fused (fma = one rounding), is written in each kernel's documentation; it is the same on every tier
/// (<see cref="MathF.FusedMultiplyAdd"/> and <c>VectorN.FusedMultiplyAdd</c> are fused even without FMA hardware;
/// √ and ÷ are correctly rounded everywhere), so Avx512, Avx2, Vector128 and Scalar give the same bits.
/// <see cref="OptimizerReference"/> is the unfused plain-loop oracle (agreement within a few ulp per step).
/// </para>
/// <para>
/// Layout (operator-struct pattern, STYLE anchor 1): each rule is a small <c>readonly struct</c> holding its
/// hyper-parameters and implementing <see cref="IUpdateRule"/>, <see cref="IUpdateRule1"/> or
/// <see cref="IUpdateRule2"/> (by how many state values it keeps per parameter) with a scalar and a
/// Vector128/256/512 overload of the same formula. One generic driver per arity reads the tier once, runs one
/// vector loop written over <see cref="IVectorWidth{TVector}"/> (unrolled ×2), then the scalar overload for the last
/// <c>P mod width</c> elements.
/// The JIT specialises each driver per rule. Nothing here allocates.
/// </para>
/// </remarks>
internal static class OptimizerKernels
{
    // ---------------------------------------------------------------- public entry points, one per rule

    /// <summary>
    /// Plain gradient descent. For each i: <c>d = fma(l2, w[i], g[i])</c>; <c>w[i] = fma(−η, d, w[i])</c>.
    /// </summary>
    /// <param name="parameters">w[P], updated in place.</param>
    /// <param name="gradients">g[P].</param>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="l2">L2 coefficient λ applied to every element of <paramref name="parameters"/>.</param>
    internal static void Sgd(Span<float> parameters, ReadOnlySpan<float> gradients, float eta, float l2)
        => Apply(new SgdRule(eta), parameters, gradients, l2);

    /// <summary>
    /// Gradient descent with momentum. For each i: <c>d = fma(l2, w[i], g[i])</c>;
    /// <c>v[i] = fma(μ, v[i], η·d)</c>; <c>w[i] = w[i] − v[i]</c>.
    /// </summary>
    /// <param name="parameters">w[P], updated in place.</param>
    /// <param name="gradients">g[P].</param>
    /// <param name="velocity">v[P], updated in place.</param>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="momentum">Momentum coefficient μ.</param>
    /// <param name="l2">L2 coefficient λ applied to every element of <paramref name="parameters"/>.</param>
    internal static void Momentum(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> velocity,
                                  float eta, float momentum, float l2)
        => Apply(new MomentumRule(eta, momentum), parameters, gradients, velocity, l2);

    /// <summary>
    /// Adagrad. For each i: <c>d = fma(l2, w[i], g[i])</c>; <c>G[i] = fma(d, d, G[i])</c>;
    /// <c>w[i] = w[i] − (η·d) / (√G[i] + ε)</c>.
    /// </summary>
    /// <param name="parameters">w[P], updated in place.</param>
    /// <param name="gradients">g[P].</param>
    /// <param name="sumOfSquares">G[P], the running sum of squared gradients, updated in place.</param>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="epsilon">ε added to the root of the denominator.</param>
    /// <param name="l2">L2 coefficient λ applied to every element of <paramref name="parameters"/>.</param>
    internal static void Adagrad(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> sumOfSquares,
                                 float eta, float epsilon, float l2)
        => Apply(new AdagradRule(eta, epsilon), parameters, gradients, sumOfSquares, l2);

    /// <summary>
    /// Adagrad with momentum. For each i: <c>d = fma(l2, w[i], g[i])</c>; <c>G[i] = fma(d, d, G[i])</c>;
    /// <c>v[i] = fma(μ, v[i], (η·d) / (√G[i] + ε))</c>; <c>w[i] = w[i] − v[i]</c>.
    /// </summary>
    /// <param name="parameters">w[P], updated in place.</param>
    /// <param name="gradients">g[P].</param>
    /// <param name="sumOfSquares">G[P], the running sum of squared gradients, updated in place.</param>
    /// <param name="velocity">v[P], updated in place.</param>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="momentum">Momentum coefficient μ.</param>
    /// <param name="epsilon">ε added to the root of the denominator.</param>
    /// <param name="l2">L2 coefficient λ applied to every element of <paramref name="parameters"/>.</param>
    internal static void AdagradMomentum(Span<float> parameters, ReadOnlySpan<float> gradients,
                                         Span<float> sumOfSquares, Span<float> velocity,
                                         float eta, float momentum, float epsilon, float l2)
        => Apply(new AdagradMomentumRule(eta, momentum, epsilon), parameters, gradients, sumOfSquares, velocity, l2);

    /// <summary>
    /// RMSprop. For each i: <c>d = fma(l2, w[i], g[i])</c>; <c>s[i] = fma(ρ, s[i], (1−ρ)·(d·d))</c>;
    /// <c>w[i] = w[i] − (η·d) / (√s[i] + ε)</c>. <c>1−ρ</c> is evaluated once, in float.
    /// </summary>
    /// <param name="parameters">w[P], updated in place.</param>
    /// <param name="gradients">g[P].</param>
    /// <param name="meanSquare">s[P], the decaying mean of squared gradients, updated in place.</param>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="rho">Decay ρ of the mean square.</param>
    /// <param name="epsilon">ε added to the root of the denominator.</param>
    /// <param name="l2">L2 coefficient λ applied to every element of <paramref name="parameters"/>.</param>
    internal static void RmsProp(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> meanSquare,
                                 float eta, float rho, float epsilon, float l2)
        => Apply(new RmsPropRule(eta, rho, epsilon), parameters, gradients, meanSquare, l2);

    /// <summary>
    /// RMSprop with momentum. For each i: <c>d = fma(l2, w[i], g[i])</c>; <c>s[i] = fma(ρ, s[i], (1−ρ)·(d·d))</c>;
    /// <c>v[i] = fma(μ, v[i], (η·d) / (√s[i] + ε))</c>; <c>w[i] = w[i] − v[i]</c>. <c>1−ρ</c> is evaluated once, in float.
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
    internal static void RmsPropMomentum(Span<float> parameters, ReadOnlySpan<float> gradients,
                                         Span<float> meanSquare, Span<float> velocity,
                                         float eta, float rho, float momentum, float epsilon, float l2)
        => Apply(new RmsPropMomentumRule(eta, rho, momentum, epsilon), parameters, gradients, meanSquare, velocity, l2);

    /// <summary>
    /// Adam (Kingma &amp; Ba), bias-corrected. For each i: <c>d = fma(l2, w[i], g[i])</c>;
    /// <c>m[i] = fma(β1, m[i], (1−β1)·d)</c>; <c>v[i] = fma(β2, v[i], (1−β2)·(d·d))</c>;
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
    internal static void Adam(Span<float> parameters, ReadOnlySpan<float> gradients,
                              Span<float> firstMoment, Span<float> secondMoment,
                              float eta, float beta1, float beta2, float epsilon,
                              float biasCorrection1, float biasCorrection2, float l2)
        => Apply(new AdamRule(eta, beta1, beta2, epsilon, biasCorrection1, biasCorrection2),
                 parameters, gradients, firstMoment, secondMoment, l2);

    // ---------------------------------------------------------------- argument checks shared by the optimizers

    /// <summary>
    /// The preconditions of <c>Optimizer.Step</c>, checked once per step before any kernel runs, so a bad call
    /// changes nothing.
    /// </summary>
    /// <param name="optimizerName">The optimizer's <c>Name</c>, used in the messages.</param>
    /// <param name="initializedCount">The count given to <c>Initialize</c>, or −1 if it was never called.</param>
    /// <param name="parameterLength">parameters.Length.</param>
    /// <param name="gradientLength">gradients.Length.</param>
    /// <param name="decayedCount">How many leading parameters are weights (get the L2 term).</param>
    /// <param name="l2">The L2 coefficient λ.</param>
    /// <exception cref="InvalidOperationException">The optimizer was not initialized.</exception>
    /// <exception cref="ArgumentException">A length differs from the initialized parameter count.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="decayedCount"/> is outside 0..P, or <paramref name="l2"/> is negative or not finite.</exception>
    internal static void CheckStep(string optimizerName, int initializedCount, int parameterLength, int gradientLength,
                                   int decayedCount, float l2)
    {
        if (initializedCount < 0)
            throw new InvalidOperationException(
                $"The {optimizerName} optimizer has not been initialized: call Initialize(parameterCount) before Step.");
        if (parameterLength != initializedCount)
            throw new ArgumentException(
                $"The {optimizerName} optimizer was initialized for {initializedCount} parameters but Step was given {parameterLength}.",
                "parameters");
        if (gradientLength != parameterLength)
            throw new ArgumentException(
                $"The {optimizerName} optimizer was given {parameterLength} parameters but {gradientLength} gradients; they must match.",
                "gradients");
        if ((uint)decayedCount > (uint)parameterLength)
            throw new ArgumentOutOfRangeException(nameof(decayedCount), decayedCount,
                $"The {optimizerName} optimizer: the decayed (weight) count must be between 0 and the parameter count {parameterLength}.");
        if (!(l2 >= 0) || !float.IsFinite(l2))
            throw new ArgumentOutOfRangeException(nameof(l2), l2,
                $"The {optimizerName} optimizer: the L2 coefficient must be a finite number >= 0.");
    }

    /// <summary>Checks a parameter count given to <c>Optimizer.Initialize</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parameterCount"/> is negative.</exception>
    internal static void CheckInitialize(string optimizerName, int parameterCount)
    {
        if (parameterCount < 0)
            throw new ArgumentOutOfRangeException(nameof(parameterCount), parameterCount,
                $"The {optimizerName} optimizer: the parameter count must not be negative.");
    }

    /// <summary>Checks a decay or momentum coefficient (μ, ρ, β) given to an optimizer's constructor: it must lie in [0, 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is outside [0, 1) or NaN.</exception>
    internal static void CheckCoefficient(string optimizerName, string parameterName, float value)
    {
        if (!(value >= 0f && value < 1f))
            throw new ArgumentOutOfRangeException(parameterName, value,
                $"The {optimizerName} optimizer: {parameterName} must be in [0, 1).");
    }

    /// <summary>Checks an ε given to an optimizer's constructor: it must be a positive finite number.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is not a positive finite number.</exception>
    internal static void CheckEpsilon(string optimizerName, string parameterName, float value)
    {
        if (!(value > 0f) || !float.IsFinite(value))
            throw new ArgumentOutOfRangeException(parameterName, value,
                $"The {optimizerName} optimizer: {parameterName} must be a positive finite number.");
    }

    // ---------------------------------------------------------------- rule contracts, by state arity

    /// <summary>A rule with no per-parameter state: returns the updated parameter given w and the effective gradient d.</summary>
    internal interface IUpdateRule
    {
        /// <summary>The updated parameter.</summary>
        float Update(float w, float d);
        /// <summary>The updated parameters, per lane.</summary>
        Vector128<float> Update(Vector128<float> w, Vector128<float> d);
        /// <summary>The updated parameters, per lane.</summary>
        Vector256<float> Update(Vector256<float> w, Vector256<float> d);
        /// <summary>The updated parameters, per lane.</summary>
        Vector512<float> Update(Vector512<float> w, Vector512<float> d);
    }

    /// <summary>A rule keeping one state value per parameter: updates the state s and returns the updated parameter.</summary>
    internal interface IUpdateRule1
    {
        /// <summary>Updates <paramref name="s"/> and returns the updated parameter.</summary>
        float Update(float w, float d, ref float s);
        /// <summary>Updates <paramref name="s"/> and returns the updated parameters, per lane.</summary>
        Vector128<float> Update(Vector128<float> w, Vector128<float> d, ref Vector128<float> s);
        /// <summary>Updates <paramref name="s"/> and returns the updated parameters, per lane.</summary>
        Vector256<float> Update(Vector256<float> w, Vector256<float> d, ref Vector256<float> s);
        /// <summary>Updates <paramref name="s"/> and returns the updated parameters, per lane.</summary>
        Vector512<float> Update(Vector512<float> w, Vector512<float> d, ref Vector512<float> s);
    }

    /// <summary>A rule keeping two state values per parameter: updates s1 and s2 and returns the updated parameter.</summary>
    internal interface IUpdateRule2
    {
        /// <summary>Updates <paramref name="s1"/> and <paramref name="s2"/> and returns the updated parameter.</summary>
        float Update(float w, float d, ref float s1, ref float s2);
        /// <summary>Updates <paramref name="s1"/> and <paramref name="s2"/> and returns the updated parameters, per lane.</summary>
        Vector128<float> Update(Vector128<float> w, Vector128<float> d, ref Vector128<float> s1, ref Vector128<float> s2);
        /// <summary>Updates <paramref name="s1"/> and <paramref name="s2"/> and returns the updated parameters, per lane.</summary>
        Vector256<float> Update(Vector256<float> w, Vector256<float> d, ref Vector256<float> s1, ref Vector256<float> s2);
        /// <summary>Updates <paramref name="s1"/> and <paramref name="s2"/> and returns the updated parameters, per lane.</summary>
        Vector512<float> Update(Vector512<float> w, Vector512<float> d, ref Vector512<float> s1, ref Vector512<float> s2);
    }

    // ---------------------------------------------------------------- drivers: the only loops

    /// <summary>w[P] ← rule(w, fma(l2, w, g)) for a stateless rule.</summary>
    internal static void Apply<TRule>(TRule rule, Span<float> parameters, ReadOnlySpan<float> gradients, float l2)
        where TRule : struct, IUpdateRule
    {
        int n = parameters.Length;
        CheckLength(nameof(gradients), gradients.Length, n);
        ref float w0 = ref MemoryMarshal.GetReference(parameters);
        ref float g0 = ref MemoryMarshal.GetReference(gradients);
        int i = Cpu.Tier switch
        {
            ComputeTier.Avx512 => ApplyVectors<Width512, Vector512<float>, Call512, TRule>(rule, ref w0, ref g0, l2, n),
            ComputeTier.Avx2 => ApplyVectors<Width256, Vector256<float>, Call256, TRule>(rule, ref w0, ref g0, l2, n),
            ComputeTier.Vector128 => ApplyVectors<Width128, Vector128<float>, Call128, TRule>(rule, ref w0, ref g0, l2, n),
            _ => 0,
        };
        for (; i < n; i++)
        {
            ref float w = ref Unsafe.Add(ref w0, i);
            float d = MathF.FusedMultiplyAdd(l2, w, Unsafe.Add(ref g0, i));
            w = rule.Update(w, d);
        }
    }

    /// <summary>w[P] ← rule(w, fma(l2, w, g), ref s[P]) for a rule with one state.</summary>
    internal static void Apply<TRule>(TRule rule, Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state, float l2)
        where TRule : struct, IUpdateRule1
    {
        int n = parameters.Length;
        CheckLength(nameof(gradients), gradients.Length, n);
        CheckLength(nameof(state), state.Length, n);
        ref float w0 = ref MemoryMarshal.GetReference(parameters);
        ref float g0 = ref MemoryMarshal.GetReference(gradients);
        ref float state0 = ref MemoryMarshal.GetReference(state);
        int i = Cpu.Tier switch
        {
            ComputeTier.Avx512 => ApplyVectors<Width512, Vector512<float>, Call512, TRule>(rule, ref w0, ref g0, ref state0, l2, n),
            ComputeTier.Avx2 => ApplyVectors<Width256, Vector256<float>, Call256, TRule>(rule, ref w0, ref g0, ref state0, l2, n),
            ComputeTier.Vector128 => ApplyVectors<Width128, Vector128<float>, Call128, TRule>(rule, ref w0, ref g0, ref state0, l2, n),
            _ => 0,
        };
        for (; i < n; i++)
        {
            ref float w = ref Unsafe.Add(ref w0, i);
            float d = MathF.FusedMultiplyAdd(l2, w, Unsafe.Add(ref g0, i));
            w = rule.Update(w, d, ref Unsafe.Add(ref state0, i));
        }
    }

    /// <summary>w[P] ← rule(w, fma(l2, w, g), ref s1[P], ref s2[P]) for a rule with two states.</summary>
    internal static void Apply<TRule>(TRule rule, Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state1, Span<float> state2, float l2)
        where TRule : struct, IUpdateRule2
    {
        int n = parameters.Length;
        CheckLength(nameof(gradients), gradients.Length, n);
        CheckLength(nameof(state1), state1.Length, n);
        CheckLength(nameof(state2), state2.Length, n);
        ref float w0 = ref MemoryMarshal.GetReference(parameters);
        ref float g0 = ref MemoryMarshal.GetReference(gradients);
        ref float state10 = ref MemoryMarshal.GetReference(state1);
        ref float state20 = ref MemoryMarshal.GetReference(state2);
        int i = Cpu.Tier switch
        {
            ComputeTier.Avx512 => ApplyVectors<Width512, Vector512<float>, Call512, TRule>(rule, ref w0, ref g0, ref state10, ref state20, l2, n),
            ComputeTier.Avx2 => ApplyVectors<Width256, Vector256<float>, Call256, TRule>(rule, ref w0, ref g0, ref state10, ref state20, l2, n),
            ComputeTier.Vector128 => ApplyVectors<Width128, Vector128<float>, Call128, TRule>(rule, ref w0, ref g0, ref state10, ref state20, l2, n),
            _ => 0,
        };
        for (; i < n; i++)
        {
            ref float w = ref Unsafe.Add(ref w0, i);
            float d = MathF.FusedMultiplyAdd(l2, w, Unsafe.Add(ref g0, i));
            w = rule.Update(w, d, ref Unsafe.Add(ref state10, i), ref Unsafe.Add(ref state20, i));
        }
    }

    // The vector loops, written once over IVectorWidth: two vectors per iteration, then single vectors; the caller
    // finishes the last P mod width elements with the scalar overload. TCall picks the rule's overload for the width.

    private static int ApplyVectors<TWidth, TVector, TCall, TRule>(TRule rule, ref float w0, ref float g0, float l2, int n)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct where TCall : struct, IRuleCall<TVector> where TRule : struct, IUpdateRule
    {
        int width = TWidth.Count;
        TVector lambda = TWidth.Broadcast(l2);
        int i = 0;
        for (; i <= n - 2 * width; i += 2 * width)
        {
            ref float pa = ref Unsafe.Add(ref w0, i);
            ref float pb = ref Unsafe.Add(ref w0, i + width);
            TVector wa = TWidth.Load(ref pa), wb = TWidth.Load(ref pb);
            TVector da = TWidth.MultiplyAdd(lambda, wa, TWidth.Load(ref Unsafe.Add(ref g0, i)));
            TVector db = TWidth.MultiplyAdd(lambda, wb, TWidth.Load(ref Unsafe.Add(ref g0, i + width)));
            TWidth.Store(TCall.Update(rule, wa, da), ref pa);
            TWidth.Store(TCall.Update(rule, wb, db), ref pb);
        }
        for (; i <= n - width; i += width)
        {
            ref float pa = ref Unsafe.Add(ref w0, i);
            TVector wa = TWidth.Load(ref pa);
            TVector da = TWidth.MultiplyAdd(lambda, wa, TWidth.Load(ref Unsafe.Add(ref g0, i)));
            TWidth.Store(TCall.Update(rule, wa, da), ref pa);
        }
        return i;
    }

    private static int ApplyVectors<TWidth, TVector, TCall, TRule>(TRule rule, ref float w0, ref float g0, ref float state0, float l2, int n)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct where TCall : struct, IRuleCall<TVector> where TRule : struct, IUpdateRule1
    {
        int width = TWidth.Count;
        TVector lambda = TWidth.Broadcast(l2);
        int i = 0;
        for (; i <= n - 2 * width; i += 2 * width)
        {
            ref float pa = ref Unsafe.Add(ref w0, i);
            ref float pb = ref Unsafe.Add(ref w0, i + width);
            ref float sa = ref Unsafe.Add(ref state0, i);
            ref float sb = ref Unsafe.Add(ref state0, i + width);
            TVector wa = TWidth.Load(ref pa), wb = TWidth.Load(ref pb);
            TVector da = TWidth.MultiplyAdd(lambda, wa, TWidth.Load(ref Unsafe.Add(ref g0, i)));
            TVector db = TWidth.MultiplyAdd(lambda, wb, TWidth.Load(ref Unsafe.Add(ref g0, i + width)));
            TVector statea = TWidth.Load(ref sa), stateb = TWidth.Load(ref sb);
            TWidth.Store(TCall.Update(rule, wa, da, ref statea), ref pa);
            TWidth.Store(TCall.Update(rule, wb, db, ref stateb), ref pb);
            TWidth.Store(statea, ref sa);
            TWidth.Store(stateb, ref sb);
        }
        for (; i <= n - width; i += width)
        {
            ref float pa = ref Unsafe.Add(ref w0, i);
            ref float sa = ref Unsafe.Add(ref state0, i);
            TVector wa = TWidth.Load(ref pa);
            TVector da = TWidth.MultiplyAdd(lambda, wa, TWidth.Load(ref Unsafe.Add(ref g0, i)));
            TVector statea = TWidth.Load(ref sa);
            TWidth.Store(TCall.Update(rule, wa, da, ref statea), ref pa);
            TWidth.Store(statea, ref sa);
        }
        return i;
    }

    private static int ApplyVectors<TWidth, TVector, TCall, TRule>(TRule rule, ref float w0, ref float g0, ref float state10, ref float state20, float l2, int n)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct where TCall : struct, IRuleCall<TVector> where TRule : struct, IUpdateRule2
    {
        int width = TWidth.Count;
        TVector lambda = TWidth.Broadcast(l2);
        int i = 0;
        for (; i <= n - 2 * width; i += 2 * width)
        {
            ref float pa = ref Unsafe.Add(ref w0, i);
            ref float pb = ref Unsafe.Add(ref w0, i + width);
            ref float s1a = ref Unsafe.Add(ref state10, i);
            ref float s1b = ref Unsafe.Add(ref state10, i + width);
            ref float s2a = ref Unsafe.Add(ref state20, i);
            ref float s2b = ref Unsafe.Add(ref state20, i + width);
            TVector wa = TWidth.Load(ref pa), wb = TWidth.Load(ref pb);
            TVector da = TWidth.MultiplyAdd(lambda, wa, TWidth.Load(ref Unsafe.Add(ref g0, i)));
            TVector db = TWidth.MultiplyAdd(lambda, wb, TWidth.Load(ref Unsafe.Add(ref g0, i + width)));
            TVector state1a = TWidth.Load(ref s1a), state1b = TWidth.Load(ref s1b);
            TVector state2a = TWidth.Load(ref s2a), state2b = TWidth.Load(ref s2b);
            TWidth.Store(TCall.Update(rule, wa, da, ref state1a, ref state2a), ref pa);
            TWidth.Store(TCall.Update(rule, wb, db, ref state1b, ref state2b), ref pb);
            TWidth.Store(state1a, ref s1a);
            TWidth.Store(state1b, ref s1b);
            TWidth.Store(state2a, ref s2a);
            TWidth.Store(state2b, ref s2b);
        }
        for (; i <= n - width; i += width)
        {
            ref float pa = ref Unsafe.Add(ref w0, i);
            ref float s1a = ref Unsafe.Add(ref state10, i);
            ref float s2a = ref Unsafe.Add(ref state20, i);
            TVector wa = TWidth.Load(ref pa);
            TVector da = TWidth.MultiplyAdd(lambda, wa, TWidth.Load(ref Unsafe.Add(ref g0, i)));
            TVector state1a = TWidth.Load(ref s1a), state2a = TWidth.Load(ref s2a);
            TWidth.Store(TCall.Update(rule, wa, da, ref state1a, ref state2a), ref pa);
            TWidth.Store(state1a, ref s1a);
            TWidth.Store(state2a, ref s2a);
        }
        return i;
    }

    /// <summary>Calls a rule's overload for one vector width (the rules overload by width; the loops are generic).</summary>
    private interface IRuleCall<TVector> where TVector : struct
    {
        static abstract TVector Update<TRule>(TRule rule, TVector w, TVector d) where TRule : struct, IUpdateRule;
        static abstract TVector Update<TRule>(TRule rule, TVector w, TVector d, ref TVector s) where TRule : struct, IUpdateRule1;
        static abstract TVector Update<TRule>(TRule rule, TVector w, TVector d, ref TVector s1, ref TVector s2) where TRule : struct, IUpdateRule2;
    }

    private readonly struct Call512 : IRuleCall<Vector512<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Update<TRule>(TRule rule, Vector512<float> w, Vector512<float> d) where TRule : struct, IUpdateRule => rule.Update(w, d);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Update<TRule>(TRule rule, Vector512<float> w, Vector512<float> d, ref Vector512<float> s) where TRule : struct, IUpdateRule1 => rule.Update(w, d, ref s);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Update<TRule>(TRule rule, Vector512<float> w, Vector512<float> d, ref Vector512<float> s1, ref Vector512<float> s2) where TRule : struct, IUpdateRule2 => rule.Update(w, d, ref s1, ref s2);
    }

    private readonly struct Call256 : IRuleCall<Vector256<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Update<TRule>(TRule rule, Vector256<float> w, Vector256<float> d) where TRule : struct, IUpdateRule => rule.Update(w, d);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Update<TRule>(TRule rule, Vector256<float> w, Vector256<float> d, ref Vector256<float> s) where TRule : struct, IUpdateRule1 => rule.Update(w, d, ref s);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Update<TRule>(TRule rule, Vector256<float> w, Vector256<float> d, ref Vector256<float> s1, ref Vector256<float> s2) where TRule : struct, IUpdateRule2 => rule.Update(w, d, ref s1, ref s2);
    }

    private readonly struct Call128 : IRuleCall<Vector128<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Update<TRule>(TRule rule, Vector128<float> w, Vector128<float> d) where TRule : struct, IUpdateRule => rule.Update(w, d);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Update<TRule>(TRule rule, Vector128<float> w, Vector128<float> d, ref Vector128<float> s) where TRule : struct, IUpdateRule1 => rule.Update(w, d, ref s);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Update<TRule>(TRule rule, Vector128<float> w, Vector128<float> d, ref Vector128<float> s1, ref Vector128<float> s2) where TRule : struct, IUpdateRule2 => rule.Update(w, d, ref s1, ref s2);
    }

    private static void CheckLength(string name, int length, int parameterCount)
    {
        if (length != parameterCount)
            throw new ArgumentException(
                $"OptimizerKernels: {name} has {length} elements but parameters has {parameterCount}; they must match.", name);
    }

    // ---------------------------------------------------------------- the rules (same formula in every overload)

    /// <summary><c>fma(−η, d, w)</c>.</summary>
    internal readonly struct SgdRule(float eta) : IUpdateRule
    {
        private readonly float _minusEta = -eta;

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Update(float w, float d)
        {
            return MathF.FusedMultiplyAdd(_minusEta, d, w);
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Update(Vector128<float> w, Vector128<float> d)
        {
            return Vector128.FusedMultiplyAdd(Vector128.Create(_minusEta), d, w);
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Update(Vector256<float> w, Vector256<float> d)
        {
            return Vector256.FusedMultiplyAdd(Vector256.Create(_minusEta), d, w);
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Update(Vector512<float> w, Vector512<float> d)
        {
            return Vector512.FusedMultiplyAdd(Vector512.Create(_minusEta), d, w);
        }
    }

    /// <summary><c>v = fma(μ, v, η·d)</c>; <c>w − v</c>.</summary>
    internal readonly struct MomentumRule(float eta, float momentum) : IUpdateRule1
    {
        private readonly float _eta = eta;
        private readonly float _momentum = momentum;

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Update(float w, float d, ref float v)
        {
            v = MathF.FusedMultiplyAdd(_momentum, v, _eta * d);
            return w - v;
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Update(Vector128<float> w, Vector128<float> d, ref Vector128<float> v)
        {
            v = Vector128.FusedMultiplyAdd(Vector128.Create(_momentum), v, Vector128.Create(_eta) * d);
            return w - v;
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Update(Vector256<float> w, Vector256<float> d, ref Vector256<float> v)
        {
            v = Vector256.FusedMultiplyAdd(Vector256.Create(_momentum), v, Vector256.Create(_eta) * d);
            return w - v;
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Update(Vector512<float> w, Vector512<float> d, ref Vector512<float> v)
        {
            v = Vector512.FusedMultiplyAdd(Vector512.Create(_momentum), v, Vector512.Create(_eta) * d);
            return w - v;
        }
    }

    /// <summary><c>G = fma(d, d, G)</c>; <c>w − (η·d) / (√G + ε)</c>.</summary>
    internal readonly struct AdagradRule(float eta, float epsilon) : IUpdateRule1
    {
        private readonly float _eta = eta;
        private readonly float _epsilon = epsilon;

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Update(float w, float d, ref float sumOfSquares)
        {
            sumOfSquares = MathF.FusedMultiplyAdd(d, d, sumOfSquares);
            return w - _eta * d / (MathF.Sqrt(sumOfSquares) + _epsilon);
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Update(Vector128<float> w, Vector128<float> d, ref Vector128<float> sumOfSquares)
        {
            sumOfSquares = Vector128.FusedMultiplyAdd(d, d, sumOfSquares);
            return w - Vector128.Create(_eta) * d / (Vector128.Sqrt(sumOfSquares) + Vector128.Create(_epsilon));
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Update(Vector256<float> w, Vector256<float> d, ref Vector256<float> sumOfSquares)
        {
            sumOfSquares = Vector256.FusedMultiplyAdd(d, d, sumOfSquares);
            return w - Vector256.Create(_eta) * d / (Vector256.Sqrt(sumOfSquares) + Vector256.Create(_epsilon));
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Update(Vector512<float> w, Vector512<float> d, ref Vector512<float> sumOfSquares)
        {
            sumOfSquares = Vector512.FusedMultiplyAdd(d, d, sumOfSquares);
            return w - Vector512.Create(_eta) * d / (Vector512.Sqrt(sumOfSquares) + Vector512.Create(_epsilon));
        }
    }

    /// <summary><c>G = fma(d, d, G)</c>; <c>v = fma(μ, v, (η·d) / (√G + ε))</c>; <c>w − v</c>.</summary>
    internal readonly struct AdagradMomentumRule(float eta, float momentum, float epsilon) : IUpdateRule2
    {
        private readonly float _eta = eta;
        private readonly float _momentum = momentum;
        private readonly float _epsilon = epsilon;

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Update(float w, float d, ref float sumOfSquares, ref float v)
        {
            sumOfSquares = MathF.FusedMultiplyAdd(d, d, sumOfSquares);
            v = MathF.FusedMultiplyAdd(_momentum, v, _eta * d / (MathF.Sqrt(sumOfSquares) + _epsilon));
            return w - v;
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Update(Vector128<float> w, Vector128<float> d, ref Vector128<float> sumOfSquares, ref Vector128<float> v)
        {
            sumOfSquares = Vector128.FusedMultiplyAdd(d, d, sumOfSquares);
            v = Vector128.FusedMultiplyAdd(Vector128.Create(_momentum), v, Vector128.Create(_eta) * d / (Vector128.Sqrt(sumOfSquares) + Vector128.Create(_epsilon)));
            return w - v;
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Update(Vector256<float> w, Vector256<float> d, ref Vector256<float> sumOfSquares, ref Vector256<float> v)
        {
            sumOfSquares = Vector256.FusedMultiplyAdd(d, d, sumOfSquares);
            v = Vector256.FusedMultiplyAdd(Vector256.Create(_momentum), v, Vector256.Create(_eta) * d / (Vector256.Sqrt(sumOfSquares) + Vector256.Create(_epsilon)));
            return w - v;
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Update(Vector512<float> w, Vector512<float> d, ref Vector512<float> sumOfSquares, ref Vector512<float> v)
        {
            sumOfSquares = Vector512.FusedMultiplyAdd(d, d, sumOfSquares);
            v = Vector512.FusedMultiplyAdd(Vector512.Create(_momentum), v, Vector512.Create(_eta) * d / (Vector512.Sqrt(sumOfSquares) + Vector512.Create(_epsilon)));
            return w - v;
        }
    }

    /// <summary><c>s = fma(ρ, s, (1−ρ)·(d·d))</c>; <c>w − (η·d) / (√s + ε)</c>.</summary>
    internal readonly struct RmsPropRule(float eta, float rho, float epsilon) : IUpdateRule1
    {
        private readonly float _eta = eta;
        private readonly float _rho = rho;
        private readonly float _oneMinusRho = 1f - rho;
        private readonly float _epsilon = epsilon;

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Update(float w, float d, ref float meanSquare)
        {
            meanSquare = MathF.FusedMultiplyAdd(_rho, meanSquare, _oneMinusRho * (d * d));
            return w - _eta * d / (MathF.Sqrt(meanSquare) + _epsilon);
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Update(Vector128<float> w, Vector128<float> d, ref Vector128<float> meanSquare)
        {
            meanSquare = Vector128.FusedMultiplyAdd(Vector128.Create(_rho), meanSquare, Vector128.Create(_oneMinusRho) * (d * d));
            return w - Vector128.Create(_eta) * d / (Vector128.Sqrt(meanSquare) + Vector128.Create(_epsilon));
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Update(Vector256<float> w, Vector256<float> d, ref Vector256<float> meanSquare)
        {
            meanSquare = Vector256.FusedMultiplyAdd(Vector256.Create(_rho), meanSquare, Vector256.Create(_oneMinusRho) * (d * d));
            return w - Vector256.Create(_eta) * d / (Vector256.Sqrt(meanSquare) + Vector256.Create(_epsilon));
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Update(Vector512<float> w, Vector512<float> d, ref Vector512<float> meanSquare)
        {
            meanSquare = Vector512.FusedMultiplyAdd(Vector512.Create(_rho), meanSquare, Vector512.Create(_oneMinusRho) * (d * d));
            return w - Vector512.Create(_eta) * d / (Vector512.Sqrt(meanSquare) + Vector512.Create(_epsilon));
        }
    }

    /// <summary><c>s = fma(ρ, s, (1−ρ)·(d·d))</c>; <c>v = fma(μ, v, (η·d) / (√s + ε))</c>; <c>w − v</c>.</summary>
    internal readonly struct RmsPropMomentumRule(float eta, float rho, float momentum, float epsilon) : IUpdateRule2
    {
        private readonly float _eta = eta;
        private readonly float _rho = rho;
        private readonly float _oneMinusRho = 1f - rho;
        private readonly float _momentum = momentum;
        private readonly float _epsilon = epsilon;

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Update(float w, float d, ref float meanSquare, ref float v)
        {
            meanSquare = MathF.FusedMultiplyAdd(_rho, meanSquare, _oneMinusRho * (d * d));
            v = MathF.FusedMultiplyAdd(_momentum, v, _eta * d / (MathF.Sqrt(meanSquare) + _epsilon));
            return w - v;
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Update(Vector128<float> w, Vector128<float> d, ref Vector128<float> meanSquare, ref Vector128<float> v)
        {
            meanSquare = Vector128.FusedMultiplyAdd(Vector128.Create(_rho), meanSquare, Vector128.Create(_oneMinusRho) * (d * d));
            v = Vector128.FusedMultiplyAdd(Vector128.Create(_momentum), v, Vector128.Create(_eta) * d / (Vector128.Sqrt(meanSquare) + Vector128.Create(_epsilon)));
            return w - v;
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Update(Vector256<float> w, Vector256<float> d, ref Vector256<float> meanSquare, ref Vector256<float> v)
        {
            meanSquare = Vector256.FusedMultiplyAdd(Vector256.Create(_rho), meanSquare, Vector256.Create(_oneMinusRho) * (d * d));
            v = Vector256.FusedMultiplyAdd(Vector256.Create(_momentum), v, Vector256.Create(_eta) * d / (Vector256.Sqrt(meanSquare) + Vector256.Create(_epsilon)));
            return w - v;
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Update(Vector512<float> w, Vector512<float> d, ref Vector512<float> meanSquare, ref Vector512<float> v)
        {
            meanSquare = Vector512.FusedMultiplyAdd(Vector512.Create(_rho), meanSquare, Vector512.Create(_oneMinusRho) * (d * d));
            v = Vector512.FusedMultiplyAdd(Vector512.Create(_momentum), v, Vector512.Create(_eta) * d / (Vector512.Sqrt(meanSquare) + Vector512.Create(_epsilon)));
            return w - v;
        }
    }

    /// <summary><c>m = fma(β1, m, (1−β1)·d)</c>; <c>v = fma(β2, v, (1−β2)·(d·d))</c>; <c>m̂ = m / c1</c>; <c>v̂ = v / c2</c>;
    /// <c>w − (η·m̂) / (√v̂ + ε)</c>.</summary>
    internal readonly struct AdamRule(float eta, float beta1, float beta2, float epsilon, float biasCorrection1, float biasCorrection2) : IUpdateRule2
    {
        private readonly float _eta = eta;
        private readonly float _beta1 = beta1;
        private readonly float _oneMinusBeta1 = 1f - beta1;
        private readonly float _beta2 = beta2;
        private readonly float _oneMinusBeta2 = 1f - beta2;
        private readonly float _epsilon = epsilon;
        private readonly float _c1 = biasCorrection1;
        private readonly float _c2 = biasCorrection2;

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Update(float w, float d, ref float m, ref float v)
        {
            m = MathF.FusedMultiplyAdd(_beta1, m, _oneMinusBeta1 * d);
            v = MathF.FusedMultiplyAdd(_beta2, v, _oneMinusBeta2 * (d * d));
            float mHat = m / _c1;
            float vHat = v / _c2;
            return w - _eta * mHat / (MathF.Sqrt(vHat) + _epsilon);
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Update(Vector128<float> w, Vector128<float> d, ref Vector128<float> m, ref Vector128<float> v)
        {
            m = Vector128.FusedMultiplyAdd(Vector128.Create(_beta1), m, Vector128.Create(_oneMinusBeta1) * d);
            v = Vector128.FusedMultiplyAdd(Vector128.Create(_beta2), v, Vector128.Create(_oneMinusBeta2) * (d * d));
            var mHat = m / Vector128.Create(_c1);
            var vHat = v / Vector128.Create(_c2);
            return w - Vector128.Create(_eta) * mHat / (Vector128.Sqrt(vHat) + Vector128.Create(_epsilon));
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Update(Vector256<float> w, Vector256<float> d, ref Vector256<float> m, ref Vector256<float> v)
        {
            m = Vector256.FusedMultiplyAdd(Vector256.Create(_beta1), m, Vector256.Create(_oneMinusBeta1) * d);
            v = Vector256.FusedMultiplyAdd(Vector256.Create(_beta2), v, Vector256.Create(_oneMinusBeta2) * (d * d));
            var mHat = m / Vector256.Create(_c1);
            var vHat = v / Vector256.Create(_c2);
            return w - Vector256.Create(_eta) * mHat / (Vector256.Sqrt(vHat) + Vector256.Create(_epsilon));
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Update(Vector512<float> w, Vector512<float> d, ref Vector512<float> m, ref Vector512<float> v)
        {
            m = Vector512.FusedMultiplyAdd(Vector512.Create(_beta1), m, Vector512.Create(_oneMinusBeta1) * d);
            v = Vector512.FusedMultiplyAdd(Vector512.Create(_beta2), v, Vector512.Create(_oneMinusBeta2) * (d * d));
            var mHat = m / Vector512.Create(_c1);
            var vHat = v / Vector512.Create(_c2);
            return w - Vector512.Create(_eta) * mHat / (Vector512.Sqrt(vHat) + Vector512.Create(_epsilon));
        }
    }
}
