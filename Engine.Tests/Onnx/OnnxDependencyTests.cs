namespace Engine.Tests.Onnx;

/// <summary>DESIGN §2: Onnx (interchange) depends on Serialization, Layers and Training; nothing in the engine depends on Engine.Onnx.</summary>
public class OnnxDependencyTests
{
    [Test]
    public void NoOtherPartOfTheEngineUsesTheOnnxNamespace()
    {
        string? root = null;
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null && root is null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) root = dir.FullName;
        if (root is null) Assert.Ignore("the repository's sources are not next to the test binaries");
        string engine = Path.Combine(root!, "Engine");
        string onnx = Path.Combine(engine, "Onnx") + Path.DirectorySeparatorChar;
        var users = Directory.EnumerateFiles(engine, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(onnx, StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f).Contains("Engine.Onnx", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(root!, f))
            .ToList();
        Assert.That(users, Is.Empty, "files outside Engine/Onnx that refer to Engine.Onnx");
        Assert.That(Directory.EnumerateFiles(Path.Combine(engine, "Onnx"), "*.cs", SearchOption.AllDirectories), Is.Not.Empty);
    }
}
