namespace Engine.Kernels;

/// <summary>
/// One optimizer update rule, written once over the vector width: a small <c>readonly struct</c> holding the
/// rule's hyper-parameters for this step (learning rate, decays, bias corrections). <see cref="OptimizerKernels.Apply"/>
/// runs it over a flat run of parameters on every tier, the tail included (with <see cref="Width1"/>, i.e. the same
/// body), so the rule's arithmetic lives in exactly one place.
/// </summary>
/// <remarks>
/// The body must perform the same IEEE operations on every width: fused multiply-adds through
/// <see cref="IVectorWidth{TVector}.MultiplyAdd"/> (one rounding, exact in software too), ÷ and √ correctly rounded.
/// Scalars that are the same for every element (<c>1−ρ</c>, <c>−η</c>, …) are evaluated once, in float, in the
/// constructor; each rule's documentation states its exact operation sequence.
/// </remarks>
internal interface IUpdateRule
{
    /// <summary>
    /// How many state values the rule keeps per parameter: 0, 1 or 2. The driver loads and stores only these
    /// (a rule with fewer leaves the other <c>ref</c> arguments untouched; their values are meaningless).
    /// </summary>
    static abstract int StateCount { get; }

    /// <summary>
    /// Updates the state <paramref name="s0"/> (and <paramref name="s1"/>) in place and returns the new parameter,
    /// per lane, given the parameter <paramref name="w"/> (already multiplied by the decoupled-decay factor) and the
    /// effective gradient <paramref name="d"/> (the gradient plus the L2 term of the undecayed parameter).
    /// </summary>
    TVector Update<TWidth, TVector>(TVector w, TVector d, ref TVector s0, ref TVector s1)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct;
}
