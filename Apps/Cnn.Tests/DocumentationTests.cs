using System.Text.RegularExpressions;

namespace Cnn.Tests;

/// <summary>
/// Every <c>cnn</c> command line shown in the documentation parses with the real command line: the options exist,
/// the values have the right types and the arguments are allowed. A renamed option fails here, not in a reader's shell.
/// </summary>
public class DocumentationTests
{
    private static readonly string[] Documents =
        ["README.md", "Apps/Cnn/PACKAGE.md", "docs/SWEEPS.md", "docs/REPRODUCTION.md", "datasets/README.md"];

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) return dir.FullName;
        throw new FileNotFoundException("Engine.sln not found above the test directory.");
    }

    /// <summary>The documented command lines of one document: continuation lines joined, comments dropped,
    /// <c>dotnet run … --</c> reduced to <c>cnn</c>, the Slurm script's variables given example values.</summary>
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
            if (!line.StartsWith("cnn ", StringComparison.Ordinal)) continue;
            yield return line.Replace("$SLURM_CPUS_PER_TASK", "16", StringComparison.Ordinal)
                             .Replace("$SLURM_ARRAY_TASK_ID", "0", StringComparison.Ordinal)
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
    public void AMisspelledOptionIsCaught()
    {
        var errors = Program.CreateRootCommand().Parse(["train", "--epoch", "3"]).Errors;
        Assert.That(errors, Is.Not.Empty);
    }
}
