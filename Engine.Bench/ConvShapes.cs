using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Engine.Kernels;

namespace Engine.Bench;

/// <summary>One convolution layer shape: C×H×W input, F filters of K×K, stride S, padding P on every side.</summary>
internal sealed record ConvShape(int C, int H, int W, int F, int K, int S, int P)
{
    /// <summary>The geometry of one sample.</summary>
    public ConvGeometry Geometry => ConvGeometry.Create(C, H, W, K, K, S, S, P, P, P, P);

    /// <summary>Floating-point operations of one pass over <paramref name="batch"/> samples (each pass has the same count).</summary>
    public double Flops(int batch) => 2.0 * batch * F * Geometry.ColumnCols * Geometry.ColumnRows;

    /// <summary>"C×H×W F K S P", as in the benchmarks' parameters.</summary>
    public override string ToString() => $"{C}×{H}×{W} {F} {K} {S} {P}";

    /// <summary>Parses <see cref="ToString"/>'s form (× or x between the sizes).</summary>
    public static ConvShape Parse(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var dims = parts[0].Split('×', 'x').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var v = parts[1..].Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        if (dims.Length != 3 || v.Length != 4) throw new ArgumentException($"a convolution shape is \"C×H×W F K S P\", not '{text}'.");
        return new ConvShape(dims[0], dims[1], dims[2], v[0], v[1], v[2], v[3]);
    }

    /// <summary>Every distinct convolution of resnet20 (3×3 pad 1; the 1×1 stride-2 projections pad 0), built here from its definition.</summary>
    public static IReadOnlyList<ConvShape> Resnet20 { get; } =
    [
        new(3, 32, 32, 16, 3, 1, 1), new(16, 32, 32, 16, 3, 1, 1), new(16, 32, 32, 32, 3, 2, 1), new(32, 16, 16, 32, 3, 1, 1),
        new(32, 16, 16, 64, 3, 2, 1), new(64, 8, 8, 64, 3, 1, 1), new(16, 32, 32, 32, 1, 2, 0), new(32, 16, 16, 64, 1, 2, 0),
    ];

    /// <summary>cifar-convnet's four convolutions (3×3 pad 1).</summary>
    public static IReadOnlyList<ConvShape> CifarConvnet { get; } =
        [new(3, 32, 32, 32, 3, 1, 1), new(32, 32, 32, 32, 3, 1, 1), new(32, 16, 16, 64, 3, 1, 1), new(64, 16, 16, 64, 3, 1, 1)];
}

/// <summary>Which kernels a <see cref="ConvPasses"/> runs: the plan's choice, or one family forced for comparison.</summary>
internal enum ConvPath { Plan, Blocked, Gemm }

/// <summary>
/// Seeded buffers for one convolution shape and batch, and its three passes (forward, data gradient, weight gradient) as
/// actions through the plan's kernels or a forced family (the blocked kernels or im2col + GEMM), for timing side by side.
/// </summary>
internal sealed class ConvPasses
{
    private readonly float[] _x, _w, _b, _y, _dy, _dx, _dw, _db, _scratch;

    public ConvPasses(ConvGeometry g, int f, int batch, int threads, ConvPath path, bool bias = false)
    {
        _x = BenchData.Floats(batch * g.InputSize, 1);
        _w = BenchData.Floats(f * g.ColumnRows, 2);
        _b = bias ? BenchData.Floats(f, 3) : [];
        _dy = BenchData.Floats(batch * f * g.ColumnCols, 4);
        _y = new float[_dy.Length];
        _dx = new float[_x.Length];
        _dw = new float[_w.Length];
        _db = new float[_b.Length];
        var plan = ConvPlan.Create(g, f, batch, threads);
        Description = path switch
        {
            ConvPath.Plan => $"{plan.ForwardPath}/{plan.DataGradientPath}/{plan.WeightGradientPath}",
            _ => path.ToString(),
        };
        long scratch = path switch
        {
            ConvPath.Plan => plan.ScratchSize(training: true),
            ConvPath.Blocked => Math.Max(Conv2DBlocked.ForwardScratchSize(g, f, threads),
                Math.Max(Conv2DBlocked.DataGradientScratchSize(g, f, threads), Conv2DBlockedWeights.ScratchSize(g, f, batch, threads))),
            _ => Math.Max(Conv2DKernels.WeightGradientScratchSize(g, f), Conv2DKernels.DataGradientScratchSize(g, f, batch, threads)),
        };
        _scratch = new float[scratch];
        switch (path)
        {
            case ConvPath.Plan:
                Forward = () => plan.Forward(_x, _w, _b, _y, batch, _scratch);
                BackwardData = () => plan.BackwardData(_w, _dy, _dx, batch, _scratch);
                BackwardWeights = () => plan.BackwardWeights(_x, _dy, _dw, _db, batch, _scratch);
                break;
            case ConvPath.Blocked:
                Forward = () => Conv2DBlocked.Forward(g, batch, f, _x, _w, _b, _y, _scratch, threads);
                BackwardData = () => Conv2DBlocked.BackwardData(g, batch, f, _w, _dy, _dx, _scratch, threads);
                BackwardWeights = () => Conv2DBlockedWeights.BackwardWeights(g, batch, f, _x, _dy, _dw, _db, _scratch, threads);
                break;
            default:
                Forward = () => Conv2DKernels.Forward(g, batch, f, _x, _w, _b, _y, threads);
                BackwardData = () => Conv2DKernels.BackwardData(g, batch, f, _w, _dy, _dx, _scratch, threads);
                BackwardWeights = () => Conv2DKernels.BackwardWeights(g, batch, f, _x, _dy, _dw, _db, _scratch, threads);
                break;
        }
    }

    /// <summary>The kernels run, e.g. "Blocked/Blocked/Blocked" (forward/data/weights) for the plan.</summary>
    public string Description { get; }

    /// <summary>y = W ⊛ x.</summary>
    public Action Forward { get; }

    /// <summary>dx = Wᵀ ⊛ dy.</summary>
    public Action BackwardData { get; }

    /// <summary>dW += dy ⋆ x (the sums grow from call to call; the time does not depend on the values).</summary>
    public Action BackwardWeights { get; }
}

/// <summary>
/// Every convolution shape of resnet20 and cifar-convnet at batch 128 (training), each pass on its own, through the
/// kernels the plan chooses: <c>--filter '*ConvShapeBenchmarks*'</c>. The flops of a pass are 2·N·F·OH·OW·C·KH·KW.
/// </summary>
[BenchmarkCategory("Conv2D")]
[Config(typeof(WideParameters))]
public class ConvShapeBenchmarks
{
    private ConvPasses _passes = null!;

    /// <summary>"model: C×H×W F K S P".</summary>
    [ParamsSource(nameof(Shapes))]
    public string Layer { get; set; } = "";

    /// <summary>Samples per pass.</summary>
    [Params(128)]
    public int Batch { get; set; }

    /// <summary>resnet20's distinct shapes, then cifar-convnet's.</summary>
    public static IEnumerable<string> Shapes() =>
        ConvShape.Resnet20.Select(s => $"resnet20: {s}").Concat(ConvShape.CifarConvnet.Select(s => $"cifar-convnet: {s}"));

    /// <summary>Builds the buffers (biases as the model has them: cifar-convnet's layers only).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var shape = ConvShape.Parse(Layer[(Layer.IndexOf(':') + 1)..]);
        _passes = new ConvPasses(shape.Geometry, shape.F, Batch, Cpu.ThreadCount, ConvPath.Plan, bias: Layer.StartsWith("cifar", StringComparison.Ordinal));
    }

    /// <summary>Forward pass.</summary>
    [Benchmark] public void Forward() => _passes.Forward();

    /// <summary>Input gradient.</summary>
    [Benchmark] public void BackwardData() => _passes.BackwardData();

    /// <summary>Weight (and bias) gradient.</summary>
    [Benchmark] public void WeightGradient() => _passes.BackwardWeights();

    /// <summary>Shows the layer names whole (the default summary cuts parameters at 20 characters).</summary>
    private sealed class WideParameters : ManualConfig
    {
        public WideParameters() => SummaryStyle = BenchmarkDotNet.Reports.SummaryStyle.Default.WithMaxParameterColumnWidth(40);
    }
}
