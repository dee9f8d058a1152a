using Engine.Data;
using Engine.Layers;
using Engine.Losses;

namespace Engine.Training;

public sealed partial class Network
{
    /// <summary>The largest batch one inference workspace holds; larger requests run in chunks of this size.</summary>
    private const int MaxInferenceBatch = 256;

    private readonly List<Workspace> _idle = new();
    private ExecutionPlan? _inferencePlan;

    /// <summary>Mean loss, accuracy and confusion matrix over <paramref name="data"/>, in evaluation mode (weights unchanged). Thread-safe.</summary>
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
        var ws = RentInference(bs);
        try
        {
            int classes = OutputShape.Size, inSize = InputShape.Size;
            double lossSum = 0;
            long correct = 0;
            var confusion = new ConfusionMatrix(classes);
            for (int start = 0; start < data.Count; start += bs)
            {
                int n = Math.Min(bs, data.Count - start);
                data.Images.Slice(start * inSize, n * inSize).CopyTo(ws.Value(0, n));
                var labels = data.Labels.Slice(start, n);
                var output = Infer(ws, n);
                lossSum += loss.Compute(output, labels, n, classes) * n;
                correct += CountCorrect(output, labels, n, classes, confusion);
            }
            return new Metrics(lossSum / data.Count, correct / (double)data.Count, data.Count) { ConfusionMatrix = confusion };
        }
        finally { ReturnInference(ws); }
    }

    /// <summary>Runs the network on a batch in evaluation mode: <paramref name="batch"/> is [N, InputShape]; returns [N, OutputShape]
    /// (dispose it when done). Thread-safe.</summary>
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
    /// Runs the network on <paramref name="batch"/> images in evaluation mode without allocating (after the first calls):
    /// <paramref name="input"/> is [N, InputShape], <paramref name="output"/> [N, OutputShape]. Thread-safe.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the batch needs.</exception>
    public void Predict(ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        int inSize = InputShape.Size, outSize = OutputShape.Size;
        if (input.Length < (long)batch * inSize)
            throw new ArgumentException($"{batch} images of {InputShape} need {(long)batch * inSize} input values, not {input.Length}.", nameof(input));
        if (output.Length < (long)batch * outSize)
            throw new ArgumentException($"{batch} outputs of {OutputShape} need {(long)batch * outSize} values, not {output.Length}.", nameof(output));
        EnsureParameters();
        var ws = RentInference(Math.Min(batch, MaxInferenceBatch));
        try
        {
            for (int start = 0; start < batch; start += ws.MaxBatch)
            {
                int n = Math.Min(ws.MaxBatch, batch - start);
                input.Slice(start * inSize, n * inSize).CopyTo(ws.Value(0, n));
                Infer(ws, n).CopyTo(output.Slice(start * outSize));
            }
        }
        finally { ReturnInference(ws); }
    }

    /// <summary>Runs the inference plan on the first <paramref name="n"/> images in the workspace's input; returns the output [n, OutputShape].</summary>
    private static ReadOnlySpan<float> Infer(Workspace ws, int n)
    {
        ws.Plan.Forward(ws, n, LayerMode.Evaluation);
        return ws.Value(ws.Plan.Output, n);
    }

    /// <summary>
    /// An idle inference workspace for batches of at least <paramref name="batch"/> at the current thread count, or a new one.
    /// Sizes are rounded up to a power of two (at most <see cref="MaxInferenceBatch"/>), so a few workspaces serve every
    /// batch size; the result of a batch never depends on which workspace runs it.
    /// </summary>
    private Workspace RentInference(int batch)
    {
        int threads = Cpu.ThreadCount;
        int size = Math.Min(MaxInferenceBatch, (int)Math.Min(int.MaxValue, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)batch)));
        ExecutionPlan plan;
        lock (_idle)
        {
            int best = -1;
            for (int i = 0; i < _idle.Count; i++)
                if (_idle[i].MaxBatch >= size && _idle[i].Threads == threads && (best < 0 || _idle[i].MaxBatch < _idle[best].MaxBatch)) best = i;
            if (best >= 0)
            {
                var ws = _idle[best];
                _idle.RemoveAt(best);
                return ws;
            }
        }
        lock (_sync) plan = _inferencePlan ??= Compile(loss: null);
        return new Workspace(plan, size, threads, training: false);
    }

    /// <summary>Makes (or finds) the pooled inference workspace for batches of <paramref name="maxBatch"/>, e.g. to measure it.</summary>
    internal Workspace InferenceWorkspace(int maxBatch)
    {
        var ws = RentInference(maxBatch);
        ReturnInference(ws);
        return ws;
    }

    private void ReturnInference(Workspace ws)
    {
        lock (_idle)
            if (ReferenceEquals(ws.Plan, _inferencePlan)) _idle.Add(ws);
    }
}
