using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels;

/// <summary>
/// The AVX2 microkernel (BLIS's Haswell sgemm tile): 6×16 in 12 ymm accumulators (6 rows × 2 vectors of 8).
/// Per k step: 2 loads of B, 6 broadcasts of A, 12 FMAs (<c>Fma.MultiplyAdd</c>: one rounding).
/// </summary>
internal static unsafe class GemmMicrokernelAvx2
{
    /// <summary>Rows of the register tile.</summary>
    public const int MR = 6;
    /// <summary>Columns of the register tile (2 vectors of 8).</summary>
    public const int NR = 16;

    /// <summary>
    /// C[rows×columns] = (accumulate ? C : 0) + A·B for one MR×depth A micropanel and one depth×NR B micropanel;
    /// see <see cref="GemmMicrokernels"/> for the contract.
    /// </summary>
    [SkipLocalsInit]
    public static void Run(int depth, float* a, float* b, float* c, nint ldc, int rows, int columns, bool accumulate)
    {
        Vector256<float> c0a = Vector256<float>.Zero; Vector256<float> c0b = Vector256<float>.Zero;
        Vector256<float> c1a = Vector256<float>.Zero; Vector256<float> c1b = Vector256<float>.Zero;
        Vector256<float> c2a = Vector256<float>.Zero; Vector256<float> c2b = Vector256<float>.Zero;
        Vector256<float> c3a = Vector256<float>.Zero; Vector256<float> c3b = Vector256<float>.Zero;
        Vector256<float> c4a = Vector256<float>.Zero; Vector256<float> c4b = Vector256<float>.Zero;
        Vector256<float> c5a = Vector256<float>.Zero; Vector256<float> c5b = Vector256<float>.Zero;
        int p = 0;
        for (; p < depth; p++, a += MR, b += NR)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> a0 = Vector256.Create(a[0]);
            c0a = Fma.MultiplyAdd(a0, b0, c0a); c0b = Fma.MultiplyAdd(a0, b1, c0b);
            Vector256<float> a1 = Vector256.Create(a[1]);
            c1a = Fma.MultiplyAdd(a1, b0, c1a); c1b = Fma.MultiplyAdd(a1, b1, c1b);
            Vector256<float> a2 = Vector256.Create(a[2]);
            c2a = Fma.MultiplyAdd(a2, b0, c2a); c2b = Fma.MultiplyAdd(a2, b1, c2b);
            Vector256<float> a3 = Vector256.Create(a[3]);
            c3a = Fma.MultiplyAdd(a3, b0, c3a); c3b = Fma.MultiplyAdd(a3, b1, c3b);
            Vector256<float> a4 = Vector256.Create(a[4]);
            c4a = Fma.MultiplyAdd(a4, b0, c4a); c4b = Fma.MultiplyAdd(a4, b1, c4b);
            Vector256<float> a5 = Vector256.Create(a[5]);
            c5a = Fma.MultiplyAdd(a5, b0, c5a); c5b = Fma.MultiplyAdd(a5, b1, c5b);
        }

        if (columns == NR)
        {
            // Full-width tile (rows ≤ MR): whole-vector stores, row by row.
            StoreRow(c, c0a, c0b, accumulate);
            if (rows == 1) return;
            c += ldc;
            StoreRow(c, c1a, c1b, accumulate);
            if (rows == 2) return;
            c += ldc;
            StoreRow(c, c2a, c2b, accumulate);
            if (rows == 3) return;
            c += ldc;
            StoreRow(c, c3a, c3b, accumulate);
            if (rows == 4) return;
            c += ldc;
            StoreRow(c, c4a, c4b, accumulate);
            if (rows == 5) return;
            c += ldc;
            StoreRow(c, c5a, c5b, accumulate);
            return;
        }

        float* tile = stackalloc float[MR * NR];
        Vector256.Store(c0a, tile + 0); Vector256.Store(c0b, tile + 8);
        Vector256.Store(c1a, tile + 16); Vector256.Store(c1b, tile + 24);
        Vector256.Store(c2a, tile + 32); Vector256.Store(c2b, tile + 40);
        Vector256.Store(c3a, tile + 48); Vector256.Store(c3b, tile + 56);
        Vector256.Store(c4a, tile + 64); Vector256.Store(c4b, tile + 72);
        Vector256.Store(c5a, tile + 80); Vector256.Store(c5b, tile + 88);
        GemmMicrokernels.StoreEdge(tile, NR, c, ldc, rows, columns, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector256<float> v0, Vector256<float> v1, bool accumulate)
    {
        if (accumulate)
        {
            v0 = Vector256.Load(c) + v0;
            v1 = Vector256.Load(c + 8) + v1;
        }
        Vector256.Store(v0, c);
        Vector256.Store(v1, c + 8);
    }
}
