using System.Runtime.CompilerServices;

namespace Engine.Kernels;

/// <summary>
/// RMSprop, the mean square s in state 0: <c>s = fma(ρ, s, (1−ρ)·(d·d))</c>; <c>w = w − (η·d) / (√s + ε)</c>.
/// <c>1−ρ</c> is evaluated once, in float.
/// </summary>
/// <param name="eta">Learning rate η of this step.</param>
/// <param name="rho">Decay ρ of the mean square.</param>
/// <param name="epsilon">ε added to the root of the denominator.</param>
internal readonly struct RmsPropRule(float eta, float rho, float epsilon) : IUpdateRule
{
    private readonly float _eta = eta;
    private readonly float _rho = rho;
    private readonly float _oneMinusRho = 1f - rho;
    private readonly float _epsilon = epsilon;

    /// <inheritdoc />
    public static int StateCount => 1;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Update<TWidth, TVector>(TVector w, TVector d, ref TVector meanSquare, ref TVector s1)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        meanSquare = MeanSquare<TWidth, TVector>(_rho, _oneMinusRho, meanSquare, d);
        return TWidth.Subtract(w, AdagradRule.AdaptiveStep<TWidth, TVector>(_eta, d, meanSquare, _epsilon));
    }

    /// <summary><c>fma(ρ, s, (1−ρ)·(d·d))</c>: the decaying mean square of RMSprop (and its momentum form).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector MeanSquare<TWidth, TVector>(float rho, float oneMinusRho, TVector s, TVector d)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        => TWidth.MultiplyAdd(TWidth.Broadcast(rho), s, TWidth.Multiply(TWidth.Broadcast(oneMinusRho), TWidth.Multiply(d, d)));
}
