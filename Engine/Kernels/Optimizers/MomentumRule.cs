using System.Runtime.CompilerServices;

namespace Engine.Kernels;

/// <summary>
/// Gradient descent with (classic) momentum, the velocity v (state 0) holding η: <c>v = fma(μ, v, η·d)</c>;
/// <c>w = w − v</c>.
/// </summary>
/// <param name="eta">Learning rate η of this step.</param>
/// <param name="momentum">Momentum coefficient μ.</param>
internal readonly struct MomentumRule(float eta, float momentum) : IUpdateRule
{
    private readonly float _eta = eta;
    private readonly float _momentum = momentum;

    /// <inheritdoc />
    public static int StateCount => 1;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Update<TWidth, TVector>(TVector w, TVector d, ref TVector v, ref TVector s1)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        v = TWidth.MultiplyAdd(TWidth.Broadcast(_momentum), v, TWidth.Multiply(TWidth.Broadcast(_eta), d));
        return TWidth.Subtract(w, v);
    }
}
