namespace Engine.Tests.Helpers;

/// <summary>The repository the tests run from (the folder holding Engine.sln) and the engine's sources in it, for tests that
/// read code and documents.</summary>
internal static class Repository
{
    /// <summary>The repository's root folder.</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) return dir.FullName;
            throw new FileNotFoundException("Engine.sln not found above the test directory.");
        }
    }

    /// <summary>A file or folder of the repository, by its path relative to the root.</summary>
    public static string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>Every C# source of the Engine project (bin and obj left out): its path relative to Engine/ (with the platform's
    /// separator) and its lines.</summary>
    public static List<(string Relative, string[] Lines)> EngineSources()
    {
        string engine = PathOf("Engine");
        var sources = new List<(string, string[])>();
        foreach (string file in Directory.EnumerateFiles(engine, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(engine, file);
            if (relative.StartsWith("obj", StringComparison.Ordinal) || relative.StartsWith("bin", StringComparison.Ordinal)) continue;
            sources.Add((relative, File.ReadAllLines(file)));
        }
        return sources;
    }
}
