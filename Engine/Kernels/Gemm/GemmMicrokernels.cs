using System.Runtime.Intrinsics;
namespace Engine.Kernels;

/// <summary>
/// The microkernel contract shared by every tier (BLIS's <c>KernelsHowTo</c>), and the edge-tile store.
/// </summary>
/// <remarks>
/// <c>Run(depth, a, b, c, ldc, rows, columns, accumulate)</c> computes, for one packed MR×depth A micropanel
/// <c>a</c> (column by column: element (r, p) at <c>a[p·MR + r]</c>) and one packed depth×NR B micropanel <c>b</c>
/// (row by row: element (p, j) at <c>b[p·NR + j]</c>), the full MR×NR tile in registers:
/// <code>
///   acc[r, j] = 0;  for p = 0 .. depth-1:  acc[r, j] = fma(a[r, p], b[p, j], acc[r, j])   (one rounding each)
/// </code>
/// and then stores only its valid <c>rows</c>×<c>columns</c> corner (rows ≤ MR, columns ≤ NR) into C
/// (row stride <c>ldc</c>): <c>C = accumulate ? C + acc : acc</c>. Without <c>accumulate</c> C is never read.
/// Every tier does exactly these operations per element, so all tiers give the same bits.
/// </remarks>
internal static unsafe class GemmMicrokernels
{
    /// <summary>The microkernel of <paramref name="tier"/>; its tile matches <see cref="GemmBlocking.For"/>.</summary>
    public static delegate*<int, float*, float*, float*, nint, int, int, bool, void> For(ComputeTier tier) => tier switch
    {
        ComputeTier.Avx512 => &GemmMicrokernelAvx512.Run,
        ComputeTier.Avx2 => &GemmMicrokernelTwoVectors.Run<Width256, Vector256<float>>,
        ComputeTier.Vector128 => &GemmMicrokernelTwoVectors.Run<Width128, Vector128<float>>,
        _ => &GemmMicrokernelScalar.Run,
    };

    /// <summary>
    /// Stores the valid <paramref name="rows"/>×<paramref name="columns"/> corner of a computed tile
    /// (row stride <paramref name="tileStride"/>) into C: <c>C = accumulate ? C + tile : tile</c>.
    /// </summary>
    public static void StoreEdge(float* tile, int tileStride, float* c, nint ldc, int rows, int columns, bool accumulate)
    {
        for (int r = 0; r < rows; r++, tile += tileStride, c += ldc)
        {
            if (accumulate)
                for (int j = 0; j < columns; j++) c[j] = c[j] + tile[j];
            else
                for (int j = 0; j < columns; j++) c[j] = tile[j];
        }
    }
}
