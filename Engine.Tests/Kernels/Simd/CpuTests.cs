using System.Runtime.Intrinsics;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

/// <summary>The tier the dispatcher reports follows the runtime's knobs (CI runs the suite under each).</summary>
public class CpuTests
{
    private static bool Off(string knob) => Environment.GetEnvironmentVariable("DOTNET_" + knob) == "0";

    [Test]
    public void DetectedTierHonoursTheRuntimeKnobs()
    {
        var tier = Cpu.DetectedTier;
        TestContext.Out.WriteLine($"detected tier: {tier}");
        if (Off("EnableHWIntrinsic")) Assert.That(tier, Is.EqualTo(ComputeTier.Scalar));
        else if (Off("EnableAVX2") || Off("EnableAVX")) Assert.That(tier, Is.EqualTo(Vector128.IsHardwareAccelerated ? ComputeTier.Vector128 : ComputeTier.Scalar));
        else if (Off("EnableAVX512")) Assert.That(tier, Is.LessThanOrEqualTo(ComputeTier.Avx2));
        Assert.That(tier == ComputeTier.Avx512, Is.EqualTo(Vector512.IsHardwareAccelerated));
    }

    [Test]
    public void OverrideNarrowsButNeverWidensTheTier()
    {
        foreach (var tier in Tiers.Available())
            using (Tiers.Force(tier))
                Assert.That(Cpu.Tier, Is.EqualTo(tier));
        Assert.That(Cpu.Tier, Is.EqualTo(Cpu.DetectedTier));
    }

    [Test]
    public void ThreadCountMustBePositive()
    {
#pragma warning disable CS0618 // the obsolete process-wide setter still checks its value
        Assert.Throws<ArgumentOutOfRangeException>(() => Cpu.ThreadCount = 0);
#pragma warning restore CS0618
        Assert.Throws<ArgumentOutOfRangeException>(() => Cpu.UseThreads(0));
    }
}
