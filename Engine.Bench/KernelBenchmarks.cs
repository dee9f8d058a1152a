using BenchmarkDotNet.Attributes;
using Engine.Kernels;
using Engine.Layers;

namespace Engine.Bench;

/// <summary>
/// Element-wise activations over paper-mnist's first activation (batch 30 × 20×26×26 = 405,600 floats):
/// the tier-dispatched kernel against the plain reference loop it is tested against.
/// </summary>
[BenchmarkCategory("Activations")]
public class ActivationBenchmarks
{
    private float[] _x = [], _y = [], _dy = [], _dx = [];

    /// <summary>Fills the buffers.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _x = BenchData.Floats(30 * 20 * 26 * 26, 1);
        _dy = BenchData.Floats(_x.Length, 2);
        _y = new float[_x.Length];
        _dx = new float[_x.Length];
    }

    /// <summary>Reference LeakyReLU forward.</summary>
    [Benchmark(Baseline = true)] public void LeakyReluReference() => ActivationsReference.Forward(new ActivationsReference.LeakyRelu(0.01f), _x, _y);

    /// <summary>Fast LeakyReLU forward.</summary>
    [Benchmark] public void LeakyRelu() => Activations.Forward(new LeakyReluOperator(0.01f), _x, _y);

    /// <summary>Fast LeakyReLU backward.</summary>
    [Benchmark] public void LeakyReluBackward() => Activations.Backward(new LeakyReluOperator(0.01f), _x, _y, _dy, _dx);

    /// <summary>Reference sigmoid forward.</summary>
    [Benchmark] public void SigmoidReference() => ActivationsReference.Forward(new ActivationsReference.Sigmoid(), _x, _y);

    /// <summary>Fast sigmoid forward.</summary>
    [Benchmark] public void Sigmoid() => Activations.Forward(new SigmoidOperator(), _x, _y);
}

/// <summary>2×2 stride-2 pooling of 30×20×26×26 (paper-mnist), fast against reference.</summary>
[BenchmarkCategory("Pooling")]
public class PoolingBenchmarks
{
    private readonly PoolGeometry _g = PoolGeometry.Create(20, 26, 26, 2, 2, 2, 2);
    private float[] _x = [], _y = [], _dy = [], _dx = [];
    private int[] _argmax = [];

    /// <summary>Fills the buffers.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _x = BenchData.Floats(30 * _g.InputSize, 1);
        _dx = new float[_x.Length];
        _y = new float[30 * _g.OutputSize];
        _dy = BenchData.Floats(_y.Length, 2);
        _argmax = new int[_y.Length];
    }

    /// <summary>Reference max pooling forward.</summary>
    [Benchmark(Baseline = true)] public void MaxForwardReference() => PoolingReference.MaxForward(_g, 30, _x, _y, _argmax);

    /// <summary>Fast max pooling forward.</summary>
    [Benchmark] public void MaxForward() => Pooling.MaxForward(_g, 30, _x, _y, _argmax);

    /// <summary>Fast max pooling backward.</summary>
    [Benchmark] public void MaxBackward() => Pooling.MaxBackward(_g, 30, _dy, _argmax, _dx);

    /// <summary>Fast average pooling forward.</summary>
    [Benchmark] public void AverageForward() => Pooling.AverageForward(_g, 30, _x, _y);
}

/// <summary>One Adam step over paper-mnist's 68,030 parameters, fast against reference.</summary>
[BenchmarkCategory("Optimizers")]
public class OptimizerBenchmarks
{
    private float[] _w = [], _g = [], _m = [], _v = [];

    /// <summary>Fills the buffers.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _w = BenchData.Floats(68030, 1);
        _g = BenchData.Floats(68030, 2);
        _m = new float[68030];
        _v = new float[68030];
    }

    /// <summary>Reference Adam step.</summary>
    [Benchmark(Baseline = true)]
    public void AdamReference() => OptimizerReference.Adam(_w, _g, _m, _v, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.001f, 0.001f);

    /// <summary>Fast Adam step.</summary>
    [Benchmark]
    public void Adam() => OptimizerKernels.Apply(new AdamRule(1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.001f), _w, _g, _m, _v, 0.001f);
}

/// <summary>
/// The convolution layers of the benchmark models (batch as the TorchSharp peer uses): forward, and backward
/// (weight gradient, plus the input gradient where the layer is not the first), through the layer's chosen path.
/// </summary>
[BenchmarkCategory("Conv2D")]
public class Conv2DBenchmarks
{
    private Conv2D _layer = null!;
    private float[] _x = [], _y = [], _dy = [], _dx = [];
    private float[] _w = [], _b = [], _gw = [], _gb = [];
    private float[] _saved = [], _scratch = [];
    private int _batch;

    /// <summary>"C×H×W F k s p N": channels, size, filters, kernel, stride, padding, batch.</summary>
    [Params("1×28×28 20 3 1 0 30", "3×32×32 6 4 1 0 50", "6×14×14 16 5 1 0 64", "32×32×32 32 3 1 1 128", "64×16×16 64 3 1 1 128")]
    public string Layer { get; set; } = "";

    /// <summary>Builds and binds the layer.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var p = Layer.Split(' ');
        var dims = p[0].Split('×').Select(int.Parse).ToArray();
        int[] v = p[1..].Select(int.Parse).ToArray();
        _batch = v[4];
        _layer = new Conv2D(v[0], v[1], v[2], v[3] == 0 ? Padding.Valid : Padding.Explicit(v[3]));
        var input = new Shape(dims);
        _layer.Build(input, "bench");
        (_w, _b, _gw, _gb) = (BenchData.Floats(_layer.WeightCount, 3), new float[_layer.BiasCount], new float[_layer.WeightCount], new float[_layer.BiasCount]);
        _layer.BindParameters(_w, _b, _gw, _gb);
        _saved = new float[_layer.SavedSize(_batch)];
        _scratch = new float[_layer.ScratchSize(_batch, Cpu.ThreadCount, LayerMode.Training)];
        _x = BenchData.Floats(_batch * input.Size, 1);
        _dx = new float[_x.Length];
        _y = new float[_batch * _layer.OutputShape.Size];
        _dy = BenchData.Floats(_y.Length, 2);
    }

    /// <summary>Forward pass of one batch.</summary>
    [Benchmark] public void Forward() => _layer.Forward(_x, _y, _batch, Context());

    /// <summary>Backward pass of one batch (input gradient only for layers after the first, as in training).</summary>
    [Benchmark] public void Backward() => _layer.Backward(_x, _y, _dy, _layer.InputShape[0] <= 3 ? Span<float>.Empty : _dx, _batch, Context());

    private LayerContext Context() => new(LayerMode.Training, _batch, Cpu.ThreadCount, _saved, _scratch);
}

/// <summary>im2col of one sample for the benchmark models' convolution shapes.</summary>
[BenchmarkCategory("Im2Col")]
public class Im2ColBenchmarks
{
    private ConvGeometry _g;
    private float[] _image = [], _columns = [];

    /// <summary>"C×H×W k s p".</summary>
    [Params("1×28×28 3 1 0", "3×32×32 4 1 0", "32×32×32 3 1 1", "16×9×9 3 2 1")]
    public string Shape { get; set; } = "";

    /// <summary>Fills the image.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var p = Shape.Split(' ');
        var d = p[0].Split('×').Select(int.Parse).ToArray();
        int k = int.Parse(p[1]), s = int.Parse(p[2]), pad = int.Parse(p[3]);
        _g = LayerGeometry.Conv(d[0], d[1], d[2], k, k, s, s, Padding.Explicit(pad));
        _image = BenchData.Floats(_g.InputSize, 1);
        _columns = new float[_g.ColumnSize];
    }

    /// <summary>im2col.</summary>
    [Benchmark] public void Forward() => Im2Col.Forward(_g, _image, _columns);

    /// <summary>col2im (the adjoint).</summary>
    [Benchmark] public void Backward() => Im2Col.Backward(_g, _columns, _image);
}
