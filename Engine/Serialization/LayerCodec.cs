using Engine.Layers;

namespace Engine.Serialization;

/// <summary>
/// The constructor configuration of each built-in layer kind as bytes (the per-layer block of <see cref="ModelFile"/>):
/// Serialization knows the layers' public settings, the layers know nothing of files. All little-endian.
/// <code>
/// Conv2D     i32 filters, kernel height, kernel width, stride height, stride width, padding mode, top, bottom, left, right, init
/// Dense      i32 units, init
/// MaxPool2D, AvgPool2D   i32 size height, size width, stride height, stride width
/// LeakyReLU  f32 slope
/// Flatten, Sigmoid, ReLU, Softmax   (nothing)
/// </code>
/// </summary>
internal static class LayerCodec
{
    private static readonly Dictionary<string, Func<BinaryReader, Layer>> Readers = new()
    {
        ["Conv2D"] = ReadConv2D,
        ["Dense"] = ReadDense,
        ["MaxPool2D"] = r => ReadWindow(r, "MaxPool2D", (h, w, sh, sw) => new MaxPool2D(h, w, sh, sw)),
        ["AvgPool2D"] = r => ReadWindow(r, "AvgPool2D", (h, w, sh, sw) => new AvgPool2D(h, w, sh, sw)),
        ["Flatten"] = _ => new Flatten(),
        ["Sigmoid"] = _ => new Sigmoid(),
        ["ReLU"] = _ => new ReLU(),
        ["LeakyReLU"] = ReadLeakyReLU,
        ["Softmax"] = _ => new Softmax(),
    };

    /// <summary>Whether <paramref name="kind"/> is a layer kind model files hold.</summary>
    public static bool Knows(string kind) => Readers.ContainsKey(kind);

    /// <summary>Writes <paramref name="layer"/>'s configuration.</summary>
    /// <exception cref="NotSupportedException">The layer is not a built-in kind (a custom layer cannot be saved in a model file).</exception>
    public static void Write(BinaryWriter w, Layer layer)
    {
        switch (layer)
        {
            case Conv2D c:
                w.Write(c.Filters); w.Write(c.KernelHeight); w.Write(c.KernelWidth); w.Write(c.StrideHeight); w.Write(c.StrideWidth);
                w.Write((int)c.Padding.Mode); w.Write(c.Padding.Top); w.Write(c.Padding.Bottom); w.Write(c.Padding.Left); w.Write(c.Padding.Right);
                w.Write((int)c.Init);
                break;
            case Dense d:
                w.Write(d.Units); w.Write((int)d.Init);
                break;
            case Pool2D p when p is MaxPool2D or AvgPool2D:
                w.Write(p.SizeHeight); w.Write(p.SizeWidth); w.Write(p.StrideHeight); w.Write(p.StrideWidth);
                break;
            case LeakyReLU l:
                w.Write(l.Slope);
                break;
            case Flatten or Sigmoid or ReLU or Softmax:
                break;
            default:
                throw new NotSupportedException($"{layer.Name} ({layer.GetType().FullName}) is not a built-in layer; model files hold built-in layers only.");
        }
    }

    /// <summary>Reads a <paramref name="kind"/> configuration and creates the unbuilt layer.</summary>
    /// <exception cref="InvalidDataException">The kind is unknown or a value is out of range.</exception>
    public static Layer Read(BinaryReader r, string kind) =>
        Readers.TryGetValue(kind, out var read) ? read(r) : throw new InvalidDataException($"unknown layer kind \"{kind}\".");

    private static Conv2D ReadConv2D(BinaryReader r)
    {
        int filters = ReadPositive(r, "Conv2D", "filters");
        int kernelHeight = ReadPositive(r, "Conv2D", "kernel height");
        int kernelWidth = ReadPositive(r, "Conv2D", "kernel width");
        int strideHeight = ReadPositive(r, "Conv2D", "stride height");
        int strideWidth = ReadPositive(r, "Conv2D", "stride width");
        int mode = r.ReadInt32();
        int top = r.ReadInt32(), bottom = r.ReadInt32(), left = r.ReadInt32(), right = r.ReadInt32();
        if (!Enum.IsDefined((PaddingMode)mode))
            throw new InvalidDataException($"Conv2D configuration: unknown padding mode {mode}.");
        if (top < 0 || bottom < 0 || left < 0 || right < 0)
            throw new InvalidDataException($"Conv2D configuration: negative padding ({top}, {bottom}, {left}, {right}).");
        Padding padding = (PaddingMode)mode switch
        {
            PaddingMode.Valid => Padding.Valid,
            PaddingMode.Same => Padding.Same,
            _ => Padding.Explicit(top, bottom, left, right),
        };
        if ((PaddingMode)mode != PaddingMode.Explicit && (top | bottom | left | right) != 0)
            throw new InvalidDataException($"Conv2D configuration: {padding} padding with nonzero amounts ({top}, {bottom}, {left}, {right}).");
        var init = ReadInit(r, "Conv2D");
        return new Conv2D(filters, kernelHeight, kernelWidth, strideHeight, strideWidth, padding, init);
    }

    private static Dense ReadDense(BinaryReader r)
    {
        int units = r.ReadInt32();
        if (units < 1) throw new InvalidDataException($"Dense configuration: units must be at least 1, not {units}.");
        return new Dense(units, ReadInit(r, "Dense"));
    }

    private static Layer ReadWindow(BinaryReader r, string kind, Func<int, int, int, int, Layer> create)
    {
        int sizeHeight = r.ReadInt32(), sizeWidth = r.ReadInt32();
        int strideHeight = r.ReadInt32(), strideWidth = r.ReadInt32();
        if (sizeHeight < 1 || sizeWidth < 1 || strideHeight < 1 || strideWidth < 1)
            throw new InvalidDataException($"{kind} configuration has window {sizeHeight}×{sizeWidth} and stride {strideHeight}×{strideWidth}; each must be at least 1.");
        return create(sizeHeight, sizeWidth, strideHeight, strideWidth);
    }

    private static LeakyReLU ReadLeakyReLU(BinaryReader r)
    {
        float slope = r.ReadSingle();
        if (!(float.IsFinite(slope) && slope >= 0f && slope < 1f))
            throw new InvalidDataException($"LeakyReLU configuration has slope {slope}; it must be finite with 0 ≤ slope < 1.");
        return new LeakyReLU(slope);
    }

    private static WeightInit ReadInit(BinaryReader r, string kind)
    {
        int init = r.ReadInt32();
        if (!Enum.IsDefined((WeightInit)init))
            throw new InvalidDataException($"{kind} configuration: unknown weight initialisation {init}.");
        return (WeightInit)init;
    }

    private static int ReadPositive(BinaryReader r, string kind, string what)
    {
        int value = r.ReadInt32();
        if (value < 1) throw new InvalidDataException($"{kind} configuration: {what} must be at least 1, not {value}.");
        return value;
    }
}
