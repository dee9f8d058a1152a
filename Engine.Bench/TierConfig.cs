using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;

namespace Engine.Bench;

/// <summary>
/// The suite's configuration: MemoryDiagnoser always (the training step must show 0 B), GitHub markdown
/// export, and optionally one job per compute tier. Tiers are chosen per process by the runtime's knobs
/// (both the DOTNET_ and the older COMPlus_ spellings, as STYLE.md §6 verified on .NET 10).
/// </summary>
public static class TierConfig
{
    /// <summary>Creates the configuration; <paramref name="allTiers"/> adds AVX2, Vector128 and Scalar jobs beside the default;
    /// <paramref name="firstParametersOnly"/> keeps each benchmark method's case at the first value of every parameter.</summary>
    public static IConfig Create(bool allTiers, bool firstParametersOnly = false)
    {
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddExporter(MarkdownExporter.GitHub);
        if (firstParametersOnly)
            config = config.AddFilter(new SimpleFilter(benchmark =>
                benchmark.Parameters.Items.All(p => p.Definition.Values.Length == 0 || Equals(p.Value, p.Definition.Values[0]))));
        if (!allTiers) return config;
        return config
            .AddJob(Job.Default.WithId("Avx512").AsBaseline())
            .AddJob(Tier("Avx2", ("EnableAVX512", "0")))
            .AddJob(Tier("Vector128", ("EnableAVX2", "0")))
            .AddJob(Tier("Scalar", ("EnableHWIntrinsic", "0")));
    }

    private static Job Tier(string id, (string Name, string Value) knob) =>
        Job.Default.WithId(id).WithEnvironmentVariables(
            new BenchmarkDotNet.Jobs.EnvironmentVariable("DOTNET_" + knob.Name, knob.Value),
            new BenchmarkDotNet.Jobs.EnvironmentVariable("COMPlus_" + knob.Name, knob.Value));
}
