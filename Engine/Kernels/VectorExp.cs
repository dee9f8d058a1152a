using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels;

/// <summary>
/// One float exponential e^x written as explicit steps (clamp, range reduction, polynomial, scaling by
/// two powers of two) so that the scalar overload and the Vector128/256/512 overloads execute the SAME
/// IEEE operations per lane and return the same bits on every tier. Within 2 ulp of <see cref="MathF.Exp"/>
/// for normal results (tests check it); subnormal results are rounded once, correctly scaled.
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
/// Every FMA is a single-rounding fused operation on every tier: <see cref="MathF.FusedMultiplyAdd"/> and
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

    /// <summary>e^x, scalar lane formula (bit-identical to each vector lane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x)
    {
        x = x < Lowest ? Lowest : x;
        x = x > Highest ? Highest : x;
        float z = MathF.FusedMultiplyAdd(x, Log2E, Shifter);
        float n = z - Shifter;
        float r = MathF.FusedMultiplyAdd(n, -C1, x);
        r = MathF.FusedMultiplyAdd(n, -C2, r);
        float p = MathF.FusedMultiplyAdd(P5, r, P4);
        p = MathF.FusedMultiplyAdd(p, r, P3);
        p = MathF.FusedMultiplyAdd(p, r, P2);
        p = MathF.FusedMultiplyAdd(p, r, P1);
        p = MathF.FusedMultiplyAdd(p, r, P0);
        p = MathF.FusedMultiplyAdd(p, r * r, r);
        p = p + 1f;
        int ni = BitConverter.SingleToInt32Bits(z) - ShifterBits;
        int n1 = ni >> 1;
        int n2 = ni - n1;
        float s1 = BitConverter.Int32BitsToSingle((n1 + ExponentBias) << MantissaBits);
        float s2 = BitConverter.Int32BitsToSingle((n2 + ExponentBias) << MantissaBits);
        return p * s1 * s2;
    }

    /// <summary>e^x per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x)
    {
        x = Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128.Create(Lowest)), Vector128.Create(Lowest), x);
        x = Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128.Create(Highest)), Vector128.Create(Highest), x);
        var z = Vector128.FusedMultiplyAdd(x, Vector128.Create(Log2E), Vector128.Create(Shifter));
        var n = z - Vector128.Create(Shifter);
        var r = Vector128.FusedMultiplyAdd(n, Vector128.Create(-C1), x);
        r = Vector128.FusedMultiplyAdd(n, Vector128.Create(-C2), r);
        var p = Vector128.FusedMultiplyAdd(Vector128.Create(P5), r, Vector128.Create(P4));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P3));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P2));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P1));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P0));
        p = Vector128.FusedMultiplyAdd(p, r * r, r);
        p = p + Vector128.Create(1f);
        var ni = z.AsInt32() - Vector128.Create(ShifterBits);
        var n1 = Vector128.ShiftRightArithmetic(ni, 1);
        var n2 = ni - n1;
        var s1 = Vector128.ShiftLeft(n1 + Vector128.Create(ExponentBias), MantissaBits).AsSingle();
        var s2 = Vector128.ShiftLeft(n2 + Vector128.Create(ExponentBias), MantissaBits).AsSingle();
        return p * s1 * s2;
    }

    /// <summary>e^x per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        x = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(Lowest)), Vector256.Create(Lowest), x);
        x = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(Highest)), Vector256.Create(Highest), x);
        var z = Vector256.FusedMultiplyAdd(x, Vector256.Create(Log2E), Vector256.Create(Shifter));
        var n = z - Vector256.Create(Shifter);
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-C1), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-C2), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P5), r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P0));
        p = Vector256.FusedMultiplyAdd(p, r * r, r);
        p = p + Vector256.Create(1f);
        var ni = z.AsInt32() - Vector256.Create(ShifterBits);
        var n1 = Vector256.ShiftRightArithmetic(ni, 1);
        var n2 = ni - n1;
        var s1 = Vector256.ShiftLeft(n1 + Vector256.Create(ExponentBias), MantissaBits).AsSingle();
        var s2 = Vector256.ShiftLeft(n2 + Vector256.Create(ExponentBias), MantissaBits).AsSingle();
        return p * s1 * s2;
    }

    /// <summary>e^x per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        x = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(Lowest)), Vector512.Create(Lowest), x);
        x = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(Highest)), Vector512.Create(Highest), x);
        var z = Vector512.FusedMultiplyAdd(x, Vector512.Create(Log2E), Vector512.Create(Shifter));
        var n = z - Vector512.Create(Shifter);
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-C1), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-C2), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P5), r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P0));
        p = Vector512.FusedMultiplyAdd(p, r * r, r);
        p = p + Vector512.Create(1f);
        var ni = z.AsInt32() - Vector512.Create(ShifterBits);
        var n1 = Vector512.ShiftRightArithmetic(ni, 1);
        var n2 = ni - n1;
        var s1 = Vector512.ShiftLeft(n1 + Vector512.Create(ExponentBias), MantissaBits).AsSingle();
        var s2 = Vector512.ShiftLeft(n2 + Vector512.Create(ExponentBias), MantissaBits).AsSingle();
        return p * s1 * s2;
    }
}
