using System.Runtime.CompilerServices;

namespace Engine.Kernels;

/// <summary>
/// Adagrad with momentum, G in state 0 and the velocity v in state 1: <c>G = fma(d, d, G)</c>;
/// <c>v = fma(μ, v, (η·d) / (√G + ε))</c>; <c>w = w − v</c>.
/// </summary>
/// <param name="eta">Learning rate η of this step.</param>
/// <param name="momentum">Momentum coefficient μ.</param>
/// <param name="epsilon">ε added to the root of the denominator.</param>
internal readonly struct AdagradMomentumRule(float eta, float momentum, float epsilon) : IUpdateRule
{
    private readonly float _eta = eta;
    private readonly float _momentum = momentum;
    private readonly float _epsilon = epsilon;

    /// <inheritdoc />
    public static int StateCount => 2;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Update<TWidth, TVector>(TVector w, TVector d, ref TVector sumOfSquares, ref TVector v)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        sumOfSquares = TWidth.MultiplyAdd(d, d, sumOfSquares);
        v = TWidth.MultiplyAdd(TWidth.Broadcast(_momentum), v,
                               AdagradRule.AdaptiveStep<TWidth, TVector>(_eta, d, sumOfSquares, _epsilon));
        return TWidth.Subtract(w, v);
    }
}
