
namespace Engine.Layers;

/// <summary>How a layer draws its initial weights (biases always start at 0).</summary>
public enum WeightInit
{
    /// <summary>He (Kaiming) normal: mean 0, standard deviation √(2 / fanIn). Suits ReLU-like activations.</summary>
    He,
    /// <summary>Glorot (Xavier) uniform on ±√(6 / (fanIn + fanOut)). Suits sigmoid and tanh.</summary>
    Glorot,
}

/// <summary>Fills weight slices according to a <see cref="WeightInit"/>.</summary>
internal static class WeightInitializer
{
    /// <summary>
    /// Fills <paramref name="weights"/> in order from <paramref name="random"/>:
    /// He draws N(0, 2/fanIn); Glorot draws U(−l, l) with l = √(6/(fanIn+fanOut)). Each value is computed in double, then rounded.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A fan is less than 1 or <paramref name="init"/> is unknown.</exception>
    public static void Fill(WeightInit init, Span<float> weights, int fanIn, int fanOut, SeededRandom random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fanIn, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(fanOut, 1);
        ArgumentNullException.ThrowIfNull(random);
        switch (init)
        {
            case WeightInit.He:
                double std = Math.Sqrt(2.0 / fanIn);
                for (int i = 0; i < weights.Length; i++) weights[i] = (float)(std * random.NextNormal());
                break;
            case WeightInit.Glorot:
                double limit = Math.Sqrt(6.0 / ((double)fanIn + fanOut));
                for (int i = 0; i < weights.Length; i++) weights[i] = (float)(limit * (2.0 * random.NextDouble() - 1.0));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(init), init, "Unknown weight initialisation.");
        }
    }

    /// <summary>Lower-case name for layer descriptions, e.g. <c>he</c>.</summary>
    public static string Describe(WeightInit init) => init.ToString().ToLowerInvariant();
}
