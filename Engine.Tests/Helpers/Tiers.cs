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

    private sealed class Scope : IDisposable
    {
        private readonly ComputeTier? _saved = Cpu.TierOverride;
        public Scope(ComputeTier tier) => Cpu.TierOverride = tier;
        public void Dispose() => Cpu.TierOverride = _saved;
    }
}
