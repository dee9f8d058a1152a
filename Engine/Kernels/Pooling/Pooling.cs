using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels;

/// <summary>
/// The fast 2-D max and average pooling (no padding; see <see cref="PoolGeometry"/>), with the same
/// signatures, layouts and results as <see cref="PoolingReference"/>: a specialised loop for the common
/// 2×2 window with stride 2, and the reference loops for every other geometry. Nothing here allocates.
/// </summary>
/// <remarks>
/// <para>
/// Layouts: x and dx are <c>[N, C, H, W]</c>; y, dy and argmax are <c>[N, C, OH, OW]</c>. Only the first
/// <c>batch</c> samples are touched; longer spans are fine, shorter ones throw.
/// </para>
/// <para>
/// The 2×2 stride-2 path gives exactly the reference's bits and indices on every tier: pooling moves or sums
/// four values with no rounding choice left, and the first-maximum-wins rule is associative, so the window is
/// reduced as (top pair) then (bottom pair) then top-versus-bottom with ties to the top, which is the row-major
/// scan. Max forward is dispatched once per call by <see cref="TierDispatch"/> and vectorised over output columns
/// by one generic row loop over <see cref="IVectorWidth{TVector}"/>, taking the widest register (of at most half the
/// tier's width, or the full width on Avx2 with in-lane shuffles) whose windows fit in an output row: on Avx512 16 windows
/// (Vector512), 8 (Vector256) or 4 (Vector128), on Avx2 8 or 4, with an overlapping last chunk; rows of fewer than 4
/// windows, and the other tiers, run the scalar loop (branches: a branch-free scalar form measured slower). Max backward
/// writes each window's four cells from its argmax, eight windows at a time, on the Avx2 and Avx512 tiers for rows of 8 or
/// more windows (else it clears dx and scatters, as the reference). Average pooling is scalar (memory-bound already).
/// </para>
/// </remarks>
internal static partial class Pooling
{
    /// <summary>
    /// y = maximum of each window; argmax = flat index into x (counting from the start of x, batch included)
    /// of the element chosen. Among equal maxima the FIRST in row-major order wins; the first NaN in a window
    /// wins over any number (see <see cref="PoolingReference.MaxForward"/>).
    /// </summary>
    public static void MaxForward(in PoolGeometry g, int batch, ReadOnlySpan<float> x /*N,C,H,W*/, Span<float> y /*N,C,OH,OW*/, Span<int> argmax /*N,C,OH,OW*/)
    {
        if (!IsTwoByTwoStrideTwo(g))
        {
            PoolingReference.MaxForward(g, batch, x, y, argmax);
            return;
        }
        PoolingReference.CheckBatch(g, batch, x.Length, nameof(x), isInput: true);
        int outputLength = PoolingReference.CheckBatch(g, batch, y.Length, nameof(y), isInput: false);
        PoolingReference.CheckLength(outputLength, argmax.Length, nameof(argmax));

        var kernel = new MaxForwardKernel(new RowPairs(g, batch), x, y, argmax);
        TierDispatch.Run(ref kernel);
    }

    /// <summary>
    /// dx is overwritten: zeroed, then <c>dx[argmax[o]] += dy[o]</c> for every output o (in order), so an input
    /// chosen by several overlapping windows gets the sum of their gradients. <c>argmax</c> holds the indices
    /// written by the <see cref="MaxForward"/> of the same batch.
    /// </summary>
    /// <exception cref="IndexOutOfRangeException">An argmax index lies outside the batch's dx.</exception>
    public static void MaxBackward(in PoolGeometry g, int batch, ReadOnlySpan<float> dy /*N,C,OH,OW*/, ReadOnlySpan<int> argmax /*N,C,OH,OW*/, Span<float> dx /*N,C,H,W*/)
    {
        int outputLength = PoolingReference.CheckBatch(g, batch, dy.Length, nameof(dy), isInput: false);
        PoolingReference.CheckLength(outputLength, argmax.Length, nameof(argmax));
        int inputLength = PoolingReference.CheckBatch(g, batch, dx.Length, nameof(dx), isInput: true);

        if (IsTwoByTwoStrideTwo(g) && g.OutputWidth >= Vector256<float>.Count)
        {
            var kernel = new MaxBackwardKernel(new RowPairs(g, batch), dy, argmax, dx);
            TierDispatch.Run(ref kernel);
            if (kernel.Done) return;
        }
        var dxBatch = dx[..inputLength];
        dxBatch.Clear();
        ref float dy0 = ref MemoryMarshal.GetReference(dy);
        ref int a0 = ref MemoryMarshal.GetReference(argmax);
        for (int o = 0; o < outputLength; o++)
            dxBatch[Unsafe.Add(ref a0, o)] += Unsafe.Add(ref dy0, o);   // bounds-checked: argmax is data
    }

    /// <summary>y = mean of each window: (sum of the window in row-major order, in float, from 0) / (SizeHeight·SizeWidth).</summary>
    public static void AverageForward(in PoolGeometry g, int batch, ReadOnlySpan<float> x /*N,C,H,W*/, Span<float> y /*N,C,OH,OW*/)
    {
        if (!IsTwoByTwoStrideTwo(g))
        {
            PoolingReference.AverageForward(g, batch, x, y);
            return;
        }
        PoolingReference.CheckBatch(g, batch, x.Length, nameof(x), isInput: true);
        PoolingReference.CheckBatch(g, batch, y.Length, nameof(y), isInput: false);

        int width = g.Width, oh = g.OutputHeight, ow = g.OutputWidth, planeSize = g.Height * width;
        int planes = batch * g.Channels;
        const float area = 4f;
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        int o = 0;
        for (int plane = 0; plane < planes; plane++)
        {
            for (int r = 0; r < oh; r++)
            {
                ref float top = ref Unsafe.Add(ref x0, plane * planeSize + 2 * r * width);
                ref float bottom = ref Unsafe.Add(ref top, width);
                for (int c = 0, j = 0; c < ow; c++, j += 2, o++)
                {
                    // 0f + first term, as the reference's sum starts from 0 (−0 becomes +0).
                    float sum = 0f + Unsafe.Add(ref top, j);
                    sum += Unsafe.Add(ref top, j + 1);
                    sum += Unsafe.Add(ref bottom, j);
                    sum += Unsafe.Add(ref bottom, j + 1);
                    Unsafe.Add(ref y0, o) = sum / area;
                }
            }
        }
    }

    /// <summary>
    /// dx is overwritten: zeroed, then every input of window o gets <c>dy[o] / (SizeHeight·SizeWidth)</c> added,
    /// windows taken in output order, so inputs shared by overlapping windows accumulate.
    /// </summary>
    public static void AverageBackward(in PoolGeometry g, int batch, ReadOnlySpan<float> dy /*N,C,OH,OW*/, Span<float> dx /*N,C,H,W*/)
    {
        if (!IsTwoByTwoStrideTwo(g))
        {
            PoolingReference.AverageBackward(g, batch, dy, dx);
            return;
        }
        PoolingReference.CheckBatch(g, batch, dy.Length, nameof(dy), isInput: false);
        int inputLength = PoolingReference.CheckBatch(g, batch, dx.Length, nameof(dx), isInput: true);

        int width = g.Width, oh = g.OutputHeight, ow = g.OutputWidth, planeSize = g.Height * width;
        int planes = batch * g.Channels;
        const float area = 4f;
        // Windows do not overlap: every covered input is written once (0 + share, as the reference's
        // zero-then-add); the uncovered last row/column of an odd-sized plane stays zero from the clear.
        if (g.Height % 2 != 0 || width % 2 != 0)
            dx[..inputLength].Clear();
        ref float dx0 = ref MemoryMarshal.GetReference(dx);
        ref float dy0 = ref MemoryMarshal.GetReference(dy);
        int o = 0;
        for (int plane = 0; plane < planes; plane++)
        {
            for (int r = 0; r < oh; r++)
            {
                ref float top = ref Unsafe.Add(ref dx0, plane * planeSize + 2 * r * width);
                ref float bottom = ref Unsafe.Add(ref top, width);
                for (int c = 0, j = 0; c < ow; c++, j += 2, o++)
                {
                    float share = 0f + Unsafe.Add(ref dy0, o) / area;
                    Unsafe.Add(ref top, j) = share;
                    Unsafe.Add(ref top, j + 1) = share;
                    Unsafe.Add(ref bottom, j) = share;
                    Unsafe.Add(ref bottom, j + 1) = share;
                }
            }
        }
    }

    private static bool IsTwoByTwoStrideTwo(in PoolGeometry g) =>
        g.SizeHeight == 2 && g.SizeWidth == 2 && g.StrideHeight == 2 && g.StrideWidth == 2;

    /// <summary>The reference's replacement rule: v replaces best if greater, or if v is NaN and best is not.</summary>
    /// <remarks>A branch-free scalar form (non-short-circuit operators, selects) measured slower, not faster.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Beats(float v, float best) => v > best || (float.IsNaN(v) && !float.IsNaN(best));
}
