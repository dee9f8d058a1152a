namespace Engine.Tests.Architecture;

/// <summary>
/// The engine's sources stay readable: no file over <see cref="MaxLines"/> lines (a longer one holds more than one
/// responsibility and is split).
/// </summary>
public class SourceLayoutTests
{
    private const int MaxLines = 400;

    private static string EngineFolder()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) return Path.Combine(dir.FullName, "Engine");
        throw new InvalidOperationException("The repository (Engine.sln) was not found above the test directory.");
    }

    private static IEnumerable<(string Relative, string[] Lines)> Sources()
    {
        string root = EngineFolder();
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(root, file);
            if (relative.StartsWith("obj", StringComparison.Ordinal) || relative.StartsWith("bin", StringComparison.Ordinal)) continue;
            yield return (relative, File.ReadAllLines(file));
        }
    }

    [Test]
    public void NoSourceFileIsLongerThanTheLimit()
    {
        var sources = Sources().ToList();
        Assert.That(sources, Has.Count.GreaterThan(100), "the engine's sources were found");
        var tooLong = sources.Where(s => s.Lines.Length > MaxLines).Select(s => $"{s.Relative}: {s.Lines.Length} lines").ToList();
        Assert.That(tooLong, Is.Empty, $"files over {MaxLines} lines (split them by responsibility):\n" + string.Join("\n", tooLong));
    }
}
