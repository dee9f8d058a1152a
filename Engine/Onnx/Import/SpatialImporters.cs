using Engine.Layers;

namespace Engine.Onnx.Import;

/// <summary>
/// The operators over (channels, height, width) values: Conv, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool. ONNX
/// writes pads as [top, left, bottom, right] (all begins, then all ends); <c>auto_pad</c> SAME_UPPER / SAME_LOWER is resolved
/// here into explicit amounts (the sample shape is known at import), VALID into none.
/// </summary>
internal static class SpatialImporters
{
    /// <summary>Conv-1/11 → <see cref="Conv2D"/>: weights [F, C, KH, KW] and bias [F] from constants; without a bias a Conv2D without
    /// one (bias: false), unless an Add of a constant follows (see <see cref="DenseImporters.AddBias"/>).</summary>
    public static void Conv(NodeScope node, NetworkBuilder net)
    {
        node.Allow("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides");
        var input = RequireImage(node, net);
        var w = node.FloatConstant(1, "weights");
        if (w.Dims.Length != 4)
            throw node.Refuse($"has weights of shape {NodeScope.Dims(w.Dims)}; the engine convolves 2-D images only (weights [F, C, KH, KW])");
        if (node.Int("group", 1) != 1)
            throw node.Refuse("group", "grouped and depthwise convolutions are not supported (the engine's Conv2D has group 1)");
        int filters = Positive(node, w.Dims[0], "filters"), channels = Positive(node, w.Dims[1], "weight channels");
        int kh = Positive(node, w.Dims[2], "kernel height"), kw = Positive(node, w.Dims[3], "kernel width");
        if (channels != input[0])
            throw node.Refuse($"has weights for {channels} input channels, but its input {NetworkBuilder.Describe(input)} has {input[0]}");
        var kernel = node.Ints("kernel_shape");
        if (kernel is not null && (kernel.Length != 2 || kernel[0] != kh || kernel[1] != kw))
            throw node.Refuse("kernel_shape", $"disagrees with the weights' {kh}×{kw} kernel");
        RequireNoDilation(node);
        var (sh, sw) = Strides(node);
        var (top, bottom, left, right) = Pads(node, input, kh, kw, sh, sw);
        var padding = (top | bottom | left | right) == 0 ? Padding.Valid : Padding.Explicit(top, bottom, left, right);
        float[]? bias = null;
        if (node.HasInput(2))
        {
            var b = node.FloatConstant(2, "bias");
            if (b.Dims.Length != 1 || b.Dims[0] != filters)
                throw node.Refuse($"has a bias of shape {NodeScope.Dims(b.Dims)}; it needs [{filters}]");
            bias = net.Copy(b.Floats);
        }
        net.Add(node, new Conv2D(filters, kh, kw, sh, sw, padding, bias: bias is not null), net.Copy(w.Floats), bias);
    }

    /// <summary>MaxPool-1/8/10/11/12 → <see cref="MaxPool2D"/>, padded symmetrically by at most half the window (padded cells never win,
    /// as in ONNX); the Indices output must be unused.</summary>
    public static void MaxPool(NodeScope node, NetworkBuilder net) =>
        Pool(node, net, "MaxPool2D", (h, w, sh, sw, ph, pw) => new MaxPool2D(h, w, sh, sw, ph, pw), "storage_order", pads: true);

    /// <summary>AveragePool-1/7/10/11/19 → <see cref="AvgPool2D"/> (no padding, so count_include_pad does not matter).</summary>
    public static void AveragePool(NodeScope node, NetworkBuilder net) =>
        Pool(node, net, "AvgPool2D", (h, w, sh, sw, _, _) => new AvgPool2D(h, w, sh, sw), "count_include_pad", pads: false);

    /// <summary>GlobalAveragePool → an <see cref="AvgPool2D"/> whose window is the whole H×W image: output (C, 1, 1), as ONNX's; a
    /// Flatten right after it makes the two one <see cref="GlobalAvgPool2D"/> (see <see cref="NetworkBuilder.Flatten"/>).</summary>
    public static void GlobalAveragePool(NodeScope node, NetworkBuilder net)
    {
        node.Allow();
        var input = RequireImage(node, net);
        net.Add(node, new AvgPool2D(input[1], input[2], input[1], input[2]));
    }

    /// <summary>GlobalMaxPool → a <see cref="MaxPool2D"/> whose window is the whole H×W image: output (C, 1, 1), as ONNX's.</summary>
    public static void GlobalMaxPool(NodeScope node, NetworkBuilder net)
    {
        node.Allow();
        var input = RequireImage(node, net);
        net.Add(node, new MaxPool2D(input[1], input[2], input[1], input[2]));
    }

    private static void Pool(NodeScope node, NetworkBuilder net, string layer, Func<int, int, int, int, int, int, Layer> create, string ignored, bool pads)
    {
        node.Allow("auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "strides", ignored);
        var input = RequireImage(node, net);
        var kernel = node.Ints("kernel_shape") ?? throw node.Refuse("has no kernel_shape attribute (it is required)");
        if (kernel.Length != 2) throw node.Refuse("kernel_shape", "needs 2 values for a 2-D (NCHW) input");
        int kh = Positive(node, kernel[0], "kernel height"), kw = Positive(node, kernel[1], "kernel width");
        RequireNoDilation(node);
        var (sh, sw) = Strides(node);
        var (top, bottom, left, right) = Pads(node, input, kh, kw, sh, sw);
        string padAttribute = node.Find("pads") is not null ? "pads" : "auto_pad";
        string padding = $"pads the input by ({top}, {bottom}, {left}, {right}) (top, bottom, left, right)";
        if (!pads && (top | bottom | left | right) != 0)
            throw node.Refuse(padAttribute, $"{padding}; the engine's {layer} does not pad");
        if (top != bottom || left != right || 2 * top > kh || 2 * left > kw)
            throw node.Refuse(padAttribute, $"{padding}; the engine's {layer} pads symmetrically (top = bottom, left = right), by at most half the window");
        if (node.Int("ceil_mode", 0) != 0 && (CeilExceedsFloor(input[1], top, kh, sh) || CeilExceedsFloor(input[2], left, kw, sw)))
            throw node.Refuse("ceil_mode", $"rounds the output size up for this {input[1]}×{input[2]} input; the engine's {layer} rounds down");
        net.Add(node, create(kh, kw, sh, sw, top, left));
    }

    /// <summary>Whether ceil_mode adds a window over an axis of <paramref name="n"/> padded by <paramref name="pad"/> on each side:
    /// ceil((n + 2·pad − k) / s) exceeds floor(…) and the extra window starts before the end padding (ONNX Runtime and PyTorch
    /// drop a last window that would start in it).</summary>
    private static bool CeilExceedsFloor(int n, int pad, int k, int s)
    {
        long padded = (long)n + 2 * pad;
        return padded >= k && (padded - k) % s != 0 && ((padded - k) / s + 1) * s < n + pad;
    }

    /// <summary>(top, bottom, left, right) from pads or auto_pad.</summary>
    private static (int Top, int Bottom, int Left, int Right) Pads(NodeScope node, Shape input, int kh, int kw, int sh, int sw)
    {
        string autoPad = node.String("auto_pad", "NOTSET");
        var pads = node.Ints("pads");
        if (autoPad != "NOTSET" && pads is not null && pads.Any(p => p != 0))
            throw node.Refuse("pads", $"is given with auto_pad {GraphChain.Quote(autoPad)}; ONNX allows one or the other");
        switch (autoPad)
        {
            case "NOTSET":
                if (pads is null) return (0, 0, 0, 0);
                if (pads.Length != 4) throw node.Refuse("pads", "needs 4 values [top, left, bottom, right] for a 2-D (NCHW) input");
                if (pads.Any(p => p < 0 || p > 1 << 20)) throw node.Refuse("pads", "must be between 0 and 2^20");
                return ((int)pads[0], (int)pads[2], (int)pads[1], (int)pads[3]);
            case "VALID":
                return (0, 0, 0, 0);
            case "SAME_UPPER":
            case "SAME_LOWER":
                bool upper = autoPad == "SAME_UPPER";
                var (top, bottom) = Same(input[1], kh, sh, upper);
                var (left, right) = Same(input[2], kw, sw, upper);
                return (top, bottom, left, right);
            default:
                throw node.Refuse("auto_pad", "is not NOTSET, VALID, SAME_UPPER or SAME_LOWER");
        }
    }

    /// <summary>Output ceil(n / s): total padding max((out − 1)·s + k − n, 0), the odd one at the end (UPPER) or the beginning (LOWER).</summary>
    private static (int Begin, int End) Same(int n, int k, int s, bool upper)
    {
        long outSize = (n + (long)s - 1) / s;
        int total = (int)Math.Max((outSize - 1) * s + k - n, 0);
        return upper ? (total / 2, total - total / 2) : (total - total / 2, total / 2);
    }

    private static (int Height, int Width) Strides(NodeScope node)
    {
        var strides = node.Ints("strides", 2, 1);
        return (Positive(node, strides[0], "stride", "strides"), Positive(node, strides[1], "stride", "strides"));
    }

    private static void RequireNoDilation(NodeScope node)
    {
        if (node.Ints("dilations") is { } d && d.Any(v => v != 1))
            throw node.Refuse("dilations", "dilated kernels are not supported (the engine's kernels are dense)");
    }

    private static Shape RequireImage(NodeScope node, NetworkBuilder net)
    {
        var input = net.Shape;
        if (input.Rank != 3)
            throw node.Refuse($"reads a value of shape {NetworkBuilder.Describe(input)}; the engine's {node.Node.OpType} takes 2-D images [N, C, H, W]");
        return input;
    }

    private static int Positive(NodeScope node, long value, string what, string? attribute = null)
    {
        if (value is >= 1 and <= int.MaxValue) return (int)value;
        string why = $"gives {what} {value}; it must be between 1 and {int.MaxValue}";
        throw attribute is null ? node.Refuse(why) : node.Refuse(attribute, why);
    }
}
