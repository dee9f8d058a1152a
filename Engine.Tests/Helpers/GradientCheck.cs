using Engine.Layers;
using Engine.Losses;
using Engine.Training;

namespace Engine.Tests.Helpers;

/// <summary>
/// Finite-difference gradient checks. The scalar objective is L = Σ r·y with fixed random weights r,
/// summed in double; the numerical derivative is the central difference (L(p+h) − L(p−h)) / 2h in double,
/// compared with the layer's analytic gradient (its Backward given dy = r).
/// </summary>
public static class GradientCheck
{
    /// <summary>A layer bound to its own parameter arrays, ready to run (through <see cref="LayerHarness"/>).</summary>
    public sealed class BoundLayer
    {
        public required Layer Layer { get; init; }
        public required float[] Weights { get; init; }
        public required float[] Biases { get; init; }
        public required float[] WeightGradients { get; init; }
        public required float[] BiasGradients { get; init; }
        public required int Batch { get; init; }

        /// <summary>y = layer(x) for <paramref name="batch"/> samples (default: the bound batch).</summary>
        public void Forward(ReadOnlySpan<float> x, Span<float> y, int batch = 0, LayerMode mode = LayerMode.Training) =>
            LayerHarness.Forward(Layer, x, y, batch == 0 ? Batch : batch, mode);

        /// <summary>The backward pass after <see cref="Forward"/> with the same batch.</summary>
        public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch = 0) =>
            LayerHarness.Backward(Layer, x, y, dy, dx, batch == 0 ? Batch : batch);
    }

    /// <summary>Builds <paramref name="layer"/> for <paramref name="inputShape"/>, binds fresh arrays, initialises it
    /// with <paramref name="seed"/> and gives every bias a random value so the bias gradient matters.</summary>
    public static BoundLayer Bind(Layer layer, Shape inputShape, int batch, int seed = 1)
    {
        layer.Build(inputShape, $"layer 0 ({layer.Kind})");
        var w = new float[layer.WeightCount];
        var b = new float[layer.BiasCount];
        var gw = new float[layer.WeightCount];
        var gb = new float[layer.BiasCount];
        layer.BindParameters(w, b, gw, gb);
        layer.BindState(new float[layer.StateCount]);
        layer.InitializeParameters(new SeededRandom(seed));
        layer.InitializeState();
        var rng = new SeededRandom(seed + 1000);
        for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() - 0.5);
        return new BoundLayer { Layer = layer, Weights = w, Biases = b, WeightGradients = gw, BiasGradients = gb, Batch = batch };
    }

    /// <summary>Uniform values in [lo, hi).</summary>
    public static float[] Random(int length, int seed, double lo = -1, double hi = 1)
    {
        var rng = new SeededRandom(seed);
        var a = new float[length];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        return a;
    }

    /// <summary>
    /// Checks dx and every weight and bias gradient of a bound layer at input <paramref name="x"/> against
    /// central differences. Fails with the first offending index and both values.
    /// </summary>
    /// <param name="h">The finite-difference step.</param>
    /// <param name="tolerance">Allowed |analytic − numeric| / max(1, |analytic|, |numeric|).</param>
    /// <param name="checkInput">Whether to check dx (false for a first layer that skips it, say).</param>
    public static void CheckLayer(BoundLayer bound, float[] x, double h = 1e-2, double tolerance = 1e-2, bool checkInput = true)
    {
        var layer = bound.Layer;
        int n = bound.Batch;
        int outSize = layer.OutputShape.Size * n;
        var r = Random(outSize, 4242);
        var y = new float[outSize];
        var dx = new float[x.Length];
        Array.Clear(bound.WeightGradients);
        Array.Clear(bound.BiasGradients);
        bound.Forward(x, y);
        bound.Backward(x, y, r, dx);
        var gw = (float[])bound.WeightGradients.Clone();
        var gb = (float[])bound.BiasGradients.Clone();

        double Objective()
        {
            var yy = new float[outSize];
            bound.Forward(x, yy);
            double s = 0;
            for (int i = 0; i < yy.Length; i++) s += (double)r[i] * yy[i];
            return s;
        }

        if (checkInput) Compare("dx", x, dx, Objective, h, tolerance, layer);
        Compare("dW", bound.Weights, gw, Objective, h, tolerance, layer);
        Compare("db", bound.Biases, gb, Objective, h, tolerance, layer);
    }

    /// <summary>Checks a loss's gradient against central differences of its value at <paramref name="outputs"/>.</summary>
    public static void CheckLoss(Loss loss, float[] outputs, int[] labels, int classes, double h = 1e-3, double tolerance = 1e-2)
    {
        int n = labels.Length;
        var g = new float[outputs.Length];
        loss.Gradient(outputs, labels, g, n, classes);
        Compare($"d{loss.Name}", outputs, g, () => loss.Compute(outputs, labels, n, classes), h, tolerance, null);
    }

    private static void Compare(string what, float[] p, float[] analytic, Func<double> objective, double h, double tolerance, Layer? layer)
    {
        for (int i = 0; i < p.Length; i++)
        {
            float saved = p[i];
            p[i] = (float)(saved + h);
            double plus = objective();
            p[i] = (float)(saved - h);
            double minus = objective();
            p[i] = saved;
            double numeric = (plus - minus) / ((double)(float)(saved + h) - (float)(saved - h));
            double a = analytic[i];
            double err = Math.Abs(a - numeric) / Math.Max(1.0, Math.Max(Math.Abs(a), Math.Abs(numeric)));
            if (err > tolerance)
                Assert.Fail($"{layer?.ToString() ?? "loss"}: {what}[{i}] analytic {a:G9} vs numeric {numeric:G9} (relative error {err:G3} > {tolerance})");
        }
    }
}
