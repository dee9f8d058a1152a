using System.Diagnostics;
using Engine.Data;
using Engine.Layers;
using Engine.Losses;
using Engine.Serialization;

namespace Engine.Training;

/// <summary>
/// A sequential network: layers added in order, shapes inferred and checked as they are added, all
/// parameters in one contiguous buffer (weights first, then biases) and all gradients in another.
/// </summary>
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
public sealed class Network
{
    private readonly List<Layer> _layers = new();
    private float[]? _parameters;
    private float[]? _gradients;
    private int _weightCount;
    private int _preparedBatch, _preparedTrainingBatch;
    private Workspace? _training;
    private Workspace? _inference;

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

    /// <summary>The number of trainable parameters.</summary>
    public int ParameterCount => _layers.Sum(l => l.ParameterCount);

    /// <summary>Appends <paramref name="layer"/>, inferring its shapes from the previous layer's output.</summary>
    /// <returns>This network, so calls chain.</returns>
    /// <exception cref="ArgumentException">The layer does not fit the previous output; the message names the layer and both shapes.</exception>
    /// <exception cref="InvalidOperationException">The network's parameters already exist (it was trained, run or loaded).</exception>
    public Network Add(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (_parameters is not null)
            throw new InvalidOperationException("Layers cannot be added after the network's parameters were created (by Fit, Evaluate, Predict, Save or Load).");
        layer.Build(OutputShape, $"layer {_layers.Count + 1} ({layer.Kind})");
        _layers.Add(layer);
        return this;
    }

    /// <summary>
    /// Trains on <paramref name="train"/> for <see cref="TrainingOptions.Epochs"/> epochs, evaluating on
    /// <paramref name="validation"/> (if given) after each. Training continues from the current weights.
    /// </summary>
    /// <param name="train">The training images and labels.</param>
    /// <param name="validation">Data measured after each epoch, or null.</param>
    /// <param name="options">Epochs, batching, loss, optimizer, L2, shuffling.</param>
    /// <param name="progress">Receives one report per finished epoch.</param>
    /// <param name="cancellationToken">Stops training at the next batch boundary; the history then has status <see cref="TrainingStatus.Cancelled"/>.</param>
    /// <returns>Per-epoch metrics and how training ended (completed, diverged or cancelled).</returns>
    /// <exception cref="ArgumentException">The options are invalid or the data does not fit the network.</exception>
    public History Fit(Dataset train, Dataset? validation, TrainingOptions options,
        IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CheckData(train, nameof(train));
        if (validation is not null) CheckData(validation, nameof(validation));
        var plan = options.BatchPlan(train.Count);
        int maxBatch = Math.Max(plan.Size, plan.Last);
        EnsureParameters();
        var ws = TrainingWorkspace(maxBatch);
        options.Optimizer.Initialize(_parameters!.Length);

        var history = new History();
        var order = new int[train.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var shuffler = SeededRandom.ForStream(options.ShuffleSeed ?? Seed, -1);
        if (options.Shuffle == ShuffleMode.Once) shuffler.Shuffle(order);

        var total = Stopwatch.StartNew();
        double stepSeconds = 0;
        long stepImages = 0;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var epochWatch = Stopwatch.StartNew();
            if (options.Shuffle == ShuffleMode.EveryEpoch) shuffler.Shuffle(order);
            double lossSum = 0;
            long correct = 0;
            long epochStepTicks = 0;
            for (int b = 0; b < plan.Count; b++)
            {
                if (cancellationToken.IsCancellationRequested)
                    return Finish(history, TrainingStatus.Cancelled, total, stepSeconds, stepImages);
                int n = b == plan.Count - 1 ? plan.Last : plan.Size;
                long t0 = Stopwatch.GetTimestamp();
                double loss = TrainStep(ws, train, order.AsSpan(b * plan.Size, n), options, out int hits);
                epochStepTicks += Stopwatch.GetTimestamp() - t0;
                if (!double.IsFinite(loss))
                    return Finish(history, TrainingStatus.Diverged, total, stepSeconds, stepImages);
                lossSum += loss * n;
                correct += hits;
                options.BatchProgress?.Report(new BatchReport(epoch, options.Epochs, b + 1, plan.Count, loss, epochWatch.Elapsed, b * plan.Size + n));
            }
            double epochStepSeconds = epochStepTicks / (double)Stopwatch.Frequency;
            stepSeconds += epochStepSeconds;
            stepImages += train.Count;

            var trainMetrics = options.EvaluateTrainingSet
                ? Evaluate(train, options.Loss, options.EvaluationBatchSize)
                : new Metrics(lossSum / train.Count, correct / (double)train.Count, train.Count);
            var valMetrics = validation is null ? null : Evaluate(validation, options.Loss, options.EvaluationBatchSize);
            var report = new EpochReport(epoch, options.Epochs, trainMetrics.Loss, trainMetrics.Accuracy,
                valMetrics?.Loss ?? double.NaN, valMetrics?.Accuracy ?? double.NaN,
                epochWatch.Elapsed, train.Count / Math.Max(epochStepSeconds, 1e-9));
            history.Add(report);
            progress?.Report(report);
            if (!double.IsFinite(trainMetrics.Loss))
                return Finish(history, TrainingStatus.Diverged, total, stepSeconds, stepImages);
        }
        return Finish(history, TrainingStatus.Completed, total, stepSeconds, stepImages);
    }

    /// <summary>Mean loss and accuracy over <paramref name="data"/> (weights unchanged).</summary>
    /// <param name="data">Images and labels.</param>
    /// <param name="loss">The loss to report (default <see cref="CrossEntropy"/>).</param>
    /// <param name="batchSize">Images per forward pass.</param>
    public Metrics Evaluate(Dataset data, Loss? loss = null, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        CheckData(data, nameof(data));
        loss ??= new CrossEntropy();
        EnsureParameters();
        int bs = Math.Min(batchSize, data.Count);
        var ws = InferenceWorkspace(bs);
        int classes = OutputShape.Size;
        double lossSum = 0;
        long correct = 0;
        var confusion = new ConfusionMatrix(classes);
        for (int start = 0; start < data.Count; start += bs)
        {
            int n = Math.Min(bs, data.Count - start);
            data.Images.Slice(start * InputShape.Size, n * InputShape.Size).CopyTo(ws.Activations[0]);
            var labels = data.Labels.Slice(start, n);
            var output = Forward(ws, n);
            lossSum += loss.Compute(output, labels, n, classes) * n;
            correct += CountCorrect(output, labels, n, classes, confusion);
        }
        return new Metrics(lossSum / data.Count, correct / (double)data.Count, data.Count) { ConfusionMatrix = confusion };
    }

    /// <summary>Runs the network on a batch: <paramref name="batch"/> is [N, InputShape]; returns [N, OutputShape] (dispose it when done).</summary>
    /// <exception cref="ArgumentException">The batch's shape is not N × <see cref="InputShape"/>.</exception>
    public Tensor Predict(Tensor batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Shape.Rank != InputShape.Rank + 1 || batch.Shape.WithoutBatch() != InputShape)
            throw new ArgumentException($"Predict needs a batch of shape N×{InputShape}, not {batch.Shape}.", nameof(batch));
        int n = batch.Shape[0];
        var result = new Tensor(OutputShape.WithBatch(n));
        Predict(batch.Span, result.Span, n);
        return result;
    }

    /// <summary>
    /// Runs the network on <paramref name="batch"/> images without allocating (after the first call for a
    /// given batch size): <paramref name="input"/> is [N, InputShape], <paramref name="output"/> [N, OutputShape].
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the batch needs.</exception>
    public void Predict(ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        if (input.Length < batch * InputShape.Size)
            throw new ArgumentException($"{batch} images of {InputShape} need {batch * InputShape.Size} input values, not {input.Length}.", nameof(input));
        if (output.Length < batch * OutputShape.Size)
            throw new ArgumentException($"{batch} outputs of {OutputShape} need {batch * OutputShape.Size} values, not {output.Length}.", nameof(output));
        EnsureParameters();
        var ws = InferenceWorkspace(Math.Min(batch, 256));
        for (int start = 0; start < batch; start += ws.MaxBatch)
        {
            int n = Math.Min(ws.MaxBatch, batch - start);
            input.Slice(start * InputShape.Size, n * InputShape.Size).CopyTo(ws.Activations[0]);
            Forward(ws, n).CopyTo(output.Slice(start * OutputShape.Size));
        }
    }

    /// <summary>A copy of all parameters (weights of every layer in order, then biases).</summary>
    public float[] GetParameters()
    {
        EnsureParameters();
        return (float[])_parameters!.Clone();
    }

    /// <summary>Writes the architecture, seed and parameters to <paramref name="path"/> (versioned binary format, checksummed).</summary>
    public void Save(string path) => ModelFile.Save(this, path);

    /// <summary>Reads a network written by <see cref="Save"/>.</summary>
    /// <exception cref="ModelFileException">The file is missing, truncated, corrupt, of another format or a newer version.</exception>
    public static Network Load(string path) => ModelFile.Load(path);

    /// <summary>One line per layer with its shapes and parameter count, then the total.</summary>
    public string Summary()
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"input {InputShape}");
        foreach (var layer in _layers)
            sb.AppendLine($"{layer.Name,-24} {layer.OutputShape,-12} {layer.ParameterCount,9} parameters");
        sb.Append($"total {ParameterCount} parameters");
        return sb.ToString();
    }

    /// <summary>The parameter buffer (weights then biases); creates and initialises it on first use.</summary>
    internal Span<float> Parameters
    {
        get { EnsureParameters(); return _parameters; }
    }

    /// <summary>Number of leading parameters that are weights (L2-decayed).</summary>
    internal int WeightCount { get { EnsureParameters(); return _weightCount; } }

    /// <summary>Creates the parameter and gradient buffers, binds every layer's slices and draws initial weights.</summary>
    /// <param name="initialize">False when the caller (model loading) fills the parameters itself.</param>
    internal void EnsureParameters(bool initialize = true)
    {
        if (_parameters is not null) return;
        if (_layers.Count == 0) throw new InvalidOperationException("The network has no layers.");
        _weightCount = _layers.Sum(l => l.WeightCount);
        int total = ParameterCount;
        _parameters = new float[total];
        _gradients = new float[total];
        int w = 0, b = _weightCount;
        for (int i = 0; i < _layers.Count; i++)
        {
            var layer = _layers[i];
            layer.BindParameters(
                _parameters.AsMemory(w, layer.WeightCount), _parameters.AsMemory(b, layer.BiasCount),
                _gradients.AsMemory(w, layer.WeightCount), _gradients.AsMemory(b, layer.BiasCount));
            if (initialize) layer.InitializeParameters(SeededRandom.ForStream(Seed, i));
            w += layer.WeightCount;
            b += layer.BiasCount;
        }
    }

    /// <summary>One forward and backward pass and one optimizer step on the images <paramref name="indices"/> of <paramref name="data"/>.</summary>
    /// <returns>The batch's mean loss before the step.</returns>
    internal double TrainStep(Workspace ws, Dataset data, ReadOnlySpan<int> indices, TrainingOptions options, out int correct)
    {
        int n = indices.Length;
        int sampleSize = InputShape.Size, classes = OutputShape.Size;
        var input = ws.Activations[0].AsSpan();
        for (int i = 0; i < n; i++)
        {
            data.Image(indices[i]).CopyTo(input.Slice(i * sampleSize, sampleSize));
            ws.Labels[i] = data.Label(indices[i]);
        }
        var labels = ws.Labels.AsSpan(0, n);
        var output = Forward(ws, n);
        double loss = options.Loss.Compute(output, labels, n, classes);
        correct = CountCorrect(output, labels, n, classes);
        if (!double.IsFinite(loss)) return loss; // diverged: leave the weights as they were before this step

        Array.Clear(_gradients!);
        Span<float> dy = ws.GradientA.AsSpan(0, n * classes);
        int last = _layers.Count - 1;
        if (options.Loss is CrossEntropy ce && _layers[last] is Softmax)
        {
            ce.FusedSoftmaxGradient(output, labels, dy, n, classes);
            last--;
        }
        else
        {
            options.Loss.Gradient(output, labels, dy, n, classes);
        }
        float[] current = ws.GradientA, other = ws.GradientB;
        for (int i = last; i >= 0; i--)
        {
            var layer = _layers[i];
            if (i > 0 && PoolsBeforeActivating(i - 1))
            {
                // Layer i is the pool and i − 1 the activation, run as pool then activate (see Forward).
                var activation = (ActivationLayer)_layers[i - 1];
                int pooled = n * layer.OutputShape.Size;
                var pooledInput = ws.Activations[i].AsSpan(0, pooled);
                activation.Derive(pooledInput, ws.Activations[i + 1].AsSpan(0, pooled), current.AsSpan(0, pooled), other.AsSpan(0, pooled));
                var dxPair = i - 1 == 0 ? Span<float>.Empty : current.AsSpan(0, n * activation.InputShape.Size);
                layer.Backward(ws.Activations[i - 1].AsSpan(0, n * activation.InputShape.Size), pooledInput, other.AsSpan(0, pooled), dxPair, n);
                i--;
                continue;
            }
            var dyi = current.AsSpan(0, n * layer.OutputShape.Size);
            var dx = i == 0 ? Span<float>.Empty : other.AsSpan(0, n * layer.InputShape.Size);
            layer.Backward(ws.Activations[i].AsSpan(0, n * layer.InputShape.Size),
                ws.Activations[i + 1].AsSpan(0, n * layer.OutputShape.Size), dyi, dx, n);
            (current, other) = (other, current);
        }
        options.Optimizer.Step(_parameters, _gradients, _weightCount, options.L2);
        return loss;
    }

    /// <summary>Runs all layers on the first <paramref name="n"/> images in ws.Activations[0]; returns the output [n, OutputShape].</summary>
    internal ReadOnlySpan<float> Forward(Workspace ws, int n)
    {
        for (int i = 0; i < _layers.Count; i++)
        {
            var layer = _layers[i];
            if (PoolsBeforeActivating(i))
            {
                // f then max-pool = max-pool then f for a monotone f: pool the pre-activations into the
                // activation's buffer, then activate the pooled values into the pool's buffer.
                var pool = _layers[i + 1];
                int pooled = n * pool.OutputShape.Size;
                pool.Forward(ws.Activations[i].AsSpan(0, n * layer.InputShape.Size), ws.Activations[i + 1].AsSpan(0, pooled), n);
                ((ActivationLayer)layer).Apply(ws.Activations[i + 1].AsSpan(0, pooled), ws.Activations[i + 2].AsSpan(0, pooled));
                i++;
                continue;
            }
            layer.Forward(ws.Activations[i].AsSpan(0, n * layer.InputShape.Size),
                ws.Activations[i + 1].AsSpan(0, n * layer.OutputShape.Size), n);
        }
        return ws.Activations[^1].AsSpan(0, n * OutputShape.Size);
    }

    /// <summary>
    /// Whether layer <paramref name="i"/> is a monotone activation followed by max pooling, which the network
    /// runs in the other order (same outputs, 4× fewer activations with a 2×2 window). The gradient then goes to
    /// the window's largest pre-activation; where the activation maps several inputs of a window to the same
    /// value that choice may differ from the unfused order, among equally valid subgradients.
    /// </summary>
    private bool PoolsBeforeActivating(int i) =>
        FuseActivationWithPooling && i + 1 < _layers.Count && _layers[i] is ActivationLayer { IsMonotone: true } && _layers[i + 1] is MaxPool2D;

    /// <summary>Test switch: false runs every layer in its own order.</summary>
    internal bool FuseActivationWithPooling { get; set; } = true;

    internal Workspace TrainingWorkspace(int maxBatch)
    {
        if (_training is null || _training.MaxBatch < maxBatch)
        {
            PrepareLayers(maxBatch, training: true);
            _training = new Workspace(this, maxBatch, training: true);
        }
        return _training;
    }

    internal Workspace InferenceWorkspace(int maxBatch)
    {
        if (_inference is null || _inference.MaxBatch < maxBatch)
        {
            PrepareLayers(maxBatch, training: false);
            _inference = new Workspace(this, maxBatch, training: false);
        }
        return _inference;
    }

    /// <summary>Layers' scratch for batches of up to <paramref name="maxBatch"/>; backward scratch only for training,
    /// so a network that only predicts never holds it.</summary>
    private void PrepareLayers(int maxBatch, bool training)
    {
        if (maxBatch <= (training ? _preparedTrainingBatch : _preparedBatch)) return;
        foreach (var layer in _layers) layer.Prepare(maxBatch, training);
        _preparedBatch = Math.Max(_preparedBatch, maxBatch);
        if (training) _preparedTrainingBatch = Math.Max(_preparedTrainingBatch, maxBatch);
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

    private void CheckData(Dataset data, string argument)
    {
        if (_layers.Count == 0) throw new InvalidOperationException("The network has no layers.");
        if (data.Count == 0) throw new ArgumentException($"{data.Name} holds no images.", argument);
        if (data.SampleShape != InputShape)
            throw new ArgumentException($"{data.Name} has images of shape {data.SampleShape} but the network takes {InputShape}.", argument);
        if (OutputShape.Rank != 1 || OutputShape.Size != data.Classes)
            throw new ArgumentException($"{data.Name} has {data.Classes} classes but the network's output is {OutputShape}; end with Dense({data.Classes}).", argument);
    }

    private static History Finish(History history, TrainingStatus status, Stopwatch total, double stepSeconds, long stepImages)
    {
        history.Status = status;
        history.Elapsed = total.Elapsed;
        history.TrainingImagesPerSecond = stepImages / Math.Max(stepSeconds, 1e-9);
        return history;
    }
}
