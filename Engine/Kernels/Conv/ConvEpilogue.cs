using System.Runtime.CompilerServices;

namespace Engine.Kernels;

/// <summary>
/// What a convolution's forward pass applies to each output after its bias, per output channel f:
/// <c>v = fma(Scale[f], v, Shift[f])</c> when a scale is given (an evaluation-mode batch norm), then <c>v = v + Residual[…]</c>
/// at the output's own index when a residual is given (a residual block's shortcut), then <c>v = v &lt; 0 ? 0 : v</c> when
/// <see cref="Relu"/> — exactly the operations of separate <see cref="BatchNormKernels.Normalize"/>, <see cref="VectorOps.Add"/>
/// and <see cref="ReluOperator"/> passes over the stored output, so fusing them changes no bit. The blocked kernels apply the
/// per-channel steps in registers before the first store and the residual as the output planes are written; the other paths
/// run it as passes over their output.
/// </summary>
/// <param name="scale">Per-filter scale [F], or empty for none (then <paramref name="shift"/> is empty too).</param>
/// <param name="shift">Per-filter shift [F].</param>
/// <param name="relu">Whether a ReLU follows.</param>
/// <param name="residual">A tensor of the output's shape [N, F, OH, OW] added after the scale and shift, or empty for none.</param>
internal readonly ref struct ConvEpilogue(ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, bool relu, ReadOnlySpan<float> residual = default)
{
    /// <summary>Per-filter scale [F], or empty.</summary>
    public ReadOnlySpan<float> Scale { get; } = scale;

    /// <summary>Per-filter shift [F], or empty.</summary>
    public ReadOnlySpan<float> Shift { get; } = shift;

    /// <summary>Whether outputs go through a ReLU last.</summary>
    public bool Relu { get; } = relu;

    /// <summary>The residual [N, F, OH, OW] added before the ReLU, or empty.</summary>
    public ReadOnlySpan<float> Residual { get; } = residual;

    /// <summary>Whether the epilogue changes nothing.</summary>
    public bool IsNone => Scale.IsEmpty && !Relu && Residual.IsEmpty;

    /// <summary>Checks the spans against <paramref name="filters"/> and the output's <paramref name="outputs"/> floats.</summary>
    /// <exception cref="ArgumentException">Scale and shift differ in presence, or a span is shorter than the shapes need.</exception>
    public void Check(int filters, long outputs)
    {
        if (!Residual.IsEmpty && Residual.Length < outputs)
            throw new ArgumentException($"Conv2D epilogue: the residual needs {outputs} elements, but has {Residual.Length}.");
        if (Scale.IsEmpty != Shift.IsEmpty) throw new ArgumentException("Conv2D epilogue: a scale needs a shift and a shift a scale.");
        if (!Scale.IsEmpty && (Scale.Length < filters || Shift.Length < filters))
            throw new ArgumentException($"Conv2D epilogue: scale and shift need {filters} elements, but have {Scale.Length} and {Shift.Length}.");
    }

    /// <summary>Applies the epilogue in place to <paramref name="y"/> [N, F, plane] (for the paths that do not fuse it).</summary>
    public void Apply(Span<float> y, int batch, int filters, int plane, int threads)
    {
        bool residual = !Residual.IsEmpty;
        if (!Scale.IsEmpty) BatchNormKernels.Normalize(y, y, batch, filters, plane, Scale, Shift, Relu && !residual, threads);
        if (residual && Relu) VectorOps.AddRelu(y, Residual[..y.Length], y, threads);
        else if (residual) VectorOps.Add(y, Residual[..y.Length], y, threads);
        else if (Relu && Scale.IsEmpty) Activations.Forward(new ReluOperator(), y, y, threads);
    }
}

/// <summary>
/// The block-relative pointers of a <see cref="ConvTile"/>'s epilogue: a bias vector, then (optional) a per-channel scale and
/// shift, then (optional) a ReLU, each over the tile block's lanes; null pointers skip their step.
/// </summary>
internal readonly unsafe struct TileEpilogue(float* bias, float* scale, float* shift, bool relu)
{
    /// <summary>Block-wide bias added first, or null.</summary>
    public float* Bias { get; } = bias;

    /// <summary>Block-wide scale of <c>fma(scale, v, shift)</c>, or null.</summary>
    public float* Scale { get; } = scale;

    /// <summary>Block-wide shift (non-null when <see cref="Scale"/> is).</summary>
    public float* Shift { get; } = shift;

    /// <summary>Whether a ReLU is applied last.</summary>
    public bool Relu { get; } = relu;

    /// <summary>Nothing: the sums are stored as they are.</summary>
    public static TileEpilogue None => default;

    /// <summary>The same epilogue for the block whose first lane is channel <paramref name="first"/> of per-channel arrays.</summary>
    public TileEpilogue At(int first) =>
        new(Bias == null ? null : Bias + first, Scale == null ? null : Scale + first, Shift == null ? null : Shift + first, Relu);
}

/// <summary>
/// A <see cref="TileEpilogue"/> loaded for one register of a tile's block (the lanes from <c>offset</c>): the bias, scale and
/// shift vectors held in registers while a tile stores its rows, each row through <c>v + bias</c>, then
/// <c>fma(scale, v, shift)</c>, then the ReLU (each step skipped when the epilogue has none).
/// </summary>
internal readonly unsafe struct TileFinish<TWidth, TVector> where TWidth : struct, IVectorWidth<TVector> where TVector : struct
{
    private readonly TVector _bias, _scale, _shift;
    private readonly bool _biased, _scaled, _relu;

    /// <summary>The epilogue's vectors for lanes [<paramref name="offset"/>, +Count) of its block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TileFinish(in TileEpilogue epilogue, int offset)
    {
        _biased = epilogue.Bias != null;
        _scaled = epilogue.Scale != null;
        _relu = epilogue.Relu;
        _bias = _biased ? TWidth.Load(ref epilogue.Bias[offset]) : default;
        _scale = _scaled ? TWidth.Load(ref epilogue.Scale[offset]) : default;
        _shift = _scaled ? TWidth.Load(ref epilogue.Shift[offset]) : default;
    }

    /// <summary>The epilogue applied to <paramref name="v"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Apply(TVector v)
    {
        if (_biased) v = TWidth.Add(v, _bias);
        if (_scaled) v = TWidth.MultiplyAdd(_scale, v, _shift);
        return _relu ? new ReluOperator().Forward<TWidth, TVector>(v) : v;
    }

    /// <summary>row[0 … Count) = the epilogue applied to <paramref name="v"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(TVector v, float* row) => TWidth.Store(Apply(v), ref row[0]);
}
