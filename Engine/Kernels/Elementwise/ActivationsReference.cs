using System.Runtime.CompilerServices;

namespace Engine.Kernels;

/// <summary>
/// The reference (oracle) element-wise activations: the plain scalar formulas and one plain loop, kept
/// unchanged as the test oracle for the vectorised <see cref="Activations"/>. The sigmoid here uses
/// <see cref="MathF.Exp"/> and the tanh <see cref="MathF.Tanh"/>; the fast ones use <see cref="VectorExp"/>, so the
/// two agree within a few ulp, not bit for bit.
/// </summary>
internal static class ActivationsReference
{
    /// <summary>A scalar activation f and its derivative, as a struct so the reference driver is specialised per operator.</summary>
    internal interface IOperator
    {
        /// <summary>y = f(x).</summary>
        float Forward(float x);

        /// <summary>f'(x), given also y = f(x) (so the sigmoid can use y(1 − y)).</summary>
        float Derivative(float x, float y);
    }

    /// <summary>f(x) = x; f'(x) = 1.</summary>
    internal readonly struct Identity : IOperator
    {
        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Forward(float x) => x;

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Derivative(float x, float y) => 1f;
    }

    /// <summary>
    /// f(x) = 1 / (1 + e^−x), evaluated without overflow: for x ≥ 0 as 1 / (1 + e^−x), for x &lt; 0 as
    /// e^x / (1 + e^x), so no exponential of a large positive number is formed and tiny outputs keep their
    /// relative accuracy (f(−100) ≈ 3.7e−44, not 0). f(±∞) = 1 or 0; NaN gives NaN.
    /// f'(x) = y(1 − y) with y = f(x).
    /// </summary>
    internal readonly struct Sigmoid : IOperator
    {
        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Forward(float x)
        {
            if (x >= 0f) return 1f / (1f + MathF.Exp(-x));
            float e = MathF.Exp(x); // also reached by NaN, which propagates
            return e / (1f + e);
        }

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Derivative(float x, float y) => y * (1f - y);
    }

    /// <summary>
    /// f(x) = tanh(x) by <see cref="MathF.Tanh"/> (so f(±0) = ±0, f(±∞) = ±1, NaN gives NaN).
    /// f'(x) = 1 − y² with y = f(x), computed in double and rounded once.
    /// </summary>
    internal readonly struct Tanh : IOperator
    {
        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Forward(float x) => MathF.Tanh(x);

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Derivative(float x, float y) => (float)(1.0 - (double)y * y);
    }

    /// <summary>
    /// f(x) = max(0, x), written <c>x &lt; 0 ? 0 : x</c> so NaN propagates.
    /// f'(x) = 1 for x &gt; 0, else 0 (the derivative at the kink x = 0 is taken as 0).
    /// </summary>
    internal readonly struct Relu : IOperator
    {
        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Forward(float x) => x < 0f ? 0f : x;

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Derivative(float x, float y) => x > 0f ? 1f : 0f;
    }

    /// <summary>
    /// f(x) = x for x ≥ 0, slope·x for x &lt; 0 (the report's Eq. 4 with slope 0.01); NaN propagates.
    /// f'(x) = 1 for x &gt; 0, else slope (the derivative at the kink x = 0 is taken as slope).
    /// </summary>
    /// <param name="slope">The slope for negative inputs (the layer validates 0 ≤ slope &lt; 1).</param>
    internal readonly struct LeakyRelu(float slope) : IOperator
    {
        /// <summary>The slope for negative inputs.</summary>
        public float Slope { get; } = slope;

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Forward(float x) => x < 0f ? Slope * x : x;

        /// <inheritdoc />
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Derivative(float x, float y) => x > 0f ? 1f : Slope;
    }

    // The driver: one plain loop per direction. Works on x.Length elements; the other spans must be at least
    // that long (elements past it are untouched). In place is allowed when an output span starts at the same
    // address as an input.

    /// <summary>y[i] = f(x[i]) for i &lt; x.Length.</summary>
    /// <exception cref="ArgumentException"><paramref name="y"/> is shorter than <paramref name="x"/>.</exception>
    public static void Forward<TOp>(TOp op, ReadOnlySpan<float> x, Span<float> y) where TOp : struct, IOperator
    {
        CheckLength(x.Length, y.Length, nameof(y));
        y = y[..x.Length];
        for (int i = 0; i < x.Length; i++)
            y[i] = op.Forward(x[i]);
    }

    /// <summary>dx[i] = dy[i] · f'(x[i]) (with y[i] = f(x[i]) from the forward pass) for i &lt; x.Length.</summary>
    /// <exception cref="ArgumentException"><paramref name="y"/>, <paramref name="dy"/> or <paramref name="dx"/> is shorter than <paramref name="x"/>.</exception>
    public static void Backward<TOp>(TOp op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) where TOp : struct, IOperator
    {
        int n = x.Length;
        CheckLength(n, y.Length, nameof(y));
        CheckLength(n, dy.Length, nameof(dy));
        CheckLength(n, dx.Length, nameof(dx));
        y = y[..n]; dy = dy[..n]; dx = dx[..n];
        for (int i = 0; i < n; i++)
            dx[i] = dy[i] * op.Derivative(x[i], y[i]);
    }

    private static void CheckLength(int needed, int actual, string name)
    {
        if (actual < needed)
            throw new ArgumentException($"Activation: {name} holds {actual} values but x holds {needed}.", name);
    }
}
