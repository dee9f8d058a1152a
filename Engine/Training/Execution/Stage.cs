using Engine.Layers;

namespace Engine.Training;

/// <summary>
/// One step of an <see cref="ExecutionPlan"/>: reads the values <see cref="Inputs"/>, writes the value <see cref="Output"/>, and
/// backward turns the gradient of its output into gradients of its inputs (and parameter gradients of its layers). Stages are
/// immutable and shared by every workspace; all memory comes from the <see cref="Workspace"/> they are given.
/// </summary>
internal abstract class Stage
{
    /// <summary>A stage from the values <paramref name="inputs"/> to the new value <paramref name="output"/>, running layers <paramref name="layers"/>.</summary>
    protected Stage(int[] inputs, int output, int[] layers) => (Inputs, Output, Layers) = (inputs, output, layers);

    /// <summary>The values read (value 0 is the network's input).</summary>
    public int[] Inputs { get; }

    /// <summary>The value written.</summary>
    public int Output { get; }

    /// <summary>Indices (into the plan's layers) of the layers this stage runs; each gets its saved memory in the stage's region.</summary>
    public int[] Layers { get; }

    /// <summary>Floats of saved memory the stage itself keeps from Forward to Backward (besides its layers').</summary>
    public virtual long SavedSize(int maxBatch) => 0;

    /// <summary>Whether a gradient with respect to this stage's output is of use (false for a stage before every parameter, such as
    /// the input's normalisation: nothing upstream trains).</summary>
    public virtual bool OutputNeedsGradient => true;

    /// <summary>Floats of temporary memory the stage itself needs within one call (disjoint from its layers' scratch).</summary>
    public virtual long TemporarySize(int maxBatch) => 0;

    /// <summary>Runs the stage forward on the first <paramref name="batch"/> samples.</summary>
    public abstract void Forward(Workspace ws, int stage, int batch, LayerMode mode);

    /// <summary>
    /// Runs the stage backward: the gradient of <see cref="Output"/> is in the workspace; writes the gradients of the inputs that
    /// need one (through <see cref="Workspace.InputGradient"/>) and accumulates its layers' parameter gradients.
    /// </summary>
    public abstract void Backward(Workspace ws, int stage, int batch);

    /// <summary>One line for <c>Network.Describe</c>-style listings.</summary>
    public abstract string Describe(IReadOnlyList<Layer> layers);
}

/// <summary>A single layer: y = layer(x).</summary>
internal class LayerStage(int input, int output, int layer) : Stage([input], output, [layer])
{
    public override void Forward(Workspace ws, int stage, int batch, LayerMode mode)
    {
        var layer = ws.Plan.Layers[Layers[0]];
        layer.Forward(ws.Value(Inputs[0], batch), ws.Value(Output, batch), batch, ws.Context(stage, 0, mode));
    }

    public override void Backward(Workspace ws, int stage, int batch)
    {
        var layer = ws.Plan.Layers[Layers[0]];
        var dx = ws.InputGradient(stage, 0, batch);
        layer.Backward(ws.Value(Inputs[0], batch), ws.Value(Output, batch), ws.Gradient(Output, batch), dx, batch,
            ws.Context(stage, 0, LayerMode.Training));
        ws.FinishInputGradient(stage, 0, batch);
    }

    public override string Describe(IReadOnlyList<Layer> layers) => layers[Layers[0]].Name;
}

/// <summary>
/// A monotone activation f followed by max pooling, run in the other order: f then max-pool = max-pool then f, so the
/// activation touches 4× fewer values with a 2×2 window. The pooled pre-activations are kept for the backward pass. The
/// gradient then goes to the window's largest pre-activation; where f maps several inputs of a window to the same value that
/// choice may differ from the unfused order, among equally valid subgradients.
/// </summary>
internal sealed class PoolThenActivateStage(int input, int output, int activation, int pool, int pooledPerSample)
    : Stage([input], output, [activation, pool])
{
    /// <summary>The pooled pre-activations [N, pool output].</summary>
    public override long SavedSize(int maxBatch) => (long)maxBatch * pooledPerSample;

    /// <summary>Their gradient [N, pool output] during backward.</summary>
    public override long TemporarySize(int maxBatch) => (long)maxBatch * pooledPerSample;

    public override void Forward(Workspace ws, int stage, int batch, LayerMode mode)
    {
        var activation = (ActivationLayer)ws.Plan.Layers[Layers[0]];
        var pool = ws.Plan.Layers[Layers[1]];
        var pooled = ws.StageSaved(stage, batch * pool.OutputShape.Size);
        pool.Forward(ws.Value(Inputs[0], batch), pooled, batch, ws.Context(stage, 1, mode));
        activation.Apply(pooled, ws.Value(Output, batch));
    }

    public override void Backward(Workspace ws, int stage, int batch)
    {
        var activation = (ActivationLayer)ws.Plan.Layers[Layers[0]];
        var pool = ws.Plan.Layers[Layers[1]];
        int pooledLength = batch * pool.OutputShape.Size;
        var pooled = ws.StageSaved(stage, pooledLength);
        var dPooled = ws.StageTemporary(stage, pooledLength);
        activation.Derive(pooled, ws.Value(Output, batch), ws.Gradient(Output, batch), dPooled);
        var dx = ws.InputGradient(stage, 0, batch);
        pool.Backward(ws.Value(Inputs[0], batch), pooled, dPooled, dx, batch, ws.Context(stage, 1, LayerMode.Training));
        ws.FinishInputGradient(stage, 0, batch);
    }

    public override string Describe(IReadOnlyList<Layer> layers) => $"{layers[Layers[1]].Name} then {layers[Layers[0]].Name} (fused)";
}

/// <summary>
/// The final softmax when the loss is cross-entropy: forward is the softmax; the loss writes its fused gradient with respect
/// to the logits, (p − onehot)/N, straight into this stage's input gradient, so backward has nothing left to do.
/// </summary>
internal sealed class SoftmaxCrossEntropyStage(int input, int output, int layer) : Stage([input], output, [layer])
{
    public override void Forward(Workspace ws, int stage, int batch, LayerMode mode)
    {
        var layer = ws.Plan.Layers[Layers[0]];
        layer.Forward(ws.Value(Inputs[0], batch), ws.Value(Output, batch), batch, ws.Context(stage, 0, mode));
    }

    public override void Backward(Workspace ws, int stage, int batch) { }

    public override string Describe(IReadOnlyList<Layer> layers) => $"{layers[Layers[0]].Name} (gradient fused with the cross-entropy loss)";
}

/// <summary>
/// A batch norm followed by a ReLU, run as one pass: y = max(0, bn(x)) without storing bn(x); backward masks dy by y &gt; 0
/// into temporary memory and runs the batch norm's backward on it.
/// </summary>
internal sealed class BatchNormReluStage(int input, int output, int norm, int relu, int perSample, bool foldsMask) : Stage([input], output, [norm, relu])
{
    /// <summary>The masked gradient [N, shape] during backward, unless the batch norm folds the mask into its passes.</summary>
    public override long TemporarySize(int maxBatch) => foldsMask ? 0 : (long)maxBatch * perSample;

    public override void Forward(Workspace ws, int stage, int batch, LayerMode mode)
    {
        var norm = (BatchNorm)ws.Plan.Layers[Layers[0]];
        norm.Forward(ws.Value(Inputs[0], batch), ws.Value(Output, batch), batch, ws.Context(stage, 0, mode), relu: true);
    }

    public override void Backward(Workspace ws, int stage, int batch)
    {
        var norm = (BatchNorm)ws.Plan.Layers[Layers[0]];
        var y = ws.Value(Output, batch);
        if (foldsMask)
        {
            var gradient = ws.InputGradient(stage, 0, batch);
            norm.BackwardThroughRelu(ws.Value(Inputs[0], batch), ws.Gradient(Output, batch), gradient, batch, ws.Context(stage, 0, LayerMode.Training));
            ws.FinishInputGradient(stage, 0, batch);
            return;
        }
        var masked = ws.StageTemporary(stage, y.Length);
        Engine.Kernels.VectorOps.MaskByPositive(ws.Gradient(Output, batch), y, masked, ws.Threads);
        var dx = ws.InputGradient(stage, 0, batch);
        norm.Backward(ws.Value(Inputs[0], batch), y, masked, dx, batch, ws.Context(stage, 0, LayerMode.Training));
        ws.FinishInputGradient(stage, 0, batch);
    }

    public override string Describe(IReadOnlyList<Layer> layers) => $"{layers[Layers[0]].Name} then {layers[Layers[1]].Name} (fused)";
}

/// <summary>The input's per-channel normalisation, before the first layer: y = fma(1/std[c], x, −mean[c]/std[c]). No gradient flows to the input.</summary>
internal sealed class NormalizeStage : Stage
{
    private readonly float[] _scale, _shift;
    private readonly int _channels, _plane;

    public NormalizeStage(int input, int output, InputNormalization normalization, Shape shape) : base([input], output, [])
    {
        _channels = normalization.Channels;
        _plane = shape.Size / _channels;
        _scale = normalization.Std.Select(s => 1f / s).ToArray();
        _shift = normalization.Mean.Select((m, c) => -m * _scale[c]).ToArray();
    }

    public override void Forward(Workspace ws, int stage, int batch, LayerMode mode) =>
        Engine.Kernels.BatchNormKernels.Normalize(ws.Value(Inputs[0], batch), ws.Value(Output, batch), batch, _channels, _plane, _scale, _shift, relu: false, ws.Threads);

    public override bool OutputNeedsGradient => false;

    public override void Backward(Workspace ws, int stage, int batch) { }

    public override string Describe(IReadOnlyList<Layer> layers) => "input normalisation";
}
