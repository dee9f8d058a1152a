using System.Runtime.CompilerServices;

namespace Engine.Kernels;

/// <summary>
/// Nesterov momentum in PyTorch's formulation (<c>torch.optim.SGD(nesterov=True)</c>, no dampening), the velocity
/// v (state 0) without η: <c>v = fma(μ, v, d)</c>; <c>n = fma(μ, v, d)</c> (= d + μ·v with the new v);
/// <c>w = fma(−η, n, w)</c>.
/// </summary>
/// <param name="eta">Learning rate η of this step.</param>
/// <param name="momentum">Momentum coefficient μ.</param>
internal readonly struct NesterovRule(float eta, float momentum) : IUpdateRule
{
    private readonly float _minusEta = -eta;
    private readonly float _momentum = momentum;

    /// <inheritdoc />
    public static int StateCount => 1;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Update<TWidth, TVector>(TVector w, TVector d, ref TVector v, ref TVector s1)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        TVector mu = TWidth.Broadcast(_momentum);
        v = TWidth.MultiplyAdd(mu, v, d);
        TVector lookAhead = TWidth.MultiplyAdd(mu, v, d);
        return TWidth.MultiplyAdd(TWidth.Broadcast(_minusEta), lookAhead, w);
    }
}
