using Engine.Optimizers;

namespace Cnn.Tests;

/// <summary>
/// Every training option is honoured or refused with one line naming it (exit 2), every optimizer and loss trains,
/// and <c>cnn train</c> starts with a header saying what runs on which data.
/// </summary>
[NonParallelizable]
public class TrainOptionTests : TempFolderTest
{
    private static (int Code, string Out, string Error) Train(params string[] args) =>
        TestSupport.Run(TrainCommand.Create(TestSupport.SyntheticData), ["train", "--train-size", "60", "--val-size", "30", "--filters", "2", "--epochs", "1", .. args]);

    private static void AssertOneLine(string error, string expected)
    {
        Assert.That(error, Does.Contain(expected));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1), error);
    }

    [TestCase("--activation", "sigmoid", "--activation applies only to --model paper-mnist and paper-cifar, not lenet5")]
    [TestCase("--pool", "avg", "--pool applies only to --model paper-mnist and paper-cifar, not lenet5")]
    [TestCase("--filters", "5", "--filters applies only to --model paper-mnist, not lenet5")]
    [TestCase("--hidden", "7", "--hidden applies only to --model paper-mnist, not lenet5")]
    public void AnOptionTheModelDoesNotHaveIsRefused(string option, string value, string message)
    {
        var (code, output, error) = TestSupport.RunMain("train", "--model", "lenet5", option, value);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        AssertOneLine(error, message);
        Assert.That(output, Does.Not.Contain("epoch"));
    }

    [Test]
    public void FiltersAndHiddenOnLenetNameTheFirst()
    {
        var (code, _, error) = TestSupport.RunMain("train", "--model", "lenet5", "--filters", "5", "--hidden", "7");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        AssertOneLine(error, "--filters applies only to --model paper-mnist");
    }

    [Test]
    public void PaperCifarTakesActivationButNotFilters()
    {
        Assert.That(RunSettings.Of(("dataset", "cifar10"), ("activation", "relu")).FirstInapplicable(), Is.Null);
        Assert.That(RunSettings.Of(("dataset", "cifar10"), ("filters", "3")).FirstInapplicable(), Does.Contain("not paper-cifar"));
    }

    /// <summary>Each hyper-parameter applies exactly to the optimizers that list it; the others refuse it.</summary>
    [Test]
    public void HyperParametersApplyExactlyWhereTheOptimizerUsesThem()
    {
        string[] hyper = ["momentum", "beta1", "beta2", "rho", "epsilon"];
        foreach (var optimizer in Choices.Optimizers)
            foreach (string h in hyper)
            {
                string? why = RunSettings.Of(("optimizer", optimizer.Name), (h, "0.5")).FirstInapplicable();
                if (optimizer.HyperParameters.Contains(h)) Assert.That(why, Is.Null, $"{optimizer.Name} takes --{h}");
                else Assert.That(why, Does.StartWith($"--{h} does not apply to --optimizer {optimizer.Name}"), $"{optimizer.Name} refuses --{h}");
            }
    }

    [Test]
    public void AHyperParameterOfAnotherOptimizerIsRefusedOnTheCommandLine()
    {
        var (code, _, error) = Train("--optimizer", "sgd", "--momentum", "0.5");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        AssertOneLine(error, "--momentum does not apply to --optimizer sgd; it applies to momentum, nesterov, adagrad-momentum, rmsprop-momentum.");
    }

    [TestCase("sgd", "sgd(eta=0.01)")]
    [TestCase("momentum", "momentum(eta=0.01, momentum=0.9)")]
    [TestCase("adagrad", "adagrad(eta=0.01, epsilon=1E-08)")]
    [TestCase("adagrad-momentum", "adagrad-momentum(eta=0.01, momentum=0.9, epsilon=1E-08)")]
    [TestCase("rmsprop", "rmsprop(eta=0.01, rho=0.9, epsilon=1E-08)")]
    [TestCase("rmsprop-momentum", "rmsprop-momentum(eta=0.01, rho=0.9, momentum=0.9, epsilon=1E-08)")]
    [TestCase("adam", "adam(eta=0.01, beta1=0.9, beta2=0.999, epsilon=1E-08)")]
    public void EveryOptimizerTrainsAndTheHeaderNamesItWithItsHyperParameters(string optimizer, string described)
    {
        var (code, output, error) = Train("--optimizer", optimizer);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        var lines = output.Split('\n');
        Assert.That(lines[0], Does.StartWith("train: paper-mnist (filters 2, hidden 20, lrelu, max pool), ").And.Contain($" · {described} · "));
        Assert.That(lines[0], Does.Contain("data /data/synthetic: 60 train / 30 val images").And.Contain("2 batches of 30 × 1 epochs").And.Contain("seed 100"));
        Assert.That(output, Does.Contain("final: "));
    }

    [Test]
    public void HyperParametersReachTheOptimizer()
    {
        var (code, output, error) = Train("--optimizer", "adam", "--beta1", "0.8", "--beta2", "0.99", "--epsilon", "1e-6", "--eta", "0.002");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.Contain("adam(eta=0.002, beta1=0.8, beta2=0.99, epsilon=1E-06)"));
        var settings = RunSettings.Of(("optimizer", "rmsprop-momentum"), ("rho", "0.7"), ("momentum", "0.3"), ("epsilon", "0.001")).Check().Resolve();
        var made = (RmsPropMomentum)Choices.Optimizer("rmsprop-momentum").Create(0.5f, settings.Real);
        Assert.That((made.Eta, made.Rho, made.MomentumCoefficient, made.Epsilon), Is.EqualTo((0.5f, 0.7f, 0.3f, 0.001f)));
    }

    [TestCase("cross-entropy")]
    [TestCase("log-loss")]
    [TestCase("mse")]
    public void EveryLossTrains(string loss)
    {
        var (code, output, error) = Train("--loss", loss);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.Contain($" · loss {loss} · "));
    }

    [Test]
    public void TheHelpSaysWhatEachOptionIs()
    {
        var (_, output, _) = TestSupport.RunMain("train", "--help");
        Assert.That(output, Does.Not.Contain("Adam learning rate"));
        Assert.That(output, Does.Contain("Learning rate η of the optimizer (the peak rate with a --schedule) (default 0.01)"));
        foreach (var optimizer in Choices.Optimizers) Assert.That(output, Does.Contain(optimizer.Name));
        Assert.That(output, Does.Contain("--beta1").And.Contain("--rho").And.Contain("--epsilon").And.Contain("--loss").And.Contain("--model-file"));
    }

    [Test]
    public void BatchSizeAndBatchesTogetherNameBothOptions()
    {
        var (code, _, error) = Train("--batch-size", "10", "--batches", "5");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        AssertOneLine(error, "--batch-size and --batches: give one, not both");
        Assert.That(error, Does.Not.Contain("BatchSize"));
    }

    [Test]
    public void MoreBatchesThanImagesIsSaidAsTheOptionWithAHint()
    {
        var (code, output, error) = Train("--batches", "200");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        AssertOneLine(error, "--batches 200 is more than the 60 training images used; give at most 60, or --batch-size N instead.");
        Assert.That(output, Does.Not.Contain("epoch"));
    }

    [Test]
    public void TheDefaultBatchingWorksForAnyTrainingSize()
    {
        var (code, output, error) = TestSupport.Run(TrainCommand.Create(TestSupport.SyntheticData), "train", "--train-size", "7", "--val-size", "5", "--filters", "2", "--epochs", "1");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.Contain("7 train / 5 val images · 1 batches of 7"));
        Assert.That(RunSettings.Empty.Resolve()["batch-size"], Is.EqualTo("30"), "6000 images in batches of 30 are the report's 200 batches");
        Assert.That(RunSettings.Of(("batches", "100")).Resolve()["batch-size"], Is.Null);
    }

    [Test]
    public void PrintModelShowsTheLayersAndExits()
    {
        var (code, output, error) = TestSupport.RunMain("train", "--model", "lenet5", "--print-model");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.StartWith("input 1×28×28").And.Contain("layer 13 (Softmax)").And.Contain("total 61706 parameters"));
        Assert.That(output, Does.Not.Contain("epoch"));
    }

    [Test]
    public void LibraryTermsBecomeOptionNamesAndParameterSuffixesGo()
    {
        var (code, message) = UserErrors.Describe(new ArgumentException("Set BatchSize or Batches, not both."));
        Assert.That((code, message), Is.EqualTo((ExitCodes.Usage, "Set --batch-size or --batches, not both.")));
        (_, message) = UserErrors.Describe(new ArgumentOutOfRangeException("threads", "The weight-gradient scratch of 9 floats is too large."));
        Assert.That(message, Is.EqualTo("The weight-gradient scratch of 9 floats is too large."));
        (code, message) = UserErrors.Describe(new ArgumentException("Epochs must be at least 1, not 0.", "path"));
        Assert.That((code, message), Is.EqualTo((ExitCodes.Usage, "--epochs must be at least 1, not 0.")));
        Assert.That(UserErrors.Describe(new Engine.Data.DataFileException("/x", "bad")).Code, Is.EqualTo(ExitCodes.Data));
        Assert.That(UserErrors.Describe(new UsageException("Epochs stay")).Message, Is.EqualTo("Epochs stay"), "the app's own messages are already in option terms");
    }

    [TestCase("--eta", "1e-50", "--eta: 1e-50 is 0 as a 32-bit float")]
    [TestCase("--momentum", "1", "--momentum must be in [0, 1), not 1")]
    [TestCase("--epsilon", "0", "--epsilon must be a positive number, not 0")]
    [TestCase("--optimizer", "adamax", "--optimizer: 'adamax' is not one of sgd, momentum")]
    [TestCase("--loss", "hinge", "--loss: 'hinge' is not one of cross-entropy, log-loss, mse")]
    public void BadValuesAreRefusedByTheParserNamingTheOption(string option, string value, string message)
    {
        var (code, _, error) = TestSupport.RunMain("train", option, value);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        AssertOneLine(error, message);
    }
}
