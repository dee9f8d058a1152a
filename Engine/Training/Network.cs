using Engine.Data;
using Engine.Layers;
using Engine.Losses;
using Engine.Serialization;

namespace Engine.Training;

/// <summary>
/// A sequential network: layers added in order, shapes inferred and checked as they are added, all parameters in one
/// contiguous buffer (weights first, then biases) and all gradients in another. It runs as a compiled execution plan.
/// </summary>
/// <remarks>
/// Concurrency: <see cref="Predict(Tensor)"/>, <see cref="Predict(ReadOnlySpan{float}, Span{float}, int)"/> and
/// <see cref="Evaluate(Engine.Data.Dataset, Engine.Losses.Loss, int)"/> (either overload) may be called from any number of threads at once (each call runs in a workspace of its own, taken
/// from a pool, so steady-state calls allocate nothing) and give the same bits as sequential calls. <see cref="Fit"/> is one
/// caller at a time: a second concurrent Fit on the same network is refused. Predicting while Fit runs on another thread reads
/// weights as they are being updated.
/// </remarks>
/// <example>
/// <code>
/// var net = new Network(new Shape(1, 28, 28), seed: 100)
///     .Add(new Conv2D(filters: 20, kernel: 3))
///     .Add(new LeakyReLU(0.01f))
///     .Add(new MaxPool2D(2))
///     .Add(new Flatten())
///     .Add(new Dense(10)).Add(new Softmax());
/// History h = net.Fit(train, val, new TrainingOptions { Epochs = 10, BatchSize = 32 });
/// </code>
/// </example>
public sealed partial class Network
{
    private readonly List<Layer> _layers = new();
    private readonly object _sync = new();
    private float[]? _parameters;
    private float[]? _gradients;
    private float[] _state = [];
    private Layer[] _leaves = [];
    private int _weightCount;
    private bool _fuseActivationWithPooling = true;
    private InputNormalization? _normalization;

    /// <summary>Creates an empty network for samples of <paramref name="inputShape"/>, e.g. <c>(1, 28, 28)</c>.</summary>
    /// <param name="inputShape">The shape of one input sample, without the batch dimension.</param>
    /// <param name="seed">Fixes the initial weights and the shuffling: same seed, same data, same options ⇒ the same result bit for bit.</param>
    public Network(Shape inputShape, long seed = 0)
    {
        if (inputShape.Rank == 0) throw new ArgumentException("The input shape is empty.", nameof(inputShape));
        InputShape = inputShape;
        Seed = seed;
    }

    /// <summary>The shape of one input sample.</summary>
    public Shape InputShape { get; }

    /// <summary>The shape of one output sample (the input shape while there are no layers).</summary>
    public Shape OutputShape => _layers.Count == 0 ? InputShape : _layers[^1].OutputShape;

    /// <summary>The seed of the initial weights and of shuffling.</summary>
    public long Seed { get; }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <summary>The initialisation of the layers added without one of their own (default <see cref="WeightInit.He"/>).</summary>
    public WeightInit DefaultInit { get; init; } = WeightInit.He;

    /// <summary>The number of trainable parameters.</summary>
    public int ParameterCount => Leaves.Sum(l => l.ParameterCount);

    /// <summary>The layers that run and own parameters, in order: the network's layers with residual blocks expanded.</summary>
    internal IReadOnlyList<Layer> Leaves => _parameters is null ? _layers.SelectMany(Residual.Leaves).ToArray() : _leaves;

    /// <summary>Appends <paramref name="layer"/>, inferring its shapes from the previous layer's output.</summary>
    /// <returns>This network, so calls chain.</returns>
    /// <exception cref="ArgumentException">The layer does not fit the previous output; the message names the layer and both shapes.</exception>
    /// <exception cref="InvalidOperationException">The network's parameters already exist (it was trained, run or loaded).</exception>
    public Network Add(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        lock (_sync)
        {
            if (_parameters is not null)
                throw new InvalidOperationException("Layers cannot be added after the network's parameters were created (by Fit, Evaluate, Predict, Save or Load).");
            layer.Build(OutputShape, Layer.PositionName(_layers.Count + 1, layer));
            foreach (var leaf in Residual.Leaves(layer))
                if (!leaf.HasInit) leaf.DefaultInit = DefaultInit;
            _layers.Add(layer);
        }
        return this;
    }

    /// <summary>
    /// The per-channel normalisation every forward pass applies to the input first (null: none). Set it yourself, or let
    /// <see cref="TrainingOptions.NormalizeInputs"/> compute it from the training data; it is saved with the model.
    /// </summary>
    /// <exception cref="ArgumentException">The normalisation's channel count differs from the input's.</exception>
    /// <exception cref="InvalidOperationException">Fit is running.</exception>
    public InputNormalization? Normalization
    {
        get => _normalization;
        set
        {
            if (value is not null && (InputShape.Rank != 3 || value.Channels != InputShape[0]))
                throw new ArgumentException($"A normalisation of {value.Channels} channels does not fit the input {InputShape}.", nameof(value));
            if (Volatile.Read(ref _fitting) != 0) throw new InvalidOperationException("The input normalisation cannot change while Fit runs.");
            ApplyNormalization(value);
        }
    }

    /// <summary>Sets the normalisation and drops the plans and workspaces compiled without it.</summary>
    private void ApplyNormalization(InputNormalization? value)
    {
        lock (_sync)
        {
            _normalization = value;
            _inferencePlan = null;
            _training = null;
            lock (_idle) _idle.Clear();
        }
    }

    /// <summary>A copy of all parameters (weights of every layer in order, then biases).</summary>
    public float[] GetParameters()
    {
        EnsureParameters();
        return (float[])_parameters!.Clone();
    }

    /// <summary>
    /// Replaces all parameters with <paramref name="values"/>, laid out as <see cref="GetParameters"/> returns them: every layer's
    /// weights in layer order, then every layer's biases. Not while Fit runs.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> does not hold exactly <see cref="ParameterCount"/> values.</exception>
    public void SetParameters(ReadOnlySpan<float> values)
    {
        int count = ParameterCount;
        if (values.Length != count)
            throw new ArgumentException($"The network has {count} parameters, not {values.Length}.", nameof(values));
        EnsureParameters(initialize: false); // every value is overwritten next (existing parameters stay bound)
        values.CopyTo(_parameters);
    }

    /// <summary>Writes the architecture, seed and parameters to <paramref name="path"/> (versioned binary format, checksummed).</summary>
    /// <exception cref="NotSupportedException">The network holds a custom layer, which model files cannot describe.</exception>
    public void Save(string path) => ModelFile.Save(ToModelContents(), path);

    /// <summary>Reads a network written by <see cref="Save"/>.</summary>
    /// <exception cref="ModelFileException">The file is missing, truncated, corrupt, of another format or a newer version.</exception>
    public static Network Load(string path) => FromModelContents(ModelFile.Load(path));

    /// <summary>One line per layer with its shapes and parameter count, then the total.</summary>
    public string Summary()
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"input {InputShape}");
        foreach (var layer in _layers)
        {
            int parameters = Residual.Leaves(layer).Sum(l => l.ParameterCount);
            sb.AppendLine($"{layer.Name,-24} {layer.OutputShape,-12} {parameters,9} parameters");
            if (layer is Residual block)
                foreach (var inner in block.Body.Concat(block.Shortcut))
                    sb.AppendLine($"  {inner.Name,-22} {inner.OutputShape,-12} {inner.ParameterCount,9} parameters");
        }
        sb.Append($"total {ParameterCount} parameters");
        return sb.ToString();
    }

    /// <summary>The parameter buffer (weights then biases); creates and initialises it on first use.</summary>
    internal Span<float> Parameters
    {
        get { EnsureParameters(); return _parameters; }
    }

    /// <summary>Every layer's state (e.g. batch norm running statistics) in layer order; created with the parameters.</summary>
    internal Span<float> State
    {
        get { EnsureParameters(); return _state; }
    }

    /// <summary>Number of leading parameters that are weights (L2-decayed).</summary>
    internal int WeightCount { get { EnsureParameters(); return _weightCount; } }

    /// <summary>What <see cref="Save"/> writes.</summary>
    internal ModelContents ToModelContents()
    {
        EnsureParameters();
        return new(InputShape, Seed, _layers, GetParameters())
        {
            State = _state.ToArray(),
            Normalization = _normalization is { } n ? (n.Mean.ToArray(), n.Std.ToArray()) : null,
        };
    }

    /// <summary>A network over the built layers of a model file, with its parameters.</summary>
    internal static Network FromModelContents(ModelContents contents)
    {
        var network = new Network(contents.InputShape, contents.Seed);
        var shape = contents.InputShape;
        foreach (var layer in contents.Layers)
        {
            if (!layer.IsBuilt || layer.InputShape != shape)
                throw new ArgumentException($"{layer.Name} does not continue the network's shapes.", nameof(contents));
            network._layers.Add(layer);
            shape = layer.OutputShape;
        }
        network.EnsureParameters(initialize: false);
        contents.Parameters.Span.CopyTo(network._parameters);
        contents.State.Span.CopyTo(network._state);
        if (contents.Normalization is { } n) network._normalization = new InputNormalization(n.Mean, n.Std);
        return network;
    }

    /// <summary>Creates the parameter and gradient buffers, binds every layer's slices and draws initial weights (once, thread-safe).</summary>
    /// <param name="initialize">False when the caller (model loading) fills the parameters itself.</param>
    internal void EnsureParameters(bool initialize = true)
    {
        if (Volatile.Read(ref _parameters) is not null) return;
        lock (_sync)
        {
            if (_parameters is not null) return;
            if (_layers.Count == 0) throw new InvalidOperationException("The network has no layers.");
            var leaves = _layers.SelectMany(Residual.Leaves).ToArray();
            _weightCount = leaves.Sum(l => l.WeightCount);
            var parameters = new float[leaves.Sum(l => l.ParameterCount)];
            _gradients = new float[parameters.Length];
            _state = new float[leaves.Sum(l => l.StateCount)];
            int w = 0, b = _weightCount, st = 0;
            for (int i = 0; i < leaves.Length; i++)
            {
                var layer = leaves[i];
                layer.BindParameters(
                    parameters.AsMemory(w, layer.WeightCount), parameters.AsMemory(b, layer.BiasCount),
                    _gradients.AsMemory(w, layer.WeightCount), _gradients.AsMemory(b, layer.BiasCount));
                layer.BindState(_state.AsMemory(st, layer.StateCount));
                if (initialize)
                {
                    layer.InitializeParameters(SeededRandom.ForStream(Seed, i));
                    layer.InitializeState();
                }
                w += layer.WeightCount;
                b += layer.BiasCount;
                st += layer.StateCount;
            }
            _leaves = leaves;
            Volatile.Write(ref _parameters, parameters);
        }
    }

    /// <summary>Test switch: false runs every layer in its own order (no activation-after-pooling fusion).</summary>
    internal bool FuseActivationWithPooling
    {
        get => _fuseActivationWithPooling;
        set
        {
            lock (_sync)
            {
                _fuseActivationWithPooling = value;
                _inferencePlan = null;
                _training = null;
                lock (_idle) _idle.Clear();
            }
        }
    }

    /// <summary>Test switch: false keeps every convolution's batch norm and ReLU as passes of their own in inference too.</summary>
    internal bool FuseConvolutionEpilogue
    {
        get => _fuseConvolutionEpilogue;
        set
        {
            lock (_sync)
            {
                _fuseConvolutionEpilogue = value;
                _inferencePlan = null;
                lock (_idle) _idle.Clear();
            }
        }
    }

    private bool _fuseConvolutionEpilogue = true;

    /// <summary>The plan for <paramref name="loss"/> (null: inference, whose convolutions take the batch norms and ReLUs after them into their epilogues).</summary>
    private ExecutionPlan Compile(Loss? loss)
    {
        if (_layers.Count == 0) throw new InvalidOperationException("The network has no layers.");
        return ExecutionPlan.Compile(InputShape, _layers, new ExecutionPlan.Settings(loss, _fuseActivationWithPooling)
        {
            Normalization = _normalization,
            FuseConvolutionEpilogue = loss is null && _fuseConvolutionEpilogue,
        });
    }

    private void CheckData(Dataset data, string argument)
    {
        if (_layers.Count == 0) throw new InvalidOperationException("The network has no layers.");
        if (data.Count == 0) throw new ArgumentException($"{data.Name} holds no images.", argument);
        if (data.SampleShape != InputShape)
            throw new ArgumentException($"{data.Name} has images of shape {data.SampleShape} but the network takes {InputShape}.", argument);
        if (OutputShape.Rank != 1 || OutputShape.Size != data.Classes)
            throw new ArgumentException($"{data.Name} has {data.Classes} classes but the network's output is {OutputShape}; end with Dense({data.Classes}).", argument);
    }

    private static int CountCorrect(ReadOnlySpan<float> output, ReadOnlySpan<int> labels, int n, int classes, ConfusionMatrix? confusion = null)
    {
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            var row = output.Slice(i * classes, classes);
            int best = 0;
            for (int k = 1; k < classes; k++)
                if (row[k] > row[best]) best = k;
            if (best == labels[i]) correct++;
            confusion?.Add(labels[i], best);
        }
        return correct;
    }
}
