using System.Globalization;

namespace Engine.Onnx;

/// <summary>
/// Batch normalisation's momentum in ONNX and in the engine: ONNX updates running = momentum·running + (1 − momentum)·batch
/// (default 0.9), the engine running = (1 − momentum)·running + momentum·batch (PyTorch's convention, default 0.1), so one is
/// 1 minus the other. In float the map loses bits (1 − 0.1f rounds to 0.9f, and 1 − 0.9f is not 0.1f), so the import takes
/// the shortest decimal that exports back to the file's value: 0.9 → 0.1, and every momentum with up to 7 significant
/// digits round-trips.
/// </summary>
internal static class OnnxMomentum
{
    /// <summary>ONNX's momentum for the engine's <paramref name="momentum"/> (in (0, 1]): 1 − momentum, rounded once.</summary>
    public static float FromEngine(float momentum) => (float)(1 - (double)momentum);

    /// <summary>The engine's momentum for ONNX's <paramref name="momentum"/> (in [0, 1)): the shortest decimal m with
    /// <see cref="FromEngine"/>(m) = <paramref name="momentum"/>, else 1 − momentum rounded once.</summary>
    public static float ToEngine(float momentum)
    {
        double exact = 1 - (double)momentum;
        for (int digits = 1; digits <= 9; digits++)
        {
            float candidate = float.Parse(exact.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            if (candidate is > 0f and <= 1f && FromEngine(candidate) == momentum) return candidate;
        }
        return (float)exact;
    }
}
