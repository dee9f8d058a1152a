using System.Runtime.CompilerServices;

namespace Engine.Kernels;

/// <summary>Plain gradient descent, no state: <c>w = fma(−η, d, w)</c>.</summary>
/// <param name="eta">Learning rate η of this step.</param>
internal readonly struct SgdRule(float eta) : IUpdateRule
{
    private readonly float _minusEta = -eta;

    /// <inheritdoc />
    public static int StateCount => 0;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Update<TWidth, TVector>(TVector w, TVector d, ref TVector s0, ref TVector s1)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        => TWidth.MultiplyAdd(TWidth.Broadcast(_minusEta), d, w);
}
