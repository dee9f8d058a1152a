using Engine.Kernels;
using Engine.Layers;

namespace Engine.Training;

/// <summary>The end of a residual block: y = body output + shortcut (its two inputs); backward hands dy to both.</summary>
internal sealed class AddStage(int body, int shortcut, int output) : Stage([body, shortcut], output, [])
{
    public override void Forward(Workspace ws, int stage, int batch, LayerMode mode) =>
        VectorOps.Add(ws.Value(Inputs[0], batch), ws.Value(Inputs[1], batch), ws.Value(Output, batch), ws.Threads);

    public override void Backward(Workspace ws, int stage, int batch)
    {
        var dy = ws.Gradient(Output, batch);
        for (int input = 0; input < 2; input++)
        {
            var dx = ws.InputGradient(stage, input, batch);
            if (dx.IsEmpty) continue;
            dy.CopyTo(dx);
            ws.FinishInputGradient(stage, input, batch);
        }
    }

    public override string Describe(IReadOnlyList<Layer> layers) => "residual add";
}

/// <summary>
/// The end of a residual block followed by a ReLU, run as one pass: y = max(0, body output + shortcut) without storing the sum.
/// Backward hands dy · [y &gt; 0] to both inputs: y &gt; 0 exactly where the sum is, so this is the ReLU's own backward
/// (<see cref="ReluOperator"/>'s derivative times dy, the same multiplication) and the bits equal the unfused add then ReLU.
/// </summary>
internal sealed class AddReluStage(int body, int shortcut, int output, int relu) : Stage([body, shortcut], output, [relu])
{
    public override void Forward(Workspace ws, int stage, int batch, LayerMode mode) =>
        VectorOps.AddRelu(ws.Value(Inputs[0], batch), ws.Value(Inputs[1], batch), ws.Value(Output, batch), ws.Threads);

    public override void Backward(Workspace ws, int stage, int batch)
    {
        var y = ws.Value(Output, batch);
        var dy = ws.Gradient(Output, batch);
        var body = ws.InputGradient(stage, 0, batch);
        var shortcut = ws.InputGradient(stage, 1, batch);
        // The derivative reads its first argument only: y in place of the sum gives the same mask. Both inputs get the same
        // gradient, written in one pass over y and dy; the two spans are the same temporary only when neither input's gradient
        // is written here first, and then each finish adds the same values.
        if (body.IsEmpty && shortcut.IsEmpty) return;
        if (body.IsEmpty || shortcut.IsEmpty || body.Overlaps(shortcut))
            Activations.Backward(new ReluOperator(), y, y, dy, body.IsEmpty ? shortcut : body, ws.Threads);
        else
            Activations.Backward(new ReluOperator(), y, y, dy, body, shortcut, ws.Threads);
        if (!body.IsEmpty) ws.FinishInputGradient(stage, 0, batch);
        if (!shortcut.IsEmpty) ws.FinishInputGradient(stage, 1, batch);
    }

    public override string Describe(IReadOnlyList<Layer> layers) => $"residual add then {layers[Layers[0]].Name} (fused)";
}
