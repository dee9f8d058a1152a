namespace Engine.Kernels;

/// <summary>
/// The checked entry point for single-precision matrix multiplication, row-major:
/// <c>C[m×n] = beta·C + op(A)[m×k]·op(B)[k×n]</c>, with the layout of <see cref="GemmReference"/>.
/// It validates its arguments and then runs the packed BLIS-style GEMM (<see cref="GemmPacked"/>) on the
/// tier <see cref="Cpu.Tier"/> with up to <see cref="Cpu.ThreadCount"/> threads.
/// </summary>
internal static class Gemm
{
    /// <summary>C = beta·C + op(A)·op(B).</summary>
    /// <remarks>
    /// Determinism contract: every element of C is computed as
    /// <code>
    ///   for each block [pc, pc + KC) of the depth, in increasing order (KC = <see cref="GemmBlocking.KC"/>, the same on every tier):
    ///       acc = 0;  for p in the block, increasing:  acc = fma(op(A)[i, p], op(B)[p, j], acc)   (one rounding)
    ///       C[i, j] = (first block and beta == 0) ? acc : C[i, j] + acc
    /// </code>
    /// on every tier (AVX-512, AVX2, Vector128, Scalar) and for every thread count: threads split only the rows or
    /// the columns of C, never the depth. Results are therefore bit-identical across tiers and thread counts.
    /// They differ from <see cref="GemmReference"/> (which rounds the product and the sum separately) by rounding only.
    /// With beta 0, C is never read (NaN garbage there does not propagate). Allocation-free after the first call on a thread.
    /// </remarks>
    /// <param name="transposeA">False: A is stored m×k (row stride <paramref name="lda"/>); true: A is stored k×m and op(A) = Aᵀ.</param>
    /// <param name="transposeB">False: B is stored k×n (row stride <paramref name="ldb"/>); true: B is stored n×k and op(B) = Bᵀ.</param>
    /// <param name="m">Rows of C and of op(A).</param>
    /// <param name="n">Columns of C and of op(B).</param>
    /// <param name="k">Columns of op(A) and rows of op(B); 0 gives C = beta·C.</param>
    /// <param name="a">The elements of A.</param>
    /// <param name="lda">Row stride of A as stored: at least its stored column count.</param>
    /// <param name="b">The elements of B.</param>
    /// <param name="ldb">Row stride of B as stored: at least its stored column count.</param>
    /// <param name="beta">0 (C is overwritten and never read) or 1 (the product is added to C).</param>
    /// <param name="c">The elements of C; must not overlap <paramref name="a"/> or <paramref name="b"/>.</param>
    /// <param name="ldc">Row stride of C: at least <paramref name="n"/>.</param>
    /// <exception cref="ArgumentException">A size, stride, span length or beta is invalid, or C overlaps an input;
    /// <see cref="ArgumentException.ParamName"/> names the argument.</exception>
    public static void Multiply(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
        Multiply(transposeA, transposeB, m, n, k, a, lda, b, ldb, beta, c, ldc, Cpu.ThreadCount);

    /// <summary>C = beta·C + op(A)·op(B) on up to <paramref name="threads"/> threads (a kernel plan's count); otherwise as the
    /// overload without it, with the same bits for any count.</summary>
    public static void Multiply(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, int threads)
    {
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), m, "GEMM: m (rows of C) cannot be negative.");
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "GEMM: n (columns of C) cannot be negative.");
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), k, "GEMM: k (inner dimension) cannot be negative.");
        if (beta != 0f && beta != 1f)
            throw new ArgumentException($"GEMM: beta must be 0 or 1, not {beta}.", nameof(beta));

        int aRows = transposeA ? k : m, aCols = transposeA ? m : k;
        int bRows = transposeB ? n : k, bCols = transposeB ? k : n;
        CheckMatrix(a.Length, aRows, aCols, lda, transposeA ? "A (stored k×m)" : "A (stored m×k)", nameof(a), nameof(lda));
        CheckMatrix(b.Length, bRows, bCols, ldb, transposeB ? "B (stored n×k)" : "B (stored k×n)", nameof(b), nameof(ldb));
        CheckMatrix(c.Length, m, n, ldc, "C (m×n)", nameof(c), nameof(ldc));
        if (c.Overlaps(a)) throw new ArgumentException("GEMM: C must not overlap A.", nameof(c));
        if (c.Overlaps(b)) throw new ArgumentException("GEMM: C must not overlap B.", nameof(c));

        if (m == 0 || n == 0) return;
        unsafe
        {
            fixed (float* aPointer = a, bPointer = b, cPointer = c)
                GemmPacked.Multiply(Cpu.Tier, threads, transposeA, transposeB, m, n, k,
                    aPointer, lda, bPointer, ldb, beta == 0f, cPointer, ldc);
        }
    }

    /// <summary>
    /// C = A·im2col(image) (C overwritten): the convolution product with B = <see cref="Im2Col.Forward(in ConvGeometry, ReadOnlySpan{float}, Span{float})"/>'s
    /// <c>[C·KH·KW, OH·OW]</c> matrix of <paramref name="image"/>, packed straight from the image (implicit im2col) so the
    /// column matrix is never written. Same operations, hence the same bits, as <see cref="Multiply(bool, bool, int, int, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/> on the explicit matrix.
    /// </summary>
    /// <param name="m">Rows of C and A (filters).</param>
    /// <param name="a">A stored m×(C·KH·KW) with row stride <paramref name="lda"/> (the weights).</param>
    /// <param name="lda">Row stride of A.</param>
    /// <param name="geometry">The convolution; C is m×(OH·OW).</param>
    /// <param name="image">One <c>[C, H, W]</c> sample.</param>
    /// <param name="c">The elements of C; must not overlap the inputs.</param>
    /// <param name="ldc">Row stride of C: at least OH·OW.</param>
    /// <exception cref="ArgumentException">A size, stride or span length is invalid, or C overlaps an input.</exception>
    public static void MultiplyIm2Col(int m, ReadOnlySpan<float> a, int lda, in ConvGeometry geometry, ReadOnlySpan<float> image,
        Span<float> c, int ldc) => MultiplyIm2Col(m, a, lda, geometry, image, c, ldc, Cpu.ThreadCount);

    /// <summary>C = A·im2col(image) on up to <paramref name="threads"/> threads (a kernel plan's count); otherwise as the
    /// overload without it, with the same bits for any count.</summary>
    public static void MultiplyIm2Col(int m, ReadOnlySpan<float> a, int lda, in ConvGeometry geometry, ReadOnlySpan<float> image,
        Span<float> c, int ldc, int threads)
    {
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), m, "GEMM: m (rows of C) cannot be negative.");
        int n = geometry.ColumnCols, k = geometry.ColumnRows;
        CheckMatrix(a.Length, m, k, lda, "A (stored m×k)", nameof(a), nameof(lda));
        if (image.Length < geometry.InputSize)
            throw new ArgumentException($"GEMM: the image needs {geometry.InputSize} elements, but the span has {image.Length}.", nameof(image));
        CheckMatrix(c.Length, m, n, ldc, "C (m×n)", nameof(c), nameof(ldc));
        if (c.Overlaps(a)) throw new ArgumentException("GEMM: C must not overlap A.", nameof(c));
        if (c.Overlaps(image)) throw new ArgumentException("GEMM: C must not overlap the image.", nameof(c));
        if (m == 0) return;
        unsafe
        {
            fixed (float* aPointer = a, imagePointer = image, cPointer = c)
                GemmPacked.MultiplyIm2Col(Cpu.Tier, threads, false, m, aPointer, lda, geometry, imagePointer, cPointer, ldc);
        }
    }

    private static void CheckMatrix(int length, int rows, int cols, int stride, string what, string spanName, string strideName)
    {
        if (stride < cols || stride < 0)
            throw new ArgumentOutOfRangeException(strideName, stride, $"GEMM: the row stride of {what} must be at least its {cols} columns.");
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * stride + cols;
        if (length < needed)
            throw new ArgumentException($"GEMM: {what} with {rows} rows, {cols} columns and row stride {stride} needs {needed} elements, but the span has {length}.", spanName);
    }
}
