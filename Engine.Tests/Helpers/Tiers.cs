namespace Engine.Tests.Helpers;

/// <summary>Runs code under each compute tier this process can run, through the internal tier override.</summary>
internal static class Tiers
{
    /// <summary>Every tier from Scalar up to the detected one.</summary>
    public static IEnumerable<ComputeTier> Available() =>
        Enum.GetValues<ComputeTier>().Where(t => t <= Cpu.DetectedTier);

    /// <summary>Forces <paramref name="tier"/> until the returned scope is disposed.</summary>
    public static IDisposable Force(ComputeTier tier) => new Scope(tier);

    /// <summary>Limits <see cref="Cpu.ThreadCount"/> to <paramref name="count"/> until the returned scope is disposed.</summary>
    public static IDisposable Threads(int count) => Cpu.UseThreads(count);

    /// <summary>Runs <paramref name="body"/>(threads, where) under every available tier, for one and for two threads (the tier
    /// forced and the thread count scoped around each call); where names the tier and the threads for messages.</summary>
    public static void EveryTierAndOneOrTwoThreads(Action<int, string> body)
    {
        foreach (var tier in Available())
            foreach (int threads in new[] { 1, 2 })
            {
                using var forced = Force(tier);
                using var scope = Threads(threads);
                body(threads, $"{tier}, {threads} thread(s)");
            }
    }

    private sealed class Scope : IDisposable
    {
        private readonly ComputeTier? _saved = Cpu.TierOverride;
        public Scope(ComputeTier tier) => Cpu.TierOverride = tier;
        public void Dispose() => Cpu.TierOverride = _saved;
    }
}
