using BenchmarkDotNet.Attributes;
using Engine.Data;
using Engine.Optimizers;
using Engine.Training;

namespace Engine.Bench;

/// <summary>
/// One training step (forward, softmax-CE backward, Adam update) and one inference batch of each benchmark
/// model at the batch sizes the TorchSharp peer uses. MemoryDiagnoser must show 0 B for both.
/// </summary>
[BenchmarkCategory("Model")]
public class ModelBenchmarks
{
    private Network _net = null!;
    private Dataset _data = null!;
    private TrainingOptions _options = null!;
    private Workspace _workspace = null!;
    private int[] _indices = [];
    private float[] _output = [];

    /// <summary>Model and batch size, as "model/batch".</summary>
    [Params("paper-mnist/30", "paper-cifar/50", "lenet5/64", "cifar-convnet/128")]
    public string Case { get; set; } = "";

    /// <summary>Builds the model and its workspace and warms them up.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var (model, batch) = Parse(Case);
        var shape = ModelZoo.InputShape(model);
        _net = ModelZoo.Build(model, shape, seed: 1);
        _data = BenchData.Images(shape, batch);
        _options = new TrainingOptions { BatchSize = batch, Optimizer = new Adam(0.001f) };
        _net.EnsureParameters();
        _options.Optimizer.Initialize(_net.ParameterCount);
        _workspace = _net.TrainingWorkspace(batch);
        _indices = Enumerable.Range(0, batch).ToArray();
        _output = new float[batch * 10];
    }

    /// <summary>Forward, backward and an Adam step on one batch.</summary>
    [Benchmark]
    public double TrainStep() => _net.TrainStep(_workspace, _data, _indices, _options, out _);

    /// <summary>Forward pass of one batch.</summary>
    [Benchmark]
    public void Inference() => _net.Predict(_data.Images, _output, _indices.Length);

    internal static (string Model, int Batch) Parse(string value)
    {
        var parts = value.Split('/');
        return (parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }
}
