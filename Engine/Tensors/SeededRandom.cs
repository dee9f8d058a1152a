using System.Numerics;

namespace Engine;

/// <summary>
/// A small deterministic random generator (xoshiro256**, seeded through SplitMix64). Its output
/// depends only on the seed, never on the .NET version, platform or thread count, so the same seed
/// gives the same initial weights and batch order everywhere.
/// </summary>
public sealed class SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareNormal;

    /// <summary>Creates a generator whose whole stream is fixed by <paramref name="seed"/>.</summary>
    public SeededRandom(long seed)
    {
        ulong x = (ulong)seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    /// <summary>An independent generator for sub-stream <paramref name="stream"/> of <paramref name="seed"/> (e.g. one per layer).</summary>
    public static SeededRandom ForStream(long seed, int stream)
    {
        ulong x = (ulong)seed ^ (0x9E3779B97F4A7C15UL * (ulong)(stream + 1));
        return new SeededRandom((long)SplitMix(ref x));
    }

    /// <summary>
    /// A 64-bit hash of (<paramref name="seed"/>, <paramref name="index"/>) with the SplitMix64 finaliser: a counter-based random
    /// value, so element i of a random mask can be drawn from (seed, i) by any thread in any order with the same result.
    /// </summary>
    public static ulong Mix(ulong seed, ulong index)
    {
        ulong x = seed ^ (0x9E3779B97F4A7C15UL * (index + 1));
        return SplitMix(ref x);
    }

    /// <summary>The generator's whole state (for checkpoints): the four words and the spare normal, if one is held.</summary>
    internal (ulong S0, ulong S1, ulong S2, ulong S3, double? Spare) State
    {
        get => (_s0, _s1, _s2, _s3, _spareNormal);
        set => (_s0, _s1, _s2, _s3, _spareNormal) = value;
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>), without modulo bias.</summary>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxExclusive, 1);
        ulong bound = (ulong)maxExclusive;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            ulong high = Math.BigMul(r, bound, out ulong low);
            if (low >= threshold) return (int)high;
        }
    }

    /// <summary>A standard normal sample (Box–Muller in double precision).</summary>
    public double NextNormal()
    {
        if (_spareNormal is { } spare) { _spareNormal = null; return spare; }
        double u1;
        do u1 = NextDouble(); while (u1 <= double.Epsilon);
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Shuffles <paramref name="values"/> in place (Fisher–Yates).</summary>
    public void Shuffle(Span<int> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
