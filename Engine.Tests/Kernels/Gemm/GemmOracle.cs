using Engine.Training;
using MathNet.Numerics.LinearAlgebra;

namespace Engine.Tests.Kernels;

/// <summary>
/// Builds strided row-major GEMM operands and checks a result against MathNet.Numerics.
/// MathNet matrices are built element by element from the row-major storage, so its column-major
/// layout never leaks into the test.
/// </summary>
internal static class GemmOracle
{
    /// <summary>A value that must never be read (padding between rows of A and B) or written (padding between rows of C).</summary>
    public const float Sentinel = 7777f;

    /// <summary>Function signature shared by <c>Gemm.Multiply</c> and <c>GemmReference.Multiply</c>.</summary>
    public delegate void Multiply(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc);

    /// <summary>A rows×cols row-major matrix with the given row stride; data uniform in [−1, 1), the gaps between rows set to <paramref name="padding"/>.</summary>
    public static float[] Stored(int rows, int cols, int stride, SeededRandom rng, float padding = float.NaN)
    {
        var s = new float[rows * stride];
        Array.Fill(s, padding);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++)
                s[r * stride + j] = (float)(2 * rng.NextDouble() - 1);
        return s;
    }

    /// <summary>Runs <paramref name="multiply"/> on random strided operands and compares with MathNet.</summary>
    /// <returns>Null on success, otherwise a description of the first wrong element.</returns>
    public static string? Check(Multiply multiply, bool transposeA, bool transposeB, int m, int n, int k, float beta,
        int padA, int padB, int padC, int seed)
    {
        var rng = new SeededRandom(seed);
        int aRows = transposeA ? k : m, aCols = transposeA ? m : k;
        int bRows = transposeB ? n : k, bCols = transposeB ? k : n;
        int lda = aCols + padA, ldb = bCols + padB, ldc = n + padC;
        float[] a = Stored(aRows, aCols, lda, rng);
        float[] b = Stored(bRows, bCols, ldb, rng);
        float[] c = Stored(m, n, ldc, rng, padding: Sentinel);
        float[] c0 = (float[])c.Clone();
        if (beta == 0f)
            for (int i = 0; i < m; i++) c.AsSpan(i * ldc, n).Fill(float.NaN); // must be overwritten, never read

        var opA = Matrix<float>.Build.Dense(m, k, (i, p) => transposeA ? a[p * lda + i] : a[i * lda + p]);
        var opB = Matrix<float>.Build.Dense(k, n, (p, j) => transposeB ? b[j * ldb + p] : b[p * ldb + j]);
        var before = Matrix<float>.Build.Dense(m, n, (i, j) => c0[i * ldc + j]);
        var product = opA * opB;
        var bound = opA.PointwiseAbs() * opB.PointwiseAbs(); // Σ|a||b|, scales the rounding error

        multiply(transposeA, transposeB, m, n, k, a, lda, b, ldb, beta, c, ldc);

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double expected = product[i, j] + (beta == 0f ? 0.0 : before[i, j]);
                double tolerance = 2.5e-7 * (k + 2) * (bound[i, j] + (beta == 0f ? 0 : Math.Abs(before[i, j]))) + 1e-7;
                float actual = c[i * ldc + j];
                if (!(Math.Abs(actual - expected) <= tolerance))
                    return $"{Name(transposeA, transposeB)} m={m} n={n} k={k} beta={beta} pads=({padA},{padB},{padC}): " +
                           $"C[{i},{j}] = {actual:G9}, MathNet gives {expected:G9} (tolerance {tolerance:G3})";
            }
            for (int j = n; j < ldc && i * ldc + j < c.Length; j++)
                if (c[i * ldc + j] != Sentinel)
                    return $"{Name(transposeA, transposeB)} m={m} n={n} k={k}: wrote C padding at row {i}, column {j}";
        }
        return null;
    }

    /// <summary>NN, NT, TN or TT.</summary>
    public static string Name(bool transposeA, bool transposeB) => (transposeA ? "T" : "N") + (transposeB ? "T" : "N");
}
