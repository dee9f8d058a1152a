using Engine.Layers;

namespace Engine.Training;

/// <summary>
/// A convolution whose data-gradient kernel adds into its input's gradient (training, <see cref="Conv2D.AccumulatesInputGradient"/>):
/// when another stage also reads the input (a residual block's first convolution and its shortcut), the gradient is added to
/// the value's total as each plane is written, instead of written to a temporary that a pass then adds (one write and two
/// reads of the batch fewer). Otherwise the layer's own stage: the same operations, so the same bits.
/// </summary>
internal sealed class ConvolutionStage(int input, int output, int convolution) : LayerStage(input, output, convolution)
{
    public override void Backward(Workspace ws, int stage, int batch)
    {
        var dx = ws.AccumulatingInputGradient(stage, 0, batch, out bool accumulate);
        ((Conv2D)ws.Plan.Layers[Layers[0]]).Backward(ws.Value(Inputs[0], batch), default, ws.Gradient(Output, batch), dx, accumulate, batch,
            ws.Context(stage, 0, LayerMode.Training));
    }
}

/// <summary>
/// A ReLU followed by a convolution (training): forward is the ReLU into the stage's saved memory, then the convolution of
/// it; backward runs the convolution's weight gradient on the saved ReLU output, and its data gradient applies the ReLU's
/// derivative at the stage's input to each plane it writes (and adds the planes to the input's gradient when another stage
/// also reads the input; see <see cref="ConvolutionStage"/>), so the ReLU's own backward pass over the batch (read dy and x,
/// write dx) disappears. The same operations on the same values as the two layers' stages, so the same bits. Planned only
/// where the convolution's kernel does this (<see cref="Conv2D.AccumulatesInputGradient"/>); the ReLU's output has no other
/// reader (it is not a value of the plan).
/// </summary>
internal sealed class ReluConvolutionStage(int input, int output, int relu, int convolution, int activatedPerSample)
    : Stage([input], output, [relu, convolution])
{
    /// <summary>The ReLU's output [N, C, H, W], the convolution's input, kept for its weight gradient.</summary>
    public override long SavedSize(int maxBatch) => (long)maxBatch * activatedPerSample;

    public override void Forward(Workspace ws, int stage, int batch, LayerMode mode)
    {
        var relu = ws.Plan.Layers[Layers[0]];
        var convolution = ws.Plan.Layers[Layers[1]];
        var activated = ws.StageSaved(stage, batch * activatedPerSample);
        relu.Forward(ws.Value(Inputs[0], batch), activated, batch, ws.Context(stage, 0, mode));
        convolution.Forward(activated, ws.Value(Output, batch), batch, ws.Context(stage, 1, mode));
    }

    public override void Backward(Workspace ws, int stage, int batch)
    {
        var convolution = (Conv2D)ws.Plan.Layers[Layers[1]];
        var dx = ws.AccumulatingInputGradient(stage, 0, batch, out bool accumulate);
        convolution.Backward(ws.StageSaved(stage, batch * activatedPerSample), ws.Value(Inputs[0], batch), ws.Gradient(Output, batch), dx,
            accumulate, batch, ws.Context(stage, 1, LayerMode.Training));
    }

    public override string Describe(IReadOnlyList<Layer> layers) => $"{layers[Layers[0]].Name} then {layers[Layers[1]].Name} (fused)";
}
