using System.Runtime.CompilerServices;

namespace Engine.Kernels;

/// <summary>
/// Adam (Kingma &amp; Ba), bias-corrected, the moments m and v in states 0 and 1:
/// <c>m = fma(β1, m, (1−β1)·d)</c>; <c>v = fma(β2, v, (1−β2)·(d·d))</c>; <c>m̂ = m / c1</c>; <c>v̂ = v / c2</c>;
/// <c>w = w − (η·m̂) / (√v̂ + ε)</c>. <c>1−β1</c> and <c>1−β2</c> are evaluated once, in float.
/// </summary>
/// <param name="eta">Learning rate η of this step.</param>
/// <param name="beta1">Decay β1 of the first moment.</param>
/// <param name="beta2">Decay β2 of the second moment.</param>
/// <param name="epsilon">ε added to the root of the denominator.</param>
/// <param name="biasCorrection1">c1 = 1 − β1^t for step number t (1 on the first step), computed by the caller in double.</param>
/// <param name="biasCorrection2">c2 = 1 − β2^t for step number t, computed by the caller in double.</param>
internal readonly struct AdamRule(float eta, float beta1, float beta2, float epsilon,
                                  float biasCorrection1, float biasCorrection2) : IUpdateRule
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
    public static int StateCount => 2;

    /// <summary>The rule for step number <paramref name="t"/> (1 on the first step): c1 and c2 from β1, β2 and t, in double.</summary>
    internal static AdamRule ForStep(float eta, float beta1, float beta2, float epsilon, int t)
        => new(eta, beta1, beta2, epsilon, (float)(1.0 - Math.Pow(beta1, t)), (float)(1.0 - Math.Pow(beta2, t)));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Update<TWidth, TVector>(TVector w, TVector d, ref TVector m, ref TVector v)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        m = TWidth.MultiplyAdd(TWidth.Broadcast(_beta1), m, TWidth.Multiply(TWidth.Broadcast(_oneMinusBeta1), d));
        v = TWidth.MultiplyAdd(TWidth.Broadcast(_beta2), v,
                               TWidth.Multiply(TWidth.Broadcast(_oneMinusBeta2), TWidth.Multiply(d, d)));
        TVector mHat = TWidth.Divide(m, TWidth.Broadcast(_c1));
        TVector vHat = TWidth.Divide(v, TWidth.Broadcast(_c2));
        TVector step = TWidth.Divide(TWidth.Multiply(TWidth.Broadcast(_eta), mHat),
                                     TWidth.Add(TWidth.Sqrt(vHat), TWidth.Broadcast(_epsilon)));
        return TWidth.Subtract(w, step);
    }
}
