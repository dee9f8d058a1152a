
namespace Engine.Layers;

/// <summary>How a layer draws its initial weights; biases start at 0 except with <see cref="PyTorchDefault"/>.</summary>
public enum WeightInit
{
    /// <summary>He (Kaiming) normal: mean 0, standard deviation √(2 / fanIn). Suits ReLU-like activations.</summary>
    He = 0,
    /// <summary>Glorot (Xavier) uniform on ±√(6 / (fanIn + fanOut)) (Keras's default). Suits sigmoid and tanh.</summary>
    Glorot = 1,
    /// <summary>He (Kaiming) uniform on ±√(6 / fanIn).</summary>
    HeUniform = 2,
    /// <summary>Glorot (Xavier) normal: standard deviation √(2 / (fanIn + fanOut)).</summary>
    GlorotNormal = 3,
    /// <summary>LeCun normal: standard deviation √(1 / fanIn).</summary>
    LeCun = 4,
    /// <summary>
    /// Exactly torch.nn's Conv2d/Linear defaults: weights kaiming-uniform with a = √5, i.e. U(±1/√fanIn), and biases U(±1/√fanIn).
    /// </summary>
    PyTorchDefault = 5,
}

/// <summary>Fills weight slices according to a <see cref="WeightInit"/>.</summary>
internal static class WeightInitializer
{
    /// <summary>
    /// Fills <paramref name="weights"/> in order from <paramref name="random"/>:
    /// He draws N(0, 2/fanIn); Glorot draws U(−l, l) with l = √(6/(fanIn+fanOut)); the others as their names say (see
    /// <see cref="WeightInit"/>). Each value is computed in double, then rounded.
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
                Uniform(weights, Math.Sqrt(6.0 / ((double)fanIn + fanOut)), random);
                break;
            case WeightInit.HeUniform:
                Uniform(weights, Math.Sqrt(6.0 / fanIn), random);
                break;
            case WeightInit.GlorotNormal:
                Normal(weights, Math.Sqrt(2.0 / ((double)fanIn + fanOut)), random);
                break;
            case WeightInit.LeCun:
                Normal(weights, Math.Sqrt(1.0 / fanIn), random);
                break;
            case WeightInit.PyTorchDefault:
                Uniform(weights, 1.0 / Math.Sqrt(fanIn), random);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(init), init, "Unknown weight initialisation.");
        }
    }

    /// <summary>Biases after the weights, from the same generator: U(±1/√fanIn) for <see cref="WeightInit.PyTorchDefault"/>, else 0.</summary>
    public static void FillBiases(WeightInit init, Span<float> biases, int fanIn, SeededRandom random)
    {
        if (init == WeightInit.PyTorchDefault) Uniform(biases, 1.0 / Math.Sqrt(fanIn), random);
        else biases.Clear();
    }

    private static void Uniform(Span<float> values, double limit, SeededRandom random)
    {
        for (int i = 0; i < values.Length; i++) values[i] = (float)(limit * (2.0 * random.NextDouble() - 1.0));
    }

    private static void Normal(Span<float> values, double std, SeededRandom random)
    {
        for (int i = 0; i < values.Length; i++) values[i] = (float)(std * random.NextNormal());
    }

    /// <summary>Lower-case name for layer descriptions, e.g. <c>he</c>.</summary>
    public static string Describe(WeightInit init) => init switch
    {
        WeightInit.HeUniform => "he-uniform",
        WeightInit.GlorotNormal => "glorot-normal",
        WeightInit.PyTorchDefault => "pytorch",
        _ => init.ToString().ToLowerInvariant(),
    };
}
