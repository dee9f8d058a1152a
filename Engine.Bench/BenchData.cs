using Engine.Data;
using Engine.Training;

namespace Engine.Bench;

/// <summary>Seeded random inputs for benchmarks (speed does not depend on the data's meaning).</summary>
internal static class BenchData
{
    /// <summary>Uniform values in [-1, 1).</summary>
    public static float[] Floats(int length, int seed = 42)
    {
        var rng = new SeededRandom(seed);
        var a = new float[length];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(2 * rng.NextDouble() - 1);
        return a;
    }

    /// <summary><paramref name="count"/> random images of <paramref name="shape"/> in [0, 1) with labels 0..9.</summary>
    public static Dataset Images(Shape shape, int count, int seed = 7)
    {
        var pixels = Floats(count * shape.Size, seed);
        for (int i = 0; i < pixels.Length; i++) pixels[i] = 0.5f * (pixels[i] + 1);
        return new Dataset("random", pixels, Enumerable.Range(0, count).Select(i => i % 10).ToArray(), shape, 10);
    }
}
