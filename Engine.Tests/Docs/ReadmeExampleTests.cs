using Engine.Tests.Helpers;

namespace Engine.Tests.Docs;

public class ReadmeExampleTests
{
    private static string RepositoryFile(string name)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Engine.sln")))
                return Path.Combine(dir.FullName, name);
        throw new FileNotFoundException("Engine.sln not found above the test directory.");
    }

    private static string[] Normalise(IEnumerable<string> lines)
    {
        var list = lines.Where(l => l.Trim().Length > 0).ToList();
        int indent = list.Min(l => l.Length - l.TrimStart().Length);
        return list.Select(l => l[indent..].TrimEnd()).ToArray();
    }

    [Test]
    public void ReadmeShowsTheCompiledExample()
    {
        var source = File.ReadAllLines(RepositoryFile("Engine.Tests/Docs/ReadmeExample.cs"));
        int begin = Array.FindIndex(source, l => l.Contains("// README-BEGIN"));
        int end = Array.FindIndex(source, l => l.Contains("// README-END"));
        var example = Normalise(source[(begin + 1)..end]);

        var readme = File.ReadAllLines(RepositoryFile("README.md"));
        int start = Array.FindIndex(readme, l => l.StartsWith("```csharp", StringComparison.Ordinal));
        Assert.That(start, Is.GreaterThanOrEqualTo(0), "README.md has no ```csharp block");
        int stop = Array.FindIndex(readme, start + 1, l => l.StartsWith("```", StringComparison.Ordinal));
        var shown = Normalise(readme[(start + 1)..stop].Where(l => !l.TrimStart().StartsWith("using ", StringComparison.Ordinal)));
        Assert.That(shown, Is.EqualTo(example), "the README's example differs from Engine.Tests/Docs/ReadmeExample.cs");
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
