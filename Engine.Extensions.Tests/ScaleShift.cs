using Engine.Layers;

namespace Engine.Extensions.Tests;

/// <summary>
/// A user's layer: a learned per-channel scale and shift, y[n, c, …] = a[c]·x[n, c, …] + b[c], for inputs of any rank
/// whose first axis is the channel. a is a weight (decayed), b a bias; a starts at 1 and b at 0.
/// </summary>
public sealed class ScaleShift : Layer
{
    private int _channels, _perChannel;

    /// <summary>The input's first axis must be the channels; the output has the input's shape.</summary>
    protected override Shape InferOutputShape(Shape input)
    {
        if (input.Rank < 1) throw ShapeError(input, "needs at least one axis");
        _channels = input[0];
        _perChannel = input.Size / _channels;
        return input;
    }

    /// <inheritdoc />
    public override int WeightCount => IsBuilt ? _channels : 0;

    /// <inheritdoc />
    public override int BiasCount => IsBuilt ? _channels : 0;

    /// <inheritdoc />
    public override void InitializeParameters(SeededRandom random)
    {
        Weights.Fill(1f);
        Biases.Clear();
    }

    /// <inheritdoc />
    protected override void OnForward(ReadOnlySpan<float> x, Span<float> y, int batch, in LayerContext context)
    {
        ReadOnlySpan<float> a = Weights, b = Biases;
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < _channels; c++)
            {
                int start = (n * _channels + c) * _perChannel;
                for (int i = start; i < start + _perChannel; i++) y[i] = a[c] * x[i] + b[c];
            }
    }

    /// <inheritdoc />
    protected override void OnBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch, in LayerContext context)
    {
        ReadOnlySpan<float> a = Weights;
        Span<float> da = WeightGradients, db = BiasGradients;
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < _channels; c++)
            {
                int start = (n * _channels + c) * _perChannel;
                float sa = 0f, sb = 0f;
                for (int i = start; i < start + _perChannel; i++)
                {
                    sa += dy[i] * x[i];
                    sb += dy[i];
                    if (!dx.IsEmpty) dx[i] = a[c] * dy[i];
                }
                da[c] += sa;
                db[c] += sb;
            }
    }
}
