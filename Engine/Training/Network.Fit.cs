using System.Diagnostics;
using Engine.Data;
using Engine.Layers;
using Engine.Losses;

namespace Engine.Training;

public sealed partial class Network
{
    private int _fitting;
    private Workspace? _training;
    private long _trainedSteps;

    /// <summary>
    /// Trains on <paramref name="train"/> for <see cref="TrainingOptions.Epochs"/> epochs in training mode, evaluating on
    /// <paramref name="validation"/> (if given) in evaluation mode after each. Training continues from the current weights.
    /// One Fit at a time per network.
    /// </summary>
    /// <param name="train">The training images and labels.</param>
    /// <param name="validation">Data measured after each epoch, or null.</param>
    /// <param name="options">Epochs, batching, loss, optimizer, L2, shuffling.</param>
    /// <param name="progress">Receives one report per finished epoch, on the calling thread, before Fit goes on.</param>
    /// <param name="cancellationToken">Stops training at the next batch boundary; the history then has status <see cref="TrainingStatus.Cancelled"/>.</param>
    /// <returns>Per-epoch metrics and how training ended (completed, diverged or cancelled).</returns>
    /// <exception cref="ArgumentException">The options are invalid or the data does not fit the network.</exception>
    /// <exception cref="InvalidOperationException">Another Fit is running on this network.</exception>
    /// <exception cref="InsufficientMemoryException">The batch needs more memory than there is; the message says how much.</exception>
    public History Fit(Dataset train, Dataset? validation, TrainingOptions options,
        IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        if (Interlocked.CompareExchange(ref _fitting, 1, 0) != 0)
            throw new InvalidOperationException("Fit is already running on this network (on another thread); a network trains in one Fit call at a time.");
        try
        {
            return FitOnce(train, validation, options, progress, cancellationToken);
        }
        finally { Volatile.Write(ref _fitting, 0); }
    }

    private History FitOnce(Dataset train, Dataset? validation, TrainingOptions options, IProgress<EpochReport>? progress, CancellationToken cancellationToken)
    {
        options.Validate();
        CheckData(train, nameof(train));
        if (validation is not null) CheckData(validation, nameof(validation));
        CheckLossFits(options.Loss);
        var plan = options.BatchPlan(train.Count);
        int maxBatch = Math.Max(plan.Size, plan.Last);
        EnsureParameters();
        var ws = TrainingWorkspace(maxBatch, options.Loss);
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

    /// <summary>The training workspace for batches of up to <paramref name="maxBatch"/> under <paramref name="loss"/> at the current thread count.</summary>
    internal Workspace TrainingWorkspace(int maxBatch, Loss? loss = null)
    {
        loss ??= new CrossEntropy();
        EnsureParameters();
        int threads = Cpu.ThreadCount;
        var ws = _training;
        bool fused = loss is CrossEntropy;
        if (ws is null || ws.MaxBatch < maxBatch || ws.Threads != threads || ws.Plan.FusesLossGradient != (fused && _layers[^1] is Softmax))
            _training = ws = new Workspace(Compile(loss), maxBatch, threads, training: true);
        return ws;
    }

    /// <summary>One forward and backward pass and one optimizer step on the images <paramref name="indices"/> of <paramref name="data"/>.</summary>
    /// <returns>The batch's mean loss before the step.</returns>
    internal double TrainStep(Workspace ws, Dataset data, ReadOnlySpan<int> indices, TrainingOptions options, out int correct)
    {
        // Randomness of this step (dropout masks): a function of the seed and the step's number only.
        ws.StepSeed = SeededRandom.Mix((ulong)Seed, (ulong)_trainedSteps++);
        double loss = ComputeGradients(ws, data, indices, options.Loss, out correct);
        if (!double.IsFinite(loss)) return loss; // diverged: leave the weights as they were before this step
        options.Optimizer.Step(_parameters, _gradients, _weightCount, options.L2);
        return loss;
    }

    /// <summary>
    /// Forward in training mode and backward on the images <paramref name="indices"/> of <paramref name="data"/>: the gradients
    /// of the mean loss are left in the gradient buffer (zeroed first), unless the loss is not finite.
    /// </summary>
    /// <returns>The batch's mean loss.</returns>
    internal double ComputeGradients(Workspace ws, Dataset data, ReadOnlySpan<int> indices, Loss lossFunction, out int correct)
    {
        int n = indices.Length;
        int sampleSize = InputShape.Size, classes = OutputShape.Size;
        var input = ws.Value(0, n);
        for (int i = 0; i < n; i++)
        {
            data.Image(indices[i]).CopyTo(input.Slice(i * sampleSize, sampleSize));
            ws.Labels[i] = data.Label(indices[i]);
        }
        var labels = ws.Labels.AsSpan(0, n);
        var plan = ws.Plan;
        plan.Forward(ws, n, LayerMode.Training);
        var output = ws.Value(plan.Output, n);
        double loss = lossFunction.Compute(output, labels, n, classes);
        correct = CountCorrect(output, labels, n, classes);
        if (!double.IsFinite(loss)) return loss;

        Array.Clear(_gradients!);
        var dy = ws.Gradient(plan.LossGradientValue, n);
        if (plan.FusesLossGradient)
            ((CrossEntropy)lossFunction).FusedSoftmaxGradient(output, labels, dy, n, classes);
        else
            lossFunction.Gradient(output, labels, dy, n, classes);
        plan.Backward(ws, n);
        return loss;
    }

    /// <summary>The gradient buffer (test access, after <see cref="ComputeGradients"/>).</summary>
    internal ReadOnlySpan<float> Gradients => _gradients;

    /// <summary>Refuses a loss the network's output cannot feed: cross-entropy needs probabilities, i.e. a final Softmax.</summary>
    private void CheckLossFits(Loss loss)
    {
        var last = _layers[^1];
        if (loss is CrossEntropy && last is not Softmax && last.GetType().Assembly == typeof(Layer).Assembly)
            throw new ArgumentException(
                $"The cross-entropy loss needs class probabilities, but the network ends with {last.Name}; add a Softmax layer at the end.",
                nameof(loss));
    }

    private static History Finish(History history, TrainingStatus status, Stopwatch total, double stepSeconds, long stepImages)
    {
        history.Status = status;
        history.Elapsed = total.Elapsed;
        history.TrainingImagesPerSecond = stepImages / Math.Max(stepSeconds, 1e-9);
        return history;
    }
}
