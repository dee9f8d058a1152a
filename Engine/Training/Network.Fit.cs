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
    /// <exception cref="Engine.Serialization.CheckpointMismatchException">The options' checkpoint belongs to another run.</exception>
    /// <exception cref="Engine.Serialization.ModelFileException">The options' checkpoint is unreadable or damaged.</exception>
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
        options.Augmentation?.Validate(InputShape);
        CheckAugmentation(options.ValidationAugmentation, nameof(options));
        if (options.EarlyStopping is not null && validation is null)
            throw new ArgumentException("Early stopping watches a validation metric: give Fit validation data.", nameof(validation));
        var batches = options.BatchPlan(train.Count);
        EnsureParameters();
        if (options.NormalizeInputs && _normalization is null) ApplyNormalization(InputNormalization.FromData(train));
        var ws = TrainingWorkspace(Math.Max(batches.Size, batches.Last), options.Loss);
        var optimizer = options.Optimizer;
        optimizer.Initialize(_parameters!.Length);
        var run = new TrainingRun(this, train, options);
        string? description = options.CheckpointPath is null ? null : Checkpoint.Describe(this, train, validation, options);
        if (options.CheckpointPath is { } resume && File.Exists(resume))
            _trainedSteps = Checkpoint.Restore(resume, description!, this, optimizer, run);

        var history = run.History;
        var total = Stopwatch.StartNew();
        double stepSeconds = 0;
        long stepImages = 0, totalSteps = (long)options.Epochs * batches.Count;
        for (int epoch = run.EpochsDone + 1; epoch <= options.Epochs; epoch++)
        {
            var epochWatch = Stopwatch.StartNew();
            if (options.Shuffle == ShuffleMode.EveryEpoch) run.Shuffler.Shuffle(run.Order);
            ulong augmentSeed = Augmenter.EpochSeed(Seed, epoch);
            double lossSum = 0, rate = optimizer.Eta;
            long correct = 0, epochStepTicks = 0;
            for (int b = 0; b < batches.Count; b++)
            {
                if (cancellationToken.IsCancellationRequested)
                    return Finish(history, TrainingStatus.Cancelled, total, stepSeconds, stepImages);
                int n = b == batches.Count - 1 ? batches.Last : batches.Size;
                rate = options.Schedule is null ? optimizer.Eta : (float)(optimizer.Eta * options.Schedule.Factor(run.StepsDone, totalSteps, batches.Count));
                long t0 = Stopwatch.GetTimestamp();
                double loss = TrainStep(ws, train, run.Order.AsSpan(b * batches.Size, n), options, out int hits,
                    new StepSettings((float)rate, options.Schedule is not null, augmentSeed));
                epochStepTicks += Stopwatch.GetTimestamp() - t0;
                if (!double.IsFinite(loss))
                    return Finish(history, TrainingStatus.Diverged, total, stepSeconds, stepImages);
                run.StepsDone++;
                lossSum += loss * n;
                correct += hits;
                options.BatchProgress?.Report(new BatchReport(epoch, options.Epochs, b + 1, batches.Count, loss, epochWatch.Elapsed, b * batches.Size + n));
            }
            double epochStepSeconds = epochStepTicks / (double)Stopwatch.Frequency;
            stepSeconds += epochStepSeconds;
            stepImages += train.Count;

            var trainMetrics = options.EvaluateTrainingSet
                ? Evaluate(train, options.Loss, options.EvaluationBatchSize)
                : new Metrics(lossSum / train.Count, correct / (double)train.Count, train.Count);
            var valMetrics = validation is null ? null : Evaluate(validation, options.ValidationAugmentation, options.Loss, options.EvaluationBatchSize);
            var report = new EpochReport(epoch, options.Epochs, trainMetrics.Loss, trainMetrics.Accuracy,
                valMetrics?.Loss ?? double.NaN, valMetrics?.Accuracy ?? double.NaN,
                epochWatch.Elapsed, train.Count / Math.Max(epochStepSeconds, 1e-9)) { LearningRate = rate };
            history.Add(report);
            run.EpochsDone = epoch;
            bool stop = options.EarlyStopping is { } early && Watch(early, report, run);
            if (options.CheckpointPath is { } path) Checkpoint.Write(path, description!, this, optimizer, run, _trainedSteps);
            progress?.Report(report);
            if (!double.IsFinite(trainMetrics.Loss))
                return Finish(history, TrainingStatus.Diverged, total, stepSeconds, stepImages);
            if (stop)
            {
                RestoreBest(options.EarlyStopping!, run);
                return Finish(history, TrainingStatus.Stopped, total, stepSeconds, stepImages);
            }
        }
        if (options.EarlyStopping is { } stopping) RestoreBest(stopping, run);
        return Finish(history, TrainingStatus.Completed, total, stepSeconds, stepImages);
    }

    /// <summary>Early stopping's bookkeeping after an epoch; true when training should stop.</summary>
    private bool Watch(EarlyStopping early, EpochReport report, TrainingRun run)
    {
        double value = early.Of(report);
        if (run.BestEpoch == 0 || early.Improves(value, run.Best))
        {
            (run.Best, run.BestEpoch, run.Wait) = (value, report.Epoch, 0);
            if (early.RestoreBest) run.BestWeights = (GetParameters(), _state.ToArray());
            return false;
        }
        return ++run.Wait >= early.Patience;
    }

    private void RestoreBest(EarlyStopping early, TrainingRun run)
    {
        if (!early.RestoreBest || run.BestWeights is not { } best) return;
        best.Parameters.CopyTo(_parameters!, 0);
        best.State.CopyTo(_state, 0);
    }

    /// <summary>What a training step takes besides its batch: the learning rate (when a schedule sets it) and the epoch's augmentation seed.</summary>
    internal readonly record struct StepSettings(float LearningRate, bool Scheduled, ulong AugmentationSeed);

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
    internal double TrainStep(Workspace ws, Dataset data, ReadOnlySpan<int> indices, TrainingOptions options, out int correct,
        StepSettings settings = default)
    {
        // Randomness of this step (dropout masks): a function of the seed and the step's number only.
        ws.StepSeed = SeededRandom.Mix((ulong)Seed, (ulong)_trainedSteps++);
        double loss = ComputeGradients(ws, data, indices, options.Loss, out correct, options.Augmentation, settings.AugmentationSeed);
        if (!double.IsFinite(loss)) return loss; // diverged: leave the weights as they were before this step
        if (options.ClipGradientNorm is { } clip) ClipGradients(clip);
        if (options.L2Style == L2Style.Keras && options.L2 > 0) loss += options.L2 * SumOfSquaredWeights();
        if (options.WeightDecay == 0f && !settings.Scheduled && options.L2Style == L2Style.Report)
            options.Optimizer.Step(_parameters, _gradients, _weightCount, options.L2);
        else
            options.Optimizer.Step(_parameters, _gradients, new Engine.Optimizers.OptimizerStep
            {
                DecayedCount = _weightCount,
                WeightL2 = options.L2Style == L2Style.Keras ? 2 * options.L2 : options.L2,
                OtherL2 = options.L2Style == L2Style.PyTorch ? options.L2 : 0f,
                WeightDecay = options.WeightDecay,
                LearningRate = settings.Scheduled ? settings.LearningRate : null,
            });
        return loss;
    }

    /// <summary>Σ w² over the weights (kernels), in one fixed order (Keras-style L2's penalty).</summary>
    private double SumOfSquaredWeights()
    {
        Span<float> lanes = stackalloc float[Engine.Kernels.Lanes16.Count];
        lanes.Clear();
        Engine.Kernels.FixedOrderReductions.AccumulateSquaredDeviations(1, _weightCount, _parameters.AsSpan(0, _weightCount), [0f], lanes);
        return Engine.Kernels.Lanes16.Sum(lanes);
    }

    /// <summary>Scales the gradients so their global L2 norm (summed in one fixed order) is at most <paramref name="maxNorm"/>.</summary>
    private void ClipGradients(float maxNorm)
    {
        var gradients = _gradients.AsSpan();
        Span<float> lanes = stackalloc float[Engine.Kernels.Lanes16.Count];
        lanes.Clear();
        Engine.Kernels.FixedOrderReductions.AccumulateSquaredDeviations(1, gradients.Length, gradients, [0f], lanes);
        float norm = MathF.Sqrt(Engine.Kernels.Lanes16.Sum(lanes));
        if (norm > maxNorm) Engine.Kernels.VectorOps.Scale(gradients, maxNorm / norm);
    }

    /// <summary>
    /// Forward in training mode and backward on the images <paramref name="indices"/> of <paramref name="data"/>: the gradients
    /// of the mean loss are left in the gradient buffer (zeroed first), unless the loss is not finite.
    /// </summary>
    /// <returns>The batch's mean loss.</returns>
    internal double ComputeGradients(Workspace ws, Dataset data, ReadOnlySpan<int> indices, Loss lossFunction, out int correct,
        Augmentation? augmentation = null, ulong augmentationSeed = 0)
    {
        int n = indices.Length;
        int sampleSize = InputShape.Size, classes = OutputShape.Size;
        var input = ws.Value(0, n);
        bool augment = augmentation is { ChangesImages: true };
        ReadOnlySpan<float> fill = _normalization is { } normalization ? normalization.MeanValues : default; // [C] or empty: cut-out value
        var mix = augment && augmentation!.CutMix > 0f ? ws.CutMix(sampleSize, classes) : null;
        for (int i = 0; i < n; i++)
        {
            var target = input.Slice(i * sampleSize, sampleSize);
            if (augment) Augmenter.Copy(augmentation!, InputShape, data.Image(indices[i]), target, augmentationSeed, indices[i], fill);
            else data.Image(indices[i]).CopyTo(target);
            ws.Labels[i] = data.Label(indices[i]);
            if (mix is not null) PasteCutMix(augmentation!, data, indices[i], target, augmentationSeed, fill, mix, i);
        }
        var labels = ws.Labels.AsSpan(0, n);
        var plan = ws.Plan;
        plan.Forward(ws, n, LayerMode.Training);
        var output = ws.Value(plan.Output, n);
        double loss = mix is null ? lossFunction.Compute(output, labels, n, classes) : MixedLoss(lossFunction, output, labels, mix, n, classes);
        correct = CountCorrect(output, labels, n, classes);
        if (!double.IsFinite(loss)) return loss;

        Array.Clear(_gradients!);
        var dy = ws.Gradient(plan.LossGradientValue, n);
        LossGradient(plan, lossFunction, output, labels, dy, n, classes);
        if (mix is not null)
        {
            // The loss is linear in its mixing weights, so its gradient is the same mix of the two labels' gradients.
            var other = mix.Gradient.AsSpan(0, n * classes);
            LossGradient(plan, lossFunction, output, mix.Labels.AsSpan(0, n), other, n, classes);
            for (int i = 0; i < n; i++)
            {
                float share = mix.Shares[i];
                if (share == 0f) continue;
                var own = dy.Slice(i * classes, classes);
                var pasted = other.Slice(i * classes, classes);
                for (int k = 0; k < classes; k++) own[k] = (1f - share) * own[k] + share * pasted[k];
            }
        }
        plan.Backward(ws, n);
        return loss;
    }

    /// <summary>dy [N, classes] = the gradient of the mean loss for <paramref name="labels"/> [N] (with respect to the logits when the plan fuses softmax into the loss).</summary>
    private static void LossGradient(ExecutionPlan plan, Loss lossFunction, ReadOnlySpan<float> output, ReadOnlySpan<int> labels, Span<float> dy, int n, int classes)
    {
        if (plan.FusesLossGradient)
            ((CrossEntropy)lossFunction).FusedSoftmaxGradient(output, labels, dy, n, classes);
        else
            lossFunction.Gradient(output, labels, dy, n, classes);
    }

    /// <summary>
    /// Pastes training image <paramref name="sampleIndex"/>'s CutMix box, if its draw gives one, into <paramref name="target"/>
    /// [C, H, W] and records batch entry <paramref name="entry"/>'s other label and covered share in <paramref name="mix"/>
    /// (its own label and 0 without a box).
    /// </summary>
    private void PasteCutMix(Augmentation augmentation, Dataset data, int sampleIndex, Span<float> target, ulong augmentationSeed,
        ReadOnlySpan<float> fill, CutMixMemory mix, int entry)
    {
        mix.Labels[entry] = data.Label(sampleIndex);
        mix.Shares[entry] = 0f;
        if (!Augmenter.DrawCutMix(augmentation, InputShape, augmentationSeed, sampleIndex, data.Count, out var box)) return;
        Augmenter.Copy(augmentation, InputShape, data.Image(box.Partner), mix.Image, augmentationSeed, box.Partner, fill);
        Augmenter.Paste(box, InputShape, mix.Image, target);
        mix.Labels[entry] = data.Label(box.Partner);
        mix.Shares[entry] = box.Share(InputShape[1], InputShape[2]);
    }

    /// <summary>The batch's mean of (1 − share) × each image's loss for its own label + share × its loss for the pasted image's label.</summary>
    private static double MixedLoss(Loss lossFunction, ReadOnlySpan<float> output, ReadOnlySpan<int> labels, CutMixMemory mix, int n, int classes)
    {
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            var row = output.Slice(i * classes, classes);
            double share = mix.Shares[i];
            sum += (1 - share) * lossFunction.Compute(row, labels.Slice(i, 1), 1, classes);
            if (share != 0) sum += share * lossFunction.Compute(row, mix.Labels.AsSpan(i, 1), 1, classes);
        }
        return sum / n;
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
