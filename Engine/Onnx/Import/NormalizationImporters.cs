using System.Globalization;
using Engine.Layers;
using Engine.Onnx.Protobuf;

namespace Engine.Onnx.Import;

/// <summary>
/// The normalising operators: BatchNormalization in its inference form (→ <see cref="BatchNorm2D"/> or <see cref="BatchNorm1D"/>
/// with its running statistics as state), and Sub / Div of per-channel constants on the graph's input (→ the network's
/// <see cref="Training.InputNormalization"/>, x ← (x − mean) / std).
/// </summary>
internal static class NormalizationImporters
{
    /// <summary>
    /// BatchNormalization-1/6/7/9/14/15, inference form: Y = scale·(X − mean)/√(var + epsilon) + B with the constants scale, B,
    /// mean and var [C] → <see cref="BatchNorm2D"/> over [N, C, H, W] or <see cref="BatchNorm1D"/> over [N, C]: γ = scale, β = B,
    /// running mean and variance = mean and var, ε = epsilon (default 1e−5), the engine's momentum = 1 − ONNX's (default 0.9;
    /// see <see cref="OnnxMomentum"/>). Refused: training mode (is_test = 0 before opset 7, training_mode = 1 from opset 14, or
    /// its statistics outputs used), spatial = 0, other ranks.
    /// </summary>
    public static void BatchNormalization(NodeScope node, NetworkBuilder net)
    {
        node.Allow("epsilon", "momentum", "spatial", "is_test", "consumed_inputs", "training_mode");
        var input = net.Shape;
        if (input.Rank is not (1 or 3))
            throw node.Refuse($"normalises a value of shape {NetworkBuilder.Describe(input)}; the engine's batch norms take [N, C] (BatchNorm1D) or [N, C, H, W] (BatchNorm2D)");
        if (node.Opset < 7 && node.Int("is_test", 0) == 0)
            throw node.Refuse("is_test", "is 0 (or absent): the node normalises by each batch's statistics (training mode); the engine imports the inference form, is_test = 1");
        if (node.Int("training_mode", 0) != 0)
            throw node.Refuse("training_mode", "runs in training mode; the engine imports the inference form (training_mode = 0)");
        if (node.Opset < 9 && node.Int("spatial", 1) != 1)
            throw node.Refuse("spatial", "normalises every value on its own; the engine's batch norms keep one mean and variance per channel (spatial = 1)");
        float epsilon = node.Float("epsilon", 1e-5f);
        if (!(epsilon > 0f) || !float.IsFinite(epsilon))
            throw node.Refuse("epsilon", "must be a positive finite number (the engine adds it to the variance)");
        float momentum = node.Float("momentum", 0.9f);
        if (!(momentum is >= 0f and < 1f))
            throw node.Refuse("momentum", "must be in [0, 1): the engine's momentum, the weight of each batch (1 − ONNX's), is in (0, 1]");
        int c = input[0];
        var parameters = net.Zeros(2L * c); // γ then β
        var state = net.Zeros(2L * c);      // running mean then variance
        Vector(node, 1, "scale", c).CopyTo(parameters, 0);
        Vector(node, 2, "bias B", c).CopyTo(parameters, c);
        Vector(node, 3, "mean", c).CopyTo(state, 0);
        Vector(node, 4, "variance", c).CopyTo(state, c);
        float engineMomentum = OnnxMomentum.ToEngine(momentum);
        BatchNorm layer = input.Rank == 3 ? new BatchNorm2D(engineMomentum, epsilon) : new BatchNorm1D(engineMomentum, epsilon);
        net.Add(node, layer, biases: parameters, state: state);
    }

    /// <summary>Sub-1/6/7/13/14 of a per-channel constant from the graph's input → the mean of the input normalisation; every value
    /// must be finite.</summary>
    public static void Sub(NodeScope node, NetworkBuilder net)
    {
        var mean = InputConstant(node, net, "subtracts", "subtracts the input from a constant (c − x)");
        if (mean.Any(m => !float.IsFinite(m)))
            throw node.Refuse($"subtracts {mean.First(m => !float.IsFinite(m)).ToString("R", CultureInfo.InvariantCulture)} from the input; the engine's input normalisation subtracts finite means");
        net.SubtractFromInput(node, mean);
    }

    /// <summary>Div-1/6/7/13/14 of the graph's input (after its Sub, if any) by a per-channel constant → the deviation of the input
    /// normalisation; every value must be positive and finite.</summary>
    public static void Div(NodeScope node, NetworkBuilder net)
    {
        var std = InputConstant(node, net, "divides", "divides a constant by the input (c / x)");
        if (std.Any(s => !(s > 0f) || !float.IsFinite(s)))
            throw node.Refuse($"divides the input by {std.First(s => !(s > 0f) || !float.IsFinite(s)).ToString("R", CultureInfo.InvariantCulture)}; the engine's input normalisation divides by positive finite deviations");
        net.DivideInput(node, std);
    }

    /// <summary>The node's constant operand as one value per channel of the input, checked to be the second operand.</summary>
    private static float[] InputConstant(NodeScope node, NetworkBuilder net, string verb, string reversed)
    {
        node.Allow(node.Opset < 7 ? ["broadcast", "axis"] : []);
        net.RequireOnInput(node, verb);
        if (!node.IsConstant(1))
            throw node.Refuse($"{reversed}; the engine's input normalisation computes (x − mean) / std");
        var c = node.FloatConstant(1, "operand");
        return node.PerChannel(c, net.Shape, verb, "the engine's input normalisation holds one value per channel");
    }

    /// <summary>Input <paramref name="index"/> as a constant of <paramref name="count"/> floats, shape [count].</summary>
    private static float[] Vector(NodeScope node, int index, string role, int count)
    {
        var t = node.FloatConstant(index, role);
        if (t.Dims.Length != 1 || t.Dims[0] != count)
            throw node.Refuse($"has a {role} of shape {NodeScope.Dims(t.Dims)}; it needs [{count}], one value per channel");
        return t.Floats!;
    }
}
