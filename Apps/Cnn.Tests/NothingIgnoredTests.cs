namespace Cnn.Tests;

/// <summary>
/// Nothing given is silently ignored: an option that makes a command list or print something and exit takes no option
/// that would do nothing there, a sweep's options and axes must apply in every cell, and options that cannot change a
/// run are refused; each in one line on stderr with exit code 2, before any work.
/// </summary>
[NonParallelizable]
public class NothingIgnoredTests : TempFolderTest
{
    private static void AssertRefused((int Code, string Out, string Error) run, string message)
    {
        Assert.That(run.Code, Is.EqualTo(ExitCodes.Usage), run.Error);
        Assert.That(run.Error.Trim(), Is.EqualTo($"error: {message}"));
    }

    /// <summary><c>cnn sweep</c> on the synthetic data, 1 epoch, 30 validation images unless val-size is an axis.</summary>
    private static (int Code, string Out, string Error) Sweep(params string[] args) =>
        TestSupport.Run(SweepCommand.Create(TestSupport.SyntheticData, CancellationToken.None),
            ["sweep", "--train-size", "60", "--epochs", "1", .. args.Any(a => a.StartsWith("val-size=", StringComparison.Ordinal)) ? [] : new[] { "--val-size", "30" }, .. args]);

    [TestCase("--epochs", "3")]
    [TestCase("--recipe", "mnist")]
    [TestCase("--threads", "1")]
    [TestCase("--print-model")]
    public void ListRecipesTakesNoOtherOption(params string[] extra)
    {
        var run = TestSupport.RunMain(["train", "--list-recipes", .. extra]);
        AssertRefused(run, $"{extra[0]} does not apply to --list-recipes, which lists the recipes and exits.");
        Assert.That(run.Out, Is.Empty);
        Assert.That(TestSupport.RunMain("train", "--list-recipes", "--verbose").Code, Is.EqualTo(ExitCodes.Ok), "--verbose goes with any");
    }

    [Test]
    public void PrintModelTakesOnlyTheOptionsThatBuildTheNetwork()
    {
        const string takes = "it takes --recipe, --dataset, --model, --model-file, --filters, --hidden, --activation, --pool, --dropout, --init.";
        AssertRefused(TestSupport.RunMain("train", "--print-model", "--epochs", "3"), $"--epochs does not apply to --print-model, which prints the network and exits; {takes}");
        AssertRefused(TestSupport.RunMain("train", "--print-model", "--seed", "5"), $"--seed does not apply to --print-model, which prints the network and exits; {takes}");
        string dir = Path.Combine(Folder, "never");
        AssertRefused(TestSupport.RunMain("train", "--print-model", "--out", dir), $"--out does not apply to --print-model, which prints the network and exits; {takes}");
        Assert.That(Directory.Exists(dir), Is.False, "nothing is created");

        var (code, output, error) = TestSupport.RunMain("train", "--print-model", "--model", "bn-convnet", "--dropout", "0.3", "--init", "lecun");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output.TrimEnd().Split('\n')[^1], Is.EqualTo("bn-convnet (dropout 0.3); init lecun for the layers without their own"), "dropout and init show");
        AssertRefused(TestSupport.RunMain("train", "--print-model", "--model", "lenet5", "--filters", "3"), "--filters applies only to --model paper-mnist, not lenet5.");
    }

    [Test]
    public void ReproduceListTakesNoFigureOrOption()
    {
        AssertRefused(TestSupport.RunMain("reproduce", "--list", "fig12"), "'fig12' (the figure) does not apply to --list, which lists the presets and exits.");
        AssertRefused(TestSupport.RunMain("reproduce", "--list", "--quick"), "--quick does not apply to --list, which lists the presets and exits.");
        AssertRefused(TestSupport.RunMain("reproduce", "--list", "--repeats", "3"), "--repeats does not apply to --list, which lists the presets and exits.");
    }

    /// <summary>One rule for every option that applies to some optimizers, losses, schedules, models or settings only.</summary>
    [TestCase("--beta1 0.5", "optimizer=nesterov,adamw", "--beta1 does not apply to --optimizer nesterov; it applies to adam, adamw (in 1 of the 2 cells: optimizer=nesterov)")]
    [TestCase("--beta2 0.99", "optimizer=adam,rmsprop", "--beta2 does not apply to --optimizer rmsprop; it applies to adam, adamw (in 1 of the 2 cells: optimizer=rmsprop)")]
    [TestCase("--momentum 0.5", "optimizer=sgd,adam,momentum", "--momentum does not apply to --optimizer sgd; it applies to momentum, nesterov, adagrad-momentum, rmsprop-momentum (in 2 of the 3 cells: optimizer=sgd,adam)")]
    [TestCase("--rho 0.8", "optimizer=rmsprop,adagrad", "--rho does not apply to --optimizer adagrad; it applies to rmsprop, rmsprop-momentum (in 1 of the 2 cells: optimizer=adagrad)")]
    [TestCase("--epsilon 1e-6", "optimizer=sgd,adam", "--epsilon does not apply to --optimizer sgd; it applies to adagrad, adagrad-momentum, rmsprop, rmsprop-momentum, adam, adamw (in 1 of the 2 cells: optimizer=sgd)")]
    [TestCase("--label-smoothing 0.1", "loss=cross-entropy,mse", "--label-smoothing does not apply to --loss mse; it applies to cross-entropy (in 1 of the 2 cells: loss=mse)")]
    [TestCase("--warmup 0.1", "schedule=constant,cosine", "--warmup does not apply to --schedule constant; it applies to cosine, onecycle (in 1 of the 2 cells: schedule=constant)")]
    [TestCase("--step-factor 0.5", "schedule=step,cosine", "--step-factor does not apply to --schedule cosine; it applies to step (in 1 of the 2 cells: schedule=cosine)")]
    [TestCase("--dropout 0.2", "model=paper-mnist,bn-convnet,lenet5", "--dropout applies only to models with Dropout layers (bn-convnet, or a --model-file with them), not paper-mnist (in 2 of the 3 cells: model=paper-mnist,lenet5)")]
    [TestCase("--filters 2", "model=paper-mnist,lenet5", "--filters applies only to --model paper-mnist, not lenet5 (in 1 of the 2 cells: model=lenet5)")]
    [TestCase("--l2-style keras", "lambda=0,0.01", "--l2-style says what λ means, and --lambda is 0: give --lambda X with it (in 1 of the 2 cells: lambda=0)")]
    [TestCase("--early-stopping 2", "val-size=0,30", "--early-stopping watches the validation loss, and --val-size is 0: give validation images (in 1 of the 2 cells: val-size=0)")]
    public void AFixedOptionSomeCellsDoNotTakeIsRefusedNamingThem(string option, string axis, string message)
    {
        string dir = Path.Combine(Folder, "s");
        var run = Sweep([.. option.Split(' '), "--grid", axis, "--out", dir]);
        AssertRefused(run, $"{message}; split the sweep so that it is given only where it applies.");
        Assert.That(File.Exists(Path.Combine(dir, "results.csv")), Is.False, "no cell ran");
    }

    [Test]
    public void AnAxisSomeCellsDoNotTakeIsRefusedToo()
    {
        AssertRefused(Sweep("--grid", "optimizer=sgd,adam", "--grid", "beta1=0.5,0.9", "--out", Path.Combine(Folder, "a")),
            "--beta1 does not apply to --optimizer sgd; it applies to adam, adamw (in 2 of the 4 cells: optimizer=sgd); split the sweep so that it is given only where it applies.");
        AssertRefused(Sweep("--grid", "schedule=constant,cosine", "--grid", "warmup=0.1,0.2", "--grid", "eta=0.1,0.01", "--out", Path.Combine(Folder, "b")),
            "--warmup does not apply to --schedule constant; it applies to cosine, onecycle (in 4 of the 8 cells: schedule=constant); split the sweep so that it is given only where it applies.");
        var (code, _, error) = Sweep("--filters", "2", "--batch-size", "30", "--grid", "schedule=cosine,onecycle", "--grid", "warmup=0.1,0.2", "--out", Path.Combine(Folder, "c"), "--parallel", "1");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
    }

    [Test]
    public void CellsAreNamedByTheirAxisValuesOrByIndex()
    {
        var grid = new Grid([GridAxis.Parse("eta=0.1,0.01"), GridAxis.Parse("augment=none,crop=2+flip")]);
        Assert.That(grid.DescribeCells([0, 1]), Is.EqualTo("eta=0.1"));
        Assert.That(grid.DescribeCells([1, 3]), Is.EqualTo("augment=crop=2+flip"), "written as a --grid value");
        Assert.That(grid.DescribeCells([3]), Is.EqualTo("eta=0.01 and augment=crop=2+flip"));
        Assert.That(grid.DescribeCells([0, 3]), Is.EqualTo("cells 0, 3"), "not one block of axis values");
        var big = new Grid([GridAxis.Parse("seed=1..12"), GridAxis.Parse("eta=0.1,0.01")]);
        Assert.That(big.DescribeCells([.. Enumerable.Range(0, 12).Select(i => 2 * i + (i % 2))]), Is.EqualTo("cells 0, 3, 4, 7, 8, 11, 12, 15, 16, 19, …"));
    }

    [Test]
    public void EarlyStoppingThatCanNeverStopAndKeepsTheLastWeightsIsRefused()
    {
        var train = TrainCommand.Create(TestSupport.SyntheticData);
        AssertRefused(TestSupport.Run(train, "train", "--train-size", "60", "--val-size", "30", "--filters", "2", "--epochs", "3", "--early-stopping", "3", "--no-restore-best"),
            "--early-stopping 3 with --no-restore-best changes nothing with --epochs 3 (training stops early only when the patience is below the epochs); give a smaller patience or more epochs.");
        var (code, _, error) = TestSupport.Run(TrainCommand.Create(TestSupport.SyntheticData),
            "train", "--train-size", "60", "--val-size", "30", "--filters", "2", "--epochs", "2", "--early-stopping", "3");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), "with --restore-best (the default) it still ends with the best epoch's weights: " + error);
    }

    [Test]
    public void ABatchSizeAboveTheImagesUsedIsSaid()
    {
        var (code, output, error) = TestSupport.Run(TrainCommand.Create(TestSupport.SyntheticData),
            "train", "--train-size", "60", "--val-size", "30", "--filters", "2", "--epochs", "1", "--batch-size", "100");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.StartWith("note: --batch-size 100 is more than the 60 training images used; one batch holds them all.\n"));
        Assert.That(output, Does.Contain("1 batches of 60"));
    }

    [Test]
    public void InitForAModelFileWhoseLayersAllNameTheirOwnIsRefused()
    {
        string path = Path.Combine(Folder, "net.json");
        File.WriteAllText(path, """{"layers": [{"type": "Flatten"}, {"type": "Dense", "units": 10, "init": "glorot"}, {"type": "Softmax"}]}""");
        var train = TrainCommand.Create(TestSupport.SyntheticData);
        string[] common = ["train", "--model-file", path, "--train-size", "60", "--val-size", "30", "--epochs", "1"];
        AssertRefused(TestSupport.Run(train, [.. common, "--init", "lecun"]),
            $"--init applies to the Conv2D and Dense layers without an \"init\" of their own, and {path} has none.");
        Assert.That(TestSupport.Run(TrainCommand.Create(TestSupport.SyntheticData), common).Code, Is.EqualTo(ExitCodes.Ok), "without --init");
        File.WriteAllText(path, """{"layers": [{"type": "Flatten"}, {"type": "Dense", "units": 10}, {"type": "Softmax"}]}""");
        var (code, _, error) = TestSupport.Run(TrainCommand.Create(TestSupport.SyntheticData), [.. common, "--init", "lecun"]);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
    }
}
