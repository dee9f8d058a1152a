using Engine.Kernels;

namespace Engine.Tests.Kernels;

public class GemmTests
{
    private static readonly int[] InnerSizes = [1, 2, 7, 16, 17];

    // Every m and n from 1 to 17 (every tail of any register tile up to 16 wide) for each k.
    [TestCase(false, false), TestCase(false, true), TestCase(true, false), TestCase(true, true)]
    public void MatchesMathNetForEverySmallSize(bool transposeA, bool transposeB)
    {
        foreach (int k in InnerSizes)
        for (int m = 1; m <= 17; m++)
        for (int n = 1; n <= 17; n++)
        {
            float beta = (m + n) % 2;
            string? error = GemmOracle.Check(Gemm.Multiply, transposeA, transposeB, m, n, k, beta, padA: m % 3, padB: n % 2, padC: k % 4, seed: m * 389 + n * 17 + k);
            if (error is not null) Assert.Fail(error);
        }
    }

    [TestCase(false, false, 33, 31, 65), TestCase(false, true, 31, 65, 33), TestCase(true, false, 65, 33, 31), TestCase(true, true, 37, 41, 43)]
    public void MatchesMathNetForLargerOddSizes(bool transposeA, bool transposeB, int m, int n, int k)
    {
        foreach (float beta in new[] { 0f, 1f })
        {
            string? error = GemmOracle.Check(Gemm.Multiply, transposeA, transposeB, m, n, k, beta, 1, 2, 3, seed: 5);
            Assert.That(error, Is.Null, error);
        }
    }

    [Test]
    public void KZeroWithBetaZeroZeroesCAndLeavesItsPaddingAlone()
    {
        var c = new float[] { float.NaN, float.NaN, GemmOracle.Sentinel, float.NaN, float.NaN };
        Gemm.Multiply(false, false, 2, 2, 0, [], 0, [], 2, 0f, c, 3);
        Assert.That(c, Is.EqualTo(new float[] { 0, 0, GemmOracle.Sentinel, 0, 0 }));
    }

    [Test]
    public void KZeroWithBetaOneLeavesCUnchanged()
    {
        var c = new float[] { 1, 2, 3, 4 };
        Gemm.Multiply(true, false, 2, 2, 0, [], 2, [], 2, 1f, c, 2);
        Assert.That(c, Is.EqualTo(new float[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void EmptyOutputIsANoOp()
    {
        Assert.DoesNotThrow(() => Gemm.Multiply(false, false, 0, 5, 3, [], 3, new float[15], 5, 0f, [], 5));
        Assert.DoesNotThrow(() => Gemm.Multiply(false, false, 4, 0, 3, new float[12], 3, [], 0, 1f, [], 0));
    }

    [Test]
    public void AcceptsSpansEndingRightAfterTheLastRow()
    {
        // m=2, k=3 with lda=5: A needs 5 + 3 = 8 elements, not 10.
        float[] a = [1, 2, 3, 99, 99, 4, 5, 6];
        float[] b = [1, 0, 1];
        var c = new float[2];
        Gemm.Multiply(false, false, 2, 1, 3, a, 5, b, 1, 0f, c, 1);
        Assert.That(c, Is.EqualTo(new float[] { 4, 10 }));
    }

    private static IEnumerable<TestCaseData> BadArguments()
    {
        // Baseline call: NN, m=2, n=3, k=4, A 2×4 (lda 4), B 4×3 (ldb 3), C 2×3 (ldc 3).
        TestCaseData Case(string param, bool ta = false, bool tb = false, int m = 2, int n = 3, int k = 4,
            int aLen = 8, int lda = 4, int bLen = 12, int ldb = 3, float beta = 0f, int cLen = 6, int ldc = 3) =>
            new TestCaseData(ta, tb, m, n, k, aLen, lda, bLen, ldb, beta, cLen, ldc, param).SetName($"Rejects bad {param}: {Describe(ta, tb, m, n, k, aLen, lda, bLen, ldb, beta, cLen, ldc)}");

        yield return Case("m", m: -1);
        yield return Case("n", n: -1);
        yield return Case("k", k: -1);
        yield return Case("lda", lda: 3);
        yield return Case("lda", ta: true, aLen: 8, lda: 1);  // A stored k×m = 4×2 needs lda ≥ 2
        yield return Case("ldb", ldb: 2);
        yield return Case("ldb", tb: true, bLen: 12, ldb: 3); // B stored n×k = 3×4 needs ldb ≥ 4
        yield return Case("ldc", ldc: 2);
        yield return Case("lda", m: 0, lda: -1, aLen: 0, cLen: 0);
        yield return Case("a", aLen: 7);
        yield return Case("b", bLen: 11);
        yield return Case("c", cLen: 5);
        yield return Case("c", cLen: 6, ldc: 4); // last row of C (at offset 4) cut short
        yield return Case("beta", beta: 0.5f);
        yield return Case("beta", beta: float.NaN);
        yield return Case("beta", beta: -1f);
    }

    private static string Describe(params object[] values) => string.Join(",", values);

    [TestCaseSource(nameof(BadArguments))]
    public void RejectsBadArguments(bool transposeA, bool transposeB, int m, int n, int k, int aLength, int lda, int bLength, int ldb,
        float beta, int cLength, int ldc, string parameter)
    {
        var a = new float[aLength];
        var b = new float[bLength];
        var c = new float[cLength];
        var e = Assert.Throws(Is.InstanceOf<ArgumentException>(),
            () => Gemm.Multiply(transposeA, transposeB, m, n, k, a, lda, b, ldb, beta, c, ldc)) as ArgumentException;
        Assert.That(e!.ParamName, Is.EqualTo(parameter));
        Assert.That(e.Message, Does.Contain("GEMM"));
    }

    [Test]
    public void RejectsCOverlappingAnInput()
    {
        var buffer = new float[16];
        var e = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(false, false, 2, 2, 2, buffer.AsSpan(0, 4), 2, buffer.AsSpan(8, 4), 2, 0f, buffer.AsSpan(2, 4), 2));
        Assert.That(e!.ParamName, Is.EqualTo("c"));
        e = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(false, false, 2, 2, 2, buffer.AsSpan(0, 4), 2, buffer.AsSpan(8, 4), 2, 0f, buffer.AsSpan(10, 4), 2));
        Assert.That(e!.ParamName, Is.EqualTo("c"));
    }
}
