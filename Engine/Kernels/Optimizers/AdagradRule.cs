using System.Runtime.CompilerServices;

namespace Engine.Kernels;

/// <summary>Adagrad, the running sum of squares G in state 0: <c>G = fma(d, d, G)</c>; <c>w = w − (η·d) / (√G + ε)</c>.</summary>
/// <param name="eta">Learning rate η of this step.</param>
/// <param name="epsilon">ε added to the root of the denominator.</param>
internal readonly struct AdagradRule(float eta, float epsilon) : IUpdateRule
{
    private readonly float _eta = eta;
    private readonly float _epsilon = epsilon;

    /// <inheritdoc />
    public static int StateCount => 1;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Update<TWidth, TVector>(TVector w, TVector d, ref TVector sumOfSquares, ref TVector s1)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        sumOfSquares = TWidth.MultiplyAdd(d, d, sumOfSquares);
        return TWidth.Subtract(w, AdaptiveStep<TWidth, TVector>(_eta, d, sumOfSquares, _epsilon));
    }

    /// <summary>
    /// <c>(η·d) / (√s + ε)</c>: the step of Adagrad and RMSprop (and their momentum forms), η·d rounded, then the
    /// root, the sum and the quotient each rounded.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector AdaptiveStep<TWidth, TVector>(float eta, TVector d, TVector s, float epsilon)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        => TWidth.Divide(TWidth.Multiply(TWidth.Broadcast(eta), d), TWidth.Add(TWidth.Sqrt(s), TWidth.Broadcast(epsilon)));
}
