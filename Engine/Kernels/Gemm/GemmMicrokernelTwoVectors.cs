using System.Runtime.CompilerServices;

namespace Engine.Kernels;

/// <summary>
/// The 6 × (2 vectors) microkernel shared by the AVX2 tier (6×16 in 12 ymm accumulators — BLIS's Haswell sgemm
/// tile) and the Vector128 tier (6×8 in 12 xmm accumulators, fits the 16 SSE registers). Per k step: 2 loads of
/// B, 6 broadcasts of A, 12 fused multiply-adds — one rounding each, in software where the hardware has no FMA,
/// so both tiers give the same bits as the others.
/// </summary>
internal static unsafe class GemmMicrokernelTwoVectors
{
    /// <summary>Rows of the register tile (the Avx2 and Vector128 tiers' <see cref="GemmBlocking.MR"/>).</summary>
    public const int MR = 6;

    /// <summary>Columns of the register tile for <typeparamref name="TWidth"/>, two vectors (the tier's <see cref="GemmBlocking.NR"/>).</summary>
    public static int NR<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct => 2 * TWidth.Count;

    /// <summary>
    /// C[rows×columns] = (accumulate ? C : 0) + A·B for one MR×depth A micropanel and one depth×NR B micropanel;
    /// see <see cref="GemmMicrokernels"/> for the contract.
    /// </summary>
    [SkipLocalsInit]
    public static void Run<TWidth, TVector>(int depth, float* a, float* b, float* c, nint ldc, int rows, int columns, bool accumulate)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        int w = TWidth.Count, nr = NR<TWidth, TVector>();
        TVector c0a = TWidth.Zero, c0b = TWidth.Zero, c1a = TWidth.Zero, c1b = TWidth.Zero;
        TVector c2a = TWidth.Zero, c2b = TWidth.Zero, c3a = TWidth.Zero, c3b = TWidth.Zero;
        TVector c4a = TWidth.Zero, c4b = TWidth.Zero, c5a = TWidth.Zero, c5b = TWidth.Zero;
        // The tile of C on its way to L1 while the loop runs (its rows are a row stride apart, beyond the prefetchers' reach).
        for (int r = 0; r < rows; r++)
        {
            CacheHint.Prefetch(c + r * ldc);
            CacheHint.Prefetch(c + r * ldc + nr - 1);
        }
        for (int p = 0; p < depth; p++, a += MR, b += nr)
        {
            TVector b0 = TWidth.Load(ref b[0]);
            TVector b1 = TWidth.Load(ref b[w]);
            TVector a0 = TWidth.Broadcast(a[0]);
            c0a = TWidth.MultiplyAdd(a0, b0, c0a); c0b = TWidth.MultiplyAdd(a0, b1, c0b);
            TVector a1 = TWidth.Broadcast(a[1]);
            c1a = TWidth.MultiplyAdd(a1, b0, c1a); c1b = TWidth.MultiplyAdd(a1, b1, c1b);
            TVector a2 = TWidth.Broadcast(a[2]);
            c2a = TWidth.MultiplyAdd(a2, b0, c2a); c2b = TWidth.MultiplyAdd(a2, b1, c2b);
            TVector a3 = TWidth.Broadcast(a[3]);
            c3a = TWidth.MultiplyAdd(a3, b0, c3a); c3b = TWidth.MultiplyAdd(a3, b1, c3b);
            TVector a4 = TWidth.Broadcast(a[4]);
            c4a = TWidth.MultiplyAdd(a4, b0, c4a); c4b = TWidth.MultiplyAdd(a4, b1, c4b);
            TVector a5 = TWidth.Broadcast(a[5]);
            c5a = TWidth.MultiplyAdd(a5, b0, c5a); c5b = TWidth.MultiplyAdd(a5, b1, c5b);
        }

        if (columns == nr)
        {
            // Full-width tile (rows ≤ MR): whole-vector stores, row by row.
            StoreRow<TWidth, TVector>(c, c0a, c0b, accumulate);
            if (rows == 1) return;
            StoreRow<TWidth, TVector>(c += ldc, c1a, c1b, accumulate);
            if (rows == 2) return;
            StoreRow<TWidth, TVector>(c += ldc, c2a, c2b, accumulate);
            if (rows == 3) return;
            StoreRow<TWidth, TVector>(c += ldc, c3a, c3b, accumulate);
            if (rows == 4) return;
            StoreRow<TWidth, TVector>(c += ldc, c4a, c4b, accumulate);
            if (rows == 5) return;
            StoreRow<TWidth, TVector>(c += ldc, c5a, c5b, accumulate);
            return;
        }

        float* tile = stackalloc float[MR * 32];
        TWidth.Store(c0a, ref tile[0]); TWidth.Store(c0b, ref tile[w]);
        TWidth.Store(c1a, ref tile[nr]); TWidth.Store(c1b, ref tile[nr + w]);
        TWidth.Store(c2a, ref tile[2 * nr]); TWidth.Store(c2b, ref tile[2 * nr + w]);
        TWidth.Store(c3a, ref tile[3 * nr]); TWidth.Store(c3b, ref tile[3 * nr + w]);
        TWidth.Store(c4a, ref tile[4 * nr]); TWidth.Store(c4b, ref tile[4 * nr + w]);
        TWidth.Store(c5a, ref tile[5 * nr]); TWidth.Store(c5b, ref tile[5 * nr + w]);
        GemmMicrokernels.StoreEdge(tile, nr, c, ldc, rows, columns, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TWidth, TVector>(float* c, TVector v0, TVector v1, bool accumulate)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        if (accumulate)
        {
            v0 = TWidth.Add(TWidth.Load(ref c[0]), v0);
            v1 = TWidth.Add(TWidth.Load(ref c[TWidth.Count]), v1);
        }
        TWidth.Store(v0, ref c[0]);
        TWidth.Store(v1, ref c[TWidth.Count]);
    }
}
