using System.Diagnostics.CodeAnalysis;
using Engine.Kernels;

namespace Engine.Layers;

/// <summary>
/// A 2-D convolution: <see cref="Filters"/> learned kernels of <see cref="KernelHeight"/>×<see cref="KernelWidth"/>
/// slide over a (channels, height, width) input with the given strides and zero padding, each producing one
/// output channel plus its own bias. Input (C, H, W), output (F, OH, OW) with
/// OH = (H + padTop + padBottom − KH) / SH + 1 (likewise OW).
/// </summary>
/// <remarks>
/// Weights are stored [F, C, KH, KW] and decayed by L2; biases [F]. Few-channel stride-1 layers run a direct kernel
/// forward and fixed-order dot products for the weight gradient; others run im2col (fused into the GEMM's packing in
/// the forward pass) and packed GEMMs. Every path gives the same bits on every tier and thread count.
/// </remarks>
public sealed class Conv2D : Layer
{
    private ConvGeometry _geometry;
    private float[]? _columns, _columnGradients;
    private float[] _padded = [];
    private float[] _partial = [];
    private bool _forwardPrepared;

    /// <summary>A convolution with square kernels and equal strides.</summary>
    /// <param name="filters">Output channels, at least 1.</param>
    /// <param name="kernel">Kernel height and width, at least 1.</param>
    /// <param name="stride">Step in both directions, at least 1.</param>
    /// <param name="padding">Zero padding; <c>default</c> is <see cref="Padding.Valid"/>.</param>
    /// <param name="init">How the weights are initialised.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is less than 1 or <paramref name="init"/> is unknown.</exception>
    [SuppressMessage("ApiDesign", "RS0026", Justification = "The square and the rectangular constructors are the designed API (DESIGN §6); they differ in arity, so named arguments never clash.")]
    public Conv2D(int filters, int kernel, int stride = 1, Padding padding = default, WeightInit init = WeightInit.He)
        : this(filters, kernel, kernel, stride, stride, padding, init) { }

    /// <summary>A convolution with rectangular kernels and separate vertical and horizontal strides.</summary>
    /// <param name="filters">Output channels, at least 1.</param>
    /// <param name="kernelHeight">Kernel rows, at least 1.</param>
    /// <param name="kernelWidth">Kernel columns, at least 1.</param>
    /// <param name="strideHeight">Vertical step, at least 1.</param>
    /// <param name="strideWidth">Horizontal step, at least 1.</param>
    /// <param name="padding">Zero padding; <c>default</c> is <see cref="Padding.Valid"/>.</param>
    /// <param name="init">How the weights are initialised.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is less than 1 or <paramref name="init"/> is unknown.</exception>
    [SuppressMessage("ApiDesign", "RS0026", Justification = "The square and the rectangular constructors are the designed API (DESIGN §6); they differ in arity, so named arguments never clash.")]
    public Conv2D(int filters, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, Padding padding, WeightInit init = WeightInit.He)
    {
        RequirePositive(filters, nameof(filters));
        RequirePositive(kernelHeight, nameof(kernelHeight));
        RequirePositive(kernelWidth, nameof(kernelWidth));
        RequirePositive(strideHeight, nameof(strideHeight));
        RequirePositive(strideWidth, nameof(strideWidth));
        if (!Enum.IsDefined(init)) throw new ArgumentOutOfRangeException(nameof(init), init, "Conv2D: unknown weight initialisation.");
        Filters = filters;
        KernelHeight = kernelHeight;
        KernelWidth = kernelWidth;
        StrideHeight = strideHeight;
        StrideWidth = strideWidth;
        Padding = padding;
        Init = init;
    }

    /// <summary>Number of kernels, i.e. output channels F.</summary>
    public int Filters { get; }

    /// <summary>Kernel rows KH.</summary>
    public int KernelHeight { get; }

    /// <summary>Kernel columns KW.</summary>
    public int KernelWidth { get; }

    /// <summary>Vertical stride SH.</summary>
    public int StrideHeight { get; }

    /// <summary>Horizontal stride SW.</summary>
    public int StrideWidth { get; }

    /// <summary>Zero padding around the input.</summary>
    public Padding Padding { get; }

    /// <summary>How the weights are initialised.</summary>
    public WeightInit Init { get; }

    /// <inheritdoc />
    public override string Kind => "Conv2D";

    /// <summary>F·C·KH·KW (0 before the layer is built).</summary>
    public override int WeightCount => IsBuilt ? Filters * _geometry.ColumnRows : 0;

    /// <summary>F: one bias per output channel (0 before the layer is built).</summary>
    public override int BiasCount => IsBuilt ? Filters : 0;

    private protected override Shape InferOutputShape(Shape input)
    {
        if (input.Rank != 3)
            throw ShapeError(input, $"Conv2D needs a rank-3 (channels, height, width) input, not rank {input.Rank}");
        int c = input[0], h = input[1], w = input[2];
        var (top, bottom, left, right) = Padding.Resolve(h, w, KernelHeight, KernelWidth, StrideHeight, StrideWidth);
        long paddedH = (long)h + top + bottom, paddedW = (long)w + left + right;
        if (paddedH < KernelHeight || paddedW < KernelWidth)
            throw ShapeError(input,
                $"its {KernelHeight}×{KernelWidth} kernel is larger than the {paddedH}×{paddedW} input after {Padding} padding");
        ConvGeometry g;
        try { g = LayerGeometry.Conv(c, h, w, KernelHeight, KernelWidth, StrideHeight, StrideWidth, Padding); }
        catch (ArgumentException e) { throw ShapeError(input, e.Message.TrimEnd('.')); }
        if ((long)Filters * g.ColumnRows > int.MaxValue || (long)Filters * g.ColumnCols > int.MaxValue)
            throw ShapeError(input, $"{Filters} filters of {c}×{KernelHeight}×{KernelWidth} make the layer too large");
        _geometry = g;
        return new Shape(Filters, g.OutputHeight, g.OutputWidth);
    }

    private protected override string Describe()
    {
        string kernel = $"{KernelHeight}×{KernelWidth}";
        string stride = StrideHeight == StrideWidth ? $"{StrideHeight}" : $"{StrideHeight}×{StrideWidth}";
        string init = Init == WeightInit.He ? "" : $", {WeightInitializer.Describe(Init)}";
        return $"Conv2D({Filters}, {kernel}, stride {stride}, {Padding}{init})";
    }

    internal override void InitializeParameters(SeededRandom random)
    {
        RequireBound();
        int kernelArea = KernelHeight * KernelWidth;
        WeightInitializer.Fill(Init, Weights, fanIn: _geometry.Channels * kernelArea, fanOut: Filters * kernelArea, random);
        Biases.Clear();
    }

    /// <remarks>
    /// Scratch is one sample's column matrix per thread (<see cref="Cpu.ThreadCount"/> when Prepare runs, at most
    /// <paramref name="maxBatch"/>) for x, and one group of samples' column matrices and output gradients
    /// (<see cref="Conv2DKernels.ScratchSize"/>, or one column matrix per thread if more) for backward-data; the forward
    /// pass of a few-channel stride-1 layer uses the direct kernel and a padded copy of one sample per thread instead, and
    /// small weight gradients the fixed-order dot kernel and its scratch (partial sums, plus a padded sample and its output
    /// gradient with padded rows per thread).
    /// </remarks>
    internal override void Prepare(int maxBatch, bool training = true)
    {
        RequireBuilt();
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        // Forward and ungrouped backward-data run samples on up to one thread each; each thread has its own scratch.
        int size = _geometry.ColumnSize, slots = (int)Math.Clamp(Math.Min(Cpu.ThreadCount, maxBatch), 1, int.MaxValue / Math.Max(size, 1));
        // The direct forward pass reads a zero-padded copy of each sample.
        int padded = Conv2DDirect.ScratchSize(_geometry) * slots;
        if (Conv2DDirect.Supports(_geometry) && _padded.Length < padded)
            _padded = new float[padded];
        _forwardPrepared = true;
        if (!training) return;
        // The weight gradient im2col's one sample at a time (GEMM path) into one column matrix per thread.
        if ((_columns?.Length ?? 0) < (long)size * slots) _columns = new float[size * slots];
        // Backward-data runs groups of samples side by side (Conv2DKernels.GroupSize, fixed by the shape).
        long grouped = Math.Max(Conv2DKernels.ScratchSize(_geometry, Filters, maxBatch), (long)size * slots);
        if (grouped > Array.MaxLength) throw new InvalidOperationException($"{Name}: the backward scratch of {grouped} floats is too large.");
        if ((_columnGradients?.Length ?? 0) < grouped) _columnGradients = new float[grouped];
        // The direct weight gradient splits the weights over threads, each with its own padded sample and dy rows.
        int partial = Conv2DDirect.SupportsWeightGradient(_geometry, Filters)
            ? Conv2DDirect.WeightGradientScratchSize(_geometry, Filters, Cpu.ThreadCount)
            : Filters * Lanes16.Count;
        if (_partial.Length < partial) _partial = new float[partial];
    }

    internal override void Forward(ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        RequireBound();
        if (!_forwardPrepared) throw NotPrepared();
        if (Conv2DDirect.Supports(_geometry))
            Conv2DDirect.Forward(_geometry, batch, Filters, x, Weights, Biases, y, _padded);
        else
            Conv2DKernels.Forward(_geometry, batch, Filters, x, Weights, Biases, y);
    }

    internal override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        RequirePrepared();
        if (Conv2DDirect.SupportsWeightGradient(_geometry, Filters))
            Conv2DDirect.BackwardWeights(_geometry, batch, Filters, x, dy, WeightGradients, BiasGradients, _columns, _partial);
        else
            Conv2DKernels.BackwardWeights(_geometry, batch, Filters, x, dy, WeightGradients, BiasGradients, _columns, _partial);
        if (!dx.IsEmpty)
            Conv2DKernels.BackwardData(_geometry, batch, Filters, Weights, dy, dx, _columnGradients);
    }

    internal override void WriteConfiguration(BinaryWriter writer)
    {
        writer.Write(Filters);
        writer.Write(KernelHeight);
        writer.Write(KernelWidth);
        writer.Write(StrideHeight);
        writer.Write(StrideWidth);
        writer.Write((int)Padding.Mode);
        writer.Write(Padding.Top);
        writer.Write(Padding.Bottom);
        writer.Write(Padding.Left);
        writer.Write(Padding.Right);
        writer.Write((int)Init);
    }

    /// <summary>Reads what <see cref="WriteConfiguration"/> wrote and creates an unbuilt layer from it.</summary>
    /// <exception cref="InvalidDataException">A value is out of range.</exception>
    internal static Conv2D ReadConfiguration(BinaryReader reader)
    {
        int filters = ReadPositive(reader, "filters");
        int kernelHeight = ReadPositive(reader, "kernel height");
        int kernelWidth = ReadPositive(reader, "kernel width");
        int strideHeight = ReadPositive(reader, "stride height");
        int strideWidth = ReadPositive(reader, "stride width");
        int mode = reader.ReadInt32();
        int top = reader.ReadInt32(), bottom = reader.ReadInt32(), left = reader.ReadInt32(), right = reader.ReadInt32();
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
        int init = reader.ReadInt32();
        if (!Enum.IsDefined((WeightInit)init))
            throw new InvalidDataException($"Conv2D configuration: unknown weight initialisation {init}.");
        return new Conv2D(filters, kernelHeight, kernelWidth, strideHeight, strideWidth, padding, (WeightInit)init);
    }

    private static void RequirePositive(int value, string name)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"Conv2D: {name} must be at least 1.");
    }

    private static int ReadPositive(BinaryReader reader, string what)
    {
        int value = reader.ReadInt32();
        if (value < 1) throw new InvalidDataException($"Conv2D configuration: {what} must be at least 1, not {value}.");
        return value;
    }

    private void RequirePrepared()
    {
        RequireBound();
        if (_columns is null || _columnGradients is null) throw NotPrepared();
    }

    private InvalidOperationException NotPrepared() =>
        new($"{Name}: Prepare must be called before Forward or Backward (Prepare with training for Backward).");
}
