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
    // RS0026/RS0027 guard against overloads a call could resolve either way; here a call names the augmentation or does not
    // (the second parameter's type tells them apart), and the first overload is kept as it shipped.
#pragma warning disable RS0026, RS0027
    public Metrics Evaluate(Dataset data, Loss? loss = null, int batchSize = 256) =>
        Evaluate(data, TestTimeAugmentation.None, loss, batchSize);

    /// <summary>
    /// Mean loss, accuracy and confusion matrix over <paramref name="data"/>, in evaluation mode (weights unchanged), each
    /// image's output taken as <paramref name="augmentation"/> says (e.g. averaged with its mirror image's). Thread-safe.
    /// </summary>
    /// <param name="data">Images and labels.</param>
    /// <param name="augmentation">What each image's output is made of (<see cref="TestTimeAugmentation.None"/>: one plain pass).</param>
    /// <param name="loss">The loss to report (default <see cref="CrossEntropy"/>).</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <exception cref="ArgumentException">The data do not fit the network, or <paramref name="augmentation"/> needs image inputs [C, H, W] the network does not take.</exception>
    public Metrics Evaluate(Dataset data, TestTimeAugmentation augmentation, Loss? loss = null, int batchSize = 256)
#pragma warning restore RS0026, RS0027
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        CheckData(data, nameof(data));
        CheckAugmentation(augmentation, nameof(augmentation));
        loss ??= new CrossEntropy();
        EnsureParameters();
        int bs = Math.Min(batchSize, data.Count);
        var ws = RentInference(bs);
        try
        {
            int classes = OutputShape.Size, inSize = InputShape.Size;
            var averaged = augmentation == TestTimeAugmentation.Mirror ? new float[bs * classes] : null;   // [bs, classes]
            double lossSum = 0;
            long correct = 0;
            var confusion = new ConfusionMatrix(classes);
            for (int start = 0; start < data.Count; start += bs)
            {
                int n = Math.Min(bs, data.Count - start);
                var images = data.Images.Slice(start * inSize, n * inSize);   // [n, C, H, W]
                images.CopyTo(ws.Value(0, n));
                var labels = data.Labels.Slice(start, n);
                var output = Infer(ws, n);
                if (averaged is not null)
                {
                    var sum = averaged.AsSpan(0, n * classes);
                    output.CopyTo(sum);
                    Mirror(InputShape, images, ws.Value(0, n), n);
                    AverageInto(sum, Infer(ws, n));
                    output = sum;
                }
                lossSum += loss.Compute(output, labels, n, classes) * n;
                correct += CountCorrect(output, labels, n, classes, confusion);
            }
            return new Metrics(lossSum / data.Count, correct / (double)data.Count, data.Count) { ConfusionMatrix = confusion };
        }
        finally { ReturnInference(ws); }
    }

    /// <summary>Throws when <paramref name="augmentation"/> is not a value or needs image inputs the network does not take.</summary>
    internal void CheckAugmentation(TestTimeAugmentation augmentation, string argument)
    {
        if (!Enum.IsDefined(augmentation)) throw new ArgumentException($"Unknown {nameof(TestTimeAugmentation)} {augmentation}.", argument);
        if (augmentation == TestTimeAugmentation.Mirror && InputShape.Rank != 3)
            throw new ArgumentException($"{nameof(TestTimeAugmentation)}.{augmentation} mirrors images [C, H, W]; the network takes {InputShape}.", argument);
    }

    /// <summary>target [n, C, H, W] = images [n, C, H, W] with every row reversed (mirrored left to right).</summary>
    private static void Mirror(Shape image, ReadOnlySpan<float> images, Span<float> target, int n)
    {
        int width = image[2], rows = n * image[0] * image[1];
        for (int r = 0; r < rows; r++)
        {
            var row = target.Slice(r * width, width);
            images.Slice(r * width, width).CopyTo(row);
            row.Reverse();
        }
    }

    /// <summary>sum[i] = (sum[i] + other[i]) · ½ for every i of <paramref name="sum"/>.</summary>
    private static void AverageInto(Span<float> sum, ReadOnlySpan<float> other)
    {
        for (int i = 0; i < sum.Length; i++) sum[i] = (sum[i] + other[i]) * 0.5f;
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
