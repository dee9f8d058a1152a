using System.Text.RegularExpressions;

namespace Cnn.Tests;

/// <summary>
/// Every <c>cnn</c> command line shown in the documentation parses with the real command line: the options exist,
/// the values have the right types and the arguments are allowed. A renamed option fails here, not in a reader's shell.
/// </summary>
public class DocumentationTests
{
    private static readonly string[] Documents =
        ["README.md", "Apps/Cnn/PACKAGE.md", "docs/SWEEPS.md", "docs/REPRODUCTION.md", "docs/MODEL-FILES.md", "docs/RECIPES.md", "docs/ONNX.md", "docs/ACCURACY.md", "datasets/README.md"];

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) return dir.FullName;
        throw new FileNotFoundException("Engine.sln not found above the test directory.");
    }

    /// <summary>The documented command lines of one document: continuation lines joined, comments dropped,
    /// <c>dotnet run … --</c> reduced to <c>cnn</c>, the Slurm script's variables given example values, and its
    /// submission (<c>sbatch sweep.sbatch OUT OPTIONS…</c>) read as the sweep it runs.</summary>
    private static IEnumerable<string> CommandLines(string document)
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot(), document));
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            while (line.TrimEnd().EndsWith('\\') && i + 1 < lines.Length)
                line = line.TrimEnd()[..^1] + " " + lines[++i].Trim();
            line = Regex.Replace(line, @"\s#.*$", "").Trim();
            line = line.Replace("dotnet run -c Release --project Apps/Cnn --", "cnn", StringComparison.Ordinal);
            // The Slurm array script is submitted with its output folder and the sweep's options.
            line = Regex.Replace(line, @"^sbatch sweep\.sbatch (\S+) ", "cnn sweep --out $1 ");
            if (!line.StartsWith("cnn ", StringComparison.Ordinal)) continue;
            yield return line.Replace("\"$@\"", "--grid eta=0.01", StringComparison.Ordinal)
                             .Replace("\"", "", StringComparison.Ordinal)
                             .Replace("$SLURM_CPUS_PER_TASK", "16", StringComparison.Ordinal)
                             .Replace("$SLURM_ARRAY_TASK_ID", "0", StringComparison.Ordinal)
                             .Replace("$SLURM_ARRAY_TASK_COUNT", "4", StringComparison.Ordinal)
                             .Replace("$out", "runs/fig12", StringComparison.Ordinal)
                             .Replace("$HOME", "/home/user", StringComparison.Ordinal);
        }
    }

    [TestCaseSource(nameof(Documents))]
    public void EveryDocumentedCommandParses(string document)
    {
        var commands = CommandLines(document).ToList();
        Assert.That(commands, Is.Not.Empty, $"{document} shows no cnn command");
        foreach (string command in commands)
        {
            string[] args = command.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..];
            var errors = Program.CreateRootCommand().Parse(args).Errors.Select(e => e.Message).ToList();
            Assert.That(errors, Is.Empty, $"{document}: `{command}` does not parse");
        }
    }

    [Test]
    public void TheSlurmScriptIsTheOneTheClusterCheckRuns()
    {
        string sweeps = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs/SWEEPS.md"));
        Assert.That(sweeps, Does.Contain("<!-- slurm-array-script: begin -->").And.Contain("<!-- slurm-array-script: end -->"));
        string check = File.ReadAllText(Path.Combine(RepositoryRoot(), ".ci/slurm-check"));
        Assert.That(check, Does.Contain("slurm-array-script: begin").And.Contain("docs/SWEEPS.md"));
        var lines = CommandLines("docs/SWEEPS.md").ToList();
        Assert.That(lines, Has.Some.Contains("--shard 0/4 --out runs/fig12 --resume"));
        Assert.That(lines, Has.Some.StartsWith("cnn sweep --out runs/fig12 --dataset mnist"));
    }

    [Test]
    public void DocsStandAloneInAClone()
    {
        foreach (string document in Documents.Concat(["docs/PERFORMANCE.md", "docs/ARCHITECTURE.md", "docs/RELEASING.md"]))
        {
            string text = File.ReadAllText(Path.Combine(RepositoryRoot(), document));
            Assert.That(text, Does.Not.Contain("shared/").And.Not.Contain("DESIGN").And.Not.Match(@"\bissue \d"), document);
        }
    }

    [Test]
    public void AMisspelledOptionIsCaught()
    {
        var errors = Program.CreateRootCommand().Parse(["train", "--epoch", "3"]).Errors;
        Assert.That(errors, Is.Not.Empty);
    }
}
