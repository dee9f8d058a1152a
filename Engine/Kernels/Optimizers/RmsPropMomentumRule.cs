using System.Runtime.CompilerServices;

namespace Engine.Kernels;

/// <summary>
/// RMSprop with momentum, the mean square s in state 0 and the velocity v in state 1:
/// <c>s = fma(ρ, s, (1−ρ)·(d·d))</c>; <c>v = fma(μ, v, (η·d) / (√s + ε))</c>; <c>w = w − v</c>.
/// <c>1−ρ</c> is evaluated once, in float.
/// </summary>
/// <param name="eta">Learning rate η of this step.</param>
/// <param name="rho">Decay ρ of the mean square.</param>
/// <param name="momentum">Momentum coefficient μ.</param>
/// <param name="epsilon">ε added to the root of the denominator.</param>
internal readonly struct RmsPropMomentumRule(float eta, float rho, float momentum, float epsilon) : IUpdateRule
{
    private readonly float _eta = eta;
    private readonly float _rho = rho;
    private readonly float _oneMinusRho = 1f - rho;
    private readonly float _momentum = momentum;
    private readonly float _epsilon = epsilon;

    /// <inheritdoc />
    public static int StateCount => 2;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Update<TWidth, TVector>(TVector w, TVector d, ref TVector meanSquare, ref TVector v)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        meanSquare = RmsPropRule.MeanSquare<TWidth, TVector>(_rho, _oneMinusRho, meanSquare, d);
        v = TWidth.MultiplyAdd(TWidth.Broadcast(_momentum), v,
                               AdagradRule.AdaptiveStep<TWidth, TVector>(_eta, d, meanSquare, _epsilon));
        return TWidth.Subtract(w, v);
    }
}
