using System.Runtime.Intrinsics;

namespace Engine.Kernels;

/// <summary>
/// The blocking of the packed GEMM for one tier, all in this one place (as BLIS's <c>bli_cntx_init_*</c>):
/// the register tile <see cref="MR"/>×<see cref="NR"/> of the microkernel and the cache blocks
/// <see cref="MC"/> (rows of A packed at once) and <see cref="NC"/> (columns of B packed at once).
/// The tile is the one the tier's microkernel (<see cref="GemmMicrokernels.For"/>) holds in its registers, so it is
/// taken from that kernel's constants, never written twice.
/// The depth block <see cref="KC"/> is one constant for every tier: it fixes the summation order of each
/// element of C (see <see cref="Gemm.Multiply(bool, bool, int, int, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>),
/// so changing it changes the bits of every result.
/// </summary>
/// <param name="MR">Rows of the register tile (rows of one packed A micropanel).</param>
/// <param name="NR">Columns of the register tile (columns of one packed B micropanel).</param>
/// <param name="MC">Rows of A packed per block; a multiple of <paramref name="MR"/>.</param>
/// <param name="NC">Columns of B packed per block; a multiple of <paramref name="NR"/>.</param>
internal readonly record struct GemmBlocking(int MR, int NR, int MC, int NC)
{
    /// <summary>
    /// Depth of one packed block, the same on every tier (it fixes where partial sums restart from 0).
    /// 256: one 12×256 A micropanel (12 KB) plus one 256×32 B micropanel (32 KB) fit Zen 5's 48 KB L1,
    /// and 256 is BLIS's sgemm KC for Haswell as well.
    /// </summary>
    public const int KC = 256;

    /// <summary>
    /// AVX-512: 12×32 = 24 zmm accumulators (12 rows × 2 vectors of 16) + 2 B vectors, with A broadcast from
    /// memory inside the FMA; 24 independent FMAs per k step cover the 4-cycle latency of two FMA pipes.
    /// MC = 384 rows: the 384×256 packed A block (384 KB) stays in the 1 MB L2 (measured: 384 ≥ 192, 528, 768 on 1024³).
    /// NC = 4096: the 256×4096 packed B block (4 MB) lives in L3.
    /// </summary>
    public static readonly GemmBlocking Avx512 = new(GemmMicrokernelAvx512.MR, GemmMicrokernelAvx512.NR, MC: 384, NC: 4096);

    /// <summary>
    /// AVX2: BLIS's Haswell sgemm tile 6×16 = 12 ymm accumulators (of 16 registers) + 2 B vectors + 1 broadcast.
    /// MC = 168 as in BLIS (a multiple of 6; 168 KB of packed A).
    /// </summary>
    public static readonly GemmBlocking Avx2 = new(GemmMicrokernelTwoVectors.MR, GemmMicrokernelTwoVectors.NR<Width256, Vector256<float>>(), MC: 168, NC: 4096);

    /// <summary>Vector128: 6×8 = 12 xmm accumulators + 2 B vectors + 1 broadcast fit the 16 SSE registers.</summary>
    public static readonly GemmBlocking Vector128 = new(GemmMicrokernelTwoVectors.MR, GemmMicrokernelTwoVectors.NR<Width128, Vector128<float>>(), MC: 168, NC: 4096);

    /// <summary>Scalar: 4×4 = 16 float accumulators, enough independent FMAs to hide their latency.</summary>
    public static readonly GemmBlocking Scalar = new(GemmMicrokernelScalar.MR, GemmMicrokernelScalar.NR, MC: 128, NC: 4096);

    /// <summary>The blocking of <paramref name="tier"/>.</summary>
    public static GemmBlocking For(ComputeTier tier) => tier switch
    {
        ComputeTier.Avx512 => Avx512,
        ComputeTier.Avx2 => Avx2,
        ComputeTier.Vector128 => Vector128,
        _ => Scalar,
    };
}
