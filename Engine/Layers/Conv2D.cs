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
/// Weights are stored [F, C, KH, KW] and decayed by L2; biases [F]. The kernels' <c>ConvPlan</c> picks the path by shape:
/// few-channel stride-1 layers run a direct kernel
/// forward and fixed-order dot products for the weight gradient; others run im2col (fused into the GEMM's packing in
/// the forward pass) and packed GEMMs. Every path gives the same bits on every tier and thread count.
/// </remarks>
public sealed class Conv2D : Layer
{
    private ConvGeometry _geometry;
    private readonly PlanCache<ConvPlan> _plans = new();

    /// <summary>A convolution with square kernels and equal strides.</summary>
    /// <param name="filters">Output channels, at least 1.</param>
    /// <param name="kernel">Kernel height and width, at least 1.</param>
    /// <param name="stride">Step in both directions, at least 1.</param>
    /// <param name="padding">Zero padding; <c>default</c> is <see cref="Padding.Valid"/>.</param>
    /// <param name="init">How the weights (and for <see cref="WeightInit.PyTorchDefault"/> the biases) are initialised; null: the network's default.</param>
    /// <param name="bias">Whether each filter has a bias (false before a batch norm, which has its own shift).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is less than 1 or <paramref name="init"/> is unknown.</exception>
    [SuppressMessage("ApiDesign", "RS0026", Justification = "The square and the rectangular constructors are the designed API; they differ in arity, so named arguments never clash.")]
    public Conv2D(int filters, int kernel, int stride = 1, Padding padding = default, WeightInit? init = null, bool bias = true)
        : this(filters, kernel, kernel, stride, stride, padding, init, bias) { }

    /// <summary>A convolution with rectangular kernels and separate vertical and horizontal strides.</summary>
    /// <param name="filters">Output channels, at least 1.</param>
    /// <param name="kernelHeight">Kernel rows, at least 1.</param>
    /// <param name="kernelWidth">Kernel columns, at least 1.</param>
    /// <param name="strideHeight">Vertical step, at least 1.</param>
    /// <param name="strideWidth">Horizontal step, at least 1.</param>
    /// <param name="padding">Zero padding; <c>default</c> is <see cref="Padding.Valid"/>.</param>
    /// <param name="init">How the weights (and for <see cref="WeightInit.PyTorchDefault"/> the biases) are initialised; null: the network's default.</param>
    /// <param name="bias">Whether each filter has a bias (false before a batch norm, which has its own shift).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is less than 1 or <paramref name="init"/> is unknown.</exception>
    [SuppressMessage("ApiDesign", "RS0026", Justification = "The square and the rectangular constructors are the designed API; they differ in arity, so named arguments never clash.")]
    public Conv2D(int filters, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, Padding padding, WeightInit? init = null, bool bias = true)
    {
        RequirePositive(filters, nameof(filters));
        RequirePositive(kernelHeight, nameof(kernelHeight));
        RequirePositive(kernelWidth, nameof(kernelWidth));
        RequirePositive(strideHeight, nameof(strideHeight));
        RequirePositive(strideWidth, nameof(strideWidth));
        if (init is { } chosen && !Enum.IsDefined(chosen)) throw new ArgumentOutOfRangeException(nameof(init), init, "Conv2D: unknown weight initialisation.");
        Filters = filters;
        KernelHeight = kernelHeight;
        KernelWidth = kernelWidth;
        StrideHeight = strideHeight;
        StrideWidth = strideWidth;
        Padding = padding;
        _init = init;
        HasBias = bias;
    }

    /// <summary>Whether each filter has a bias.</summary>
    public bool HasBias { get; }

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

    private WeightInit? _init;

    /// <summary>How the weights are initialised (the network's default when none was given, once added).</summary>
    public WeightInit Init => _init ?? DefaultInit;

    /// <summary>Whether the initialisation was given explicitly.</summary>
    internal override bool HasInit => _init is not null;

    /// <inheritdoc />
    public override string Kind => "Conv2D";

    /// <summary>F·C·KH·KW (0 before the layer is built).</summary>
    public override int WeightCount => IsBuilt ? Filters * _geometry.ColumnRows : 0;

    /// <summary>F: one bias per output channel, or 0 without biases (0 before the layer is built).</summary>
    public override int BiasCount => IsBuilt && HasBias ? Filters : 0;

    /// <inheritdoc />
    protected override Shape InferOutputShape(Shape input)
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

    /// <inheritdoc />
    protected override string Describe()
    {
        string kernel = $"{KernelHeight}×{KernelWidth}";
        string stride = StrideHeight == StrideWidth ? $"{StrideHeight}" : $"{StrideHeight}×{StrideWidth}";
        string init = Init == WeightInit.He ? "" : $", {WeightInitializer.Describe(Init)}";
        return $"Conv2D({Filters}, {kernel}, stride {stride}, {Padding}{init}{(HasBias ? "" : ", no bias")})";
    }

    /// <inheritdoc />
    public override void InitializeParameters(SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        int kernelArea = KernelHeight * KernelWidth;
        WeightInitializer.Fill(Init, Weights, fanIn: _geometry.Channels * kernelArea, fanOut: Filters * kernelArea, random);
        WeightInitializer.FillBiases(Init, Biases, _geometry.Channels * kernelArea, random);
    }

    /// <summary>The kernels' plan for batches of up to <paramref name="maxBatch"/> on up to <paramref name="threads"/> threads.</summary>
    internal ConvPlan Plan(int maxBatch, int threads)
    {
        RequireBuilt();
        return _plans.Get(maxBatch, threads, this, static (layer, batch, count) => ConvPlan.Create(layer._geometry, layer.Filters, batch, count));
    }

    /// <summary>Scratch of the chosen kernels (see <see cref="ConvPlan"/>): e.g. a padded sample per thread for the direct
    /// forward pass, column matrices for the weight and data gradients.</summary>
    public override long ScratchSize(int maxBatch, int threads, LayerMode mode) =>
        Plan(maxBatch, threads).ScratchSize(mode == LayerMode.Training);

    /// <inheritdoc />
    protected override void OnForward(ReadOnlySpan<float> x, Span<float> y, int batch, in LayerContext context) =>
        Plan(context.MaxBatch, context.Threads).Forward(x, Weights, Biases, y, batch, context.Scratch);

    /// <summary>Whether the forward kernel of this shape applies an epilogue in registers (see <see cref="ForwardWithEpilogue"/>):
    /// only then does fusing a following batch norm or ReLU save a pass over memory.</summary>
    internal bool FusesEpilogue
    {
        get
        {
            RequireBuilt();
            return ConvPlan.FusesEpilogue(_geometry, Filters);
        }
    }

    /// <summary>
    /// The forward pass with an epilogue applied to each output after its bias (an evaluation-mode batch norm's per-filter
    /// <c>fma(scale, v, shift)</c>, a residual added, then a ReLU): the same bits as this layer's forward pass followed by those passes.
    /// </summary>
    internal void ForwardWithEpilogue(ReadOnlySpan<float> x, Span<float> y, int batch, in LayerContext context, in ConvEpilogue epilogue)
    {
        // x: [N, C, H, W]   y: [N, F, OH, OW]   epilogue scale, shift: [F] or empty, residual: as y or empty
        CheckForward(x.Length, y.Length, batch, context);
        Plan(context.MaxBatch, context.Threads).Forward(x[..(batch * InputShape.Size)], Weights, Biases, y[..(batch * OutputShape.Size)],
            batch, context.Scratch, epilogue);
    }

    /// <inheritdoc />
    protected override void OnBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch, in LayerContext context) =>
        Backward(x, default, dy, dx, accumulate: false, batch, context);

    /// <summary>Whether <see cref="Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, bool, int, in LayerContext)"/>
    /// can add the input gradient to dx (the blocked data gradient) and take a ReLU's derivative in (by shape only).</summary>
    internal bool AccumulatesInputGradient => FusesEpilogue;

    /// <summary>
    /// The backward pass for the execution plan's convolution stages: with <paramref name="reluInput"/>, of a ReLU followed by
    /// this layer, <paramref name="x"/> being the ReLU's output and <paramref name="dx"/> getting the gradient of the ReLU's
    /// input, the ReLU's derivative applied by the data-gradient kernel as it writes each plane (<see cref="ConvPlan.BackwardData"/>'s
    /// gate) instead of a pass of the ReLU layer over the batch; with <paramref name="accumulate"/>, dx += the gradient, for an
    /// input read by several stages, instead of a temporary added afterwards. The same bits as <see cref="Layer.Backward"/>
    /// then the ReLU's backward, then the add. Gate and accumulation need <see cref="AccumulatesInputGradient"/>.
    /// </summary>
    /// <param name="x">The forward pass's input [N, C, H, W] (the ReLU's output, with a ReLU).</param>
    /// <param name="reluInput">The ReLU's input [N, C, H, W], or empty without a ReLU.</param>
    /// <param name="dy">The gradient of this layer's output [N, F, OH, OW].</param>
    /// <param name="dx">The gradient of the input (of the ReLU's input) [N, C, H, W], overwritten or added to; empty when not needed.</param>
    /// <param name="accumulate">Whether to add to dx.</param>
    /// <param name="batch">N.</param>
    /// <param name="context">The same memory as the forward pass of this step.</param>
    /// <exception cref="ArgumentException">A span is shorter than the batch needs.</exception>
    internal void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> reluInput, ReadOnlySpan<float> dy, Span<float> dx, bool accumulate, int batch,
        in LayerContext context)
    {
        int inSize = batch * InputShape.Size, outSize = batch * OutputShape.Size;
        if (x.Length < inSize || (!reluInput.IsEmpty && reluInput.Length < inSize) || dy.Length < outSize || (!dx.IsEmpty && dx.Length < inSize))
            throw new ArgumentException($"{Name}: x and the ReLU's input need {inSize} values, dy {outSize}, for a batch of {batch}.");
        var plan = Plan(context.MaxBatch, context.Threads);
        plan.BackwardWeights(x[..inSize], dy[..outSize], WeightGradients, BiasGradients, batch, context.Scratch);
        if (!dx.IsEmpty)
            plan.BackwardData(Weights, dy[..outSize], dx[..inSize], batch, context.Scratch, reluInput.IsEmpty ? default : reluInput[..inSize], accumulate);
    }

    private static void RequirePositive(int value, string name)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"Conv2D: {name} must be at least 1.");
    }
}
