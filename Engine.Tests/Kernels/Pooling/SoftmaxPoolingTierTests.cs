using Engine.Kernels;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

/// <summary>
/// The fast softmax and pooling on every tier: softmax close to <see cref="SoftmaxReference"/> and bit-identical
/// to the Scalar tier; pooling bit-identical (values and argmax indices) to <see cref="PoolingReference"/>.
/// </summary>
public class SoftmaxPoolingTierTests
{
    private static IEnumerable<TestCaseData> TiersAndClasses() =>
        from tier in Tiers.Available() from classes in new[] { 1, 2, 3, 10, 17, 40 } select new TestCaseData(tier, classes);

    [TestCaseSource(nameof(TiersAndClasses))]
    public void SoftmaxMatchesReferenceAndScalarTier(ComputeTier tier, int classes)
    {
        foreach (int batch in new[] { 0, 1, 3, 30 })
        {
            int length = batch * classes;
            var x = GradientCheck.Random(length, 31 * classes + batch, -30, 30);
            if (length > 5) { x[3] = 1000f; x[4] = -1000f; }
            var expected = new float[length];
            SoftmaxReference.Forward(x, expected, batch, classes);
            var scalar = new float[length];
            using (Tiers.Force(ComputeTier.Scalar)) SoftmaxKernels.Forward(x, scalar, batch, classes);
            var y = new float[length + 2];
            y[^1] = y[^2] = -7f;
            using (Tiers.Force(tier)) SoftmaxKernels.Forward(x, y, batch, classes);

            ActivationTierTests.AssertSameBits(scalar, y.AsSpan(0, length), $"softmax on {tier}, {batch}×{classes}");
            Assert.That(y[^2..], Is.All.EqualTo(-7f), "elements past the batch were written");
            for (int i = 0; i < length; i++)
                Assert.That(y[i], Is.EqualTo(expected[i]).Within(4e-7 * expected[i] + 1e-44), $"softmax y[{i}] on {tier}, {batch}×{classes}");

            var inPlace = (float[])x.Clone();
            using (Tiers.Force(tier)) SoftmaxKernels.Forward(inPlace, inPlace, batch, classes);
            ActivationTierTests.AssertSameBits(scalar, inPlace, $"softmax in place on {tier}");
        }
    }

    [Test]
    public void SoftmaxNaNRowStaysNaNOnEveryTier()
    {
        foreach (var tier in Tiers.Available())
        {
            using var scope = Tiers.Force(tier);
            var y = new float[20];
            var x = GradientCheck.Random(20, 3);
            x[12] = float.NaN;
            SoftmaxKernels.Forward(x, y, 2, 10);
            Assert.That(y[..10], Has.None.NaN, $"{tier}");
            Assert.That(y[10..], Is.All.NaN, $"{tier}");
        }
    }

    // (channels, height, width, sizeH, sizeW, strideH, strideW): the fast 2×2 s2 path on odd and even
    // shapes, and the general path on strides, overlapping windows and rectangles.
    private static readonly int[][] Geometries =
    [
        [3, 26, 26, 2, 2, 2, 2], [2, 29, 29, 2, 2, 2, 2], [1, 2, 2, 2, 2, 2, 2], [4, 5, 8, 2, 2, 2, 2], [2, 8, 5, 2, 2, 2, 2],
        [1, 3, 3, 2, 2, 2, 2], [2, 4, 16, 2, 2, 2, 2], [1, 6, 19, 2, 2, 2, 2], [1, 3, 7, 2, 2, 2, 2], [2, 4, 40, 2, 2, 2, 2], [1, 4, 33, 2, 2, 2, 2], [2, 3, 70, 2, 2, 2, 2], [2, 7, 7, 3, 3, 2, 2], [2, 6, 6, 2, 2, 1, 1], [3, 9, 7, 3, 2, 1, 2], [1, 4, 4, 1, 1, 1, 1],
        [2, 10, 11, 2, 2, 3, 3], [1, 5, 5, 5, 5, 1, 1],
    ];

    private static IEnumerable<TestCaseData> TiersAndGeometries() =>
        from tier in Tiers.Available() from geometry in Geometries
        select new TestCaseData(tier, geometry).SetArgDisplayNames(tier.ToString(), string.Join("x", geometry));

    /// <summary>Values from a small set so windows have ties, with a few NaNs and signed zeros.</summary>
    internal static float[] PoolInput(int length, int seed)
    {
        var rng = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < length; i++)
            x[i] = rng.Next(40) switch { 0 => float.NaN, 1 => -0f, 2 => 0f, var k => rng.Next(-3, 4) * 0.5f };
        return x;
    }

    [TestCaseSource(nameof(TiersAndGeometries))]
    public void PoolingIsExactlyTheReference(ComputeTier tier, int[] s)
    {
        var g = PoolGeometry.Create(s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
        foreach (int batch in new[] { 1, 3 })
        {
            var x = PoolInput(batch * g.InputSize + 2, batch * 100 + s.Sum());
            var dy = PoolInput(batch * g.OutputSize, batch * 7 + s.Sum());
            for (int i = 0; i < dy.Length; i++) if (float.IsNaN(dy[i])) dy[i] = 1.25f;

            var yRef = new float[batch * g.OutputSize]; var argRef = new int[yRef.Length];
            var dxRef = new float[batch * g.InputSize];
            var avgRef = new float[yRef.Length]; var davgRef = new float[dxRef.Length];
            PoolingReference.MaxForward(g, batch, x, yRef, argRef);
            PoolingReference.MaxBackward(g, batch, dy, argRef, dxRef);
            PoolingReference.AverageForward(g, batch, x, avgRef);
            PoolingReference.AverageBackward(g, batch, dy, davgRef);

            using var scope = Tiers.Force(tier);
            var y = new float[yRef.Length + 1]; var arg = new int[yRef.Length + 1];
            var dx = Enumerable.Repeat(9f, dxRef.Length + 1).ToArray();
            var avg = new float[yRef.Length + 1];
            var davg = Enumerable.Repeat(9f, dxRef.Length + 1).ToArray();
            y[^1] = avg[^1] = 5f; arg[^1] = -5;
            Pooling.MaxForward(g, batch, x, y, arg);
            Pooling.MaxBackward(g, batch, dy, arg, dx);
            Pooling.AverageForward(g, batch, x, avg);
            Pooling.AverageBackward(g, batch, dy, davg);

            string where = $"{g} batch {batch} on {tier}";
            ActivationTierTests.AssertSameBits(yRef, y.AsSpan(0, yRef.Length), $"max y, {where}");
            Assert.That(arg[..argRef.Length], Is.EqualTo(argRef), $"argmax, {where}");
            ActivationTierTests.AssertSameBits(dxRef, dx.AsSpan(0, dxRef.Length), $"max dx, {where}");
            ActivationTierTests.AssertSameBits(avgRef, avg.AsSpan(0, avgRef.Length), $"average y, {where}");
            ActivationTierTests.AssertSameBits(davgRef, davg.AsSpan(0, davgRef.Length), $"average dx, {where}");
            Assert.That((y[^1], arg[^1], avg[^1], dx[^1], davg[^1]), Is.EqualTo((5f, -5, 5f, 9f, 9f)), $"wrote past the batch, {where}");
        }
    }

    private static IEnumerable<TestCaseData> TiersAndRowWidths() =>
        from tier in Tiers.Available() from windows in Enumerable.Range(1, 41) select new TestCaseData(tier, windows);

    [TestCaseSource(nameof(TiersAndRowWidths))]
    public void TwoByTwoMaxPoolingIsTheReferenceForEveryRowWidth(ComputeTier tier, int windows)
    {
        // 1..41 windows per output row: every register width's chunks and overlapping last chunk, and the
        // scalar rows below 4 windows; even and odd input widths (the odd one leaves its last column out).
        foreach (int width in new[] { 2 * windows, 2 * windows + 1 })
        {
            var g = PoolGeometry.Create(2, 5, width, 2, 2, 2, 2);
            var x = PoolInput(2 * g.InputSize, 31 * width);
            var yRef = new float[2 * g.OutputSize]; var argRef = new int[yRef.Length];
            PoolingReference.MaxForward(g, 2, x, yRef, argRef);
            var y = new float[yRef.Length + 1]; var arg = new int[yRef.Length + 1];
            y[^1] = 5f; arg[^1] = -5;
            using (Tiers.Force(tier)) Pooling.MaxForward(g, 2, x, y, arg);
            ActivationTierTests.AssertSameBits(yRef, y.AsSpan(0, yRef.Length), $"max y, {g} on {tier}");
            Assert.That(arg[..argRef.Length], Is.EqualTo(argRef), $"argmax, {g} on {tier}");
            Assert.That((y[^1], arg[^1]), Is.EqualTo((5f, -5)), $"wrote past the batch, {g} on {tier}");

            // Backward from those indices: every cell of dx written (NaN beforehand), −0 and NaN gradients as the reference's 0 + dy.
            var dy = PoolInput(yRef.Length, 7 * width + 1);
            dy[0] = -0f;
            dy[^1] = float.NaN;
            var dxRef = new float[x.Length];
            PoolingReference.MaxBackward(g, 2, dy, argRef, dxRef);
            var dx = Enumerable.Repeat(float.NaN, x.Length + 1).ToArray();
            dx[^1] = 5f;
            using (Tiers.Force(tier)) Pooling.MaxBackward(g, 2, dy, arg, dx);
            ActivationTierTests.AssertSameBits(dxRef, dx.AsSpan(0, dxRef.Length), $"max dx, {g} on {tier}");
            Assert.That(dx[^1], Is.EqualTo(5f), $"dx written past the batch, {g} on {tier}");
        }
    }

    [TestCaseSource(typeof(Tiers), nameof(Tiers.Available))]
    public void TwoByTwoMaxBackwardWithAnIndexOutsideItsWindowScattersAsTheReference(ComputeTier tier)
    {
        // Indices that no forward pass writes (a window pointing into its neighbour, two windows at one cell): the result is
        // still the reference's clear-and-scatter, sums included; an index past dx still throws.
        var g = PoolGeometry.Create(1, 4, 40, 2, 2, 2, 2);
        var x = PoolInput(g.InputSize, 3);
        var y = new float[g.OutputSize]; var arg = new int[y.Length];
        PoolingReference.MaxForward(g, 1, x, y, arg);
        arg[5] = arg[6];
        var dy = PoolInput(y.Length, 11);
        var dxRef = new float[x.Length];
        PoolingReference.MaxBackward(g, 1, dy, arg, dxRef);
        var dx = Enumerable.Repeat(float.NaN, x.Length).ToArray();
        using (Tiers.Force(tier))
        {
            Pooling.MaxBackward(g, 1, dy, arg, dx);
            ActivationTierTests.AssertSameBits(dxRef, dx, $"max dx with a shared index on {tier}");
            arg[7] = x.Length;
            Assert.Throws<IndexOutOfRangeException>(() => Pooling.MaxBackward(g, 1, dy, arg, dx));
        }
    }

    [Test]
    public void TwoByTwoTiesAndNaNFollowTheRowMajorRule()
    {
        // One window per case: values row-major (top-left, top-right, bottom-left, bottom-right) → chosen offset.
        var cases = new (float[] Window, int Chosen)[]
        {
            ([1, 7, 7, 2], 1), ([7, 1, 1, 7], 0), ([1, 2, 7, 7], 2), ([0, -0f, 0, 0], 0), ([1, 2, 3, float.NaN], 3),
            ([float.NaN, 9, 9, float.NaN], 0), ([1, float.NaN, float.NaN, 9], 1), ([5, 5, 5, 5], 0),
        };
        var g = PoolGeometry.Create(1, 2, 2, 2, 2, 2, 2);
        foreach (var (window, chosen) in cases)
        {
            // Laid out as a 2×2 plane: top row = window[0..2], bottom row = window[2..4].
            var y = new float[1]; var arg = new int[1];
            Pooling.MaxForward(g, 1, window, y, arg);
            Assert.That(arg[0], Is.EqualTo(chosen), string.Join(",", window));
        }
    }

    [TestCaseSource(typeof(Tiers), nameof(Tiers.Available))]
    public void SoftmaxAndPoolingAllocateNothing(ComputeTier tier)
    {
        using var scope = Tiers.Force(tier);
        var g = PoolGeometry.Create(20, 26, 26, 2, 2, 2, 2);
        var x = new float[2 * g.InputSize]; var dx = new float[x.Length];
        var y = new float[2 * g.OutputSize]; var arg = new int[y.Length];
        var logits = GradientCheck.Random(300, 1); var p = new float[300];
        void Once()
        {
            Pooling.MaxForward(g, 2, x, y, arg);
            Pooling.MaxBackward(g, 2, y, arg, dx);
            Pooling.AverageForward(g, 2, x, y);
            Pooling.AverageBackward(g, 2, y, dx);
            SoftmaxKernels.Forward(logits, p, 30, 10);
        }
        Assert.That(Allocations.SteadyState(Once, warmUp: 2, runs: 1), Is.EqualTo(0));
    }
}
