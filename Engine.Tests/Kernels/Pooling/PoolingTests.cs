using Engine.Kernels;

namespace Engine.Tests.Kernels;

public class PoolingTests
{
    // 4×4 plane, row-major; 2×2 windows with stride 2:
    //  1 2 | 5 3
    //  4 0 | 6 7
    //  9 8 | 2 2
    //  1 3 | 2 1
    private static readonly float[] Plane4x4 = [1, 2, 5, 3, 4, 0, 6, 7, 9, 8, 2, 2, 1, 3, 2, 1];

    // 3×3 plane for overlapping 2×2 windows with stride 1.
    private static readonly float[] Plane3x3 = [1, 2, 3, 4, 0, 5, 6, 7, 8];

    private static PoolGeometry Geometry(int channels, int height, int width, int size, int stride) =>
        PoolGeometry.Create(channels, height, width, size, size, stride, stride);

    [TestCase(29, 2, 2, 14)] // CIFAR 32 − 4 + 1 = 29: the last row is dropped
    [TestCase(28, 2, 2, 14)]
    [TestCase(26, 2, 2, 13)] // MNIST after a 3×3 convolution
    [TestCase(29, 3, 2, 14)]
    [TestCase(7, 3, 3, 2)]
    [TestCase(5, 5, 1, 1)]
    [TestCase(5, 1, 1, 5)]
    [TestCase(6, 2, 1, 5)]
    public void OutputSizeIsFloorOfWindowPositions(int input, int size, int stride, int expected)
    {
        var g = PoolGeometry.Create(3, input, input + 1, size, size, stride, stride);
        Assert.Multiple(() =>
        {
            Assert.That(g.OutputHeight, Is.EqualTo(expected));
            Assert.That(g.OutputWidth, Is.EqualTo((input + 1 - size) / stride + 1));
            Assert.That(g.InputSize, Is.EqualTo(3 * input * (input + 1)));
            Assert.That(g.OutputSize, Is.EqualTo(3 * g.OutputHeight * g.OutputWidth));
        });
    }

    [Test]
    public void RectangularGeometry()
    {
        var g = PoolGeometry.Create(2, 6, 7, 2, 3, 2, 1);
        Assert.That((g.OutputHeight, g.OutputWidth, g.OutputSize), Is.EqualTo((3, 5, 30)));
    }

    [Test]
    public void CreateRejectsBadGeometry()
    {
        Assert.Throws<ArgumentException>(() => PoolGeometry.Create(1, 3, 3, 4, 2, 1, 1));
        Assert.Throws<ArgumentException>(() => PoolGeometry.Create(1, 3, 3, 2, 4, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PoolGeometry.Create(0, 3, 3, 2, 2, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PoolGeometry.Create(1, 3, 3, 0, 2, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PoolGeometry.Create(1, 3, 3, 2, 2, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PoolGeometry.Create(1, 3, 3, 2, 2, 1, 0));
    }

    [Test]
    public void MaxForwardPicksWindowMaximaAndTheirIndices()
    {
        var g = Geometry(1, 4, 4, 2, 2);
        var y = new float[4];
        var argmax = new int[4];
        Pooling.MaxForward(g, 1, Plane4x4, y, argmax);
        Assert.Multiple(() =>
        {
            Assert.That(y, Is.EqualTo(new float[] { 4, 7, 9, 2 }));
            Assert.That(argmax, Is.EqualTo(new[] { 4, 7, 8, 10 })); // last window is a tie of three 2s: the first wins
        });
    }

    [Test]
    public void MaxBackwardSendsEachGradientToItsArgmaxAndZeroesTheRest()
    {
        var g = Geometry(1, 4, 4, 2, 2);
        var y = new float[4];
        var argmax = new int[4];
        Pooling.MaxForward(g, 1, Plane4x4, y, argmax);
        var dx = Enumerable.Repeat(99f, 16).ToArray();
        Pooling.MaxBackward(g, 1, [1, 2, 3, 4], argmax, dx);
        var expected = new float[16];
        expected[4] = 1; expected[7] = 2; expected[8] = 3; expected[10] = 4;
        Assert.That(dx, Is.EqualTo(expected));
    }

    [TestCase(new float[] { 3, 1, 3, 3 }, 0)]
    [TestCase(new float[] { -1, 5, 5, 5 }, 1)]
    [TestCase(new float[] { 0, 0, 7, 7 }, 2)]
    [TestCase(new float[] { -2, -2, -2, -2 }, 0)]
    public void TiesGoToTheFirstMaximumInRowMajorOrder(float[] window, int expectedIndex)
    {
        var g = Geometry(1, 2, 2, 2, 2);
        var y = new float[1];
        var argmax = new int[1];
        Pooling.MaxForward(g, 1, window, y, argmax);
        Assert.That((y[0], argmax[0]), Is.EqualTo((window[expectedIndex], expectedIndex)));
    }

    [TestCase(new float[] { 1, float.NaN, 5, float.NaN }, 1)]
    [TestCase(new float[] { float.NaN, 3, 9, 1 }, 0)]
    [TestCase(new float[] { 2, 8, float.PositiveInfinity, float.NaN }, 3)]
    public void NaNPropagatesAndTheFirstNaNWins(float[] window, int expectedIndex)
    {
        var g = Geometry(1, 2, 2, 2, 2);
        var y = new float[1];
        var argmax = new int[1];
        Pooling.MaxForward(g, 1, window, y, argmax);
        Assert.That(float.IsNaN(y[0]), Is.True);
        Assert.That(argmax[0], Is.EqualTo(expectedIndex));
    }

    [Test]
    public void OverlappingMaxWindowsAccumulateGradient()
    {
        // Centre 9 is the maximum of all four 2×2 windows (stride 1).
        float[] x = [1, 2, 3, 4, 9, 5, 6, 7, 8];
        var g = Geometry(1, 3, 3, 2, 1);
        var y = new float[4];
        var argmax = new int[4];
        Pooling.MaxForward(g, 1, x, y, argmax);
        var dx = new float[9];
        Pooling.MaxBackward(g, 1, [1, 2, 3, 4], argmax, dx);
        Assert.Multiple(() =>
        {
            Assert.That(y, Is.EqualTo(new float[] { 9, 9, 9, 9 }));
            Assert.That(argmax, Is.EqualTo(new[] { 4, 4, 4, 4 }));
            Assert.That(dx, Is.EqualTo(new float[] { 0, 0, 0, 0, 10, 0, 0, 0, 0 }));
        });
    }

    [Test]
    public void OverlappingMaxWindowsWithDifferentMaxima()
    {
        var g = Geometry(1, 3, 3, 2, 1);
        var y = new float[4];
        var argmax = new int[4];
        Pooling.MaxForward(g, 1, Plane3x3, y, argmax);
        Assert.That(y, Is.EqualTo(new float[] { 4, 5, 7, 8 }));
        Assert.That(argmax, Is.EqualTo(new[] { 3, 5, 7, 8 }));
    }

    [Test]
    public void OddSizeDropsTheLastRowAndColumn()
    {
        // x[r, c] = 5r + c, except row 4 and column 4 which hold 1000 and must never be read.
        var x = new float[25];
        for (int r = 0; r < 5; r++)
            for (int c = 0; c < 5; c++)
                x[r * 5 + c] = r == 4 || c == 4 ? 1000 : r * 5 + c;
        var g = Geometry(1, 5, 5, 2, 2);
        var y = new float[4];
        var argmax = new int[4];
        Pooling.MaxForward(g, 1, x, y, argmax);
        Assert.That(y, Is.EqualTo(new float[] { 6, 8, 16, 18 }));
        Assert.That(argmax, Is.EqualTo(new[] { 6, 8, 16, 18 }));

        var yAvg = new float[4];
        Pooling.AverageForward(g, 1, x, yAvg);
        Assert.That(yAvg, Is.EqualTo(new float[] { 3, 5, 13, 15 })); // (0+1+5+6)/4 etc.

        var dx = Enumerable.Repeat(7f, 25).ToArray();
        Pooling.AverageBackward(g, 1, [4, 4, 4, 4], dx);
        for (int r = 0; r < 5; r++)
            for (int c = 0; c < 5; c++)
                Assert.That(dx[r * 5 + c], Is.EqualTo(r == 4 || c == 4 ? 0f : 1f), $"dx[{r},{c}]");
    }

    [Test]
    public void ArgmaxIsAFlatIndexIntoTheWholeBatch()
    {
        // batch 2 × channels 3 of 2×2 planes, one window per plane; plane p has its maximum 10 + p at local index p % 4.
        const int planes = 6;
        var x = new float[planes * 4];
        for (int p = 0; p < planes; p++)
            for (int j = 0; j < 4; j++)
                x[p * 4 + j] = j == p % 4 ? 10 + p : j;
        var g = Geometry(3, 2, 2, 2, 2);
        var y = new float[planes];
        var argmax = new int[planes];
        Pooling.MaxForward(g, 2, x, y, argmax);
        for (int p = 0; p < planes; p++)
        {
            Assert.That(y[p], Is.EqualTo(10f + p), $"y[{p}]");
            Assert.That(argmax[p], Is.EqualTo(p * 4 + p % 4), $"argmax[{p}]");
        }
        var dx = new float[planes * 4];
        Pooling.MaxBackward(g, 2, Enumerable.Range(1, planes).Select(i => (float)i).ToArray(), argmax, dx);
        for (int p = 0; p < planes; p++)
            for (int j = 0; j < 4; j++)
                Assert.That(dx[p * 4 + j], Is.EqualTo(j == p % 4 ? p + 1f : 0f), $"dx[{p},{j}]");
    }

    [Test]
    public void AverageForwardAndBackwardOnTiledWindows()
    {
        var g = Geometry(1, 4, 4, 2, 2);
        var y = new float[4];
        Pooling.AverageForward(g, 1, Plane4x4, y);
        Assert.That(y, Is.EqualTo(new float[] { 1.75f, 5.25f, 5.25f, 1.75f }));

        var dx = Enumerable.Repeat(99f, 16).ToArray();
        Pooling.AverageBackward(g, 1, [4, 8, 12, 16], dx);
        Assert.That(dx, Is.EqualTo(new float[] { 1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4 }));
    }

    [Test]
    public void OverlappingAverageWindowsAccumulateGradient()
    {
        var g = Geometry(1, 3, 3, 2, 1);
        var y = new float[4];
        Pooling.AverageForward(g, 1, Plane3x3, y);
        Assert.That(y, Is.EqualTo(new float[] { 1.75f, 2.5f, 4.25f, 5f }));

        var dx = new float[9];
        Pooling.AverageBackward(g, 1, [4, 4, 4, 4], dx);
        Assert.That(dx, Is.EqualTo(new float[] { 1, 2, 1, 2, 4, 2, 1, 2, 1 })); // how many windows cover each input
    }

    [Test]
    public void RectangularWindowAndStrides()
    {
        // 3×4 plane, window 1×2, strides 2 (rows) and 1 (columns): rows 0 and 2, three column positions.
        float[] x = [1, 5, 2, 0, 9, 9, 9, 9, 3, 3, 8, 4];
        var g = PoolGeometry.Create(1, 3, 4, 1, 2, 2, 1);
        var y = new float[6];
        var argmax = new int[6];
        Pooling.MaxForward(g, 1, x, y, argmax);
        Assert.That(y, Is.EqualTo(new float[] { 5, 5, 2, 3, 8, 8 }));
        Assert.That(argmax, Is.EqualTo(new[] { 1, 1, 2, 8, 10, 10 }));
        var avg = new float[6];
        Pooling.AverageForward(g, 1, x, avg);
        Assert.That(avg, Is.EqualTo(new float[] { 3, 3.5f, 1, 3, 5.5f, 6 }));
    }

    [Test]
    public void OnlyTheBatchIsTouched()
    {
        var g = Geometry(1, 2, 2, 2, 2);
        float[] x = [1, 2, 3, 4, 5, 6, 7, 8];
        var y = new[] { -1f, -1f };
        var argmax = new[] { -1, -1 };
        Pooling.MaxForward(g, 1, x, y, argmax);
        Assert.That((y[1], argmax[1]), Is.EqualTo((-1f, -1)));
        var dx = Enumerable.Repeat(5f, 8).ToArray();
        Pooling.MaxBackward(g, 1, [1], argmax, dx);
        Assert.That(dx, Is.EqualTo(new float[] { 0, 0, 0, 1, 5, 5, 5, 5 }));
    }

    [Test]
    public void ShortSpansThrow()
    {
        var g = Geometry(1, 4, 4, 2, 2);
        Assert.Throws<ArgumentException>(() => Pooling.MaxForward(g, 1, new float[15], new float[4], new int[4]));
        Assert.Throws<ArgumentException>(() => Pooling.MaxForward(g, 1, new float[16], new float[3], new int[4]));
        Assert.Throws<ArgumentException>(() => Pooling.MaxForward(g, 1, new float[16], new float[4], new int[3]));
        Assert.Throws<ArgumentException>(() => Pooling.MaxBackward(g, 2, new float[8], new int[8], new float[31]));
        Assert.Throws<ArgumentException>(() => Pooling.AverageForward(g, 2, new float[32], new float[7]));
        Assert.Throws<ArgumentException>(() => Pooling.AverageBackward(g, 2, new float[7], new float[32]));
    }
}

/// <summary>The pooling plan split over threads by samples: the same outputs and input gradients as one call over the whole batch.</summary>
public class PoolPlanThreadTests
{
    [TestCase(true, 2, 2, 0, 37)]
    [TestCase(true, 3, 2, 1, 33)] // padded, overlapping windows
    [TestCase(true, 3, 3, 0, 35)]
    [TestCase(false, 2, 2, 0, 37)]
    [TestCase(false, 3, 2, 0, 41)]
    public void EverySplitGivesTheBitsOfOneCall(bool max, int size, int stride, int padding, int batch)
    {
        var kind = max ? PoolKind.Max : PoolKind.Average;
        const int channels = 16, height = 31, width = 29;
        var plan = PoolPlan.Create(kind, PoolGeometry.Create(channels, height + 2 * padding, width + 2 * padding, size, size, stride, stride), padding, padding);
        var g = plan.Geometry;
        int inSize = channels * height * width;
        var random = new Random(kind == PoolKind.Max ? 3 : 4);
        // Few distinct values, so ties (first maximum wins) occur within windows.
        var x = Enumerable.Range(0, batch * inSize).Select(_ => (float)random.Next(-8, 8)).ToArray();
        var dy = Enumerable.Range(0, batch * g.OutputSize).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        long scratchSize = plan.ScratchSize(batch);

        (float[] Y, float[] Dx) Run(int threads)
        {
            var y = new float[batch * g.OutputSize];
            var argmax = new int[kind == PoolKind.Max ? batch * g.OutputSize : 0];
            var dx = Enumerable.Repeat(float.NaN, batch * inSize).ToArray(); // overwritten, never read
            var scratch = new float[scratchSize + 7]; // a layer gets the workspace's shared scratch: any length, read only when padded
            plan.Forward(x, y, argmax, batch, scratch, threads);
            plan.Backward(dy, argmax, dx, batch, scratch, threads);
            return (y, dx);
        }

        var (y1, dx1) = Run(1);
        Assert.That(plan.Parts(batch, 1), Is.EqualTo(1));
        foreach (int threads in new[] { 2, 3, 4 })
        {
            Assert.That(plan.Parts(batch, threads), Is.GreaterThan(1), $"{threads} threads split this batch");
            var (y, dx) = Run(threads);
            SameBits(y, y1, $"y, {threads} threads");
            SameBits(dx, dx1, $"dx, {threads} threads");
        }
        // The one-call result against the reference kernels on the whole batch (unpadded: the plan adds only the padding).
        if (padding == 0)
        {
            var yRef = new float[batch * g.OutputSize];
            var dxRef = new float[batch * inSize];
            if (kind == PoolKind.Max)
            {
                var argRef = new int[batch * g.OutputSize];
                PoolingReference.MaxForward(g, batch, x, yRef, argRef);
                PoolingReference.MaxBackward(g, batch, dy, argRef, dxRef);
            }
            else
            {
                PoolingReference.AverageForward(g, batch, x, yRef);
                PoolingReference.AverageBackward(g, batch, dy, dxRef);
            }
            SameBits(y1, yRef, "y against the reference");
            SameBits(dx1, dxRef, "dx against the reference");
        }
    }

    /// <summary>Bit-for-bit equality of two long arrays (NUnit's element-wise collection compare is slow at this size, above all
    /// on the emulated ARM64 run), naming the first difference.</summary>
    private static void SameBits(float[] actual, float[] expected, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        if (System.Runtime.InteropServices.MemoryMarshal.AsBytes(actual.AsSpan()).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(expected.AsSpan())))
            return;
        int i = 0;
        while (BitConverter.SingleToInt32Bits(actual[i]) == BitConverter.SingleToInt32Bits(expected[i])) i++;
        Assert.Fail($"{what}: element {i} of {actual.Length} is {actual[i]:R}, expected {expected[i]:R}");
    }
}
