using Engine.Kernels;

namespace Engine.Layers;

/// <summary>
/// What <see cref="BatchNorm2D"/> (per channel of a C×H×W input) and <see cref="BatchNorm1D"/> (per feature of a vector) share:
/// y = γ·(x − μ)/√(σ² + ε) + β with, in training, the batch's mean μ and biased variance σ² of each channel, and in
/// evaluation the running statistics; training passes update those as running = (1 − momentum)·running + momentum·batch
/// (the running variance takes the unbiased batch variance, as PyTorch does).
/// </summary>
/// <remarks>
/// γ and β train (they are the layer's "biases": never decayed by L2 or weight decay), γ starting at 1 and β at 0. The running
/// mean (start 0) and variance (start 1) are its state, saved with the model. Sums over the batch run in one fixed order
/// (see <see cref="BatchNormKernels"/>), so results are the same bits on every tier and thread count.
/// </remarks>
public abstract class BatchNorm : Layer
{
    private int _channels, _spatial;

    private protected BatchNorm(float momentum, float epsilon)
    {
        if (!(momentum is > 0f and <= 1f)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"{Kind}: momentum must be in (0, 1].");
        if (!(epsilon > 0f) || !float.IsFinite(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, $"{Kind}: epsilon must be a positive finite number.");
        Momentum = momentum;
        Epsilon = epsilon;
    }

    /// <summary>The weight of the current batch in the running statistics (PyTorch's default 0.1).</summary>
    public float Momentum { get; }

    /// <summary>ε added to the variance (default 1e−5).</summary>
    public float Epsilon { get; }

    /// <summary>The number of normalised channels (or features) C.</summary>
    public int Channels => IsBuilt ? _channels : 0;

    /// <summary>γ and β of each channel: 2·C.</summary>
    public override int BiasCount => 2 * Channels;

    /// <summary>Running mean and variance of each channel: 2·C.</summary>
    public override int StateCount => 2 * Channels;

    /// <summary>Checks the input and returns (channels, values per channel per sample).</summary>
    private protected abstract (int Channels, int Spatial) Split(Shape input);

    /// <inheritdoc />
    protected sealed override Shape InferOutputShape(Shape input)
    {
        (_channels, _spatial) = Split(input);
        return input;
    }

    /// <inheritdoc />
    protected override string Describe() => Momentum == 0.1f && Epsilon == 1e-5f ? Kind : $"{Kind}(momentum {Momentum}, epsilon {Epsilon})";

    /// <summary>γ = 1, β = 0.</summary>
    public sealed override void InitializeParameters(SeededRandom random)
    {
        Biases[.._channels].Fill(1f);
        Biases[_channels..].Clear();
    }

    /// <summary>Running mean 0, running variance 1.</summary>
    public sealed override void InitializeState()
    {
        State[.._channels].Clear();
        State[_channels..].Fill(1f);
    }

    /// <summary>The batch's mean and 1/√(σ² + ε) per channel, kept for the backward pass.</summary>
    public sealed override long SavedSize(int maxBatch) => 2 * _channels;

    /// <summary>Partial sums of the per-channel reductions and six per-channel vectors.</summary>
    public sealed override long ScratchSize(int maxBatch, int threads, LayerMode mode) =>
        BatchNormKernels.ScratchSize(_channels, _spatial) + 6 * _channels;

    /// <inheritdoc />
    protected sealed override void OnForward(ReadOnlySpan<float> x, Span<float> y, int batch, in LayerContext context) =>
        Forward(x, y, batch, context, relu: false);

    /// <summary>The forward pass, with a ReLU applied to the result when <paramref name="relu"/> (a fused BN + ReLU stage).</summary>
    internal void Forward(ReadOnlySpan<float> x, Span<float> y, int batch, in LayerContext context, bool relu)
    {
        int c = _channels;
        var scratch = context.Scratch;
        Span<float> a = scratch[..c], b = scratch.Slice(c, c), rest = scratch[(6 * c)..];
        ReadOnlySpan<float> gamma = Biases[..c], beta = Biases[c..];
        if (context.IsTraining)
        {
            Span<float> mean = context.Saved[..c], invstd = context.Saved.Slice(c, c), variance = scratch.Slice(2 * c, c);
            BatchNormKernels.Statistics(x, batch, c, _spatial, mean, variance, rest, context.Threads);
            long m = (long)batch * _spatial;
            float unbiased = m > 1 ? (float)m / (m - 1) : 1f;
            Span<float> runningMean = State[..c], runningVariance = State[c..];
            for (int i = 0; i < c; i++)
            {
                invstd[i] = 1f / MathF.Sqrt(variance[i] + Epsilon);
                a[i] = gamma[i] * invstd[i];
                b[i] = MathF.FusedMultiplyAdd(-mean[i], a[i], beta[i]);
                runningMean[i] = MathF.FusedMultiplyAdd(Momentum, mean[i] - runningMean[i], runningMean[i]);
                runningVariance[i] = MathF.FusedMultiplyAdd(Momentum, variance[i] * unbiased - runningVariance[i], runningVariance[i]);
            }
        }
        else EvaluationAffine(a, b);
        BatchNormKernels.Normalize(x, y, batch, c, _spatial, a, b, relu, context.Threads);
    }

    /// <summary>
    /// The evaluation-mode transform as y = fma(<paramref name="scale"/>[c], x, <paramref name="shift"/>[c]): scale = γ/√(running
    /// variance + ε), shift = fma(−running mean, scale, β) — what <see cref="Forward(ReadOnlySpan{float}, Span{float}, int, in LayerContext, bool)"/>
    /// applies in evaluation, for a convolution that applies it in its epilogue.
    /// </summary>
    internal void EvaluationAffine(Span<float> scale, Span<float> shift)
    {
        int c = _channels;
        ReadOnlySpan<float> gamma = Biases[..c], beta = Biases[c..], runningMean = State[..c], runningVariance = State[c..];
        for (int i = 0; i < c; i++)
        {
            scale[i] = gamma[i] / MathF.Sqrt(runningVariance[i] + Epsilon);
            shift[i] = MathF.FusedMultiplyAdd(-runningMean[i], scale[i], beta[i]);
        }
    }

    /// <inheritdoc />
    protected sealed override void OnBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch, in LayerContext context) =>
        Backward(x, dy, dx, batch, context, relu: false);

    /// <summary>Whether <see cref="BackwardThroughRelu"/> folds the ReLU's mask in (per-channel planes, S &gt; 1; BatchNorm1D does not).</summary>
    internal bool FoldsReluBackward => _spatial > 1;

    /// <summary>
    /// The backward pass of this batch norm and the ReLU after it (a fused BN + ReLU stage, whose forward ran with relu):
    /// <paramref name="dy"/> is the gradient of the ReLU's output. The ReLU's mask, y &gt; 0, is recomputed as
    /// fma(a, x, b) &gt; 0 from the forward pass's own a = γ·invstd and b = fma(−mean, a, β) (same operations, so the same mask)
    /// and applied as the sums read dy, instead of a masked copy of dy: the same bits as the ReLU's backward then
    /// <see cref="Layer.Backward"/>, with three passes over the batch fewer. Needs <see cref="FoldsReluBackward"/>.
    /// </summary>
    /// <param name="x">The forward pass's input [N, C, H, W].</param>
    /// <param name="dy">The gradient of the ReLU's output [N, C, H, W].</param>
    /// <param name="dx">The gradient of x [N, C, H, W], overwritten; empty when not needed.</param>
    /// <param name="batch">N.</param>
    /// <param name="context">The same memory as the forward pass of this step.</param>
    internal void BackwardThroughRelu(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int batch, in LayerContext context)
    {
        if (!FoldsReluBackward) throw new InvalidOperationException($"{Name}: the ReLU's mask is folded into batch norms over planes only.");
        int size = batch * InputShape.Size;
        if (x.Length < size || dy.Length < size || (!dx.IsEmpty && dx.Length < size))
            throw new ArgumentException($"{Name}: x, dy and dx need {size} values for a batch of {batch}.");
        Backward(x[..size], dy[..size], dx.IsEmpty ? dx : dx[..size], batch, context, relu: true);
    }

    private void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int batch, in LayerContext context, bool relu)
    {
        int c = _channels;
        var scratch = context.Scratch;
        Span<float> sumDy = scratch[..c], sumDyX = scratch.Slice(c, c), k = scratch.Slice(2 * c, c), t = scratch.Slice(3 * c, c);
        Span<float> a = relu ? scratch.Slice(4 * c, c) : default, b = relu ? scratch.Slice(5 * c, c) : default;
        ReadOnlySpan<float> mean = context.Saved[..c], invstd = context.Saved.Slice(c, c), gamma = Biases[..c], beta = Biases[c..];
        for (int i = 0; i < a.Length; i++)
        {
            // The forward pass's affine map, by the same operations (γ and β have not changed since).
            a[i] = gamma[i] * invstd[i];
            b[i] = MathF.FusedMultiplyAdd(-mean[i], a[i], beta[i]);
        }
        BatchNormKernels.BackwardSums(x, dy, batch, c, _spatial, mean, sumDy, sumDyX, scratch[(6 * c)..], context.Threads, a, b);
        Span<float> dGamma = BiasGradients[..c], dBeta = BiasGradients[c..];
        float m = (float)((long)batch * _spatial);
        for (int i = 0; i < c; i++)
        {
            float batchGamma = sumDyX[i] * invstd[i];
            dGamma[i] += batchGamma;
            dBeta[i] += sumDy[i];
            k[i] = gamma[i] * invstd[i] / m;
            t[i] = invstd[i] * batchGamma;
        }
        if (!dx.IsEmpty) BatchNormKernels.BackwardData(x, dy, dx, batch, c, _spatial, mean, k, t, sumDy, context.Threads, a, b);
    }
}
