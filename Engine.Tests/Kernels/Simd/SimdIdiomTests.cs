using Engine.Tests.Helpers;
using System.Text.RegularExpressions;

namespace Engine.Tests.Kernels;

/// <summary>
/// The single SIMD idiom, enforced on the sources: only Engine/Kernels/Simd/ asks the hardware what it has
/// (<c>IsSupported</c>, <c>IsHardwareAccelerated</c>); every other kernel takes its width from the tier through
/// <c>TierDispatch</c> (or is a tier-specific GEMM microkernel chosen by the tier), so <c>Cpu.TierOverride</c> reaches
/// every path and a forced Scalar tier really runs scalar code.
/// </summary>
public partial class SimdIdiomTests
{
    /// <summary>The only folder allowed to query the hardware (relative to the repository root, '/' separated).</summary>
    private const string SimdFolder = "Engine/Kernels/Simd/";

    /// <summary>
    /// Checks that may stay outside <see cref="SimdFolder"/>: (file, code on the line, reason). Each entry must still
    /// match a line, so it is removed once its check is gone. None is needed today (the conv kernels, the last
    /// holders, now dispatch through TierDispatch too).
    /// </summary>
    private static readonly (string File, string Code, string Reason)[] Allowed = [];

    [GeneratedRegex(@"\b(IsSupported|IsHardwareAccelerated)\b")]
    private static partial Regex HardwareQuery();

    /// <summary>Every C# source of the Engine project, as (path relative to the root with '/', lines).</summary>
    private static List<(string Path, string[] Lines)> EngineSources() =>
        Repository.EngineSources().Select(s => ("Engine/" + s.Relative.Replace(Path.DirectorySeparatorChar, '/'), s.Lines)).ToList();

    /// <summary>The line without its <c>//</c> comment (documentation may name the checks it forbids).</summary>
    private static string Code(string line)
    {
        int comment = line.IndexOf("//", StringComparison.Ordinal);
        return comment < 0 ? line : line[..comment];
    }

    [Test]
    public void NoHardwareQueryOutsideTheSimdFolder()
    {
        var sources = EngineSources();
        Assert.That(sources.Count(s => s.Path.StartsWith(SimdFolder, StringComparison.Ordinal)), Is.GreaterThan(0), "the Simd folder was not found");
        Assert.That(sources.Count, Is.GreaterThan(50), "too few Engine sources found");

        var violations = new List<string>();
        var used = new bool[Allowed.Length];
        foreach (var (path, lines) in sources)
        {
            if (path.StartsWith(SimdFolder, StringComparison.Ordinal)) continue;
            for (int i = 0; i < lines.Length; i++)
            {
                string code = Code(lines[i]);
                if (!HardwareQuery().IsMatch(code)) continue;
                int allowed = Array.FindIndex(Allowed, a => a.File == path && code.Contains(a.Code, StringComparison.Ordinal));
                if (allowed >= 0) used[allowed] = true;
                else violations.Add($"{path}:{i + 1}: {lines[i].Trim()}");
            }
        }
        Assert.Multiple(() =>
        {
            Assert.That(violations, Is.Empty,
                "hardware queries outside " + SimdFolder + " (take the width from the tier through TierDispatch instead):\n" + string.Join("\n", violations));
            for (int k = 0; k < Allowed.Length; k++)
                Assert.That(used[k], Is.True, $"allow-list entry no longer needed, remove it: {Allowed[k].File} '{Allowed[k].Code}' ({Allowed[k].Reason})");
        });
    }

    [Test]
    public void TheScanFindsAQueryWhereThereIsOne()
    {
        // The matcher itself: a query in code counts, one in a comment does not, and a longer name is not a query.
        Assert.Multiple(() =>
        {
            Assert.That(HardwareQuery().IsMatch(Code("        if (Avx2.IsSupported) return;")), Is.True);
            Assert.That(HardwareQuery().IsMatch(Code("    bool wide = Vector256.IsHardwareAccelerated;")), Is.True);
            Assert.That(HardwareQuery().IsMatch(Code("    /// no kernel tests <c>IsSupported</c> itself")), Is.False);
            Assert.That(HardwareQuery().IsMatch(Code("    int x = 0; // Vector512.IsHardwareAccelerated is not asked here")), Is.False);
            Assert.That(HardwareQuery().IsMatch(Code("    bool IsSupportedShape = true;")), Is.False);
        });
    }
}
