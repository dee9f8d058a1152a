using System.Runtime.InteropServices;
using Engine.Kernels;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Kernels;

/// <summary>
/// The packed GEMM on every tier: close to <see cref="GemmReference"/>, and bit-identical across tiers
/// and thread counts (the determinism contract of <see cref="Gemm.Multiply(bool, bool, int, int, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>).
/// </summary>
public class GemmTierTests
{
    private const int KC = GemmBlocking.KC;
    private static readonly int[] Depths = [1, 2, 3, KC - 1, KC, KC + 1, 2 * KC + 3];
    private static readonly (bool A, bool B)[] Transposes = [(false, false), (false, true), (true, false), (true, true)];

    public static IEnumerable<ComputeTier> AvailableTiers() => Tiers.Available();

    /// <summary>Operands of one product, stored with padded strides (padding NaN, so reading it shows).</summary>
    private sealed class Problem
    {
        public readonly bool TransposeA, TransposeB;
        public readonly int M, N, K, Lda, Ldb, Ldc;
        public readonly float Beta;
        public readonly float[] A, B, C0;

        public Problem(bool transposeA, bool transposeB, int m, int n, int k, float beta, int seed, int pad = 3)
        {
            (TransposeA, TransposeB, M, N, K, Beta) = (transposeA, transposeB, m, n, k, beta);
            var rng = new SeededRandom(seed);
            int aRows = transposeA ? k : m, aCols = transposeA ? m : k;
            int bRows = transposeB ? n : k, bCols = transposeB ? k : n;
            (Lda, Ldb, Ldc) = (aCols + pad, bCols + pad + 1, n + pad + 2);
            A = GemmOracle.Stored(aRows, aCols, Lda, rng);
            B = GemmOracle.Stored(bRows, bCols, Ldb, rng);
            C0 = GemmOracle.Stored(m, n, Ldc, rng, padding: GemmOracle.Sentinel);
            if (beta == 0f)
                for (int i = 0; i < m; i++) C0.AsSpan(i * Ldc, n).Fill(float.NaN); // must be overwritten, never read
        }

        public float[] Run()
        {
            float[] c = (float[])C0.Clone();
            Gemm.Multiply(TransposeA, TransposeB, M, N, K, A, Lda, B, Ldb, Beta, c, Ldc);
            return c;
        }

        public float[] RunOn(ComputeTier tier, int threads = 1)
        {
            using (Tiers.Force(tier))
            using (Tiers.Threads(threads))
                return Run();
        }

        public override string ToString() =>
            $"{GemmOracle.Name(TransposeA, TransposeB)} m={M} n={N} k={K} beta={Beta} (lda={Lda} ldb={Ldb} ldc={Ldc})";

        /// <summary>Null if <paramref name="c"/> is within 1e-5·Σ|a||b| of the reference everywhere and its padding is untouched.</summary>
        public string? CheckAgainstReference(float[] c)
        {
            float[] expected = (float[])C0.Clone();
            GemmReference.Multiply(TransposeA, TransposeB, M, N, K, A, Lda, B, Ldb, Beta, expected, Ldc);
            float[] bound = new float[M * N];
            float[] absA = Array.ConvertAll(A, MathF.Abs), absB = Array.ConvertAll(B, MathF.Abs);
            GemmReference.Multiply(TransposeA, TransposeB, M, N, K, absA, Lda, absB, Ldb, 0f, bound, N);
            for (int i = 0; i < M; i++)
            {
                for (int j = 0; j < N; j++)
                {
                    float actual = c[i * Ldc + j], wanted = expected[i * Ldc + j];
                    double tolerance = 1e-5 * (bound[i * N + j] + (Beta == 0f ? 0f : Math.Abs(C0[i * Ldc + j]))) + 1e-30;
                    if (!(Math.Abs(actual - wanted) <= tolerance))
                        return $"{this}: C[{i},{j}] = {actual:G9}, reference {wanted:G9} (tolerance {tolerance:G3})";
                }
                for (int j = N; j < Ldc && i * Ldc + j < c.Length; j++)
                    if (c[i * Ldc + j] != GemmOracle.Sentinel) return $"{this}: wrote C padding at row {i}, column {j}";
            }
            return null;
        }
    }

    private static string? FirstDifference(float[] expected, float[] actual)
    {
        ReadOnlySpan<int> e = MemoryMarshal.Cast<float, int>(expected), a = MemoryMarshal.Cast<float, int>(actual);
        for (int i = 0; i < e.Length; i++)
            if (e[i] != a[i]) return $"element {i}: {actual[i]:G9} instead of {expected[i]:G9}";
        return null;
    }

    // Every edge-tile height 1..2·MR+1 (with a wide n) and every edge-tile width 1..2·NR+1 (with a tall m),
    // each with a depth from the list (crossing KC) and both betas, for all four transposes.
    [TestCaseSource(nameof(AvailableTiers))]
    public void MatchesTheReferenceForEveryEdgeTile(ComputeTier tier)
    {
        GemmBlocking blocking = GemmBlocking.For(tier);
        int tallM = 2 * blocking.MR + 1, wideN = 2 * blocking.NR + 1;
        var shapes = new List<(int M, int N)>();
        for (int m = 1; m <= tallM; m++) shapes.Add((m, wideN));
        for (int n = 1; n <= wideN; n++) shapes.Add((tallM, n));
        int index = 0;
        foreach (var (ta, tb) in Transposes)
            foreach (var (m, n) in shapes)
            {
                index++;
                int k = Depths[index % Depths.Length];
                var problem = new Problem(ta, tb, m, n, k, beta: index / Depths.Length % 2, seed: index);
                string? error = problem.CheckAgainstReference(problem.RunOn(tier));
                if (error is not null) Assert.Fail($"{tier}: {error}");
            }
    }

    [TestCaseSource(nameof(AvailableTiers))]
    public void MatchesTheReferenceForEveryDepthAndTranspose(ComputeTier tier)
    {
        GemmBlocking blocking = GemmBlocking.For(tier);
        int seed = 0;
        foreach (var (ta, tb) in Transposes)
            foreach (int k in Depths)
                foreach (float beta in new[] { 0f, 1f })
                {
                    var problem = new Problem(ta, tb, blocking.MR + 1, blocking.NR + 3, k, beta, ++seed);
                    string? error = problem.CheckAgainstReference(problem.RunOn(tier));
                    if (error is not null) Assert.Fail($"{tier}: {error}");
                }
    }

    // Shapes crossing MC (m > every tier's MC) and NC (n > NC) with several KC blocks.
    private static IEnumerable<TestCaseData> BlockCrossingShapes()
    {
        int maxMC = new[] { GemmBlocking.Avx512, GemmBlocking.Avx2, GemmBlocking.Vector128, GemmBlocking.Scalar }.Max(b => b.MC);
        int nc = GemmBlocking.Avx512.NC;
        yield return new TestCaseData(false, false, maxMC + 13, 37, KC + 5).SetName("NN crossing MC");
        yield return new TestCaseData(true, true, maxMC + 7, 29, 2 * KC + 1).SetName("TT crossing MC");
        yield return new TestCaseData(false, true, 5, nc + 21, KC + 1).SetName("NT crossing NC");
        yield return new TestCaseData(true, false, 3, nc + 3, 7).SetName("TN crossing NC");
    }

    [TestCaseSource(nameof(BlockCrossingShapes))]
    public void LargeBlocksMatchTheReferenceAndAreBitIdenticalOnEveryTier(bool transposeA, bool transposeB, int m, int n, int k)
    {
        foreach (float beta in new[] { 0f, 1f })
        {
            var problem = new Problem(transposeA, transposeB, m, n, k, beta, seed: m + n + k);
            float[] scalar = problem.RunOn(ComputeTier.Scalar);
            Assert.That(problem.CheckAgainstReference(scalar), Is.Null);
            foreach (ComputeTier tier in Tiers.Available().Where(t => t != ComputeTier.Scalar))
                Assert.That(FirstDifference(scalar, problem.RunOn(tier, threads: 2)), Is.Null, $"{tier} vs Scalar, {problem}");
        }
    }

    [Test]
    public void EveryTierGivesTheScalarTiersBitsForEveryEdgeTileAndDepth()
    {
        int seed = 0;
        foreach (var (ta, tb) in Transposes)
            foreach (int k in Depths)
                foreach (int m in new[] { 1, 5, 13, 25 })
                {
                    int n = 1 + (m * 7 + k) % 66; // widths 1..66 cover every tail of 4, 8, 16 and 32
                    var problem = new Problem(ta, tb, m, n, k, beta: seed % 2, seed: ++seed);
                    float[] scalar = problem.RunOn(ComputeTier.Scalar);
                    foreach (ComputeTier tier in Tiers.Available().Where(t => t != ComputeTier.Scalar))
                        Assert.That(FirstDifference(scalar, problem.RunOn(tier)), Is.Null, $"{tier} vs Scalar, {problem}");
                }
    }

    // (transposeA, transposeB, m, n, k): big enough to be threaded; the skinny shapes of convolution layers
    // (forward 20×(676·30) with k = 9, weight gradient NT with k = 676·30, input gradient TN), a row-split one and a square one.
    private static IEnumerable<TestCaseData> ThreadedShapes()
    {
        yield return new TestCaseData(false, false, 300, 300, 300).SetName("NN 300x300x300");
        yield return new TestCaseData(false, false, 20, 676 * 30, 9).SetName("NN conv forward 20x20280 k9");
        yield return new TestCaseData(false, true, 20, 9, 676 * 30).SetName("NT conv weight gradient 20x9 k20280");
        yield return new TestCaseData(true, false, 9, 676 * 30, 20).SetName("TN conv input gradient 9x20280 k20");
        yield return new TestCaseData(false, false, 30, 20, 3380).SetName("NN rows split 30x20 k3380");
        yield return new TestCaseData(true, true, 130, 70, 600).SetName("TT 130x70x600");
        // Large enough for the operand that is not split to be packed once for all parts (at least 64K floats of it): rows split,
        // so all of B is shared, its columns crossing NC (the parts read two NC blocks of it); and columns split with a
        // transposed A shared.
        yield return new TestCaseData(false, false, 4200, GemmBlocking.Avx512.NC + 21, 17).SetName("NN rows split crossing NC 4200x4117 k17");
        yield return new TestCaseData(true, false, 200, 400, 330).SetName("TN columns split 200x400x330");
    }

    [TestCaseSource(nameof(ThreadedShapes))]
    public void ThreadCountsAndTiersGiveIdenticalBits(bool transposeA, bool transposeB, int m, int n, int k)
    {
        Assert.That(2L * m * n * k, Is.GreaterThanOrEqualTo(2 * ParallelFor.MinimumWorkPerPart), "shape too small to be threaded");
        var problem = new Problem(transposeA, transposeB, m, n, k, beta: (m + n) % 2, seed: m * n);
        float[] expected = problem.RunOn(ComputeTier.Scalar, threads: 1);
        foreach (ComputeTier tier in Tiers.Available())
            foreach (int threads in new[] { 1, 2, 4 })
                Assert.That(FirstDifference(expected, problem.RunOn(tier, threads)), Is.Null, $"{tier}, {threads} threads, {problem}");
        Assert.That(problem.CheckAgainstReference(expected), Is.Null);
    }

    [Test]
    public void BetaZeroOverwritesNaNAndInfinityInC()
    {
        foreach (ComputeTier tier in Tiers.Available())
        {
            var c = new float[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.NaN };
            float[] a = [1, 2, 3, 4], b = [5, 6, 7, 8]; // [[1,2],[3,4]]·[[5,6],[7,8]]
            using (Tiers.Force(tier))
                Gemm.Multiply(false, false, 2, 2, 2, a, 2, b, 2, 0f, c, 2);
            Assert.That(c, Is.EqualTo(new float[] { 19, 22, 43, 50 }), tier.ToString());
        }
    }

    [Test]
    public void FusedMultiplyAddIsUsedOnEveryTier()
    {
        // 1 + 2⁻²³ squared is 1 + 2⁻²² + 2⁻⁴⁶: rounded product then sum loses the 2⁻⁴⁶, one fused rounding keeps a trace of it.
        float x = 1f + MathF.Pow(2, -23);
        float[] a = [x, -1f], b = [x, 1f + MathF.Pow(2, -22)];
        float fused = MathF.FusedMultiplyAdd(x, x, -(1f + MathF.Pow(2, -22)));
        Assert.That(fused, Is.Not.EqualTo(0f));
        foreach (ComputeTier tier in Tiers.Available())
        {
            var c = new float[1];
            using (Tiers.Force(tier))
                Gemm.Multiply(false, false, 1, 1, 2, a, 2, b, 1, 0f, c, 1);
            // acc = fma(x, x, 0) = round(x²) = 1 + 2⁻²²; then fma(-1, 1 + 2⁻²², acc) = 0 exactly.
            Assert.That(c[0], Is.EqualTo(0f), tier.ToString());
            float[] a2 = [-1f, x], b2 = [1f + MathF.Pow(2, -22), x];
            using (Tiers.Force(tier))
                Gemm.Multiply(false, false, 1, 1, 2, a2, 2, b2, 1, 0f, c, 1);
            // acc = -(1 + 2⁻²²); then fma(x, x, acc) = 2⁻⁴⁶ exactly (fused), 0 if rounded twice.
            Assert.That(c[0], Is.EqualTo(fused), tier.ToString());
        }
    }

    [Test]
    public void ThreadedCallAllocatesNothingAfterWarmUp()
    {
        int m = 64, n = 2000, k = 300;
        var a = new float[m * k];
        var b = new float[k * n];
        var c = new float[m * n];
        using (Tiers.Threads(2))
        {
            Assert.That(2L * m * n * k, Is.GreaterThanOrEqualTo(2 * ParallelFor.MinimumWorkPerPart));
            long allocated = Allocations.SteadyState(() => Gemm.Multiply(false, false, m, n, k, a, k, b, n, 1f, c, n), warmUp: 5, runs: 3);
            Assert.That(allocated, Is.Zero);
        }
    }
}
