using Engine.Tests.Helpers;

namespace Engine.Tests.Architecture;

/// <summary>
/// The engine's sources stay readable: no file over <see cref="MaxLines"/> lines (a longer one holds more than one
/// responsibility and is split).
/// </summary>
public class SourceLayoutTests
{
    private const int MaxLines = 400;

    [Test]
    public void NoSourceFileIsLongerThanTheLimit()
    {
        var sources = Repository.EngineSources();
        Assert.That(sources, Has.Count.GreaterThan(100), "the engine's sources were found");
        var tooLong = sources.Where(s => s.Lines.Length > MaxLines).Select(s => $"{s.Relative}: {s.Lines.Length} lines").ToList();
        Assert.That(tooLong, Is.Empty, $"files over {MaxLines} lines (split them by responsibility):\n" + string.Join("\n", tooLong));
    }
}
