using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels;

/// <summary>
/// An element-wise function f and its derivative, as a struct so that the generic driver
/// <see cref="Activations"/> is specialised (and inlined) per operator by the JIT (STYLE anchor 1).
/// </summary>
/// <remarks>
/// Each member comes as a scalar overload and Vector128/256/512 overloads that must perform the same IEEE
/// operations per lane, so every tier returns the same bits; the scalar overload is the Scalar tier and the
/// tail of the vector tiers. The oracle is <see cref="ActivationsReference"/>.
/// </remarks>
internal interface IActivationOperator
{
    /// <summary>y = f(x).</summary>
    float Forward(float x);

    /// <summary>y = f(x) per lane.</summary>
    Vector128<float> Forward(Vector128<float> x);

    /// <summary>y = f(x) per lane.</summary>
    Vector256<float> Forward(Vector256<float> x);

    /// <summary>y = f(x) per lane.</summary>
    Vector512<float> Forward(Vector512<float> x);

    /// <summary>f'(x), given also y = f(x) (so the sigmoid can use y(1 − y)).</summary>
    float Derivative(float x, float y);

    /// <summary>f'(x) per lane, given also y = f(x).</summary>
    Vector128<float> Derivative(Vector128<float> x, Vector128<float> y);

    /// <summary>f'(x) per lane, given also y = f(x).</summary>
    Vector256<float> Derivative(Vector256<float> x, Vector256<float> y);

    /// <summary>f'(x) per lane, given also y = f(x).</summary>
    Vector512<float> Derivative(Vector512<float> x, Vector512<float> y);
}

/// <summary>f(x) = x; f'(x) = 1.</summary>
internal readonly struct IdentityOperator : IActivationOperator
{
    /// <inheritdoc />
    public float Forward(float x) => x;
    /// <inheritdoc />
    public Vector128<float> Forward(Vector128<float> x) => x;
    /// <inheritdoc />
    public Vector256<float> Forward(Vector256<float> x) => x;
    /// <inheritdoc />
    public Vector512<float> Forward(Vector512<float> x) => x;

    /// <inheritdoc />
    public float Derivative(float x, float y) => 1f;
    /// <inheritdoc />
    public Vector128<float> Derivative(Vector128<float> x, Vector128<float> y) => Vector128<float>.One;
    /// <inheritdoc />
    public Vector256<float> Derivative(Vector256<float> x, Vector256<float> y) => Vector256<float>.One;
    /// <inheritdoc />
    public Vector512<float> Derivative(Vector512<float> x, Vector512<float> y) => Vector512<float>.One;
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
    public float Forward(float x)
    {
        float t = VectorExp.Exp(-MathF.Abs(x));
        return (x >= 0f ? 1f : t) / (1f + t);
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Forward(Vector128<float> x)
    {
        var t = VectorExp.Exp(-Vector128.Abs(x));
        var one = Vector128<float>.One;
        return Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(x, Vector128<float>.Zero), one, t) / (one + t);
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Forward(Vector256<float> x)
    {
        var t = VectorExp.Exp(-Vector256.Abs(x));
        var one = Vector256<float>.One;
        return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), one, t) / (one + t);
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Forward(Vector512<float> x)
    {
        var t = VectorExp.Exp(-Vector512.Abs(x));
        var one = Vector512<float>.One;
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), one, t) / (one + t);
    }

    /// <inheritdoc />
    public float Derivative(float x, float y) => y * (1f - y);
    /// <inheritdoc />
    public Vector128<float> Derivative(Vector128<float> x, Vector128<float> y) => y * (Vector128<float>.One - y);
    /// <inheritdoc />
    public Vector256<float> Derivative(Vector256<float> x, Vector256<float> y) => y * (Vector256<float>.One - y);
    /// <inheritdoc />
    public Vector512<float> Derivative(Vector512<float> x, Vector512<float> y) => y * (Vector512<float>.One - y);
}

/// <summary>
/// f(x) = max(0, x), written <c>x &lt; 0 ? 0 : x</c> so NaN propagates (and −0 stays −0).
/// f'(x) = 1 for x &gt; 0, else 0 (the derivative at the kink x = 0 is taken as 0).
/// </summary>
internal readonly struct ReluOperator : IActivationOperator
{
    /// <inheritdoc />
    public float Forward(float x) => x < 0f ? 0f : x;
    /// <inheritdoc />
    public Vector128<float> Forward(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), Vector128<float>.Zero, x);
    /// <inheritdoc />
    public Vector256<float> Forward(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256<float>.Zero, x);
    /// <inheritdoc />
    public Vector512<float> Forward(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), Vector512<float>.Zero, x);

    /// <inheritdoc />
    public float Derivative(float x, float y) => x > 0f ? 1f : 0f;
    /// <inheritdoc />
    public Vector128<float> Derivative(Vector128<float> x, Vector128<float> y) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), Vector128<float>.One, Vector128<float>.Zero);
    /// <inheritdoc />
    public Vector256<float> Derivative(Vector256<float> x, Vector256<float> y) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), Vector256<float>.One, Vector256<float>.Zero);
    /// <inheritdoc />
    public Vector512<float> Derivative(Vector512<float> x, Vector512<float> y) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), Vector512<float>.One, Vector512<float>.Zero);
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
    public float Forward(float x) => x < 0f ? Slope * x : x;
    /// <inheritdoc />
    public Vector128<float> Forward(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), x * Vector128.Create(Slope), x);
    /// <inheritdoc />
    public Vector256<float> Forward(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), x * Vector256.Create(Slope), x);
    /// <inheritdoc />
    public Vector512<float> Forward(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), x * Vector512.Create(Slope), x);

    /// <inheritdoc />
    public float Derivative(float x, float y) => x > 0f ? 1f : Slope;
    /// <inheritdoc />
    public Vector128<float> Derivative(Vector128<float> x, Vector128<float> y) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), Vector128<float>.One, Vector128.Create(Slope));
    /// <inheritdoc />
    public Vector256<float> Derivative(Vector256<float> x, Vector256<float> y) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), Vector256<float>.One, Vector256.Create(Slope));
    /// <inheritdoc />
    public Vector512<float> Derivative(Vector512<float> x, Vector512<float> y) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), Vector512<float>.One, Vector512.Create(Slope));
}

/// <summary>
/// f(x) = e^x through <see cref="VectorExp"/> (identical bits on every tier); f'(x) = y. Used by the softmax
/// on logits shifted by their row maximum.
/// </summary>
internal readonly struct ExpOperator : IActivationOperator
{
    /// <inheritdoc />
    public float Forward(float x) => VectorExp.Exp(x);
    /// <inheritdoc />
    public Vector128<float> Forward(Vector128<float> x) => VectorExp.Exp(x);
    /// <inheritdoc />
    public Vector256<float> Forward(Vector256<float> x) => VectorExp.Exp(x);
    /// <inheritdoc />
    public Vector512<float> Forward(Vector512<float> x) => VectorExp.Exp(x);

    /// <inheritdoc />
    public float Derivative(float x, float y) => y;
    /// <inheritdoc />
    public Vector128<float> Derivative(Vector128<float> x, Vector128<float> y) => y;
    /// <inheritdoc />
    public Vector256<float> Derivative(Vector256<float> x, Vector256<float> y) => y;
    /// <inheritdoc />
    public Vector512<float> Derivative(Vector512<float> x, Vector512<float> y) => y;
}

/// <summary>
/// The fast element-wise activations: one generic driver per arity that reads <see cref="Cpu.Tier"/> once
/// and runs the operator on Vector512 (Avx512), Vector256 (Avx2), Vector128 (Vector128) or scalars
/// (Scalar). Each vector loop is unrolled ×4, then single vectors; the last <c>n mod width</c> elements
/// go through the operator's scalar overload, the same formula per lane, so every tier gives the same bits.
/// Allocates nothing.
/// </summary>
/// <remarks>
/// Works on <c>x.Length</c> elements; the other spans must be at least that long (elements past it are
/// untouched). In place is allowed when an output span starts at the same address as an input (each
/// element is read before it is written); other overlaps give unspecified results.
/// </remarks>
internal static class Activations
{
    /// <summary>y[i] = f(x[i]) for i &lt; x.Length.</summary>
    /// <exception cref="ArgumentException"><paramref name="y"/> is shorter than <paramref name="x"/>.</exception>
    public static void Forward<TOp>(TOp op, ReadOnlySpan<float> x, Span<float> y) where TOp : struct, IActivationOperator
    {
        int n = x.Length;
        CheckLength(n, y.Length, nameof(y));
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        int i = Cpu.Tier switch
        {
            ComputeTier.Avx512 => ForwardVectors<Width512, Vector512<float>, Call512, TOp>(op, ref xs, ref ys, n),
            ComputeTier.Avx2 => ForwardVectors<Width256, Vector256<float>, Call256, TOp>(op, ref xs, ref ys, n),
            ComputeTier.Vector128 => ForwardVectors<Width128, Vector128<float>, Call128, TOp>(op, ref xs, ref ys, n),
            _ => 0,
        };
        for (; i < n; i++)
            Unsafe.Add(ref ys, i) = op.Forward(Unsafe.Add(ref xs, i));
    }

    /// <summary>dx[i] = dy[i] · f'(x[i]) (with y[i] = f(x[i]) from the forward pass) for i &lt; x.Length.</summary>
    /// <exception cref="ArgumentException"><paramref name="y"/>, <paramref name="dy"/> or <paramref name="dx"/> is shorter than <paramref name="x"/>.</exception>
    public static void Backward<TOp>(TOp op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) where TOp : struct, IActivationOperator
    {
        int n = x.Length;
        CheckLength(n, y.Length, nameof(y));
        CheckLength(n, dy.Length, nameof(dy));
        CheckLength(n, dx.Length, nameof(dx));
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float dys = ref MemoryMarshal.GetReference(dy);
        ref float dxs = ref MemoryMarshal.GetReference(dx);
        int i = Cpu.Tier switch
        {
            ComputeTier.Avx512 => BackwardVectors<Width512, Vector512<float>, Call512, TOp>(op, ref xs, ref ys, ref dys, ref dxs, n),
            ComputeTier.Avx2 => BackwardVectors<Width256, Vector256<float>, Call256, TOp>(op, ref xs, ref ys, ref dys, ref dxs, n),
            ComputeTier.Vector128 => BackwardVectors<Width128, Vector128<float>, Call128, TOp>(op, ref xs, ref ys, ref dys, ref dxs, n),
            _ => 0,
        };
        for (; i < n; i++)
            Unsafe.Add(ref dxs, i) = Unsafe.Add(ref dys, i) * op.Derivative(Unsafe.Add(ref xs, i), Unsafe.Add(ref ys, i));
    }

    // ------------------------------------------------------------------ the vector loops, written once over IVectorWidth;
    // each returns how far it got. TCall picks the operator's overload for the width.

    private static int ForwardVectors<TWidth, TVector, TCall, TOp>(TOp op, ref float x, ref float y, int n)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct where TCall : struct, IOperatorCall<TVector> where TOp : struct, IActivationOperator
    {
        int w = TWidth.Count;
        int i = 0;
        for (; i <= n - 4 * w; i += 4 * w)
        {
            TVector a0 = TWidth.Load(ref Unsafe.Add(ref x, i));
            TVector a1 = TWidth.Load(ref Unsafe.Add(ref x, i + w));
            TVector a2 = TWidth.Load(ref Unsafe.Add(ref x, i + 2 * w));
            TVector a3 = TWidth.Load(ref Unsafe.Add(ref x, i + 3 * w));
            TWidth.Store(TCall.Forward(op, a0), ref Unsafe.Add(ref y, i));
            TWidth.Store(TCall.Forward(op, a1), ref Unsafe.Add(ref y, i + w));
            TWidth.Store(TCall.Forward(op, a2), ref Unsafe.Add(ref y, i + 2 * w));
            TWidth.Store(TCall.Forward(op, a3), ref Unsafe.Add(ref y, i + 3 * w));
        }
        for (; i <= n - w; i += w)
            TWidth.Store(TCall.Forward(op, TWidth.Load(ref Unsafe.Add(ref x, i))), ref Unsafe.Add(ref y, i));
        return i;
    }

    private static int BackwardVectors<TWidth, TVector, TCall, TOp>(TOp op, ref float x, ref float y, ref float dy, ref float dx, int n)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct where TCall : struct, IOperatorCall<TVector> where TOp : struct, IActivationOperator
    {
        int w = TWidth.Count;
        int i = 0;
        for (; i <= n - w; i += w)
        {
            TVector derivative = TCall.Derivative(op, TWidth.Load(ref Unsafe.Add(ref x, i)), TWidth.Load(ref Unsafe.Add(ref y, i)));
            TWidth.Store(TWidth.Multiply(TWidth.Load(ref Unsafe.Add(ref dy, i)), derivative), ref Unsafe.Add(ref dx, i));
        }
        return i;
    }

    /// <summary>Calls an operator's overload for one vector width (operators overload by width; the loops are generic).</summary>
    private interface IOperatorCall<TVector> where TVector : struct
    {
        static abstract TVector Forward<TOp>(TOp op, TVector x) where TOp : struct, IActivationOperator;
        static abstract TVector Derivative<TOp>(TOp op, TVector x, TVector y) where TOp : struct, IActivationOperator;
    }

    private readonly struct Call512 : IOperatorCall<Vector512<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Forward<TOp>(TOp op, Vector512<float> x) where TOp : struct, IActivationOperator => op.Forward(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Derivative<TOp>(TOp op, Vector512<float> x, Vector512<float> y) where TOp : struct, IActivationOperator => op.Derivative(x, y);
    }

    private readonly struct Call256 : IOperatorCall<Vector256<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Forward<TOp>(TOp op, Vector256<float> x) where TOp : struct, IActivationOperator => op.Forward(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Derivative<TOp>(TOp op, Vector256<float> x, Vector256<float> y) where TOp : struct, IActivationOperator => op.Derivative(x, y);
    }

    private readonly struct Call128 : IOperatorCall<Vector128<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Forward<TOp>(TOp op, Vector128<float> x) where TOp : struct, IActivationOperator => op.Forward(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Derivative<TOp>(TOp op, Vector128<float> x, Vector128<float> y) where TOp : struct, IActivationOperator => op.Derivative(x, y);
    }

    private static void CheckLength(int needed, int actual, string name)
    {
        if (actual < needed)
            throw new ArgumentException($"Activation: {name} holds {actual} values but x holds {needed}.", name);
    }
}
