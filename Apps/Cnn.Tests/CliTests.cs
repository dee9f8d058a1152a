namespace Cnn.Tests;

/// <summary>The command line's parsing and error paths, run in process through <see cref="Program.Main"/>.</summary>
[NonParallelizable]
public class CliTests
{
    private static (int Code, string Out, string Error) Run(params string[] args) => TestSupport.RunMain(args);

    [Test]
    public void UnknownCommandIsOneLineAndExitCode2()
    {
        var (code, _, error) = Run("bogus");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(error, Does.Contain("bogus"));
    }

    [TestCase("--epochs", "0", "--epochs must be at least 1")]
    [TestCase("--eta", "-1", "--eta must be a positive")]
    [TestCase("--eta", "abc", "abc")]
    [TestCase("--activation", "tanh", "tanh")]
    public void BadTrainOptionsNameTheOption(string option, string value, string message)
    {
        var (code, _, error) = Run("train", option, value);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain(message));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public void InfoReportsTheTierAndThreads()
    {
        var (code, output, _) = Run("info");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok));
        Assert.That(output, Does.Contain("tier: ").And.Contain("threads: "));
    }
}
