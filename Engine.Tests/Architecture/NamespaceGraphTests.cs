using Engine.Tests.Helpers;
using System.Text.RegularExpressions;

namespace Engine.Tests.Architecture;

/// <summary>
/// The namespaces of Engine depend on each other only in the designed direction (no cycle), read from the sources:
/// a file of namespace A depends on namespace B when it has <c>using Engine.B;</c> or names <c>Engine.B.</c> explicitly.
/// docs/ARCHITECTURE.md lists the real edges between its namespace-graph markers, and the test checks that list too.
/// </summary>
public class NamespaceGraphTests
{
    /// <summary>The designed direct dependencies; a namespace may also use anything these reach (the closure).</summary>
    private static readonly Dictionary<string, string[]> Designed = new()
    {
        ["Engine"] = [],
        ["Engine.Kernels"] = ["Engine"],
        ["Engine.Layers"] = ["Engine.Kernels"],
        ["Engine.Losses"] = ["Engine.Kernels"],
        ["Engine.Optimizers"] = ["Engine.Kernels"],
        ["Engine.Serialization"] = ["Engine.Layers", "Engine"],
        ["Engine.Data"] = ["Engine"],
        ["Engine.Training"] = ["Engine.Layers", "Engine.Losses", "Engine.Optimizers", "Engine.Serialization", "Engine.Data"],
        ["Engine.Onnx"] = ["Engine.Serialization", "Engine.Layers", "Engine.Training"],
    };

    // A namespace's node is its first two levels: Engine.Onnx.Import belongs to Engine.Onnx.
    private static readonly Regex NamespaceLine = new(@"^namespace (Engine(\.\w+)?)(\.\w+)*;", RegexOptions.Multiline);
    private static readonly Regex UsingLine = new(@"^using (Engine(\.\w+)?)(\.\w+)*;", RegexOptions.Multiline);
    private static readonly Regex Qualified = new(@"(?<![\w.])(Engine\.(Kernels|Layers|Losses|Optimizers|Serialization|Data|Training|Onnx))\.\w");

    /// <summary>Every (from, to) namespace edge, with one file that makes it.</summary>
    private static Dictionary<(string From, string To), string> Edges()
    {
        var edges = new Dictionary<(string, string), string>();
        foreach (var (relative, lines) in Repository.EngineSources())
        {
            string text = string.Join('\n', lines);
            var ns = NamespaceLine.Match(text);
            Assert.That(ns.Success, Is.True, $"{relative} declares no Engine namespace");
            string from = ns.Groups[1].Value;
            var targets = UsingLine.Matches(text).Select(m => m.Groups[1].Value)
                .Concat(Qualified.Matches(text).Select(m => m.Groups[1].Value));
            foreach (string to in targets)
                if (to != from) edges.TryAdd((from, to), relative);
        }
        return edges;
    }

    private static HashSet<string> Reach(string from)
    {
        var seen = new HashSet<string>();
        var stack = new Stack<string>(Designed[from]);
        while (stack.Count > 0)
        {
            string n = stack.Pop();
            if (seen.Add(n)) foreach (var m in Designed[n]) stack.Push(m);
        }
        seen.Add("Engine");
        return seen;
    }

    [Test]
    public void EveryReferenceFollowsTheDesignedDirection()
    {
        var wrong = Edges()
            .Where(e => !Designed.ContainsKey(e.Key.From) || !Reach(e.Key.From).Contains(e.Key.To))
            .Select(e => $"{e.Key.From} → {e.Key.To} ({e.Value})").ToList();
        Assert.That(wrong, Is.Empty, "references against the namespace diagram:\n" + string.Join("\n", wrong));
    }

    [Test]
    public void TheDesignedGraphHasNoCycle()
    {
        foreach (var ns in Designed.Keys)
            Assert.That(Reach(ns).Contains(ns) && ns != "Engine", Is.False, $"{ns} reaches itself");
    }

    [Test]
    public void ArchitectureDocListsTheRealEdges()
    {
        string doc = File.ReadAllText(Repository.PathOf(Path.Combine("docs", "ARCHITECTURE.md")));
        var block = Regex.Match(doc, "<!-- namespace-graph -->\\s*```\\s*(.*?)```", RegexOptions.Singleline);
        Assert.That(block.Success, Is.True, "docs/ARCHITECTURE.md has no namespace-graph block");
        var documented = block.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split("→", StringSplitOptions.TrimEntries))
            .SelectMany(parts => parts.Length != 2 ? [string.Join("→", parts)] : parts[1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(to => $"{parts[0]} → {to}"))
            .Order().ToList();
        var real = Edges().Keys.Select(e => $"{e.From} → {e.To}").Order().ToList();
        string expected = string.Join("\n", real.GroupBy(e => e.Split(" → ")[0]).Select(g => $"{g.Key} → {string.Join(", ", g.Select(e => e.Split(" → ")[1]))}"));
        Assert.That(documented, Is.EqualTo(real), "docs/ARCHITECTURE.md's namespace graph should read:\n" + expected);
    }
}
