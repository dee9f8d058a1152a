using Engine.Kernels;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

/// <summary>One shape for the blocked convolution kernels: square kernel, equal strides, the same padding on every side
/// (public so NUnit can pass it to test methods).</summary>
public sealed record BlockedCase(int Batch, int Channels, int Height, int Width, int Filters, int Kernel, int Stride, int Pad, bool Bias)
{
    internal ConvGeometry Geometry => ConvGeometry.Create(Channels, Height, Width, Kernel, Kernel, Stride, Stride, Pad, Pad, Pad, Pad);

    /// <inheritdoc />
    public override string ToString() =>
        $"N{Batch} {Channels}x{Height}x{Width} F{Filters} k{Kernel} s{Stride} p{Pad}{(Bias ? "" : " no bias")}";
}

/// <summary>
/// The blocked direct convolutions (<see cref="Conv2DBlocked"/>, <see cref="Conv2DBlockedWeights"/>): every pass against the
/// plain reference kernel and the double-precision loops, on every tier and 1–3 threads, with the same bits everywhere;
/// channel counts off every register width, every plane size 1…9 and 32, strides 1 and 2, 3×3 with padding 1 and 1×1 with
/// padding 0 and 1; and the plan's choice of these paths.
/// </summary>
public class ConvBlockedTests
{
    /// <summary>Shapes the plan sends to the blocked kernels (≥ 16 channels in and out): run through <see cref="ConvPlan"/>.</summary>
    public static IEnumerable<BlockedCase> PlanCases()
    {
        (int C, int F)[] channels = [(16, 16), (17, 19), (23, 33), (33, 17), (19, 40), (20, 21), (16, 24)];
        int[] sizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 32];
        int k = 0;
        foreach (var (kernel, pad) in new[] { (3, 1), (1, 0), (1, 1) })
            foreach (int stride in new[] { 1, 2 })
                for (int s = 0; s < sizes.Length; s++)
                    foreach (int w in new[] { sizes[s], sizes[(s + 3 + stride) % sizes.Length] })
                    {
                        var (c, f) = channels[k++ % channels.Length];
                        bool large = sizes[s] == 32 || w == 32;
                        yield return new BlockedCase(large ? 1 : 2 + k % 2, large ? Math.Min(c, 17) : c, sizes[s], w, large ? Math.Min(f, 19) : f,
                            kernel, stride, pad, Bias: k % 3 != 0);
                    }
        // Large enough to split over threads (work ≥ 2 × ParallelFor.MinimumWorkPerPart) with every kind of last block.
        yield return new BlockedCase(4, 33, 9, 9, 40, 3, 1, 1, Bias: true);
        yield return new BlockedCase(5, 24, 8, 7, 17, 3, 2, 1, Bias: false);
        yield return new BlockedCase(3, 16, 16, 16, 48, 1, 1, 0, Bias: true);
        yield return new BlockedCase(2, 40, 12, 11, 16, 3, 2, 1, Bias: true);
        yield return new BlockedCase(4, 24, 16, 16, 17, 3, 2, 1, Bias: true); // weight gradient split over taps (x larger than dy)
        yield return new BlockedCase(3, 20, 10, 10, 50, 3, 1, 1, Bias: true); // weight gradient split over filter blocks
        foreach (var c in RowTileCases()) yield return c;
    }

    /// <summary>3×3 stride-1 shapes whose one-register blocks (16 lanes: AVX-512) run on <see cref="ConvRowTile"/>s in all three
    /// passes (the data gradient and the forward pass only for rows of at least 16): rows exactly one or two tiles long, rows whose last tile overlaps (17, 19, 31, 33), and blocks
    /// of 16 and of a partly filled register (40 = 32 + 8 channels).</summary>
    public static IEnumerable<BlockedCase> RowTileCases()
    {
        yield return new BlockedCase(2, 16, 5, 16, 16, 3, 1, 1, Bias: true);
        yield return new BlockedCase(2, 16, 3, 19, 16, 3, 1, 1, Bias: false);
        yield return new BlockedCase(1, 40, 4, 33, 40, 3, 1, 1, Bias: true);
        yield return new BlockedCase(2, 16, 6, 31, 20, 3, 1, 1, Bias: true);
        yield return new BlockedCase(1, 24, 2, 17, 16, 3, 1, 1, Bias: true);
        yield return new BlockedCase(2, 16, 4, 32, 16, 3, 1, 1, Bias: true);
        yield return new BlockedCase(3, 17, 5, 9, 16, 3, 1, 1, Bias: true);  // weight gradient: an odd number of kernel rows, 9 = 8 + 1 columns
    }

    /// <summary>Shapes the plan does not send to the blocked kernels (few channels, other kernels and strides, 3×3 without
    /// padding): the kernels take any geometry, so they run directly — one-vector blocks, single channels, stride-3 phases.</summary>
    public static IEnumerable<BlockedCase> DirectCases()
    {
        yield return new BlockedCase(2, 1, 5, 7, 1, 3, 1, 1, Bias: true);
        yield return new BlockedCase(3, 3, 9, 4, 5, 3, 2, 1, Bias: true);
        yield return new BlockedCase(2, 8, 6, 6, 8, 1, 2, 0, Bias: false);
        yield return new BlockedCase(2, 9, 1, 1, 2, 1, 1, 0, Bias: true);
        yield return new BlockedCase(2, 2, 7, 9, 9, 3, 1, 0, Bias: true);
        yield return new BlockedCase(2, 5, 11, 10, 6, 5, 3, 2, Bias: true);
        yield return new BlockedCase(3, 4, 8, 9, 3, 2, 2, 0, Bias: false);
        yield return new BlockedCase(1, 18, 6, 5, 17, 3, 1, 2, Bias: true);
        yield return new BlockedCase(2, 6, 7, 7, 4, 4, 2, 3, Bias: true);
        // Row tiles read in place (no padding) and with two columns of padding.
        yield return new BlockedCase(2, 16, 5, 18, 16, 3, 1, 0, Bias: true);
        yield return new BlockedCase(1, 16, 4, 20, 16, 3, 1, 2, Bias: false);
    }

    [TestCaseSource(nameof(PlanCases))]
    public void ThePlanRunsTheBlockedPathsAndTheyMatchTheReferenceWithTheSameBitsOnEveryTierAndThreadCount(BlockedCase c)
    {
        var g = c.Geometry;
        var plan = ConvPlan.Create(g, c.Filters, c.Batch, 3);
        Assert.That((plan.ForwardPath, plan.WeightGradientPath, plan.DataGradientPath),
            Is.EqualTo((ConvForwardPath.Blocked, ConvWeightGradientPath.Blocked, ConvDataGradientPath.Blocked)));
        CheckEverywhere(c, threads =>
        {
            var p = ConvPlan.Create(g, c.Filters, c.Batch, threads);
            long scratch = p.ScratchSize(training: true);
            return (scratch, (x, w, b, y, dy, dw, db, dx, s) =>
            {
                p.Forward(x, w, b, y, c.Batch, s);
                p.BackwardWeights(x, dy, dw, db, c.Batch, s);
                p.BackwardData(w, dy, dx, c.Batch, s);
            });
        });
    }

    [TestCaseSource(nameof(DirectCases))]
    public void TheKernelsTakeAnyGeometryAndMatchTheReferenceWithTheSameBitsOnEveryTierAndThreadCount(BlockedCase c)
    {
        var g = c.Geometry;
        int n = c.Batch, f = c.Filters;
        CheckEverywhere(c, threads =>
        {
            long scratch = Math.Max(Conv2DBlocked.ForwardScratchSize(g, f, threads),
                Math.Max(Conv2DBlockedWeights.ScratchSize(g, f, n, threads), Conv2DBlocked.DataGradientScratchSize(g, f, threads)));
            return (scratch, (x, w, b, y, dy, dw, db, dx, s) =>
            {
                Conv2DBlocked.Forward(g, n, f, x, w, b, y, s, threads);
                Conv2DBlockedWeights.BackwardWeights(g, n, f, x, dy, dw, db, s, threads);
                Conv2DBlocked.BackwardData(g, n, f, w, dy, dx, s, threads);
            });
        });
    }

    /// <summary>Shapes for the gated data gradient: every plan case and direct case, and two the plan sends to GEMM + col2im.</summary>
    public static IEnumerable<BlockedCase> GateCases() =>
        PlanCases().Concat(DirectCases()).Append(new BlockedCase(2, 3, 7, 9, 16, 3, 1, 1, Bias: true)).Append(new BlockedCase(3, 1, 6, 6, 4, 3, 2, 1, Bias: false));

    /// <summary>
    /// The data gradient through a ReLU before the convolution (the plan's gate) is exactly the data gradient followed by the
    /// ReLU layer's backward pass at the gate — signs, zeros (also negative ones) and NaN in the gate included — on every tier
    /// and 1–3 threads, whichever path the plan takes; and accumulated into a total (blocked path), gated or not, exactly the
    /// total plus that gradient.
    /// </summary>
    [TestCaseSource(nameof(GateCases))]
    public void TheGatedDataGradientIsTheDataGradientThenTheReluBackwardBitForBit(BlockedCase c)
    {
        var g = c.Geometry;
        int n = c.Batch, f = c.Filters, inSize = n * g.InputSize;
        var w = GradientCheck.Random(f * g.ColumnRows, 12);
        var dy = GradientCheck.Random(n * f * g.ColumnCols, 14);
        var gate = GradientCheck.Random(inSize, 17);
        for (int i = 0; i < inSize; i += 7) gate[i] = (i / 7 % 3) switch { 0 => 0f, 1 => -0f, _ => float.NaN };
        foreach (var tier in Tiers.Available())
            foreach (int threads in new[] { 1, 2, 3 })
            {
                using var forced = Tiers.Force(tier);
                var plan = ConvPlan.Create(g, f, n, threads);
                var scratch = new float[plan.ScratchSize(training: true)];
                var ungated = new float[inSize];
                plan.BackwardData(w, dy, ungated, n, scratch);
                var expected = new float[inSize];
                Activations.Backward(new ReluOperator(), gate, gate, ungated, expected);
                var gated = Enumerable.Repeat(float.NaN, inSize).ToArray();
                plan.BackwardData(w, dy, gated, n, scratch, gate);
                string where = $"{c}, {plan.DataGradientPath}, {tier}, {threads} threads";
                int passed = gated.Count(v => v != 0f);
                if (ungated.Any(v => v != 0f)) // (a 1×1 convolution of stride 2 may read only padding: then every gradient is 0)
                    Assert.That(passed, Is.GreaterThan(0).And.LessThan(ungated.Count(v => v != 0f)), $"{where}: the gate passes some gradients and stops others");
                Engine.Tests.Kernels.ActivationTierTests.AssertSameBits(expected, gated, where);
                Assert.That(() => plan.BackwardData(w, dy, gated, n, scratch, gate.AsSpan(1).ToArray()), Throws.ArgumentException, $"{where}: a short gate");
                // Accumulating (the blocked path only): total + gradient, the bits of the gradient added afterwards.
                var total = GradientCheck.Random(inSize, 18);
                foreach (bool withGate in new[] { false, true })
                {
                    var sum = (float[])total.Clone();
                    if (!plan.AccumulatesDataGradient)
                    {
                        Assert.That(() => plan.BackwardData(w, dy, sum, n, scratch, accumulate: true), Throws.InvalidOperationException, where);
                        continue;
                    }
                    plan.BackwardData(w, dy, sum, n, scratch, withGate ? gate : default, accumulate: true);
                    var added = new float[inSize];
                    VectorOps.Add(total, withGate ? expected : ungated, added);
                    Engine.Tests.Kernels.ActivationTierTests.AssertSameBits(added, sum, $"{where}: accumulated{(withGate ? ", gated" : "")}");
                }
            }
    }

    /// <summary>resnet20's and cifar-convnet's convolutions (C×H×W, filters, kernel, stride, padding).</summary>
    private static readonly (int C, int H, int F, int K, int S, int P)[] ModelLayers =
    [
        (16, 32, 16, 3, 1, 1), (16, 32, 32, 3, 2, 1), (32, 16, 32, 3, 1, 1), (32, 16, 64, 3, 2, 1), (64, 8, 64, 3, 1, 1),
        (16, 32, 32, 1, 2, 0), (32, 16, 64, 1, 2, 0),                           // resnet20's projection shortcuts
        (32, 32, 32, 3, 1, 1), (32, 16, 64, 3, 1, 1), (64, 16, 64, 3, 1, 1),   // cifar-convnet after its first layer
    ];

    [Test]
    public void ThePlanChoosesTheBlockedPathsByShapeOnlyWithOneSlotPerThread()
    {
        foreach (var (c, h, f, k, s, p) in ModelLayers)
        {
            var g = ConvGeometry.Create(c, h, h, k, k, s, s, p, p, p, p);
            foreach (int threads in new[] { 1, 2, 3 })
                foreach (int batch in new[] { 1, 128 })
                {
                    var plan = ConvPlan.Create(g, f, batch, threads);
                    string where = $"{c}x{h}x{h} F{f} k{k} s{s}, batch {batch}, {threads} threads";
                    Assert.That((plan.ForwardPath, plan.WeightGradientPath, plan.DataGradientPath),
                        Is.EqualTo((ConvForwardPath.Blocked, ConvWeightGradientPath.Blocked, ConvDataGradientPath.Blocked)), where);
                    Assert.That(plan.ForwardScratch, Is.EqualTo(Conv2DBlocked.ForwardScratchSize(g, f, threads)), where);
                    Assert.That(plan.BackwardScratch, Is.EqualTo(Math.Max(Conv2DBlockedWeights.ScratchSize(g, f, batch, threads),
                        Conv2DBlocked.DataGradientScratchSize(g, f, threads))), where);
                }
            long one = Conv2DBlocked.ForwardScratchSize(g, f, 1), two = Conv2DBlocked.ForwardScratchSize(g, f, 2);
            Assert.That(Conv2DBlocked.ForwardScratchSize(g, f, 3) - two, Is.EqualTo(two - one).And.GreaterThan(0), "one slot per worker");
        }
        // Not blocked: few channels in or out, other kernels or strides.
        foreach (var (c, f, k, s) in new[] { (3, 32, 3, 1), (15, 32, 3, 1), (32, 15, 3, 1), (32, 32, 5, 1), (32, 32, 3, 3), (32, 32, 2, 2) })
        {
            var plan = ConvPlan.Create(ConvGeometry.Create(c, 16, 16, k, k, s, s, 1, 1, 1, 1), f, 8, 2);
            Assert.That(plan.ForwardPath, Is.Not.EqualTo(ConvForwardPath.Blocked), $"C{c} F{f} k{k} s{s}");
            Assert.That(plan.WeightGradientPath, Is.Not.EqualTo(ConvWeightGradientPath.Blocked), $"C{c} F{f} k{k} s{s}");
            Assert.That(plan.DataGradientPath, Is.Not.EqualTo(ConvDataGradientPath.Blocked), $"C{c} F{f} k{k} s{s}");
        }
        Assert.That(ConvPlan.IsBlocked(ConvGeometry.Create(16, 8, 9, 3, 3, 2, 1, 1, 1, 1, 1), 16), Is.False, "unequal strides");
    }

    [TestCase(1), TestCase(2)]
    public void ThePassesAllocateNothing(int threads)
    {
        foreach (var (c, h, f, k, s, p) in new[] { (16, 12, 16, 3, 1, 1), (16, 12, 24, 3, 2, 1), (16, 12, 32, 1, 2, 0) })
        {
            var g = ConvGeometry.Create(c, h, h, k, k, s, s, p, p, p, p);
            var plan = ConvPlan.Create(g, f, 4, threads);
            var x = GradientCheck.Random(4 * g.InputSize, 1);
            var w = GradientCheck.Random(f * g.ColumnRows, 2);
            var b = GradientCheck.Random(f, 3);
            var dy = GradientCheck.Random(4 * f * g.ColumnCols, 4);
            var y = new float[dy.Length];
            var dx = new float[x.Length];
            var dw = new float[w.Length];
            var db = new float[f];
            var scratch = new float[plan.ScratchSize(training: true)];
            long bytes = Allocations.SteadyStateWithWorkers(() =>
            {
                plan.Forward(x, w, b, y, 4, scratch);
                plan.BackwardWeights(x, dy, dw, db, 4, scratch);
                plan.BackwardData(w, dy, dx, 4, scratch);
            });
            Assert.That(bytes, Is.Zero, $"{c}x{h}x{h} F{f} k{k} s{s}, {threads} threads");
        }
    }

    private delegate void Passes(float[] x, float[] w, float[] b, float[] y, float[] dy, float[] dw, float[] db, float[] dx, float[] scratch);

    /// <summary>
    /// Runs the three passes on every tier and 1–3 threads (scratch, y and dx full of NaN beforehand; dW and db start from
    /// nonzero values, so accumulation is checked) and asserts them close to the double loops and to <see cref="Conv2DReference"/>,
    /// and bit-identical to the first run.
    /// </summary>
    private static void CheckEverywhere(BlockedCase c, Func<int, (long Scratch, Passes Run)> setup)
    {
        var g = c.Geometry;
        int n = c.Batch, f = c.Filters, outSize = n * f * g.ColumnCols;
        var x = GradientCheck.Random(n * g.InputSize, 11);
        var w = GradientCheck.Random(f * g.ColumnRows, 12);
        var b = c.Bias ? GradientCheck.Random(f, 13) : [];
        var dy = GradientCheck.Random(outSize, 14);
        var dw0 = GradientCheck.Random(f * g.ColumnRows, 15);
        var db0 = c.Bias ? GradientCheck.Random(f, 16) : [];
        var (ey, sy) = DirectConvolution.Forward(g, n, f, x, w, c.Bias ? b : new float[f]);
        var (ew, sw, eb, sb) = DirectConvolution.BackwardWeights(g, n, f, x, dy);
        var (ex, sx) = DirectConvolution.BackwardData(g, n, f, w, dy);
        var ry = new float[outSize];
        var rw = new float[f * g.ColumnRows];
        var rb = new float[f];
        var rx = new float[n * g.InputSize];
        Conv2DReference.Forward(g, n, f, x, w, b, ry);
        Conv2DReference.BackwardWeights(g, n, f, x, dy, rw, rb);
        Conv2DReference.BackwardData(g, n, f, w, dy, rx);

        ConvOutputs? first = null;
        foreach (var tier in Tiers.Available())
            foreach (int threads in new[] { 1, 2, 3 })
            {
                var (scratchSize, run) = setup(threads);
                var scratch = Enumerable.Repeat(float.NaN, (int)scratchSize).ToArray();
                var y = Enumerable.Repeat(float.NaN, outSize).ToArray();
                var dx = Enumerable.Repeat(float.NaN, n * g.InputSize).ToArray();
                var dw = (float[])dw0.Clone();
                var db = (float[])db0.Clone();
                using (Tiers.Force(tier)) run(x, w, b, y, dy, dw, db, dx, scratch);
                string where = $"{tier}, {threads} threads";
                var dwSum = dw.Select((v, i) => v - dw0[i]).ToArray();
                DirectConvolution.AssertClose(y, ey, sy, $"{where}: y");
                DirectConvolution.AssertClose(dwSum, ew, Widen(sw, dw0), $"{where}: dW");
                DirectConvolution.AssertClose(dx, ex, sx, $"{where}: dx");
                DirectConvolution.AssertClose(y, Doubles(ry), sy, $"{where}: y against Conv2DReference");
                DirectConvolution.AssertClose(dwSum, Doubles(rw), Widen(sw, dw0), $"{where}: dW against Conv2DReference");
                DirectConvolution.AssertClose(dx, Doubles(rx), sx, $"{where}: dx against Conv2DReference");
                if (c.Bias)
                {
                    var dbSum = db.Select((v, i) => v - db0[i]).ToArray();
                    DirectConvolution.AssertClose(dbSum, eb, Widen(sb, db0), $"{where}: db");
                    DirectConvolution.AssertClose(dbSum, Doubles(rb), Widen(sb, db0), $"{where}: db against Conv2DReference");
                }
                var outputs = new ConvOutputs(y, dw, db, dx);
                if (first is null) first = outputs;
                else outputs.AssertSameBits(first, where);
            }
    }

    private static double[] Doubles(float[] values) => values.Select(v => (double)v).ToArray();

    /// <summary>The scale of a sum that was added to a starting value: the start's rounding counts too.</summary>
    private static double[] Widen(double[] scale, float[] start) => scale.Select((s, i) => s + 2 * Math.Abs(start[i])).ToArray();
}
