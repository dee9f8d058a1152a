namespace Engine.Kernels;

/// <summary>
/// Inverted dropout with a counter-based mask: element i of a batch is kept when the top 24 bits of
/// <see cref="SeededRandom.Mix"/>(seed, i) are at least rate·2²⁴, and kept values are multiplied by 1/(1 − rate). The mask
/// depends only on (seed, i), so it is the same whichever thread computes it and is recomputed (not stored) for the
/// backward pass. Scalar integer hashing per element; the same bits on every tier.
/// </summary>
internal static class DropoutKernels
{
    /// <summary>The threshold of the 24-bit draw below which an element is dropped.</summary>
    public static uint Threshold(float rate) => (uint)Math.Round(rate * (1 << 24));

    /// <summary>Whether element <paramref name="index"/> is kept under <paramref name="seed"/>.</summary>
    public static bool Keeps(ulong seed, long index, uint threshold) => (uint)(SeededRandom.Mix(seed, (ulong)index) >> 40) >= threshold;

    /// <summary>y = keep ? x·scale : 0 (forward), or dx = keep ? dy·scale : 0 (backward), element by element.</summary>
    public static void Apply(ReadOnlySpan<float> input, Span<float> output, ulong seed, float rate)
    {
        uint threshold = Threshold(rate);
        float scale = 1f / (1f - rate);
        for (int i = 0; i < input.Length; i++) output[i] = Keeps(seed, i, threshold) ? input[i] * scale : 0f;
    }
}
