using Engine.Layers;

namespace Engine.Serialization;

/// <summary>
/// The constructor configuration of each built-in layer kind as bytes (the per-layer block of <see cref="ModelFile"/>):
/// Serialization knows the layers' public settings, the layers know nothing of files. All little-endian.
/// <code>
/// Conv2D     i32 filters, kernel height, kernel width, stride height, stride width, padding mode, top, bottom, left, right, init
///            [version 2: u8 has bias]
/// Dense      i32 units, init
/// MaxPool2D, AvgPool2D   i32 size height, size width, stride height, stride width [MaxPool2D, version 2: i32 padding height, width]
/// LeakyReLU  f32 slope
/// BatchNorm2D, BatchNorm1D   f32 momentum, epsilon
/// Dropout    f32 rate
/// Residual   i32 body count, then per body layer a record (string kind, i32 length, configuration); the shortcut follows
///            from the shapes
/// Flatten, Sigmoid, ReLU, Tanh, Softmax, GlobalAvgPool2D   (nothing)
/// </code>
/// </summary>
internal static class LayerCodec
{
    /// <summary>How deep residual blocks may nest in a file (a bound on what a file can make the reader do).</summary>
    public const int MaxNesting = 8;

    /// <summary>Writes a layer's record: its kind, then its configuration's length and bytes.</summary>
    public static void WriteRecord(BinaryWriter w, Layer layer)
    {
        w.Write(layer.Kind);
        using var config = new MemoryStream();
        using (var cw = new BinaryWriter(config, System.Text.Encoding.UTF8, leaveOpen: true)) Write(cw, layer);
        w.Write((int)config.Length);
        w.Write(config.GetBuffer(), 0, (int)config.Length);
    }

    /// <summary>Reads a record written by <see cref="WriteRecord"/> (<paramref name="version"/> of the file; <paramref name="end"/> bounds
    /// the bytes it may claim) and creates the unbuilt layer.</summary>
    /// <exception cref="InvalidDataException">A malformed or unknown kind, a length beyond the data, a value out of range, or nesting too deep.</exception>
    public static Layer ReadRecord(BinaryReader r, int version, long end, int depth = 0)
    {
        if (depth > MaxNesting) throw new InvalidDataException($"residual blocks nested deeper than {MaxNesting}.");
        string kind = r.ReadBounded(end, 64, "layer kind");
        if (!Knows(kind)) throw new InvalidDataException($"unknown layer kind \"{kind}\".");
        int length = r.ReadInt32();
        long start = r.BaseStream.Position;
        if (length < 0 || length > end - start)
            throw new InvalidDataException($"{kind} claims {length} configuration bytes, more than the file holds.");
        var layer = kind == "Residual" ? ReadResidual(r, version, start + length, depth) : Read(r, kind, version);
        if (r.BaseStream.Position != start + length)
            throw new InvalidDataException($"{kind} configuration has {length} bytes but {r.BaseStream.Position - start} were read.");
        return layer;
    }

    /// <summary>A layer's (weights, biases, states): a residual block's are its layers' sums.</summary>
    public static (int Weights, int Biases, int States) Counts(Layer layer)
    {
        int weights = 0, biases = 0, states = 0;
        foreach (var leaf in Residual.Leaves(layer)) (weights, biases, states) = (weights + leaf.WeightCount, biases + leaf.BiasCount, states + leaf.StateCount);
        return (weights, biases, states);
    }

    private static Residual ReadResidual(BinaryReader r, int version, long end, int depth)
    {
        int count = r.ReadInt32();
        if (count < 1 || count > (end - r.BaseStream.Position) / 5)
            throw new InvalidDataException($"Residual configuration: {count} body layers.");
        var body = new Layer[count];
        for (int i = 0; i < count; i++) body[i] = ReadRecord(r, version, end, depth + 1);
        return new Residual(body);
    }

    private static readonly Dictionary<string, Func<BinaryReader, Layer>> Readers = new()
    {
        ["Dense"] = ReadDense,
        ["AvgPool2D"] = r => ReadWindow(r, "AvgPool2D", (h, w, sh, sw) => new AvgPool2D(h, w, sh, sw)),
        ["Tanh"] = _ => new Tanh(),
        ["Flatten"] = _ => new Flatten(),
        ["Sigmoid"] = _ => new Sigmoid(),
        ["ReLU"] = _ => new ReLU(),
        ["LeakyReLU"] = ReadLeakyReLU,
        ["Softmax"] = _ => new Softmax(),
        ["GlobalAvgPool2D"] = _ => new GlobalAvgPool2D(),
        ["Dropout"] = r =>
        {
            float rate = r.ReadSingle();
            return rate is >= 0f and < 1f ? new Dropout(rate) : throw new InvalidDataException($"Dropout configuration has rate {rate}; it must be in [0, 1).");
        },
        ["BatchNorm2D"] = r => { var (m, e) = ReadNorm(r, "BatchNorm2D"); return new BatchNorm2D(m, e); },
        ["BatchNorm1D"] = r => { var (m, e) = ReadNorm(r, "BatchNorm1D"); return new BatchNorm1D(m, e); },
    };

    /// <summary>Whether <paramref name="kind"/> is a layer kind model files hold.</summary>
    public static bool Knows(string kind) => kind is "Residual" or "Conv2D" or "MaxPool2D" || Readers.ContainsKey(kind);

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
                w.Write(c.HasBias);
                break;
            case Dense d:
                w.Write(d.Units); w.Write((int)d.Init);
                break;
            case MaxPool2D p:
                w.Write(p.SizeHeight); w.Write(p.SizeWidth); w.Write(p.StrideHeight); w.Write(p.StrideWidth);
                w.Write(p.PaddingHeight); w.Write(p.PaddingWidth);
                break;
            case AvgPool2D p:
                w.Write(p.SizeHeight); w.Write(p.SizeWidth); w.Write(p.StrideHeight); w.Write(p.StrideWidth);
                break;
            case LeakyReLU l:
                w.Write(l.Slope);
                break;
            case BatchNorm b:
                w.Write(b.Momentum); w.Write(b.Epsilon);
                break;
            case Residual block:
                w.Write(block.Body.Count);
                foreach (var child in block.Body) WriteRecord(w, child);
                break;
            case Dropout d:
                w.Write(d.Rate);
                break;
            case Flatten or Sigmoid or ReLU or Softmax or GlobalAvgPool2D or Tanh:
                break;
            default:
                throw new NotSupportedException($"{layer.Name} ({layer.GetType().FullName}) is not a built-in layer; model files hold built-in layers only.");
        }
    }

    /// <summary>Reads a <paramref name="kind"/> configuration (of a file of <paramref name="version"/>) and creates the unbuilt layer.</summary>
    /// <exception cref="InvalidDataException">The kind is unknown or a value is out of range.</exception>
    public static Layer Read(BinaryReader r, string kind, int version = ModelFile.FormatVersion)
    {
        if (kind == "Conv2D") return ReadConv2D(r, version);
        if (kind == "MaxPool2D") return ReadMaxPool(r, version);
        return Readers.TryGetValue(kind, out var read) ? read(r) : throw new InvalidDataException($"unknown layer kind \"{kind}\".");
    }

    private static (float Momentum, float Epsilon) ReadNorm(BinaryReader r, string kind)
    {
        float momentum = r.ReadSingle(), epsilon = r.ReadSingle();
        if (!(momentum is > 0f and <= 1f) || !(epsilon > 0f) || !float.IsFinite(epsilon))
            throw new InvalidDataException($"{kind} configuration has momentum {momentum} and epsilon {epsilon}; they must be in (0, 1] and positive.");
        return (momentum, epsilon);
    }

    private static Conv2D ReadConv2D(BinaryReader r, int version)
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
        bool bias = version < 2 || r.ReadByte() switch
        {
            0 => false,
            1 => true,
            var b => throw new InvalidDataException($"Conv2D configuration: bias flag {b}."),
        };
        return new Conv2D(filters, kernelHeight, kernelWidth, strideHeight, strideWidth, padding, init, bias);
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

    private static Layer ReadMaxPool(BinaryReader r, int version)
    {
        var window = (MaxPool2D)ReadWindow(r, "MaxPool2D", (h, w, sh, sw) => new MaxPool2D(h, w, sh, sw));
        if (version < 2) return window;
        int padHeight = r.ReadInt32(), padWidth = r.ReadInt32();
        if (padHeight < 0 || padWidth < 0 || 2 * padHeight > window.SizeHeight || 2 * padWidth > window.SizeWidth)
            throw new InvalidDataException($"MaxPool2D configuration has padding {padHeight}×{padWidth} for a {window.SizeHeight}×{window.SizeWidth} window.");
        return new MaxPool2D(window.SizeHeight, window.SizeWidth, window.StrideHeight, window.StrideWidth, padHeight, padWidth);
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
