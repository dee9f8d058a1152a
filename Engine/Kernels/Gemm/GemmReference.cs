namespace Engine.Kernels;

/// <summary>
/// The reference single-precision GEMM: obvious loops, kept forever as the test oracle for the
/// vectorised tiers and as their fallback. Row-major throughout:
/// <c>C[m×n] = beta·C + op(A)[m×k]·op(B)[k×n]</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>op(A)[i, p]</c> is <c>a[i*lda + p]</c> (A stored m×k) or, when <c>transposeA</c>, <c>a[p*lda + i]</c> (A stored k×m).</item>
/// <item><c>op(B)[p, j]</c> is <c>b[p*ldb + j]</c> (B stored k×n) or, when <c>transposeB</c>, <c>b[j*ldb + p]</c> (B stored n×k).</item>
/// <item><c>C[i, j]</c> is <c>c[i*ldc + j]</c>; elements between rows (<c>j ≥ n</c>) are never touched.</item>
/// <item>Each dot product is accumulated in <see cref="float"/>, starting from 0, in increasing <c>p</c> (k) order,
/// and then added to <c>C</c> (beta 1) or stored over it (beta 0; the old <c>C</c> is never read, so NaN garbage
/// there does not propagate, as in BLIS's reference kernel).</item>
/// </list>
/// Arguments are not validated here; <see cref="Gemm.Multiply(bool, bool, int, int, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/> is the checked entry point.
/// </remarks>
internal static class GemmReference
{
    /// <summary>C = beta·C + op(A)·op(B); see the class remarks for the layout. <paramref name="beta"/> is 0 or 1.</summary>
    public static void Multiply(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        // a: [m, k] with row stride lda, or [k, m] when transposeA
        // b: [k, n] with row stride ldb, or [n, k] when transposeB
        // c: [m, n] with row stride ldc
        bool overwrite = beta == 0f;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0f;
                for (int p = 0; p < k; p++)
                {
                    float aip = transposeA ? a[p * lda + i] : a[i * lda + p];
                    float bpj = transposeB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += aip * bpj;
                }
                int ci = i * ldc + j;
                c[ci] = overwrite ? sum : c[ci] + sum;
            }
        }
    }
}
