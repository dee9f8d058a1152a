using Engine.Kernels;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

/// <summary>
/// Every pointer kernel family on every tier and with one and two threads, with each of its spans (inputs, outputs and
/// scratch, all of exactly the length the kernel asks for) right against an inaccessible page, after its end and then
/// before its start: a read or write one element out of bounds crashes the run. The results must equal the same call
/// on ordinary arrays bit for bit. The buffers are 4-byte aligned only (not 16 or 64), as a caller's slices may be.
/// </summary>
public class GuardPageTests
{
    /// <summary>The buffers a kernel runs on: floats and ints, by index.</summary>
    internal interface IBuffers
    {
        Span<float> F(int index);
        Span<int> I(int index);
    }

    internal delegate void Kernel(IBuffers b);

    /// <summary>One kernel call: its buffers' initial contents and the call.</summary>
    internal sealed record Case(string Name, float[][] Floats, int[][] Ints, Kernel Kernel)
    {
        public override string ToString() => Name;
    }

    private static float[] Random(int length, int seed) => GradientCheck.Random(length, seed);

    private static IEnumerable<Case> Cases()
    {
        foreach (var (m, n, k) in new[] { (13, 11, 9), (7, 37, 300), (1, 1, 1), (64, 70, 260) })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    {
                        float beta = ta == tb ? 0f : 1f;   // both betas, each with two of the four layouts
                        int lda = ta ? m : k, ldb = tb ? k : n;
                        yield return new($"gemm {(ta ? 'T' : 'N')}{(tb ? 'T' : 'N')} {m}×{n}×{k} beta {beta}",
                            [Random(m * k, 1), Random(k * n, 2), Random(m * n, 3)], [],
                            b => Gemm.Multiply(ta, tb, m, n, k, b.F(0), lda, b.F(1), ldb, beta, b.F(2), n));
                    }

        ConvGeometry[] geometries =
        [
            ConvGeometry.Create(3, 9, 7, 3, 3, 1, 1, 1, 1, 1, 1),
            ConvGeometry.Create(2, 8, 9, 3, 3, 2, 2, 0, 1, 1, 0),
            ConvGeometry.Create(1, 12, 12, 5, 5, 1, 1, 2, 2, 2, 2),
            ConvGeometry.Create(6, 7, 7, 5, 5, 1, 1, 0, 0, 0, 0),
            ConvGeometry.Create(4, 6, 5, 2, 3, 1, 2, 0, 0, 1, 1),
        ];
        foreach (var g in geometries)
        {
            const int batch = 3, filters = 5;
            int x = batch * g.InputSize, y = batch * filters * g.ColumnCols, w = filters * g.ColumnRows;
            string shape = $"{g.Channels}×{g.Height}×{g.Width} k{g.KernelHeight}×{g.KernelWidth} s{g.StrideHeight}×{g.StrideWidth}";
            yield return new($"gemm implicit im2col {shape}", [Random(w, 4), Random(g.InputSize, 5), Random(filters * g.ColumnCols, 6)], [],
                b => Gemm.MultiplyIm2Col(filters, b.F(0), g.ColumnRows, g, b.F(1), b.F(2), g.ColumnCols));
            yield return new($"im2col forward and backward {shape}", [Random(g.InputSize, 7), Random(g.ColumnSize, 8), Random(g.InputSize, 9)], [],
                b => { Im2Col.Forward(g, b.F(0), b.F(1)); Im2Col.Backward(g, b.F(1), b.F(2)); });
            yield return new($"conv gemm path {shape}",
                [Random(x, 10), Random(w, 11), Random(filters, 12), Random(y, 13), Random(w, 14), Random(filters, 15),
                 Random((int)Conv2DKernels.WeightGradientScratchSize(g, filters), 16), Random(x, 18),
                 Random((int)Conv2DKernels.DataGradientScratchSize(g, filters, batch, 2), 19)], [],
                b =>
                {
                    Conv2DKernels.Forward(g, batch, filters, b.F(0), b.F(1), b.F(2), b.F(3), 2);
                    Conv2DKernels.BackwardWeights(g, batch, filters, b.F(0), b.F(3), b.F(4), b.F(5), b.F(6), 2);
                    Conv2DKernels.BackwardData(g, batch, filters, b.F(1), b.F(3), b.F(7), b.F(8), 2);
                });
            if (Conv2DDirect.Supports(g))
                yield return new($"conv direct forward {shape}",
                    [Random(x, 20), Random(w, 21), Random(filters, 22), Random(y, 23), Random(Conv2DDirect.ScratchSize(g) * 2, 24)], [],
                    b => Conv2DDirect.Forward(g, batch, filters, b.F(0), b.F(1), b.F(2), b.F(3), b.F(4), 2));
            yield return new($"conv direct weight gradient {shape}",
                [Random(x, 25), Random(y, 26), Random(w, 27), Random(filters, 28),
                 Random((int)Conv2DDirectWeights.ScratchSize(g, filters, threads: 2), 30)], [],
                b => Conv2DDirectWeights.BackwardWeights(g, batch, filters, b.F(0), b.F(1), b.F(2), b.F(3), b.F(4), 2));
        }

        foreach (var p in new[] { PoolGeometry.Create(3, 9, 10, 2, 2, 2, 2), PoolGeometry.Create(2, 7, 7, 3, 3, 2, 2), PoolGeometry.Create(4, 8, 40, 2, 2, 2, 2) })
        {
            const int batch = 2;
            int x = batch * p.Channels * p.Height * p.Width, y = batch * p.Channels * p.OutputHeight * p.OutputWidth;
            yield return new($"pooling {p.Channels}×{p.Height}×{p.Width} window {p.SizeHeight}",
                [Random(x, 31), Random(y, 32), Random(x, 33), Random(y, 34), Random(x, 35)], [new int[y]],
                b =>
                {
                    Pooling.MaxForward(p, batch, b.F(0), b.F(1), b.I(0));
                    Pooling.MaxBackward(p, batch, b.F(1), b.I(0), b.F(2));
                    Pooling.AverageForward(p, batch, b.F(0), b.F(3));
                    Pooling.AverageBackward(p, batch, b.F(3), b.F(4));
                });
        }

        foreach (int length in new[] { 1, 3, 7, 16, 17, 65 })
        {
            yield return new($"activations, length {length}", [Random(length, 36), Random(length, 37), Random(length, 38), Random(length, 39)], [],
                b =>
                {
                    Activations.Forward(new SigmoidOperator(), b.F(0), b.F(1));
                    Activations.Backward(new SigmoidOperator(), b.F(0), b.F(1), b.F(2), b.F(3));
                    Activations.Forward(new LeakyReluOperator(0.1f), b.F(1), b.F(1));
                });
            yield return new($"adam, length {length}", [Random(length, 40), Random(length, 41), new float[length], new float[length]], [],
                b => OptimizerKernels.Apply(new AdamRule(0.01f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.001f), b.F(0), b.F(1), b.F(2), b.F(3), 0.01f));
            yield return new($"row sums, length {length}", [Random(3 * length, 42), new float[3 * Lanes16.Count]], [],
                b => FixedOrderReductions.AccumulateRowSums(3, length, b.F(0), b.F(1)));
        }
        yield return new("softmax 7×10", [Random(70, 43), new float[70]], [], b => SoftmaxKernels.Forward(b.F(0), b.F(1), 7, 10));
    }

    private static IEnumerable<string> CaseNames() => Cases().Select(c => c.Name);

    [TestCaseSource(nameof(CaseNames))]
    public void StaysInsideItsSpansOnEveryTierAndThreadCount(string name)
    {
        Assume.That(OperatingSystem.IsLinux(), "guard pages use Linux mmap/mprotect");
        var kernelCase = Cases().Single(c => c.Name == name);
        foreach (var tier in Tiers.Available())
            foreach (int threads in new[] { 1, 2 })
            {
                using var forced = Tiers.Force(tier);
                using var threadCount = Tiers.Threads(threads);
                var plain = new ArrayBuffers(kernelCase);
                kernelCase.Kernel(plain);
                foreach (bool guardBefore in new[] { false, true })
                {
                    using var guarded = new GuardedBuffers(kernelCase, guardBefore);
                    kernelCase.Kernel(guarded);
                    string where = $"{kernelCase.Name} on {tier}, {threads} thread(s), guard page {(guardBefore ? "before" : "after")} the spans";
                    for (int i = 0; i < plain.Floats.Length; i++)
                        Assert.That(guarded.Floats[i].Span.ToArray(), Is.EqualTo(plain.Floats[i]).AsCollection, $"{where}: float buffer {i}");
                    for (int i = 0; i < plain.Ints.Length; i++)
                        Assert.That(guarded.Ints[i].Span.ToArray(), Is.EqualTo(plain.Ints[i]).AsCollection, $"{where}: int buffer {i}");
                }
            }
    }

    private sealed class ArrayBuffers(Case c) : IBuffers
    {
        public float[][] Floats { get; } = c.Floats.Select(f => (float[])f.Clone()).ToArray();
        public int[][] Ints { get; } = c.Ints.Select(i => (int[])i.Clone()).ToArray();
        public Span<float> F(int index) => Floats[index];
        public Span<int> I(int index) => Ints[index];
    }

    private sealed class GuardedBuffers(Case c, bool guardBefore) : IBuffers, IDisposable
    {
        public GuardedMemory<float>[] Floats { get; } = c.Floats.Select(f => new GuardedMemory<float>(f, guardBefore)).ToArray();
        public GuardedMemory<int>[] Ints { get; } = c.Ints.Select(i => new GuardedMemory<int>(i, guardBefore)).ToArray();
        public Span<float> F(int index) => Floats[index].Span;
        public Span<int> I(int index) => Ints[index].Span;
        public void Dispose()
        {
            foreach (var f in Floats) f.Dispose();
            foreach (var i in Ints) i.Dispose();
        }
    }
}
