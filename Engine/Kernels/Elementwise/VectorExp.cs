using System.Runtime.CompilerServices;

namespace Engine.Kernels;

/// <summary>
/// One float exponential e^x written once, as explicit steps (clamp, range reduction, polynomial, scaling by
/// two powers of two) over <see cref="IVectorWidth{TVector}"/>, which the JIT specialises and inlines per width:
/// every width, <see cref="Width1"/> included (the Scalar tier and the tails), executes the SAME IEEE operations
/// per lane and returns the same bits. Within 2 ulp of <see cref="MathF.Exp"/> for normal results (tests check it);
/// subnormal results are rounded once, correctly scaled.
/// </summary>
/// <remarks>
/// <para>Algorithm (Cephes <c>expf</c>, with fused multiply-adds):</para>
/// <list type="number">
/// <item>Clamp x to [−104, 89] with compare-and-select (NaN passes through unchanged): e^−104 already rounds
/// to 0 in float and e^89 overflows to +∞, so clamping changes no result.</item>
/// <item><c>z = fma(x, log2 e, 1.5·2²³)</c>: the big shifter makes the fused result an integer rounded to
/// nearest even, n = z − 1.5·2²³ exactly, and the low bits of z hold n as an integer (no float→int conversion,
/// whose NaN behaviour differs between scalar and vector).</item>
/// <item><c>r = fma(n, −C1, x); r = fma(n, −C2, r)</c> with C1 + C2 = ln 2 (C1 has few bits), |r| ≤ ln2/2.</item>
/// <item><c>p = 1 + r + r²·P(r)</c>, P of degree 5 evaluated by Horner with FMA.</item>
/// <item><c>e^x = (p · 2^(n>>1)) · 2^(n − (n>>1))</c>: both scales are normal floats for every clamped n, the
/// first product is exact, the second rounds once (to a subnormal, to +∞ or exactly).</item>
/// </list>
/// Every FMA is a single-rounding fused operation on every tier: <see cref="MathF.FusedMultiplyAdd"/> (in <see cref="Width1"/>) and
/// <c>VectorN.FusedMultiplyAdd</c> are fused even when the hardware has no FMA (software fallback, verified
/// under <c>DOTNET_EnableAVX2=0</c> and <c>DOTNET_EnableHWIntrinsic=0</c>).
/// </remarks>
internal static class VectorExp
{
    private const float Lowest = -104f;
    private const float Highest = 89f;
    private const float Log2E = 1.44269504088896341f;
    private const float Shifter = 12582912f;              // 1.5·2^23
    private const int ShifterBits = 0x4B400000;           // bits of Shifter
    private const float C1 = 0.693359375f;                // ln 2 high part (few significant bits)
    private const float C2 = -2.12194440e-4f;             // ln 2 − C1
    private const float P5 = 1.9875691500e-4f;
    private const float P4 = 1.3981999507e-3f;
    private const float P3 = 8.3334519073e-3f;
    private const float P2 = 4.1665795894e-2f;
    private const float P1 = 1.6666665459e-1f;
    private const float P0 = 5.0000001201e-1f;
    private const int ExponentBias = 127;
    private const int MantissaBits = 23;

    /// <summary>e^x per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Exp<TWidth, TVector>(TVector x) where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        x = TWidth.ConditionalSelect(TWidth.LessThan(x, TWidth.Broadcast(Lowest)), TWidth.Broadcast(Lowest), x);
        x = TWidth.ConditionalSelect(TWidth.GreaterThan(x, TWidth.Broadcast(Highest)), TWidth.Broadcast(Highest), x);
        TVector z = TWidth.MultiplyAdd(x, TWidth.Broadcast(Log2E), TWidth.Broadcast(Shifter));
        TVector n = TWidth.Subtract(z, TWidth.Broadcast(Shifter));
        TVector r = TWidth.MultiplyAdd(n, TWidth.Broadcast(-C1), x);
        r = TWidth.MultiplyAdd(n, TWidth.Broadcast(-C2), r);
        TVector p = TWidth.MultiplyAdd(TWidth.Broadcast(P5), r, TWidth.Broadcast(P4));
        p = TWidth.MultiplyAdd(p, r, TWidth.Broadcast(P3));
        p = TWidth.MultiplyAdd(p, r, TWidth.Broadcast(P2));
        p = TWidth.MultiplyAdd(p, r, TWidth.Broadcast(P1));
        p = TWidth.MultiplyAdd(p, r, TWidth.Broadcast(P0));
        p = TWidth.MultiplyAdd(p, TWidth.Multiply(r, r), r);
        p = TWidth.Add(p, TWidth.Broadcast(1f));
        TVector ni = TWidth.SubtractInt32(z, TWidth.BroadcastInt32(ShifterBits));
        TVector n1 = TWidth.ShiftRightArithmeticInt32(ni, 1);
        TVector n2 = TWidth.SubtractInt32(ni, n1);
        TVector s1 = TWidth.ShiftLeftInt32(TWidth.AddInt32(n1, TWidth.BroadcastInt32(ExponentBias)), MantissaBits);
        TVector s2 = TWidth.ShiftLeftInt32(TWidth.AddInt32(n2, TWidth.BroadcastInt32(ExponentBias)), MantissaBits);
        return TWidth.Multiply(TWidth.Multiply(p, s1), s2);
    }
}
