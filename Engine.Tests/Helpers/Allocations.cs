namespace Engine.Tests.Helpers;

/// <summary>Measures what code allocates on the calling thread once it has reached its steady state.</summary>
internal static class Allocations
{
    /// <summary>
    /// Bytes <paramref name="action"/> allocates per window of <paramref name="runs"/> calls after
    /// <paramref name="warmUp"/> calls: the fewest over up to three windows. Code that allocates in steady state
    /// shows it in every window; a one-off runtime event (tiered JIT installing new code while the machine is
    /// loaded) does not make the check flaky.
    /// </summary>
    public static long SteadyState(Action action, int warmUp = 20, int runs = 10)
    {
        for (int i = 0; i < warmUp; i++) action();
        long fewest = long.MaxValue;
        for (int window = 0; window < 3 && fewest != 0; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < runs; i++) action();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return fewest;
    }
}
