using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels;

/// <summary>
/// The AVX-512 microkernel: a 12×32 register tile in 24 zmm accumulators (12 rows × 2 vectors of 16).
/// Per k step: 2 loads of B, 12 broadcasts of A (folded into the FMAs as embedded broadcasts), 24 FMAs.
/// </summary>
internal static unsafe class GemmMicrokernelAvx512
{
    /// <summary>Rows of the register tile.</summary>
    public const int MR = 12;
    /// <summary>Columns of the register tile (2 vectors of 16).</summary>
    public const int NR = 32;

    /// <summary>
    /// C[rows×columns] = (accumulate ? C : 0) + A·B for one MR×depth A micropanel and one depth×NR B micropanel;
    /// see <see cref="GemmMicrokernels"/> for the contract.
    /// </summary>
    [SkipLocalsInit]
    public static void Run(int depth, float* a, float* b, float* c, nint ldc, int rows, int columns, bool accumulate)
    {
        Vector512<float> c00a = Vector512<float>.Zero; Vector512<float> c00b = Vector512<float>.Zero;
        Vector512<float> c01a = Vector512<float>.Zero; Vector512<float> c01b = Vector512<float>.Zero;
        Vector512<float> c02a = Vector512<float>.Zero; Vector512<float> c02b = Vector512<float>.Zero;
        Vector512<float> c03a = Vector512<float>.Zero; Vector512<float> c03b = Vector512<float>.Zero;
        Vector512<float> c04a = Vector512<float>.Zero; Vector512<float> c04b = Vector512<float>.Zero;
        Vector512<float> c05a = Vector512<float>.Zero; Vector512<float> c05b = Vector512<float>.Zero;
        Vector512<float> c06a = Vector512<float>.Zero; Vector512<float> c06b = Vector512<float>.Zero;
        Vector512<float> c07a = Vector512<float>.Zero; Vector512<float> c07b = Vector512<float>.Zero;
        Vector512<float> c08a = Vector512<float>.Zero; Vector512<float> c08b = Vector512<float>.Zero;
        Vector512<float> c09a = Vector512<float>.Zero; Vector512<float> c09b = Vector512<float>.Zero;
        Vector512<float> c10a = Vector512<float>.Zero; Vector512<float> c10b = Vector512<float>.Zero;
        Vector512<float> c11a = Vector512<float>.Zero; Vector512<float> c11b = Vector512<float>.Zero;
        if (Sse.IsSupported)
            for (int r = 0; r < rows; r++)
            {
                Sse.Prefetch0(c + r * ldc);
                Sse.Prefetch0(c + r * ldc + 16);
            }
        int p = 0;
        for (; p < depth; p++, a += MR, b += NR)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            c00a = Vector512.FusedMultiplyAdd(Vector512.Create(a[0]), b0, c00a); c00b = Vector512.FusedMultiplyAdd(Vector512.Create(a[0]), b1, c00b);
            c01a = Vector512.FusedMultiplyAdd(Vector512.Create(a[1]), b0, c01a); c01b = Vector512.FusedMultiplyAdd(Vector512.Create(a[1]), b1, c01b);
            c02a = Vector512.FusedMultiplyAdd(Vector512.Create(a[2]), b0, c02a); c02b = Vector512.FusedMultiplyAdd(Vector512.Create(a[2]), b1, c02b);
            c03a = Vector512.FusedMultiplyAdd(Vector512.Create(a[3]), b0, c03a); c03b = Vector512.FusedMultiplyAdd(Vector512.Create(a[3]), b1, c03b);
            c04a = Vector512.FusedMultiplyAdd(Vector512.Create(a[4]), b0, c04a); c04b = Vector512.FusedMultiplyAdd(Vector512.Create(a[4]), b1, c04b);
            c05a = Vector512.FusedMultiplyAdd(Vector512.Create(a[5]), b0, c05a); c05b = Vector512.FusedMultiplyAdd(Vector512.Create(a[5]), b1, c05b);
            c06a = Vector512.FusedMultiplyAdd(Vector512.Create(a[6]), b0, c06a); c06b = Vector512.FusedMultiplyAdd(Vector512.Create(a[6]), b1, c06b);
            c07a = Vector512.FusedMultiplyAdd(Vector512.Create(a[7]), b0, c07a); c07b = Vector512.FusedMultiplyAdd(Vector512.Create(a[7]), b1, c07b);
            c08a = Vector512.FusedMultiplyAdd(Vector512.Create(a[8]), b0, c08a); c08b = Vector512.FusedMultiplyAdd(Vector512.Create(a[8]), b1, c08b);
            c09a = Vector512.FusedMultiplyAdd(Vector512.Create(a[9]), b0, c09a); c09b = Vector512.FusedMultiplyAdd(Vector512.Create(a[9]), b1, c09b);
            c10a = Vector512.FusedMultiplyAdd(Vector512.Create(a[10]), b0, c10a); c10b = Vector512.FusedMultiplyAdd(Vector512.Create(a[10]), b1, c10b);
            c11a = Vector512.FusedMultiplyAdd(Vector512.Create(a[11]), b0, c11a); c11b = Vector512.FusedMultiplyAdd(Vector512.Create(a[11]), b1, c11b);
        }

        if (rows == MR && columns == NR)
        {
            StoreRow(c + 0 * ldc, c00a, c00b, accumulate);
            StoreRow(c + 1 * ldc, c01a, c01b, accumulate);
            StoreRow(c + 2 * ldc, c02a, c02b, accumulate);
            StoreRow(c + 3 * ldc, c03a, c03b, accumulate);
            StoreRow(c + 4 * ldc, c04a, c04b, accumulate);
            StoreRow(c + 5 * ldc, c05a, c05b, accumulate);
            StoreRow(c + 6 * ldc, c06a, c06b, accumulate);
            StoreRow(c + 7 * ldc, c07a, c07b, accumulate);
            StoreRow(c + 8 * ldc, c08a, c08b, accumulate);
            StoreRow(c + 9 * ldc, c09a, c09b, accumulate);
            StoreRow(c + 10 * ldc, c10a, c10b, accumulate);
            StoreRow(c + 11 * ldc, c11a, c11b, accumulate);
            return;
        }

        float* tile = stackalloc float[MR * NR];
        Vector512.Store(c00a, tile + 0); Vector512.Store(c00b, tile + 16);
        Vector512.Store(c01a, tile + 32); Vector512.Store(c01b, tile + 48);
        Vector512.Store(c02a, tile + 64); Vector512.Store(c02b, tile + 80);
        Vector512.Store(c03a, tile + 96); Vector512.Store(c03b, tile + 112);
        Vector512.Store(c04a, tile + 128); Vector512.Store(c04b, tile + 144);
        Vector512.Store(c05a, tile + 160); Vector512.Store(c05b, tile + 176);
        Vector512.Store(c06a, tile + 192); Vector512.Store(c06b, tile + 208);
        Vector512.Store(c07a, tile + 224); Vector512.Store(c07b, tile + 240);
        Vector512.Store(c08a, tile + 256); Vector512.Store(c08b, tile + 272);
        Vector512.Store(c09a, tile + 288); Vector512.Store(c09b, tile + 304);
        Vector512.Store(c10a, tile + 320); Vector512.Store(c10b, tile + 336);
        Vector512.Store(c11a, tile + 352); Vector512.Store(c11b, tile + 368);
        GemmMicrokernels.StoreEdge(tile, NR, c, ldc, rows, columns, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector512<float> v0, Vector512<float> v1, bool accumulate)
    {
        if (accumulate)
        {
            v0 = Vector512.Load(c) + v0;
            v1 = Vector512.Load(c + 16) + v1;
        }
        Vector512.Store(v0, c);
        Vector512.Store(v1, c + 16);
    }
}
