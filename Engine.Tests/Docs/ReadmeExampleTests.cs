using Engine.Tests.Helpers;

namespace Engine.Tests.Docs;

public class ReadmeExampleTests
{
    private static string[] Normalise(IEnumerable<string> lines)
    {
        var list = lines.Where(l => l.Trim().Length > 0).ToList();
        int indent = list.Min(l => l.Length - l.TrimStart().Length);
        return list.Select(l => l[indent..].TrimEnd()).ToArray();
    }

    /// <summary>The repository's README and the package's README (shown on nuget.org) open with the same example.</summary>
    [TestCase("README.md")]
    [TestCase("Engine/PACKAGE.md")]
    public void ReadmeShowsTheCompiledExample(string document)
    {
        var source = File.ReadAllLines(Repository.PathOf("Engine.Tests/Docs/ReadmeExample.cs"));
        int begin = Array.FindIndex(source, l => l.Contains("// README-BEGIN"));
        int end = Array.FindIndex(source, l => l.Contains("// README-END"));
        var example = Normalise(source[(begin + 1)..end]);

        var readme = File.ReadAllLines(Repository.PathOf(document));
        int start = Array.FindIndex(readme, l => l.StartsWith("```csharp", StringComparison.Ordinal));
        Assert.That(start, Is.GreaterThanOrEqualTo(0), $"{document} has no ```csharp block");
        int stop = Array.FindIndex(readme, start + 1, l => l.StartsWith("```", StringComparison.Ordinal));
        var shown = Normalise(readme[(start + 1)..stop].Where(l => !l.TrimStart().StartsWith("using ", StringComparison.Ordinal)));
        Assert.That(shown, Is.EqualTo(example), $"the example in {document} differs from Engine.Tests/Docs/ReadmeExample.cs");
    }

    [Test]
    public void ReadmeExampleRunsAndTheReloadedModelAgrees()
    {
        TestData.Folder("mnist");
        string cwd = Environment.CurrentDirectory;
        Environment.CurrentDirectory = Path.GetTempPath();
        try { Assert.That(ReadmeExample.Run(), Is.EqualTo(0.0)); }
        finally { Environment.CurrentDirectory = cwd; }
    }
}
