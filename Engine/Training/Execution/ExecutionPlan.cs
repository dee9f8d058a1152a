using Engine.Layers;
using Engine.Losses;

namespace Engine.Training;

/// <summary>
/// A network compiled for running: its layers grouped into <see cref="Stage"/>s (plain layers, and fusions that save a pass
/// over memory), connected by values — value 0 is the input, every stage writes one new value — so the stages form a directed
/// acyclic graph run by one forward loop in order and one backward loop in reverse. Immutable and shared by every workspace.
/// </summary>
internal sealed class ExecutionPlan
{
    /// <summary>A fusion: when <see cref="Matches"/> holds at leaf i, the <see cref="Length"/> leaves from i (consecutive in one
    /// chain) become one stage. Indices are into the plan's leaves.</summary>
    private sealed record Fusion(string Name, int Length, Func<IReadOnlyList<Layer>, int, Settings, bool> Matches,
        Func<int, int, int, IReadOnlyList<Layer>, Stage> Create);

    /// <summary>What a compilation depends on besides the layers.</summary>
    /// <param name="Loss">The training loss (null for inference): cross-entropy after a final softmax fuses their gradients.</param>
    /// <param name="FuseActivationWithPooling">Whether a monotone activation before max pooling runs after it instead.</param>
    internal readonly record struct Settings(Loss? Loss, bool FuseActivationWithPooling)
    {
        /// <summary>The network's last layer (a softmax there may fuse with the loss).</summary>
        public Layer? FinalLayer { get; init; }

        /// <summary>The input's normalisation, run as the first stage; null for none.</summary>
        public InputNormalization? Normalization { get; init; }

        /// <summary>Whether a residual block's add and a ReLU right after it run as one stage (<see cref="AddReluStage"/>; the bits
        /// are the same either way: a test switch).</summary>
        public bool FuseResidualRelu { get; init; } = true;

        /// <summary>Whether a training plan runs a ReLU and the convolution after it as one stage (<see cref="ReluConvolutionStage"/>)
        /// and lets convolutions add their data gradients into their input's (<see cref="ConvolutionStage"/>); the bits are the
        /// same either way: a test switch.</summary>
        public bool FuseReluConvolution { get; init; } = true;

        /// <summary>Whether a convolution whose kernel fuses an epilogue takes the batch norm and/or ReLU after it in
        /// (<see cref="ConvolutionEpilogueStage"/>): inference plans only, since training needs the stored convolution output.</summary>
        public bool FuseConvolutionEpilogue { get; init; }
    }

    private static readonly Fusion[] Fusions =
    [
        new("convolution-batch-norm-relu", 3,
            (l, i, s) => FusesEpilogue(l, i, s) && l[i + 1] is BatchNorm2D && l[i + 2] is ReLU,
            (input, output, i, l) => new ConvolutionEpilogueStage([input], output, [i, i + 1, i + 2], normalized: true, relu: true, ((Conv2D)l[i]).Filters)),
        new("convolution-batch-norm", 2,
            (l, i, s) => FusesEpilogue(l, i, s) && l[i + 1] is BatchNorm2D,
            (input, output, i, l) => new ConvolutionEpilogueStage([input], output, [i, i + 1], normalized: true, relu: false, ((Conv2D)l[i]).Filters)),
        // A ReLU before a max pooling stays with the pooling when that fusion is on (it then runs on the pooled values).
        new("convolution-relu", 2,
            (l, i, s) => FusesEpilogue(l, i, s) && l[i + 1] is ReLU && !(s.FuseActivationWithPooling && i + 2 < l.Count && l[i + 2] is MaxPool2D),
            (input, output, i, l) => new ConvolutionEpilogueStage([input], output, [i, i + 1], normalized: false, relu: true, ((Conv2D)l[i]).Filters)),
        new("pool-then-activate", 2,
            (l, i, s) => s.FuseActivationWithPooling && l[i] is ActivationLayer { IsMonotone: true } && l[i + 1] is MaxPool2D,
            (input, output, i, l) => new PoolThenActivateStage(input, output, i, i + 1, l[i + 1].OutputShape.Size)),
        new("batch-norm-relu", 2,
            (l, i, s) => l[i] is BatchNorm && l[i + 1] is ReLU,
            (input, output, i, l) => new BatchNormReluStage(input, output, i, i + 1, l[i].OutputShape.Size, ((BatchNorm)l[i]).FoldsReluBackward)),
        // Training: the ReLU's backward pass runs inside the convolution's data gradient (inference has nothing to save).
        new("relu-convolution", 2,
            (l, i, s) => s.Loss is not null && s.FuseReluConvolution && l[i] is ReLU && l[i + 1] is Conv2D { AccumulatesInputGradient: true },
            (input, output, i, l) => new ReluConvolutionStage(input, output, i, i + 1, l[i].OutputShape.Size)),
        // Training: a convolution adds its data gradient into a value other stages read too (a residual block's input).
        new("accumulating-convolution", 1,
            (l, i, s) => s.Loss is not null && s.FuseReluConvolution && l[i] is Conv2D { AccumulatesInputGradient: true },
            (input, output, i, _) => new ConvolutionStage(input, output, i)),
        new("softmax-cross-entropy", 1,
            (l, i, s) => s.Loss is CrossEntropy && s.FinalLayer == l[i] && l[i] is Softmax,
            (input, output, i, _) => new SoftmaxCrossEntropyStage(input, output, i)),
    ];

    private ExecutionPlan(IReadOnlyList<Layer> layers, Stage[] stages, Shape[] values)
    {
        Layers = layers;
        Stages = stages;
        ValueShapes = values;
        var producer = new int[values.Length];
        var lastConsumer = new int[values.Length];
        var consumers = new int[values.Length];
        producer[0] = -1;
        for (int s = 0; s < stages.Length; s++)
        {
            producer[stages[s].Output] = s;
            foreach (int v in stages[s].Inputs) { lastConsumer[v] = Math.Max(lastConsumer[v], s); consumers[v]++; }
        }
        lastConsumer[Output] = stages.Length;
        var needs = new bool[values.Length];
        for (int s = 0; s < stages.Length; s++) needs[stages[s].Output] = stages[s].OutputNeedsGradient;
        NeedsGradient = needs;
        Producer = producer;
        LastConsumer = lastConsumer;
        ConsumerCount = consumers;
        LossGradientValue = stages[^1] is SoftmaxCrossEntropyStage fused ? fused.Inputs[0] : Output;
    }

    /// <summary>The layers the stages run, in network order with residual blocks expanded (indices in <see cref="Stage.Layers"/> refer to this list).</summary>
    public IReadOnlyList<Layer> Layers { get; }

    /// <summary>The stages in forward order.</summary>
    public Stage[] Stages { get; }

    /// <summary>The per-sample shape of each value (value 0: the input).</summary>
    public Shape[] ValueShapes { get; }

    /// <summary>The value holding the network's output.</summary>
    public int Output => ValueShapes.Length - 1;

    /// <summary>The stage producing each value (−1 for the input).</summary>
    public int[] Producer { get; }

    /// <summary>The last stage reading each value (the stage count for the output, which the caller reads).</summary>
    public int[] LastConsumer { get; }

    /// <summary>Whether the gradient of each value is of use (false for the input and what only depends on it without parameters).</summary>
    public bool[] NeedsGradient { get; }

    /// <summary>How many stage inputs read each value (its gradient is the sum over them).</summary>
    public int[] ConsumerCount { get; }

    /// <summary>The value whose gradient the loss writes: the output, or the final softmax's input when their gradients are fused.</summary>
    public int LossGradientValue { get; }

    /// <summary>Whether the loss writes the fused softmax + cross-entropy gradient (with respect to the logits).</summary>
    public bool FusesLossGradient => LossGradientValue != Output;

    /// <summary>Compiles <paramref name="layers"/> (built, in order, for samples of <paramref name="input"/>); residual blocks expand into
    /// their body's stages, their shortcut's, and an add (fused with a ReLU that follows the block).</summary>
    public static ExecutionPlan Compile(Shape input, IReadOnlyList<Layer> layers, Settings settings)
    {
        var leaves = layers.SelectMany(Residual.Leaves).ToArray();
        var index = new Dictionary<Layer, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < leaves.Length; i++) index.Add(leaves[i], i);
        var stages = new List<Stage>();
        var values = new List<Shape> { input };
        settings = settings with { FinalLayer = layers.Count == 0 ? null : layers[^1] };

        int NewValue(Shape shape) { values.Add(shape); return values.Count - 1; }

        int Chain(IReadOnlyList<Layer> chain, int value)
        {
            for (int i = 0; i < chain.Count;)
            {
                if (chain[i] is Residual block)
                {
                    // Residual add then ReLU: one pass, the sum never stored (unless the ReLU runs after a max pooling instead).
                    bool relu = settings.FuseResidualRelu && i + 1 < chain.Count && chain[i + 1] is ReLU
                        && !(settings.FuseActivationWithPooling && i + 2 < chain.Count && chain[i + 2] is MaxPool2D);
                    int sum;
                    var b = block.Body;
                    if (b.Count >= 2 && FusesEpilogue(leaves, index.GetValueOrDefault(b[^2], -1), settings) && b[^1] is BatchNorm2D)
                    {
                        // Inference: the body's last convolution takes its batch norm, the add and the ReLU into its epilogue
                        // (the shortcut is computed first, so it is there when the convolution writes its planes).
                        int shortcutValue = block.Projects ? Chain(block.Shortcut, value) : value;
                        int bodyValue = Chain(b.Take(b.Count - 2).ToList(), value);
                        sum = NewValue(block.OutputShape);
                        int conv = index[b[^2]];
                        int[] folded = relu ? [conv, conv + 1, index[chain[i + 1]]] : [conv, conv + 1];
                        stages.Add(new ConvolutionEpilogueStage([bodyValue, shortcutValue], sum, folded, normalized: true, relu, ((Conv2D)b[^2]).Filters));
                    }
                    else
                    {
                        int body = Chain(block.Body, value);
                        int shortcut = block.Projects ? Chain(block.Shortcut, value) : value;
                        sum = NewValue(block.OutputShape);
                        stages.Add(relu ? new AddReluStage(body, shortcut, sum, index[chain[i + 1]]) : new AddStage(body, shortcut, sum));
                    }
                    value = sum;
                    i += relu ? 2 : 1;
                    continue;
                }
                int leaf = index[chain[i]];
                // A fusion needs its layers consecutive in this chain (never across a block's boundary).
                var fusion = Array.Find(Fusions, f => i + f.Length <= chain.Count && IsRun(chain, i, f.Length, leaves, leaf) && f.Matches(leaves, leaf, settings));
                int length = fusion?.Length ?? 1;
                int output = NewValue(chain[i + length - 1].OutputShape);
                stages.Add(fusion is null ? new LayerStage(value, output, leaf) : fusion.Create(value, output, leaf, leaves));
                value = output;
                i += length;
            }
            return value;
        }

        int first = 0;
        if (settings.Normalization is { } normalization)
        {
            first = NewValue(input);
            stages.Add(new NormalizeStage(0, first, normalization, input));
        }
        Chain(layers, first);
        return new ExecutionPlan(leaves, stages.ToArray(), values.ToArray());
    }

    /// <summary>Whether leaf i is a convolution whose kernel applies an epilogue, in a plan that fuses them.</summary>
    private static bool FusesEpilogue(IReadOnlyList<Layer> leaves, int i, Settings settings) =>
        settings.FuseConvolutionEpilogue && i >= 0 && leaves[i] is Conv2D { FusesEpilogue: true };

    /// <summary>Whether chain[i .. i + length) are leaves leaf, leaf + 1, … (plain layers, no block among them).</summary>
    private static bool IsRun(IReadOnlyList<Layer> chain, int i, int length, Layer[] leaves, int leaf)
    {
        for (int k = 0; k < length; k++)
            if (chain[i + k] is Residual || leaf + k >= leaves.Length || !ReferenceEquals(leaves[leaf + k], chain[i + k])) return false;
        return true;
    }

    /// <summary>Runs every stage forward on the first <paramref name="batch"/> samples of the workspace's input.</summary>
    public void Forward(Workspace ws, int batch, LayerMode mode)
    {
        for (int s = 0; s < Stages.Length; s++) Stages[s].Forward(ws, s, batch, mode);
    }

    /// <summary>Runs every stage backward, from the gradient of <see cref="LossGradientValue"/> the caller wrote.</summary>
    public void Backward(Workspace ws, int batch)
    {
        for (int s = Stages.Length - 1; s >= 0; s--) Stages[s].Backward(ws, s, batch);
    }

    /// <summary>One line per stage.</summary>
    public string Describe() => string.Join(Environment.NewLine, Stages.Select(s => s.Describe(Layers)));
}
