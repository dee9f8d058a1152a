namespace Engine.Tests.Helpers;

/// <summary>Measures what code allocates once it has reached its steady state: on the calling thread, or on every thread of the process.</summary>
internal static class Allocations
{
    /// <summary>
    /// Bytes <paramref name="action"/> allocates per window of <paramref name="runs"/> calls after
    /// <paramref name="warmUp"/> calls: the fewest over up to three windows. Code that allocates in steady state
    /// shows it in every window; a one-off runtime event (tiered JIT installing new code while the machine is
    /// loaded) does not make the check flaky.
    /// </summary>
    public static long SteadyState(Action action, int warmUp = 20, int runs = 10) =>
        Measure(action, warmUp, runs, GC.GetAllocatedBytesForCurrentThread);

    /// <summary>
    /// As <see cref="SteadyState"/>, counting the allocations of the calling thread and of the kernels' worker threads (each
    /// worker counts what it allocates while running parts). The process-wide counter would also count the test host's own
    /// threads, which allocate in the background.
    /// </summary>
    public static long SteadyStateWithWorkers(Action action, int warmUp = 20, int runs = 10) =>
        Measure(action, warmUp, runs, () => GC.GetAllocatedBytesForCurrentThread() + Engine.Kernels.WorkerThreads.WorkerAllocatedBytes);

    private static long Measure(Action action, int warmUp, int runs, Func<long> allocated)
    {
        for (int i = 0; i < warmUp; i++) action();
        long fewest = long.MaxValue;
        for (int window = 0; window < 3 && fewest != 0; window++)
        {
            long before = allocated();
            for (int i = 0; i < runs; i++) action();
            fewest = Math.Min(fewest, allocated() - before);
        }
        return fewest;
    }
}
