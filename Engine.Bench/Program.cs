using BenchmarkDotNet.Running;

namespace Engine.Bench;

/// <summary>
/// Entry point.
/// <list type="bullet">
/// <item><c>dotnet run -c Release --project Engine.Bench -- --filter '*Gemm*'</c>: BenchmarkDotNet on the tier this machine runs.</item>
/// <item>add <c>--tiers</c>: one job per tier (AVX-512, AVX2, Vector128, Scalar) through the <c>DOTNET_Enable*</c> knobs.</item>
/// <item>add <c>--smoke</c>: each benchmark method at the first value of each of its parameters only (with <c>--job dry</c>,
/// a check that every benchmark runs, as CI does).</item>
/// <item><c>… -- quick gemm|train|infer|latency …</c>: a Stopwatch probe printing one parseable line per measurement.</item>
/// </list>
/// </summary>
public static class Program
{
    /// <summary>Runs the quick probe or BenchmarkDotNet's switcher.</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "quick") return Quick.Run(args[1..]);
        if (args.Length > 0 && args[0] == "ort") return OrtComparison.Run(args[1..]);
        bool tiers = args.Contains("--tiers"), smoke = args.Contains("--smoke");
        var rest = args.Where(a => a != "--tiers" && a != "--smoke").ToArray();
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest, TierConfig.Create(tiers, smoke)).ToList();
        bool failed = summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
        if (failed) Console.Error.WriteLine("error: a benchmark failed; see the log above.");
        return failed ? 1 : 0;
    }
}
