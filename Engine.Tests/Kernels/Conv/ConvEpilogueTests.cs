using Engine.Kernels;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

/// <summary>
/// The forward pass's fused epilogue (<see cref="ConvEpilogue"/>): per filter fma(scale, v, shift), a residual added, and/or a ReLU after the bias,
/// applied in registers by the blocked kernel and as a pass afterwards by the other paths — on every tier and 1–3 threads the
/// same bits as the unfused output finished by plain scalar loops (negative and −0 outputs, NaN propagation included).
/// </summary>
public class ConvEpilogueTests
{
    /// <summary>Shapes of both kinds: the blocked ones of <see cref="ConvBlockedTests.PlanCases"/> (every tail of a block and a
    /// plane), all the row-tile ones, and a few the plan sends to the direct or im2col + GEMM kernels.</summary>
    public static IEnumerable<BlockedCase> Cases()
    {
        foreach (var c in ConvBlockedTests.PlanCases().Where((_, i) => i % 3 == 0)) yield return c;
        foreach (var c in ConvBlockedTests.RowTileCases()) yield return c;
        yield return new BlockedCase(3, 3, 9, 7, 16, 3, 1, 1, Bias: true);    // direct (few input channels)
        yield return new BlockedCase(2, 6, 8, 8, 10, 5, 1, 2, Bias: true);    // im2col + GEMM
        yield return new BlockedCase(2, 15, 7, 9, 17, 3, 2, 1, Bias: false);  // im2col + GEMM, stride 2
    }

    [TestCaseSource(nameof(Cases))]
    public void TheFusedEpilogueGivesTheBitsOfTheUnfusedPassesOnEveryTierAndThreadCount(BlockedCase c)
    {
        var g = c.Geometry;
        int n = c.Batch, f = c.Filters, plane = g.ColumnCols, outSize = n * f * plane;
        var x = GradientCheck.Random(n * g.InputSize, 21);
        var w = GradientCheck.Random(f * g.ColumnRows, 22);
        var b = c.Bias ? GradientCheck.Random(f, 23) : [];
        var scale = GradientCheck.Random(f, 24);       // negative scales too: the ReLU then zeroes most outputs of a filter
        var shift = GradientCheck.Random(f, 25);
        scale[0] = 0f;
        shift[0] = -0f;                                 // filter 0: ±0 outputs (−0 where the sum is negative), kept by the ReLU
        new Span<float>(x, (n - 1) * g.InputSize, g.Height * g.Width).Fill(float.NaN); // the last sample's channel 0: NaN outputs wherever a window reads it

        Assert.That(ConvPlan.FusesEpilogue(g, f), Is.EqualTo(ConvPlan.Create(g, f, n, 1).ForwardPath == ConvForwardPath.Blocked),
            "the plan fuses the epilogue exactly where its kernel is the blocked one");
        var residual = GradientCheck.Random(outSize, 26);
        var unfused = new float[outSize];
        ConvPlan.Create(g, f, n, 1).Forward(x, w, b, unfused, n, new float[ConvPlan.Create(g, f, n, 1).ForwardScratch]);
        foreach (var (scaled, relu, added) in new[] { (true, true, false), (true, false, false), (false, true, false), (true, true, true),
                     (true, false, true), (false, true, true), (false, false, true) })
        {
            var expected = unfused.Select((v, i) =>
            {
                int filter = i / plane % f;
                if (scaled) v = MathF.FusedMultiplyAdd(scale[filter], v, shift[filter]);
                if (added) v += residual[i];
                return relu && v < 0 ? 0f : v;
            }).ToArray();
            foreach (var tier in Tiers.Available())
                foreach (int threads in new[] { 1, 2, 3 })
                {
                    var plan = ConvPlan.Create(g, f, n, threads);
                    var scratch = Enumerable.Repeat(float.NaN, (int)plan.ForwardScratch).ToArray();
                    var y = Enumerable.Repeat(float.NaN, outSize).ToArray();
                    using (Tiers.Force(tier))
                        plan.Forward(x, w, b, y, n, scratch, new ConvEpilogue(scaled ? scale : default, scaled ? shift : default, relu, added ? residual : default));
                    AssertSameBits(y, expected, $"{plan.ForwardPath}, scale {scaled}, ReLU {relu}, residual {added}, {tier}, {threads} threads");
                }
        }
    }

    [Test]
    public void AScaleWithoutAShiftOrShortSpansAreRefused()
    {
        var g = ConvGeometry.Create(16, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1);
        var plan = ConvPlan.Create(g, 16, 1, 1);
        var x = new float[g.InputSize];
        var w = new float[16 * g.ColumnRows];
        var y = new float[16 * g.ColumnCols];
        var scratch = new float[plan.ForwardScratch];
        var ex = Assert.Throws<ArgumentException>(() => plan.Forward(x, w, [], y, 1, scratch, new ConvEpilogue(new float[16], default, relu: false)));
        Assert.That(ex!.Message, Does.Contain("scale needs a shift"));
        ex = Assert.Throws<ArgumentException>(() => plan.Forward(x, w, [], y, 1, scratch, new ConvEpilogue(new float[15], new float[15], relu: true)));
        Assert.That(ex!.Message, Does.Contain("16 elements"));
        ex = Assert.Throws<ArgumentException>(() => plan.Forward(x, w, [], y, 1, scratch, new ConvEpilogue(default, default, relu: true, new float[y.Length - 1])));
        Assert.That(ex!.Message, Does.Contain($"residual needs {y.Length} elements"));
    }

    [TestCase(1), TestCase(2)]
    public void TheFusedForwardPassAllocatesNothing(int threads)
    {
        var g = ConvGeometry.Create(16, 12, 12, 3, 3, 1, 1, 1, 1, 1, 1);
        var plan = ConvPlan.Create(g, 32, 4, threads);
        var x = GradientCheck.Random(4 * g.InputSize, 1);
        var w = GradientCheck.Random(32 * g.ColumnRows, 2);
        var scale = GradientCheck.Random(32, 3);
        var shift = GradientCheck.Random(32, 4);
        var y = new float[4 * 32 * g.ColumnCols];
        var scratch = new float[plan.ForwardScratch];
        var residual = GradientCheck.Random(y.Length, 5);
        long bytes = Allocations.SteadyStateWithWorkers(() => plan.Forward(x, w, [], y, 4, scratch, new ConvEpilogue(scale, shift, relu: true, residual)));
        Assert.That(bytes, Is.Zero);
    }

    /// <summary>Bit equality (so −0 against 0 and NaN payloads count).</summary>
    internal static void AssertSameBits(float[] actual, float[] expected, string where)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), where);
        for (int i = 0; i < actual.Length; i++)
            if (BitConverter.SingleToInt32Bits(actual[i]) != BitConverter.SingleToInt32Bits(expected[i]))
                Assert.Fail($"{where}: element {i} is {actual[i]:R} (0x{BitConverter.SingleToInt32Bits(actual[i]):X8}), expected {expected[i]:R} (0x{BitConverter.SingleToInt32Bits(expected[i]):X8})");
    }
}
