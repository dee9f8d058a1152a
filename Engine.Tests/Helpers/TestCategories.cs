namespace Engine.Tests.Helpers;

/// <summary>NUnit categories the CI uses to choose what runs where.</summary>
public static class TestCategories
{
    /// <summary>
    /// Whole-model tests of control flow (thread counts, allocation) that take minutes once the runtime's knobs turn
    /// the hardware intrinsics off (every FMA then runs in software). Their kernels' bits on every tier are checked by
    /// the in-process tier tests and by the cross-process weight fingerprint, so `.ci/run` runs these in the widest
    /// tier's pass only (`--filter "TestCategory!=WidestTierOnly"` for the narrower ones). The README's test command
    /// runs them.
    /// </summary>
    public const string WidestTierOnly = nameof(WidestTierOnly);
}
