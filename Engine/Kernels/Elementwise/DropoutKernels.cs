using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Kernels;

/// <summary>
/// Inverted dropout with a counter-based mask: element i of a batch is kept when the top 24 bits of
/// <see cref="SeededRandom.Mix"/>(seed, i) are at least rate·2²⁴, and kept values are multiplied by 1/(1 − rate). The mask
/// depends only on (seed, i), so it is the same whichever thread computes it and is recomputed (not stored) for the
/// backward pass. The hash runs on 64-bit integer lanes of the tier's registers (<see cref="IVectorWidth{TVector}"/>'s UInt64
/// operations, the same wrapping arithmetic as the scalar code; a 64-bit multiply is one instruction with AVX-512 and emulated
/// from 32-bit ones on AVX2 alone, still several times faster than the scalar loop), the multiply and mask on float lanes; the
/// Scalar tier and the tail of the others hash one element at a time with <see cref="SeededRandom.Mix"/>. No tier branches on
/// the random bit. Every tier and thread count gives the bits of <see cref="DropoutReference"/> (the loop over <see cref="Keeps"/>).
/// Allocates nothing.
/// </summary>
internal static class DropoutKernels
{
    /// <summary>SplitMix64's increment (2⁶⁴ divided by the golden ratio), also <see cref="SeededRandom.Mix"/>'s index multiplier.</summary>
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>The multipliers of SplitMix64's finaliser.</summary>
    private const ulong Mix1 = 0xBF58476D1CE4E5B9UL, Mix2 = 0x94D049BB133111EBUL;

    /// <summary>The threshold of the 24-bit draw below which an element is dropped (at most 2²⁴ − 1 for a rate below 1).</summary>
    public static uint Threshold(float rate) => (uint)Math.Round(rate * (1 << 24));

    /// <summary>The factor of the kept values, 1/(1 − rate).</summary>
    public static float Scale(float rate) => 1f / (1f - rate);

    /// <summary>Whether element <paramref name="index"/> is kept under <paramref name="seed"/>.</summary>
    public static bool Keeps(ulong seed, long index, uint threshold) => (uint)(SeededRandom.Mix(seed, (ulong)index) >> 40) >= threshold;

    /// <summary>
    /// y = keep ? x·scale : 0 (forward), or dx = keep ? dy·scale : 0 (backward), element by element, on up to
    /// <paramref name="threads"/> threads. Flat spans of any shape ([batch, features…] in the layer): element i is
    /// <paramref name="input"/>[i]; in place is allowed.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="output"/> is shorter than <paramref name="input"/>.</exception>
    public static void Apply(ReadOnlySpan<float> input, Span<float> output, ulong seed, float rate, int threads = 1)
    {
        if (output.Length < input.Length)
            throw new ArgumentException($"Dropout writes {input.Length} values but the output holds {output.Length}.", nameof(output));
        var body = new Slices(input, output, seed, Threshold(rate), Scale(rate));
        ElementwiseParts.Run(ref body, input.Length, threads);
    }

    /// <summary>Elements [start, +count) of the pass (their indices in the mask start at start).</summary>
    private readonly ref struct Slices(ReadOnlySpan<float> input, Span<float> output, ulong seed, uint threshold, float scale) : ISliceBody
    {
        private readonly ReadOnlySpan<float> _input = input;
        private readonly Span<float> _output = output;

        public void Execute(int start, int count)
        {
            var kernel = new Kernel(_input.Slice(start, count), _output.Slice(start, count), start, seed, threshold, scale);
            TierDispatch.Run(ref kernel);
        }
    }

    /// <summary>The pass over x.Length elements whose first has mask index <paramref name="first"/>.</summary>
    private readonly ref struct Kernel(ReadOnlySpan<float> x, Span<float> y, int first, ulong seed, uint threshold, float scale) : IWidthKernel
    {
        private readonly ReadOnlySpan<float> _x = x;
        private readonly Span<float> _y = y;

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            ref float xs = ref MemoryMarshal.GetReference(_x);
            ref float ys = ref MemoryMarshal.GetReference(_y);
            int n = _x.Length, w = TWidth.Count, i = 0;
            if (w > 1)
            {
                // A register of w elements holds w/2 64-bit lanes: lane j hashes the even element 2j in one register and the
                // odd element 2j + 1 in another. Their draws then interleave into the 32-bit lanes in element order. The hash's
                // Golden·(index + 1) is a progression, so it is stepped by Golden·w (wrapping, as the scalar product wraps).
                // IndicesInt32 read as 64-bit lanes holds 2j | (2j + 1) << 32, so its low halves are the even offsets 2j.
                TVector golden = TWidth.BroadcastUInt64(Golden);
                TVector evenOffsets = TWidth.And(TWidth.IndicesInt32, TWidth.BroadcastUInt64(uint.MaxValue));
                TVector even = TWidth.MultiplyUInt64(golden, TWidth.AddUInt64(evenOffsets, TWidth.BroadcastUInt64((ulong)first + 1)));
                TVector odd = TWidth.AddUInt64(even, golden);
                TVector step = TWidth.BroadcastUInt64(Golden * (ulong)w);
                TVector seeds = TWidth.BroadcastUInt64(seed), highHalves = TWidth.BroadcastUInt64(0xFFFFFFFF_00000000UL);
                TVector limit = TWidth.BroadcastInt32((int)threshold), factor = TWidth.Broadcast(scale);
                for (; i <= n - w; i += w)
                {
                    // Top 24 bits of each hash: the even elements' into the low halves, the odd ones' into the high halves.
                    TVector draws = TWidth.Or(TWidth.ShiftRightLogicalUInt64(Finalise<TWidth, TVector>(TWidth.Xor(seeds, even)), 40),
                        TWidth.And(TWidth.ShiftRightLogicalUInt64(Finalise<TWidth, TVector>(TWidth.Xor(seeds, odd)), 8), highHalves));
                    TWidth.Store(Masked<TWidth, TVector>(TWidth.Load(ref Unsafe.Add(ref xs, i)), draws, limit, factor), ref Unsafe.Add(ref ys, i));
                    even = TWidth.AddUInt64(even, step);
                    odd = TWidth.AddUInt64(odd, step);
                }
            }
            float scalarLimit = Width1.BroadcastInt32((int)threshold);
            for (; i < n; i++)
            {
                float draw = Width1.BroadcastInt32((int)(SeededRandom.Mix(seed, (ulong)(first + i)) >> 40));
                Unsafe.Add(ref ys, i) = Masked<Width1, float>(Unsafe.Add(ref xs, i), draw, scalarLimit, scale);
            }
        }

        /// <summary>
        /// x·factor where the draw reaches the limit, +0 where it does not (draws and limit as 32-bit integer lanes): both are
        /// below 2²⁴, so draw − limit is negative exactly where the element drops, and no branch is taken on the random bit.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TVector Masked<TWidth, TVector>(TVector x, TVector draws, TVector limit, TVector factor)
            where TWidth : struct, IVectorWidth<TVector> where TVector : struct =>
            TWidth.AndNot(TWidth.Multiply(x, factor), TWidth.ShiftRightArithmeticInt32(TWidth.SubtractInt32(draws, limit), 31));

        /// <summary>
        /// SplitMix64's finaliser on each 64-bit lane of x = seed ^ Golden·(index + 1) (<see cref="SeededRandom.Mix"/>) but its last
        /// z ^ (z &gt;&gt; 31), which leaves the top 24 bits (the draw) as they are.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TVector Finalise<TWidth, TVector>(TVector x) where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            TVector z = TWidth.AddUInt64(x, TWidth.BroadcastUInt64(Golden));
            z = TWidth.MultiplyUInt64(TWidth.Xor(z, TWidth.ShiftRightLogicalUInt64(z, 30)), TWidth.BroadcastUInt64(Mix1));
            return TWidth.MultiplyUInt64(TWidth.Xor(z, TWidth.ShiftRightLogicalUInt64(z, 27)), TWidth.BroadcastUInt64(Mix2));
        }
    }
}
