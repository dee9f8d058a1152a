using Engine.Layers;
using Engine.Onnx.Protobuf;

namespace Engine.Onnx.Import;

/// <summary>
/// The operators that make or finish a fully connected layer: Gemm (PyTorch's Linear), MatMul (+ Add, as Keras converters
/// write it), and Add of a constant folded into the bias of the Dense or Conv2D just before it. The engine's
/// <see cref="Dense"/> stores weights [Units, Inputs], one row per output, which is Gemm's B with transB = 1.
/// </summary>
internal static class DenseImporters
{
    /// <summary>
    /// Gemm-1/6/7/9/11/13: Y = alpha·A·op(B) + beta·C with A the [N, K] input → <see cref="Dense"/> with W = alpha·B (transB = 1)
    /// or alpha·Bᵀ (transB = 0), bias beta·C (C of shape [], [1], [M] or [1, M]; zeros when absent). transA = 1 is refused;
    /// broadcast (before opset 7) is accepted, C broadcasting as above.
    /// </summary>
    public static void Gemm(NodeScope node, NetworkBuilder net)
    {
        node.Allow("alpha", "beta", "transA", "transB", "broadcast");
        int inputs = RequireVector(node, net);
        if (node.Int("transA", 0) != 0)
            throw node.Refuse("transA", "transposes the input batch; the engine's Dense reads one row [K] per sample");
        bool transB = node.Int("transB", 0) != 0;
        float alpha = node.Float("alpha", 1f), beta = node.Float("beta", 1f);
        var b = node.FloatConstant(1, "weights");
        if (b.Dims.Length != 2) throw node.Refuse($"has weights of shape {NodeScope.Dims(b.Dims)}; Gemm's B is a matrix");
        long k = transB ? b.Dims[1] : b.Dims[0], m = transB ? b.Dims[0] : b.Dims[1];
        if (k != inputs)
            throw node.Refuse($"has weights {NodeScope.Dims(b.Dims)}{(transB ? " (transB = 1)" : "")} for {k} inputs, but its input {NetworkBuilder.Describe(net.Shape)} has {inputs}");
        int units = Units(node, m);
        var weights = transB ? net.Copy(b.Floats) : Transposed(net, b.Floats!, inputs, units);
        if (alpha != 1f) for (int i = 0; i < weights.Length; i++) weights[i] *= alpha;
        float[]? bias = null;
        if (node.HasInput(2))
        {
            var c = node.FloatConstant(2, "bias");
            long count = c.ElementCount;
            bool fits = c.Dims.Length switch { 0 => true, 1 => count == 1 || count == units, 2 => c.Dims[0] == 1 && (c.Dims[1] == 1 || c.Dims[1] == units), _ => false };
            if (!fits) throw node.Refuse($"has a bias C of shape {NodeScope.Dims(c.Dims)}; the engine's Dense takes one bias per unit ([{units}] or [1, {units}])");
            bias = net.Zeros(units);
            for (int u = 0; u < units; u++) bias[u] = beta * c.Floats![count == 1 ? 0 : u];
        }
        net.Add(node, new Dense(units), weights, bias);
    }

    /// <summary>MatMul-1/9/13 of the [N, K] input by a constant [K, M] → <see cref="Dense"/> with W = Bᵀ and zero bias (a following Add gives it).</summary>
    public static void MatMul(NodeScope node, NetworkBuilder net)
    {
        node.Allow();
        if (node.IsConstant(0))
            throw node.Refuse("multiplies a constant by the computed value (the value on the right); the engine's Dense computes x·W with x on the left");
        int inputs = RequireVector(node, net);
        var b = node.FloatConstant(1, "weights");
        if (b.Dims.Length != 2 || b.Dims[0] != inputs)
            throw node.Refuse($"multiplies its input {NetworkBuilder.Describe(net.Shape)} by a constant of shape {NodeScope.Dims(b.Dims)}; the engine's Dense needs [{inputs}, M]");
        int units = Units(node, b.Dims[1]);
        net.Add(node, new Dense(units), Transposed(net, b.Floats!, inputs, units));
    }

    /// <summary>
    /// Add-1/6/7/13/14 of a constant to the output of the Dense or Conv2D just before it (Identity and Dropout may sit between):
    /// added to that layer's bias (a convolution without one gets one). The constant must be one value per unit or channel (or
    /// one value), broadcast numpy-style from opset 7, before it from <c>axis</c> when given. (An Add of two computed values is
    /// the join of a residual block: see <see cref="GraphWalk"/>.)
    /// </summary>
    public static void AddBias(NodeScope node, NetworkBuilder net)
    {
        node.Allow(node.Opset < 7 ? ["broadcast", "axis"] : []);
        int at = node.IsConstant(1) ? 1 : node.IsConstant(0) ? 0 : throw node.Refuse("adds two computed values that are not the two branches of a residual block");
        var c = node.FloatConstant(at, "addend");
        var last = net.Last;
        if (last is null || last.Layer is not (Dense or Conv2D) || last.Layer.OutputShape != net.Shape)
            throw node.Refuse($"adds a constant to {(last is null ? net.Origin : $"the output of {last.Layer.Kind}")}; the engine takes a constant Add only as the bias of the MatMul, Gemm or Conv just before it");
        var sample = net.Shape;
        var values = node.PerChannel(c, sample, "adds", $"the engine's bias is one value per {(sample.Rank == 1 ? "unit" : "channel")}");
        if (last.Layer is Conv2D { HasBias: false } conv)
            last = net.Replace(node, last, new Conv2D(conv.Filters, conv.KernelHeight, conv.KernelWidth, conv.StrideHeight, conv.StrideWidth, conv.Padding),
                last.Weights, net.Zeros(conv.Filters));
        var biases = last.Biases;
        for (int i = 0; i < biases.Length; i++) biases[i] += values[i];
    }

    /// <summary>The input's feature count; refuses inputs that are not [N, K].</summary>
    private static int RequireVector(NodeScope node, NetworkBuilder net)
    {
        var input = net.Shape;
        if (input.Rank != 1)
            throw node.Refuse($"reads a value of shape {NetworkBuilder.Describe(input)}; the engine's Dense takes [N, K] (put a Flatten before it)");
        return input[0];
    }

    private static int Units(NodeScope node, long m) =>
        m is >= 1 and <= int.MaxValue ? (int)m : throw node.Refuse($"gives {m} output units; there must be between 1 and {int.MaxValue}");

    /// <summary>w[u, i] = b[i, u]: a [K, M] matrix as the [M, K] weights of a Dense.</summary>
    private static float[] Transposed(NetworkBuilder net, float[] b /* [K, M] */, int inputs, int units)
    {
        var w = net.Zeros((long)inputs * units); // [M, K]
        for (int i = 0; i < inputs; i++)
            for (int u = 0; u < units; u++)
                w[(long)u * inputs + i] = b[(long)i * units + u];
        return w;
    }
}
