using Engine.Kernels;

namespace Engine.Tests.Kernels;

public class GemmReferenceTests
{
    private static readonly (int M, int N, int K)[] OddSizes =
    [
        (1, 1, 1), (2, 3, 5), (3, 2, 1), (5, 7, 2), (7, 13, 17), (13, 13, 13), (17, 1, 33),
        (31, 33, 1), (33, 31, 7), (1, 33, 17), (5, 7, 64), (64, 65, 3), (16, 17, 15),
    ];

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (bool ta in new[] { false, true })
        foreach (bool tb in new[] { false, true })
        foreach (float beta in new[] { 0f, 1f })
        foreach (var (m, n, k) in OddSizes)
            yield return new TestCaseData(ta, tb, m, n, k, beta).SetArgDisplayNames(GemmOracle.Name(ta, tb), $"{m}x{n}x{k}", $"beta{beta}");
    }

    [TestCaseSource(nameof(Cases))]
    public void MatchesMathNetWithTightStrides(bool transposeA, bool transposeB, int m, int n, int k, float beta)
    {
        string? error = GemmOracle.Check(GemmReference.Multiply, transposeA, transposeB, m, n, k, beta, 0, 0, 0, seed: m * 10007 + n * 101 + k);
        Assert.That(error, Is.Null, error);
    }

    [TestCaseSource(nameof(Cases))]
    public void MatchesMathNetWithWideStrides(bool transposeA, bool transposeB, int m, int n, int k, float beta)
    {
        string? error = GemmOracle.Check(GemmReference.Multiply, transposeA, transposeB, m, n, k, beta, 3, 1, 5, seed: m * 7 + n * 1009 + k);
        Assert.That(error, Is.Null, error);
    }

    // A = [[1,2,3],[4,5,6]], B = [[7,8],[9,10],[11,12]], A·B = [[58,64],[139,154]] (by hand).
    [TestCase(false, false, new float[] { 1, 2, 3, 4, 5, 6 }, 3, new float[] { 7, 8, 9, 10, 11, 12 }, 2)]
    [TestCase(true, false, new float[] { 1, 4, 2, 5, 3, 6 }, 2, new float[] { 7, 8, 9, 10, 11, 12 }, 2)]
    [TestCase(false, true, new float[] { 1, 2, 3, 4, 5, 6 }, 3, new float[] { 7, 9, 11, 8, 10, 12 }, 3)]
    [TestCase(true, true, new float[] { 1, 4, 2, 5, 3, 6 }, 2, new float[] { 7, 9, 11, 8, 10, 12 }, 3)]
    public void HandComputedProduct(bool transposeA, bool transposeB, float[] a, int lda, float[] b, int ldb)
    {
        var c = new float[] { 1, 1, 1, 1 };
        GemmReference.Multiply(transposeA, transposeB, 2, 2, 3, a, lda, b, ldb, 1f, c, 2);
        Assert.That(c, Is.EqualTo(new float[] { 59, 65, 140, 155 }));
        GemmReference.Multiply(transposeA, transposeB, 2, 2, 3, a, lda, b, ldb, 0f, c, 2);
        Assert.That(c, Is.EqualTo(new float[] { 58, 64, 139, 154 }));
    }

    [Test]
    public void AccumulatesInFloatInIncreasingKOrder()
    {
        // 1e8 + 1 rounds back to 1e8 in float, so left-to-right order gives 0;
        // any order that pairs 1e8 with -1e8 first gives 1.
        float[] a = [1e8f, 1f, -1e8f];
        float[] b = [1f, 1f, 1f];
        var c = new float[1];
        GemmReference.Multiply(false, false, 1, 1, 3, a, 3, b, 1, 0f, c, 1);
        Assert.That(c[0], Is.EqualTo(0f));
    }

    [Test]
    public void BetaZeroDoesNotPropagateNaN()
    {
        var c = new float[] { float.NaN, float.PositiveInfinity };
        GemmReference.Multiply(false, false, 1, 2, 1, [2f], 1, [3f, 4f], 2, 0f, c, 2);
        Assert.That(c, Is.EqualTo(new float[] { 6, 8 }));
    }

    [Test]
    public void KZeroGivesBetaTimesC()
    {
        var c = new float[] { float.NaN, 5f };
        GemmReference.Multiply(false, false, 1, 2, 0, [], 0, [], 2, 0f, c, 2);
        Assert.That(c, Is.EqualTo(new float[] { 0, 0 }));
        c = [3f, 5f];
        GemmReference.Multiply(true, true, 1, 2, 0, [], 1, [], 0, 1f, c, 2);
        Assert.That(c, Is.EqualTo(new float[] { 3, 5 }));
    }
}
