using Engine.Kernels;
using Engine.Layers;

namespace Engine.Training;

/// <summary>
/// Inference only: a convolution whose forward kernel applies an epilogue in registers, with what follows it folded in — an
/// evaluation-mode <see cref="BatchNorm2D"/> (its per-channel <c>fma(scale, v, shift)</c>), a <see cref="ReLU"/>, or both —
/// and, at the end of a residual block, the add of the shortcut (its second input) and the ReLU after the block — so the
/// convolution's output is stored once, finished, instead of written, read and written again by each pass after it.
/// The operations are those of the separate layers in their order, so the outputs are the same bits as the unfused plan's.
/// Training plans never hold it: a training batch norm needs the batch's statistics of the convolution's stored output.
/// </summary>
/// <param name="inputs">The convolution's input value, and for a residual block's end the shortcut's value.</param>
/// <param name="output">The value written (after the last folded layer).</param>
/// <param name="layers">The convolution, then the batch norm and/or the ReLU, as leaf indices.</param>
/// <param name="normalized">Whether <paramref name="layers"/>[1] is a batch norm.</param>
/// <param name="relu">Whether the last layer is a ReLU.</param>
/// <param name="filters">The convolution's output channels.</param>
internal sealed class ConvolutionEpilogueStage(int[] inputs, int output, int[] layers, bool normalized, bool relu, int filters)
    : Stage(inputs, output, layers)
{
    /// <summary>The batch norm's per-channel scale and shift [2, F] during the call.</summary>
    public override long TemporarySize(int maxBatch) => normalized ? 2L * filters : 0;

    public override bool OutputNeedsGradient => false;

    public override void Forward(Workspace ws, int stage, int batch, LayerMode mode)
    {
        if (mode != LayerMode.Evaluation) throw new InvalidOperationException("A convolution with a fused epilogue runs in evaluation mode only (an inference plan).");
        var conv = (Conv2D)ws.Plan.Layers[Layers[0]];
        Span<float> scale = default, shift = default;
        if (normalized)
        {
            var affine = ws.StageTemporary(stage, 2 * filters);
            scale = affine[..filters];
            shift = affine[filters..];
            ((BatchNorm)ws.Plan.Layers[Layers[1]]).EvaluationAffine(scale, shift);
        }
        var residual = Inputs.Length > 1 ? ws.Value(Inputs[1], batch) : default;
        conv.ForwardWithEpilogue(ws.Value(Inputs[0], batch), ws.Value(Output, batch), batch, ws.Context(stage, 0, mode),
            new ConvEpilogue(scale, shift, relu, residual));
    }

    public override void Backward(Workspace ws, int stage, int batch) =>
        throw new InvalidOperationException("A convolution with a fused epilogue has no backward pass (it is only in inference plans).");

    public override string Describe(IReadOnlyList<Layer> layers)
    {
        var names = Layers.Select(l => layers[l].Name).ToList();
        if (Inputs.Length > 1) names.Insert(normalized ? 2 : 1, "residual add");
        return $"{string.Join(" then ", names)} (fused into the convolution's epilogue)";
    }
}
