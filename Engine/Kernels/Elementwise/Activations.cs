using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Kernels;

/// <summary>
/// An element-wise function f and its derivative, each written once over the register width, as a struct so
/// that the driver <see cref="Activations"/> is specialised (and inlined) per operator and per width by the JIT.
/// </summary>
/// <remarks>
/// The bodies use only <see cref="IVectorWidth{TVector}"/> operations, which perform the same IEEE operation on
/// every lane of every width, so every tier returns the same bits; <see cref="Width1"/> runs the same body on
/// one float for the Scalar tier and for the tail of the vector tiers. The oracle is <see cref="ActivationsReference"/>.
/// </remarks>
internal interface IActivationOperator
{
    /// <summary>y = f(x) per lane.</summary>
    TVector Forward<TWidth, TVector>(TVector x) where TWidth : struct, IVectorWidth<TVector> where TVector : struct;

    /// <summary>f'(x) per lane, given also y = f(x) (so the sigmoid can use y(1 − y)).</summary>
    TVector Derivative<TWidth, TVector>(TVector x, TVector y) where TWidth : struct, IVectorWidth<TVector> where TVector : struct;
}

/// <summary>f(x) = x; f'(x) = 1.</summary>
internal readonly struct IdentityOperator : IActivationOperator
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Forward<TWidth, TVector>(TVector x) where TWidth : struct, IVectorWidth<TVector> where TVector : struct => x;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Derivative<TWidth, TVector>(TVector x, TVector y) where TWidth : struct, IVectorWidth<TVector> where TVector : struct =>
        TWidth.Broadcast(1f);
}

/// <summary>
/// f(x) = 1 / (1 + e^−x), evaluated as <c>t = e^−|x|</c>, <c>f = (x ≥ 0 ? 1 : t) / (1 + t)</c>: no exponential
/// of a large positive number is formed and tiny outputs keep their relative accuracy (f(−100) ≈ 3.7e−44).
/// f(±∞) = 1 or 0; NaN gives NaN. The exponential is <see cref="VectorExp"/> (within a few ulp of
/// <see cref="MathF.Exp"/>, identical on every tier). f'(x) = y(1 − y) with y = f(x).
/// </summary>
internal readonly struct SigmoidOperator : IActivationOperator
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Forward<TWidth, TVector>(TVector x) where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        TVector t = VectorExp.Exp<TWidth, TVector>(TWidth.Negate(TWidth.Abs(x)));
        TVector one = TWidth.Broadcast(1f);
        return TWidth.Divide(TWidth.ConditionalSelect(TWidth.GreaterThanOrEqual(x, TWidth.Zero), one, t), TWidth.Add(one, t));
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Derivative<TWidth, TVector>(TVector x, TVector y) where TWidth : struct, IVectorWidth<TVector> where TVector : struct =>
        TWidth.Multiply(y, TWidth.Subtract(TWidth.Broadcast(1f), y));
}

/// <summary>
/// f(x) = tanh(x), from the same <see cref="VectorExp"/> as the sigmoid (so identical bits on every tier), within a
/// few ulp of <see cref="Math.Tanh"/>: for |x| &lt; 0.625 the odd polynomial |x| + |x|·z·P(z), z = x² (Cephes
/// <c>tanhf</c>, free of the cancellation of 1 − e^−2|x| near 0), otherwise <c>(1 − t) / (1 + t)</c> with
/// <c>t = e^−2|x|</c> (no overflow; t rounds to 0 for large |x|, giving exactly 1); the sign of x is then copied in.
/// So f(±0) = ±0, f(±∞) = ±1, NaN gives NaN, and a tiny x gives x itself. f'(x) = 1 − y² (one fused rounding) with y = f(x).
/// </summary>
internal readonly struct TanhOperator : IActivationOperator
{
    /// <summary>Below this |x| the polynomial is used, at or above it the exponential.</summary>
    internal const float PolynomialLimit = 0.625f;
    private const float P4 = -5.70498872745e-3f;
    private const float P3 = 2.06390887954e-2f;
    private const float P2 = -5.37397155531e-2f;
    private const float P1 = 1.33314422036e-1f;
    private const float P0 = -3.33332819422e-1f;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Forward<TWidth, TVector>(TVector x) where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        TVector a = TWidth.Abs(x);
        TVector z = TWidth.Multiply(a, a);
        TVector p = TWidth.MultiplyAdd(TWidth.Broadcast(P4), z, TWidth.Broadcast(P3));
        p = TWidth.MultiplyAdd(p, z, TWidth.Broadcast(P2));
        p = TWidth.MultiplyAdd(p, z, TWidth.Broadcast(P1));
        p = TWidth.MultiplyAdd(p, z, TWidth.Broadcast(P0));
        TVector small = TWidth.MultiplyAdd(TWidth.Multiply(p, z), a, a);
        TVector t = VectorExp.Exp<TWidth, TVector>(TWidth.Negate(TWidth.Add(a, a)));
        TVector one = TWidth.Broadcast(1f);
        TVector large = TWidth.Divide(TWidth.Subtract(one, t), TWidth.Add(one, t));
        TVector magnitude = TWidth.ConditionalSelect(TWidth.LessThan(a, TWidth.Broadcast(PolynomialLimit)), small, large);
        return TWidth.Or(magnitude, TWidth.And(x, TWidth.BroadcastInt32(int.MinValue)));
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Derivative<TWidth, TVector>(TVector x, TVector y) where TWidth : struct, IVectorWidth<TVector> where TVector : struct =>
        TWidth.MultiplyAdd(TWidth.Negate(y), y, TWidth.Broadcast(1f));
}

/// <summary>
/// f(x) = max(0, x), written <c>x &lt; 0 ? 0 : x</c> so NaN propagates (and −0 stays −0).
/// f'(x) = 1 for x &gt; 0, else 0 (the derivative at the kink x = 0 is taken as 0).
/// </summary>
internal readonly struct ReluOperator : IActivationOperator
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Forward<TWidth, TVector>(TVector x) where TWidth : struct, IVectorWidth<TVector> where TVector : struct =>
        TWidth.ConditionalSelect(TWidth.LessThan(x, TWidth.Zero), TWidth.Zero, x);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Derivative<TWidth, TVector>(TVector x, TVector y) where TWidth : struct, IVectorWidth<TVector> where TVector : struct =>
        TWidth.ConditionalSelect(TWidth.GreaterThan(x, TWidth.Zero), TWidth.Broadcast(1f), TWidth.Zero);
}

/// <summary>
/// f(x) = x for x ≥ 0, slope·x for x &lt; 0 (the report's Eq. 4 with slope 0.01); NaN propagates.
/// f'(x) = 1 for x &gt; 0, else slope (the derivative at the kink x = 0 is taken as slope).
/// </summary>
/// <param name="slope">The slope for negative inputs (the layer validates 0 ≤ slope &lt; 1).</param>
internal readonly struct LeakyReluOperator(float slope) : IActivationOperator
{
    /// <summary>The slope for negative inputs.</summary>
    public float Slope { get; } = slope;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Forward<TWidth, TVector>(TVector x) where TWidth : struct, IVectorWidth<TVector> where TVector : struct =>
        TWidth.ConditionalSelect(TWidth.LessThan(x, TWidth.Zero), TWidth.Multiply(x, TWidth.Broadcast(Slope)), x);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Derivative<TWidth, TVector>(TVector x, TVector y) where TWidth : struct, IVectorWidth<TVector> where TVector : struct =>
        TWidth.ConditionalSelect(TWidth.GreaterThan(x, TWidth.Zero), TWidth.Broadcast(1f), TWidth.Broadcast(Slope));
}

/// <summary>
/// f(x) = e^x through <see cref="VectorExp"/> (identical bits on every tier); f'(x) = y. Used by the softmax
/// on logits shifted by their row maximum.
/// </summary>
internal readonly struct ExpOperator : IActivationOperator
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Forward<TWidth, TVector>(TVector x) where TWidth : struct, IVectorWidth<TVector> where TVector : struct =>
        VectorExp.Exp<TWidth, TVector>(x);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Derivative<TWidth, TVector>(TVector x, TVector y) where TWidth : struct, IVectorWidth<TVector> where TVector : struct => y;
}

/// <summary>
/// The fast element-wise activations: one driver per arity, dispatched once per call by <see cref="TierDispatch"/>
/// to the width of <see cref="Cpu.Tier"/> (Vector512, Vector256, Vector128 or one float). The forward loop is
/// unrolled ×4, then single registers; the last <c>n mod width</c> elements run the same operator body on
/// <see cref="Width1"/>, the same operations per lane, so every tier gives the same bits. Allocates nothing.
/// </summary>
/// <remarks>
/// Works on <c>x.Length</c> elements; the other spans must be at least that long (elements past it are
/// untouched). In place is allowed when an output span starts at the same address as an input (each
/// element is read before it is written); other overlaps give unspecified results.
/// </remarks>
internal static class Activations
{
    /// <summary>y[i] = f(x[i]) for i &lt; x.Length, on up to <paramref name="threads"/> threads.</summary>
    /// <exception cref="ArgumentException"><paramref name="y"/> is shorter than <paramref name="x"/>.</exception>
    public static void Forward<TOp>(TOp op, ReadOnlySpan<float> x, Span<float> y, int threads = 1) where TOp : struct, IActivationOperator
    {
        CheckLength(x.Length, y.Length, nameof(y));
        var body = new ForwardSlices<TOp>(op, x, y);
        ElementwiseParts.Run(ref body, x.Length, threads);
    }

    /// <summary>
    /// dx[i] = dy[i] · f'(x[i]) (with y[i] = f(x[i]) from the forward pass) for i &lt; x.Length, on up to <paramref name="threads"/>
    /// threads.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="y"/>, <paramref name="dy"/> or <paramref name="dx"/> is shorter than <paramref name="x"/>.</exception>
    public static void Backward<TOp>(TOp op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int threads = 1)
        where TOp : struct, IActivationOperator
    {
        int n = x.Length;
        CheckLength(n, y.Length, nameof(y));
        CheckLength(n, dy.Length, nameof(dy));
        CheckLength(n, dx.Length, nameof(dx));
        var body = new BackwardSlices<TOp>(op, x, y, dy, dx, default);
        ElementwiseParts.Run(ref body, n, threads);
    }

    /// <summary>
    /// The activation's backward pass written to two
    /// outputs in one pass (x, y and dy read once): dx[i] = copy[i] = dy[i] · f'(x[i]), the same bits in both. For a value that
    /// feeds two consumers of the same gradient, such as a residual add's two inputs.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than <paramref name="x"/>.</exception>
    public static void Backward<TOp>(TOp op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, Span<float> copy,
        int threads = 1) where TOp : struct, IActivationOperator
    {
        int n = x.Length;
        CheckLength(n, y.Length, nameof(y));
        CheckLength(n, dy.Length, nameof(dy));
        CheckLength(n, dx.Length, nameof(dx));
        CheckLength(n, copy.Length, nameof(copy));
        var body = new BackwardSlices<TOp>(op, x, y, dy, dx, copy);
        ElementwiseParts.Run(ref body, n, threads);
    }

    /// <summary><see cref="Forward{TOp}"/> on elements [start, +count).</summary>
    private readonly ref struct ForwardSlices<TOp>(TOp op, ReadOnlySpan<float> x, Span<float> y) : ISliceBody where TOp : struct, IActivationOperator
    {
        private readonly ReadOnlySpan<float> _x = x;
        private readonly Span<float> _y = y;

        public void Execute(int start, int count)
        {
            var kernel = new ForwardKernel<TOp>(op, _x.Slice(start, count), _y.Slice(start, count));
            TierDispatch.Run(ref kernel);
        }
    }

    /// <summary>The backward pass (one output or two) on elements [start, +count).</summary>
    private readonly ref struct BackwardSlices<TOp>(TOp op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx,
        Span<float> copy) : ISliceBody where TOp : struct, IActivationOperator
    {
        private readonly ReadOnlySpan<float> _x = x, _y = y, _dy = dy;
        private readonly Span<float> _dx = dx, _copy = copy;

        public void Execute(int start, int count)
        {
            var kernel = new BackwardKernel<TOp>(op, _x.Slice(start, count), _y.Slice(start, count), _dy.Slice(start, count), _dx.Slice(start, count),
                _copy.IsEmpty ? default : _copy.Slice(start, count));
            TierDispatch.Run(ref kernel);
        }
    }

    /// <summary>y = f(x) over x.Length elements (lengths checked by the caller).</summary>
    private readonly ref struct ForwardKernel<TOp>(TOp op, ReadOnlySpan<float> x, Span<float> y) : IWidthKernel where TOp : struct, IActivationOperator
    {
        private readonly TOp _op = op;
        private readonly ReadOnlySpan<float> _x = x;
        private readonly Span<float> _y = y;

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            TOp f = _op;
            int n = _x.Length, w = TWidth.Count, i = 0;
            ref float xs = ref MemoryMarshal.GetReference(_x);
            ref float ys = ref MemoryMarshal.GetReference(_y);
            for (; i <= n - 4 * w; i += 4 * w)
            {
                TVector a0 = TWidth.Load(ref Unsafe.Add(ref xs, i));
                TVector a1 = TWidth.Load(ref Unsafe.Add(ref xs, i + w));
                TVector a2 = TWidth.Load(ref Unsafe.Add(ref xs, i + 2 * w));
                TVector a3 = TWidth.Load(ref Unsafe.Add(ref xs, i + 3 * w));
                TWidth.Store(f.Forward<TWidth, TVector>(a0), ref Unsafe.Add(ref ys, i));
                TWidth.Store(f.Forward<TWidth, TVector>(a1), ref Unsafe.Add(ref ys, i + w));
                TWidth.Store(f.Forward<TWidth, TVector>(a2), ref Unsafe.Add(ref ys, i + 2 * w));
                TWidth.Store(f.Forward<TWidth, TVector>(a3), ref Unsafe.Add(ref ys, i + 3 * w));
            }
            for (; i <= n - w; i += w)
                TWidth.Store(f.Forward<TWidth, TVector>(TWidth.Load(ref Unsafe.Add(ref xs, i))), ref Unsafe.Add(ref ys, i));
            for (; i < n; i++)
                Unsafe.Add(ref ys, i) = f.Forward<Width1, float>(Unsafe.Add(ref xs, i));
        }
    }

    /// <summary>dx = dy · f'(x, y) over x.Length elements, also into <paramref name="copy"/> unless it is empty (lengths checked by the caller).</summary>
    private readonly ref struct BackwardKernel<TOp>(TOp op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx,
        Span<float> copy) : IWidthKernel where TOp : struct, IActivationOperator
    {
        private readonly TOp _op = op;
        private readonly ReadOnlySpan<float> _x = x, _y = y, _dy = dy;
        private readonly Span<float> _dx = dx, _copy = copy;

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            TOp f = _op;
            int n = _x.Length, w = TWidth.Count, i = 0;
            ref float xs = ref MemoryMarshal.GetReference(_x);
            ref float ys = ref MemoryMarshal.GetReference(_y);
            ref float dys = ref MemoryMarshal.GetReference(_dy);
            ref float dxs = ref MemoryMarshal.GetReference(_dx);
            if (_copy.IsEmpty)
            {
                for (; i <= n - w; i += w)
                    TWidth.Store(Gradient<TWidth, TVector>(f, ref xs, ref ys, ref dys, i), ref Unsafe.Add(ref dxs, i));
                for (; i < n; i++) Unsafe.Add(ref dxs, i) = Gradient<Width1, float>(f, ref xs, ref ys, ref dys, i);
                return;
            }
            ref float copies = ref MemoryMarshal.GetReference(_copy);
            for (; i <= n - w; i += w)
            {
                TVector g = Gradient<TWidth, TVector>(f, ref xs, ref ys, ref dys, i);
                TWidth.Store(g, ref Unsafe.Add(ref dxs, i));
                TWidth.Store(g, ref Unsafe.Add(ref copies, i));
            }
            for (; i < n; i++) Unsafe.Add(ref dxs, i) = Unsafe.Add(ref copies, i) = Gradient<Width1, float>(f, ref xs, ref ys, ref dys, i);
        }

        /// <summary>dy · f'(x, y) at element <paramref name="i"/>, one vector of <typeparamref name="TW"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TV Gradient<TW, TV>(TOp f, ref float x, ref float y, ref float dy, int i) where TW : struct, IVectorWidth<TV> where TV : struct =>
            TW.Multiply(TW.Load(ref Unsafe.Add(ref dy, i)), f.Derivative<TW, TV>(TW.Load(ref Unsafe.Add(ref x, i)), TW.Load(ref Unsafe.Add(ref y, i))));
    }

    private static void CheckLength(int needed, int actual, string name)
    {
        if (actual < needed)
            throw new ArgumentException($"Activation: {name} holds {actual} values but x holds {needed}.", name);
    }
}
