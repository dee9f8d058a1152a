using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Kernels;

/// <summary>
/// The fast update kernel of the optimizers: one pass over a flat run of parameters, their gradients and the rule's
/// per-parameter state (all of one length P), with the L2 term and the decoupled weight decay fused, dispatched once
/// through <see cref="TierDispatch"/>.
/// </summary>
/// <remarks>
/// <para>
/// For each element, in this order: <c>d = fma(l2, w, g)</c> (= g + λ·w with the undecayed w, rounded once);
/// <c>w' = w · k</c> where <c>k = </c><see cref="DecayFactor"/> (<c>k = 1</c> when there is no decoupled decay, and
/// <c>w · 1 = w</c> exactly); then the rule (<see cref="IUpdateRule"/>) updates the state and returns the new
/// parameter from <c>w'</c> and <c>d</c>. An optimizer passes its weights with their λ and decay and the other
/// parameters with theirs (usually 0).
/// </para>
/// <para>
/// Operator-struct pattern (STYLE anchor 1): each rule is a small struct with one generic body; the one driver
/// here (<see cref="UpdateKernel{TRule}"/>) runs the vector loop (unrolled ×2) for the tier's width and then the
/// last <c>P mod width</c> elements with <see cref="Width1"/>, i.e. the same body, so every tier gives the same bits.
/// The JIT specialises the driver per rule and per width. Nothing here allocates.
/// <see cref="OptimizerReference"/> is the unfused plain-loop oracle (agreement within a few ulp per step).
/// </para>
/// </remarks>
internal static class OptimizerKernels
{
    /// <summary>
    /// The factor <c>k = fma(−lr, wd, 1)</c> (= 1 − lr·wd, rounded once) that decoupled weight decay multiplies a
    /// parameter by before the rule: <c>w ← w·k</c>, PyTorch's <c>param.mul_(1 − lr·weight_decay)</c>.
    /// Exactly 1 when <paramref name="weightDecay"/> is 0.
    /// </summary>
    internal static float DecayFactor(float learningRate, float weightDecay)
        => MathF.FusedMultiplyAdd(-learningRate, weightDecay, 1f);

    /// <summary>
    /// One update of <paramref name="parameters"/> by <paramref name="rule"/>. For each i:
    /// <c>d = fma(l2, w[i], g[i])</c>; <c>w[i] = rule(w[i]·decayFactor, d, ref s0[i], ref s1[i])</c>.
    /// </summary>
    /// <param name="rule">The rule and its hyper-parameters for this step.</param>
    /// <param name="parameters">w[P], updated in place.</param>
    /// <param name="gradients">g[P], read only.</param>
    /// <param name="state0">s0[P], updated in place, when the rule keeps at least one state value; else ignored.</param>
    /// <param name="state1">s1[P], updated in place, when the rule keeps two state values; else ignored.</param>
    /// <param name="l2">L2 coefficient λ applied to every element of <paramref name="parameters"/>.</param>
    /// <param name="decayFactor">The decoupled-decay factor <see cref="DecayFactor"/>; 1 for none.</param>
    /// <exception cref="ArgumentException">A span the rule uses is not of length P.</exception>
    internal static void Apply<TRule>(TRule rule, Span<float> parameters, ReadOnlySpan<float> gradients,
                                      Span<float> state0, Span<float> state1, float l2, float decayFactor = 1f)
        where TRule : struct, IUpdateRule
    {
        int n = parameters.Length;
        CheckLength(nameof(gradients), gradients.Length, n);
        if (TRule.StateCount > 0) CheckLength(nameof(state0), state0.Length, n);
        if (TRule.StateCount > 1) CheckLength(nameof(state1), state1.Length, n);
        var kernel = new UpdateKernel<TRule>(rule, parameters, gradients, state0, state1, l2, decayFactor);
        TierDispatch.Run(ref kernel);
    }

    private static void CheckLength(string name, int length, int parameterCount)
    {
        if (length != parameterCount)
            throw new ArgumentException(
                $"OptimizerKernels: {name} has {length} elements but parameters has {parameterCount}; they must match.", name);
    }

    /// <summary>The driver: the vector loop on the tier's width, then the tail with <see cref="Width1"/>.</summary>
    private ref struct UpdateKernel<TRule> : IWidthKernel where TRule : struct, IUpdateRule
    {
        private TRule _rule;
        private readonly Span<float> _parameters;        // w[P]
        private readonly ReadOnlySpan<float> _gradients; // g[P]
        private readonly Span<float> _state0;            // s0[P] or empty
        private readonly Span<float> _state1;            // s1[P] or empty
        private readonly float _l2;
        private readonly float _decayFactor;

        public UpdateKernel(TRule rule, Span<float> parameters, ReadOnlySpan<float> gradients,
                            Span<float> state0, Span<float> state1, float l2, float decayFactor)
        {
            _rule = rule;
            _parameters = parameters;
            _gradients = gradients;
            _state0 = state0;
            _state1 = state1;
            _l2 = l2;
            _decayFactor = decayFactor;
        }

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            int done = Sweep<TWidth, TVector>(0);
            Sweep<Width1, float>(done);
        }

        /// <summary>Whole registers of <typeparamref name="TVector"/> from <paramref name="i"/> on, two per iteration; returns where it stopped.</summary>
        private int Sweep<TWidth, TVector>(int i) where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            int n = _parameters.Length, width = TWidth.Count;
            ref float w0 = ref MemoryMarshal.GetReference(_parameters);
            ref float g0 = ref MemoryMarshal.GetReference(_gradients);
            ref float a0 = ref MemoryMarshal.GetReference(_state0);
            ref float b0 = ref MemoryMarshal.GetReference(_state1);
            TVector lambda = TWidth.Broadcast(_l2), keep = TWidth.Broadcast(_decayFactor);
            for (; i <= n - 2 * width; i += 2 * width)
            {
                Element<TWidth, TVector>(ref w0, ref g0, ref a0, ref b0, i, lambda, keep);
                Element<TWidth, TVector>(ref w0, ref g0, ref a0, ref b0, i + width, lambda, keep);
            }
            for (; i <= n - width; i += width)
                Element<TWidth, TVector>(ref w0, ref g0, ref a0, ref b0, i, lambda, keep);
            return i;
        }

        /// <summary>One register: <c>d = fma(λ, w, g)</c>; <c>w = rule(w·k, d, ref s0, ref s1)</c>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Element<TWidth, TVector>(ref float w0, ref float g0, ref float a0, ref float b0, int i,
                                              TVector lambda, TVector keep)
            where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            ref float pw = ref Unsafe.Add(ref w0, i);
            TVector w = TWidth.Load(ref pw);
            TVector d = TWidth.MultiplyAdd(lambda, w, TWidth.Load(ref Unsafe.Add(ref g0, i)));
            TVector s0 = TRule.StateCount > 0 ? TWidth.Load(ref Unsafe.Add(ref a0, i)) : TWidth.Zero;
            TVector s1 = TRule.StateCount > 1 ? TWidth.Load(ref Unsafe.Add(ref b0, i)) : TWidth.Zero;
            TWidth.Store(_rule.Update<TWidth, TVector>(TWidth.Multiply(w, keep), d, ref s0, ref s1), ref pw);
            if (TRule.StateCount > 0) TWidth.Store(s0, ref Unsafe.Add(ref a0, i));
            if (TRule.StateCount > 1) TWidth.Store(s1, ref Unsafe.Add(ref b0, i));
        }
    }
}
