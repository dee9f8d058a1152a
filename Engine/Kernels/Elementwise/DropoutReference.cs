namespace Engine.Kernels;

/// <summary>
/// The scalar dropout pass, one element at a time: kept as the oracle of <see cref="DropoutKernels"/>, whose vector path
/// must give its bits on every tier.
/// </summary>
internal static class DropoutReference
{
    /// <summary>
    /// output[i] = <see cref="DropoutKernels.Keeps"/>(seed, i, threshold) ? input[i]·scale : 0 for i &lt; input.Length, with the
    /// threshold and scale of <paramref name="rate"/>. Flat spans of any shape ([batch, features…] in the layer); output at least
    /// as long as input; in place is allowed.
    /// </summary>
    public static void Apply(ReadOnlySpan<float> input, Span<float> output, ulong seed, float rate)
    {
        uint threshold = DropoutKernels.Threshold(rate);
        float scale = DropoutKernels.Scale(rate);
        for (int i = 0; i < input.Length; i++) output[i] = DropoutKernels.Keeps(seed, i, threshold) ? input[i] * scale : 0f;
    }
}
