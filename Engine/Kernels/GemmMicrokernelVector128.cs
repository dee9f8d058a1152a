using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels;

/// <summary>
/// The 128-bit microkernel: 6×8 in 12 xmm accumulators (6 rows × 2 vectors of 4), fits the 16 SSE registers.
/// <c>Vector128.FusedMultiplyAdd</c> rounds once whether or not the hardware has FMA (it falls back to
/// a per-element fused multiply-add), so this tier gives the same bits as the others.
/// </summary>
internal static unsafe class GemmMicrokernelVector128
{
    /// <summary>Rows of the register tile.</summary>
    public const int MR = 6;
    /// <summary>Columns of the register tile (2 vectors of 4).</summary>
    public const int NR = 8;

    /// <summary>
    /// C[rows×columns] = (accumulate ? C : 0) + A·B for one MR×depth A micropanel and one depth×NR B micropanel;
    /// see <see cref="GemmMicrokernels"/> for the contract.
    /// </summary>
    [SkipLocalsInit]
    public static void Run(int depth, float* a, float* b, float* c, nint ldc, int rows, int columns, bool accumulate)
    {
        Vector128<float> c0a = Vector128<float>.Zero; Vector128<float> c0b = Vector128<float>.Zero;
        Vector128<float> c1a = Vector128<float>.Zero; Vector128<float> c1b = Vector128<float>.Zero;
        Vector128<float> c2a = Vector128<float>.Zero; Vector128<float> c2b = Vector128<float>.Zero;
        Vector128<float> c3a = Vector128<float>.Zero; Vector128<float> c3b = Vector128<float>.Zero;
        Vector128<float> c4a = Vector128<float>.Zero; Vector128<float> c4b = Vector128<float>.Zero;
        Vector128<float> c5a = Vector128<float>.Zero; Vector128<float> c5b = Vector128<float>.Zero;
        int p = 0;
        for (; p < depth; p++, a += MR, b += NR)
        {
            Vector128<float> b0 = Vector128.Load(b);
            Vector128<float> b1 = Vector128.Load(b + 4);
            Vector128<float> a0 = Vector128.Create(a[0]);
            c0a = Vector128.FusedMultiplyAdd(a0, b0, c0a); c0b = Vector128.FusedMultiplyAdd(a0, b1, c0b);
            Vector128<float> a1 = Vector128.Create(a[1]);
            c1a = Vector128.FusedMultiplyAdd(a1, b0, c1a); c1b = Vector128.FusedMultiplyAdd(a1, b1, c1b);
            Vector128<float> a2 = Vector128.Create(a[2]);
            c2a = Vector128.FusedMultiplyAdd(a2, b0, c2a); c2b = Vector128.FusedMultiplyAdd(a2, b1, c2b);
            Vector128<float> a3 = Vector128.Create(a[3]);
            c3a = Vector128.FusedMultiplyAdd(a3, b0, c3a); c3b = Vector128.FusedMultiplyAdd(a3, b1, c3b);
            Vector128<float> a4 = Vector128.Create(a[4]);
            c4a = Vector128.FusedMultiplyAdd(a4, b0, c4a); c4b = Vector128.FusedMultiplyAdd(a4, b1, c4b);
            Vector128<float> a5 = Vector128.Create(a[5]);
            c5a = Vector128.FusedMultiplyAdd(a5, b0, c5a); c5b = Vector128.FusedMultiplyAdd(a5, b1, c5b);
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
        Vector128.Store(c0a, tile + 0); Vector128.Store(c0b, tile + 4);
        Vector128.Store(c1a, tile + 8); Vector128.Store(c1b, tile + 12);
        Vector128.Store(c2a, tile + 16); Vector128.Store(c2b, tile + 20);
        Vector128.Store(c3a, tile + 24); Vector128.Store(c3b, tile + 28);
        Vector128.Store(c4a, tile + 32); Vector128.Store(c4b, tile + 36);
        Vector128.Store(c5a, tile + 40); Vector128.Store(c5b, tile + 44);
        GemmMicrokernels.StoreEdge(tile, NR, c, ldc, rows, columns, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector128<float> v0, Vector128<float> v1, bool accumulate)
    {
        if (accumulate)
        {
            v0 = Vector128.Load(c) + v0;
            v1 = Vector128.Load(c + 4) + v1;
        }
        Vector128.Store(v0, c);
        Vector128.Store(v1, c + 4);
    }
}
