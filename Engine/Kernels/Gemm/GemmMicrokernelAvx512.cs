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
    /// <summary>Rows of the register tile (the Avx512 tier's <see cref="GemmBlocking.MR"/>).</summary>
    public const int MR = 12;
    /// <summary>Columns of the register tile, 2 vectors of 16 (the Avx512 tier's <see cref="GemmBlocking.NR"/>).</summary>
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
        // The tile of C into L1 ahead of the stores (this kernel runs only on the Avx512 tier, so SSE is there).
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

        if (columns == NR)
        {
            // Full-width tile (rows ≤ MR): whole-vector stores, row by row.
            StoreRow(c, c00a, c00b, accumulate);
            if (rows == 1) return;
            c += ldc;
            StoreRow(c, c01a, c01b, accumulate);
            if (rows == 2) return;
            c += ldc;
            StoreRow(c, c02a, c02b, accumulate);
            if (rows == 3) return;
            c += ldc;
            StoreRow(c, c03a, c03b, accumulate);
            if (rows == 4) return;
            c += ldc;
            StoreRow(c, c04a, c04b, accumulate);
            if (rows == 5) return;
            c += ldc;
            StoreRow(c, c05a, c05b, accumulate);
            if (rows == 6) return;
            c += ldc;
            StoreRow(c, c06a, c06b, accumulate);
            if (rows == 7) return;
            c += ldc;
            StoreRow(c, c07a, c07b, accumulate);
            if (rows == 8) return;
            c += ldc;
            StoreRow(c, c08a, c08b, accumulate);
            if (rows == 9) return;
            c += ldc;
            StoreRow(c, c09a, c09b, accumulate);
            if (rows == 10) return;
            c += ldc;
            StoreRow(c, c10a, c10b, accumulate);
            if (rows == 11) return;
            c += ldc;
            StoreRow(c, c11a, c11b, accumulate);
            return;
        }

        // Narrow tile: masked stores (and loads) touch only the valid columns.
        Vector512<float> mask0 = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(columns)).AsSingle();
        Vector512<float> mask1 = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(columns - 16)).AsSingle();
        StoreRowMasked(c, c00a, c00b, mask0, mask1, accumulate);
        if (rows == 1) return;
        c += ldc;
        StoreRowMasked(c, c01a, c01b, mask0, mask1, accumulate);
        if (rows == 2) return;
        c += ldc;
        StoreRowMasked(c, c02a, c02b, mask0, mask1, accumulate);
        if (rows == 3) return;
        c += ldc;
        StoreRowMasked(c, c03a, c03b, mask0, mask1, accumulate);
        if (rows == 4) return;
        c += ldc;
        StoreRowMasked(c, c04a, c04b, mask0, mask1, accumulate);
        if (rows == 5) return;
        c += ldc;
        StoreRowMasked(c, c05a, c05b, mask0, mask1, accumulate);
        if (rows == 6) return;
        c += ldc;
        StoreRowMasked(c, c06a, c06b, mask0, mask1, accumulate);
        if (rows == 7) return;
        c += ldc;
        StoreRowMasked(c, c07a, c07b, mask0, mask1, accumulate);
        if (rows == 8) return;
        c += ldc;
        StoreRowMasked(c, c08a, c08b, mask0, mask1, accumulate);
        if (rows == 9) return;
        c += ldc;
        StoreRowMasked(c, c09a, c09b, mask0, mask1, accumulate);
        if (rows == 10) return;
        c += ldc;
        StoreRowMasked(c, c10a, c10b, mask0, mask1, accumulate);
        if (rows == 11) return;
        c += ldc;
        StoreRowMasked(c, c11a, c11b, mask0, mask1, accumulate);
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRowMasked(float* c, Vector512<float> v0, Vector512<float> v1, Vector512<float> mask0, Vector512<float> mask1, bool accumulate)
    {
        if (accumulate)
        {
            v0 = Avx512F.MaskLoad(c, mask0, Vector512<float>.Zero) + v0;
            v1 = Avx512F.MaskLoad(c + 16, mask1, Vector512<float>.Zero) + v1;
        }
        Avx512F.MaskStore(c, mask0, v0);
        Avx512F.MaskStore(c + 16, mask1, v1);
    }
}
