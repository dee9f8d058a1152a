using Engine.Kernels;
using Engine.Layers;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

/// <summary>
/// Padded max pooling (<see cref="PoolPlan"/> copies the batch into a −∞-padded buffer and runs the fast kernels on it) against
/// a brute-force maximum over each window's in-bounds cells, on every tier: values, the chosen cell and the input gradient bit for
/// bit, at every input size 1..9, 13 and 17 per axis, windows 2 to 5 with strides 1 to 3 and every padding the layer allows
/// (square and one-sided), and one and two threads. Average pooling has no padding (<see cref="AvgPool2D"/> takes none, and
/// the plan refuses it).
/// </summary>
public class PaddedPoolingTierTests
{
    private static readonly int[] Sizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 17];

    /// <summary>(size, stride, padH, padW): sizes 2 and 3 with every stride and padding 1 on both or one axis; 4 and 5 with
    /// paddings 1 and 2 (at most half the window).</summary>
    private static IEnumerable<int[]> Windows()
    {
        foreach (int size in new[] { 2, 3 })
            for (int stride = 1; stride <= 3; stride++)
                foreach (var (ph, pw) in new[] { (1, 1), (1, 0), (0, 1) })
                    yield return [size, stride, ph, pw];
        foreach (int size in new[] { 4, 5 })
            for (int stride = 1; stride <= 3; stride++)
                for (int p = 1; p <= size / 2; p++)
                    yield return [size, stride, p, p];
    }

    private static IEnumerable<TestCaseData> TiersAndWindows() =>
        from tier in Tiers.Available() from window in Windows()
        select new TestCaseData(tier, window).SetArgDisplayNames(tier.ToString(), $"{window[0]}x{window[0]} s{window[1]} p{window[2]}x{window[3]}");

    /// <summary>The padded pooling of one (unpadded) C×H×W shape.</summary>
    internal readonly record struct Case(int Channels, int Height, int Width, int Size, int Stride, int PadHeight, int PadWidth)
    {
        public PoolPlan Plan() => PoolPlan.Create(PoolKind.Max,
            PoolGeometry.Create(Channels, Height + 2 * PadHeight, Width + 2 * PadWidth, Size, Size, Stride, Stride), PadHeight, PadWidth);

        public bool Fits => Height + 2 * PadHeight >= Size && Width + 2 * PadWidth >= Size;

        public int InputSize => Channels * Height * Width;

        public override string ToString() => $"{Channels}×{Height}×{Width} pooled {Size}×{Size} stride {Stride} padding {PadHeight}×{PadWidth}";
    }

    /// <summary>
    /// y = the maximum of each window's in-bounds cells, scanned row-major (a strictly greater value, or the first NaN, replaces the
    /// current one: the first maximum wins), and the flat index into the unpadded batch of the cell chosen. Fails if a window
    /// has no in-bounds cell.
    /// </summary>
    internal static void BruteForceForward(in Case k, PoolGeometry g, int batch, float[] x, float[] y, int[] chosen)
    {
        int o = 0;
        for (int plane = 0; plane < batch * k.Channels; plane++)
            for (int r = 0; r < g.OutputHeight; r++)
                for (int s = 0; s < g.OutputWidth; s++, o++)
                {
                    int best = -1;
                    for (int i = 0; i < k.Size; i++)
                        for (int j = 0; j < k.Size; j++)
                        {
                            int row = r * k.Stride - k.PadHeight + i, column = s * k.Stride - k.PadWidth + j;
                            if (row < 0 || row >= k.Height || column < 0 || column >= k.Width) continue;
                            int index = (plane * k.Height + row) * k.Width + column;
                            if (best < 0 || x[index] > x[best] || (float.IsNaN(x[index]) && !float.IsNaN(x[best]))) best = index;
                        }
                    if (best < 0) Assert.Fail($"{k}: window ({r}, {s}) holds no input cell");
                    y[o] = x[best];
                    chosen[o] = best;
                }
    }

    /// <summary>dx = 0, then dx[chosen[o]] += dy[o] in output order.</summary>
    internal static float[] BruteForceBackward(int inputLength, float[] dy, int[] chosen)
    {
        var dx = new float[inputLength];
        for (int o = 0; o < dy.Length; o++) dx[chosen[o]] += dy[o];
        return dx;
    }

    /// <summary>The unpadded flat index of a padded-plane index from the plan's argmax, or −1 for a padded cell.</summary>
    private static int Unpadded(in Case k, PoolGeometry g, int padded)
    {
        int plane = padded / (g.Height * g.Width), rest = padded % (g.Height * g.Width);
        int row = rest / g.Width - k.PadHeight, column = rest % g.Width - k.PadWidth;
        return row < 0 || row >= k.Height || column < 0 || column >= k.Width ? -1 : (plane * k.Height + row) * k.Width + column;
    }

    /// <summary><see cref="SoftmaxPoolingTierTests.PoolInput"/>'s ties, signed zeros and NaNs; or all negative, where a zero padding would win.</summary>
    private static float[] Input(int length, int seed, bool negative)
    {
        if (!negative) return SoftmaxPoolingTierTests.PoolInput(length, seed);
        var rng = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => -1f - rng.Next(12) * 0.75f).ToArray();
    }

    /// <summary>Runs the plan forward and backward on <paramref name="threads"/> threads and checks it against the brute force.</summary>
    private static void CheckPlan(in Case k, int batch, bool negative, int seed, int threads, string where)
    {
        var plan = k.Plan();
        var g = plan.Geometry;
        var x = Input(batch * k.InputSize, seed, negative);
        var dy = GradientCheck.Random(batch * g.OutputSize, seed + 1, -2, 2);
        var yRef = new float[dy.Length];
        var chosen = new int[dy.Length];
        BruteForceForward(k, g, batch, x, yRef, chosen);
        var dxRef = BruteForceBackward(x.Length, dy, chosen);

        var y = Enumerable.Repeat(7f, dy.Length + 1).ToArray();
        var argmax = new int[dy.Length + 1];
        argmax[^1] = -9;
        var dx = Enumerable.Repeat(float.NaN, x.Length + 1).ToArray();
        dx[^1] = 5f;
        var scratch = Enumerable.Repeat(3f, (int)plan.ScratchSize(batch)).ToArray(); // stale contents: the plan pads afresh
        plan.Forward(x, y, argmax, batch, scratch, threads);
        plan.Backward(dy, argmax, dx, batch, scratch, threads);

        string at = $"{k} batch {batch}{(negative ? " (all negative)" : "")}, {where}";
        ActivationTierTests.AssertSameBits(yRef, y.AsSpan(0, yRef.Length), $"y, {at}");
        // The argmax is counted from the first sample of each thread's part, so it maps to the batch's cells on one thread only.
        for (int o = 0; threads == 1 && o < chosen.Length; o++)
            if (Unpadded(k, g, argmax[o]) != chosen[o])
                Assert.Fail($"{at}: output {o} chose padded-plane cell {argmax[o]} (input cell {Unpadded(k, g, argmax[o])}, −1 = padding), the brute force {chosen[o]}");
        ActivationTierTests.AssertSameBits(dxRef, dx.AsSpan(0, dxRef.Length), $"dx, {at}");
        Assert.That((y[^1], argmax[^1], dx[^1]), Is.EqualTo((7f, -9, 5f)), $"wrote past the batch, {at}");
        if (negative) Assert.That(yRef, Has.All.LessThan(0f), $"the padding never wins, {at}");
    }

    [TestCaseSource(nameof(TiersAndWindows))]
    public void PaddedMaxPoolingIsTheBruteForceAtEveryInputSize(ComputeTier tier, int[] window)
    {
        int size = window[0], stride = window[1], ph = window[2], pw = window[3];
        using var forced = Tiers.Force(tier);
        int shapes = 0;
        foreach (int h in Sizes)
            foreach (int w in Sizes)
            {
                // Channel counts 1, 2, 3, 5 and batches 1, 2, 3 in turn over the shapes.
                var k = new Case(new[] { 1, 2, 3, 5 }[(h + 3 * w) % 4], h, w, size, stride, ph, pw);
                if (!k.Fits) continue;
                int batch = 1 + (h * w + size) % 3;
                CheckPlan(k, batch, negative: false, seed: 100 * h + w, threads: 1, $"{tier}");
                CheckPlan(k, batch, negative: true, seed: 100 * h + w + 50, threads: 1, $"{tier}");
                shapes++;
            }
        Assert.That(shapes, Is.GreaterThanOrEqualTo(81), "every height and width the window fits");
    }

    /// <summary>Batches large enough to split over two threads (whole samples a part): the bits of one thread and of the brute force.</summary>
    [TestCaseSource(typeof(Tiers), nameof(Tiers.Available))]
    public void TwoThreadsGiveTheBitsOfOne(ComputeTier tier)
    {
        using var forced = Tiers.Force(tier);
        foreach (var (k, batch) in new[] { (new Case(16, 17, 13, 2, 2, 1, 1), 121), (new Case(12, 13, 17, 3, 2, 1, 1), 131), (new Case(8, 17, 17, 3, 1, 1, 0), 119) })
        {
            Assert.That(k.Plan().Parts(batch, 2), Is.GreaterThan(1), $"{k} batch {batch} splits on two threads");
            foreach (bool negative in new[] { false, true })
            {
                CheckPlan(k, batch, negative, seed: batch, threads: 1, $"{tier}, 1 thread");
                CheckPlan(k, batch, negative, seed: batch, threads: 2, $"{tier}, 2 threads");
            }
        }
    }

    /// <summary>The layer (what a network runs) on every tier and one and two threads: the brute force's values and input gradient.</summary>
    [TestCaseSource(typeof(Tiers), nameof(Tiers.Available))]
    public void TheMaxPool2DLayerPoolsAsTheBruteForce(ComputeTier tier)
    {
        foreach (var k in new[] { new Case(3, 7, 9, 2, 2, 1, 1), new Case(2, 9, 5, 3, 2, 1, 1), new Case(4, 13, 13, 3, 3, 1, 0), new Case(1, 5, 5, 5, 1, 2, 2) })
            foreach (int threads in new[] { 1, 2 })
            {
                using var forced = Tiers.Force(tier);
                using var scope = Tiers.Threads(threads);
                const int batch = 3;
                var layer = new MaxPool2D(k.Size, k.Size, k.Stride, k.Stride, k.PadHeight, k.PadWidth);
                var bound = GradientCheck.Bind(layer, new Shape(k.Channels, k.Height, k.Width), batch);
                var g = k.Plan().Geometry;
                Assert.That(layer.OutputShape, Is.EqualTo(new Shape(k.Channels, g.OutputHeight, g.OutputWidth)), $"{k}");
                var x = Input(batch * k.InputSize, k.Height + threads, negative: true);
                var dy = GradientCheck.Random(batch * g.OutputSize, 3);
                var yRef = new float[dy.Length];
                var chosen = new int[dy.Length];
                BruteForceForward(k, g, batch, x, yRef, chosen);
                var y = new float[dy.Length];
                var dx = Enumerable.Repeat(float.NaN, x.Length).ToArray();
                bound.Forward(x, y);
                bound.Backward(x, y, dy, dx);
                string at = $"{k}, {tier}, {threads} thread(s)";
                ActivationTierTests.AssertSameBits(yRef, y, $"y, {at}");
                ActivationTierTests.AssertSameBits(BruteForceBackward(x.Length, dy, chosen), dx, $"dx, {at}");
            }
    }

    [Test]
    public void AveragePoolingTakesNoPadding()
    {
        var g = PoolGeometry.Create(2, 7, 7, 3, 3, 2, 2);
        Assert.That(() => PoolPlan.Create(PoolKind.Average, g, 1, 1), Throws.ArgumentException.With.Message.Contain("padding"));
        Assert.That(() => PoolPlan.Create(PoolKind.Average, g, 0, 1), Throws.ArgumentException);
        Assert.That(typeof(AvgPool2D).GetConstructors().SelectMany(c => c.GetParameters()).Select(p => p.Name), Has.None.Contain("padding"));
    }
}
