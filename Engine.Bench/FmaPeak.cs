using Engine.Kernels;

namespace Engine.Bench;

/// <summary>
/// A quick estimate of one core's fused multiply-add peak on the tier that runs: twelve independent chains
/// <c>acc = fma(acc, m, a)</c> in the tier's widest register (enough to cover two FMA pipes of latency 4–6), timed on the
/// calling thread; the best of several ~20 ms runs, in GFLOP/s (2 per lane per FMA). Close to what a C probe such as
/// <c>peak fma</c> reports for one thread (AVX2: 16 FMA lanes per cycle at two 8-wide FMAs per cycle).
/// </summary>
internal static class FmaPeak
{
    /// <summary>Measured GFLOP/s of one thread, timed by <paramref name="seconds"/> (a clock in seconds: the wall clock, or the
    /// thread's CPU time when the kernels are timed that way).</summary>
    public static double Measure(Func<double> seconds)
    {
        double best = 0;
        long iterations = 1 << 16;
        for (int run = 0; run < 12; run++)
        {
            var kernel = new Loop(iterations);
            double t0 = seconds();
            TierDispatch.Run(ref kernel);
            double elapsed = seconds() - t0;
            if (elapsed < 0.02) { iterations *= 2; continue; }
            best = Math.Max(best, 2.0 * 12 * kernel.Lanes * iterations / elapsed / 1e9);
            if (kernel.Sink == 42f) Console.Write(""); // keep the chains alive
        }
        return best;
    }

    private struct Loop(long iterations) : IWidthKernel
    {
        public int Lanes;
        public float Sink;

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            Lanes = TWidth.Count;
            TVector m = TWidth.Broadcast(0.999999f), a = TWidth.Broadcast(1e-7f);
            TVector c0 = TWidth.Broadcast(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
            TVector c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
            for (long i = 0; i < iterations; i++)
            {
                c0 = TWidth.MultiplyAdd(c0, m, a); c1 = TWidth.MultiplyAdd(c1, m, a); c2 = TWidth.MultiplyAdd(c2, m, a);
                c3 = TWidth.MultiplyAdd(c3, m, a); c4 = TWidth.MultiplyAdd(c4, m, a); c5 = TWidth.MultiplyAdd(c5, m, a);
                c6 = TWidth.MultiplyAdd(c6, m, a); c7 = TWidth.MultiplyAdd(c7, m, a); c8 = TWidth.MultiplyAdd(c8, m, a);
                c9 = TWidth.MultiplyAdd(c9, m, a); c10 = TWidth.MultiplyAdd(c10, m, a); c11 = TWidth.MultiplyAdd(c11, m, a);
            }
            var sum = TWidth.Add(TWidth.Add(TWidth.Add(c0, c1), TWidth.Add(c2, c3)), TWidth.Add(TWidth.Add(c4, c5), TWidth.Add(c6, c7)));
            sum = TWidth.Add(sum, TWidth.Add(TWidth.Add(c8, c9), TWidth.Add(c10, c11)));
            Span<float> lanes = stackalloc float[64];
            TWidth.Store(sum, ref lanes[0]);
            Sink = lanes[0];
        }
    }
}
