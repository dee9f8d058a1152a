using System.Globalization;
using System.Text.Json;
using Engine.Training;

namespace Cnn.Tests;

/// <summary>
/// <c>--recipe</c> and <c>--list-recipes</c> (settings that are valid and all apply, given options replacing them, a
/// recipe run on a tiny slice), and <c>train --out DIR --resume</c> (a run interrupted after its first epoch and
/// resumed ends with the bits of an uninterrupted run; checkpoints of other runs, missing or left behind are refused).
/// </summary>
[NonParallelizable]
public class RecipeAndResumeTests : TempFolderTest
{
    private static (int Code, string Out, string Error) Train(params string[] args) =>
        TestSupport.Run(TrainCommand.Create(TestSupport.SyntheticData), ["train", .. args]);

    [Test]
    public void ListRecipesPrintsEachWithItsSettingsAndNeverAnInventedAccuracy()
    {
        var (code, output, error) = TestSupport.RunMain("train", "--list-recipes");
        string accuracyDoc = File.ReadAllText(Path.Combine(DocumentationTests.RepositoryRoot(), "docs/ACCURACY.md"));
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        foreach (var recipe in Recipes.All)
        {
            Assert.That(output, Does.Contain($"{recipe.Name,-14} {recipe.Summary}"));
            Assert.That(output, Does.Contain(recipe.CommandLine));
            Assert.That(output, Does.Contain(recipe.Expected));
            if (recipe.Measured is { } measured)
                Assert.That(accuracyDoc, Does.Contain(measured.Accuracy.ToString("0.0###", CultureInfo.InvariantCulture)),
                    $"{recipe.Name}'s expected accuracy is a measurement recorded in docs/ACCURACY.md");
        }
        Assert.That(output.Split('\n').Count(l => l.Trim() == "expected accuracy: not yet measured on this machine"),
            Is.EqualTo(Recipes.All.Count(r => r.Measured is null)));
        Assert.That(Recipes.All.Where(r => r.Measured is not null).Select(r => r.Name), Is.EqualTo(new[] { "mnist", "fashion-mnist", "cifar10" }),
            "every recipe's figure is a measurement in docs/ACCURACY.md");
        Assert.That(Recipes.Mnist with { Measured = new RecipeResult(0.9931, 11.6, "2 cores, AVX2") }, Has.Property("Expected").EqualTo("expected accuracy: 0.993 in 12 min (2 cores, AVX2)"));
    }

    [Test]
    public void EveryRecipeIsValidAndEachOfItsSettingsApplies()
    {
        Assert.That(Recipes.All.Select(r => r.Name), Is.EqualTo(new[] { "mnist", "fashion-mnist", "cifar10" }));
        foreach (var recipe in Recipes.All)
        {
            var resolved = RunSettings.Empty.WithRecipe(recipe).Check().Resolve();
            foreach (var (name, value) in recipe.Settings)
                Assert.That(resolved[name], Is.EqualTo(value), $"{recipe.Name}: --{name}");
            Assert.That(resolved["lambda"], Is.EqualTo("0"), $"{recipe.Name}: weight decay instead of the report's L2");
            Assert.That(Program.CreateRootCommand().Parse(["train", .. recipe.CommandLine.Split(' ')]).Errors, Is.Empty, recipe.Name);
        }
        Assert.That(Recipes.Cifar10.Settings, Does.Contain(("model", "resnet20")).And.Contain(("augment", "crop=4,flip,cutout=16")).And.Contain(("label-smoothing", "0.1")).And.Contain(("test-augment", "mirror")));
        Assert.That(Recipes.Mnist.Settings, Does.Contain(("model", "bn-convnet")).And.Contain(("train-size", "60000")));
        Assert.That(Assert.Throws<UsageException>(() => Recipes.Get("imagenet"))!.Message, Is.EqualTo("--recipe: 'imagenet' is not one of mnist, fashion-mnist, cifar10 (see --list-recipes)."));
    }

    [Test]
    public void GivenOptionsReplaceTheRecipesAndTheHeaderSaysWhich()
    {
        var settings = RunSettings.Of(("epochs", "1"), ("train-size", "60"), ("batches", "2")).WithRecipe(Recipes.Mnist);
        var resolved = settings.Check().Resolve();
        Assert.That((resolved["epochs"], resolved["train-size"], resolved["batches"], resolved["batch-size"]), Is.EqualTo(("1", "60", "2", (string?)null)));
        Assert.That(resolved["optimizer"], Is.EqualTo("nesterov"), "the rest is the recipe's");
        Assert.That(settings.RecipeOverrides(), Is.EqualTo(new[] { "--train-size 60 (recipe: 60000)", "--epochs 1 (recipe: 8)", "--batches 2 (instead of the recipe's --batch-size 128)" }));

        // A recipe's setting that no longer applies is dropped; a given one is still refused.
        var adam = RunSettings.Of(("optimizer", "adam")).WithRecipe(Recipes.Mnist).Check().Resolve();
        Assert.That((adam["optimizer"], adam["momentum"]), Is.EqualTo(("adam", (string?)null)));
        Assert.That(RunSettings.Of(("optimizer", "adam"), ("momentum", "0.5")).WithRecipe(Recipes.Mnist).FirstInapplicable(), Does.StartWith("--momentum does not apply to --optimizer adam"));
        string file = Path.Combine(Folder, "net.json");
        Assert.That(RunSettings.Of(("model-file", file)).WithRecipe(Recipes.Mnist).Resolve()["model"], Is.Null, "--model-file replaces the recipe's --model");
    }

    [Test]
    public void ARecipeRunsOnATinySliceWithItsSizesReplaced()
    {
        string dir = Path.Combine(Folder, "run");
        var (code, output, error) = Train("--recipe", "mnist", "--train-size", "60", "--val-size", "30", "--epochs", "1", "--batch-size", "30", "--out", dir);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        string header = output.Split('\n')[0];
        Assert.That(header, Does.StartWith("train: recipe mnist (given: --train-size 60 (recipe: 60000), --val-size 30 (recipe: 10000), --epochs 1 (recipe: 8), --batch-size 30 (recipe: 128)) · bn-convnet, "));
        Assert.That(header, Does.Contain(" · nesterov(eta=0.1, momentum=0.9) · weight decay 0.0005 · loss cross-entropy · λ 0 · schedule onecycle(warmup=0.25,")
            .And.Contain(" · augment crop=2 · normalize inputs · data /data/synthetic: 60 train / 30 val images · 2 batches of 30 × 1 epochs"));
        Assert.That(output, Does.Contain("final: "));
        Assert.That(File.Exists(Path.Combine(dir, TrainCommand.CheckpointName)), Is.True);
    }

    [Test]
    public void ASweepFromARecipeRecordsIt()
    {
        string dir = Path.Combine(Folder, "s");
        var (code, _, error) = TestSupport.Run(SweepCommand.Create(TestSupport.SyntheticData, CancellationToken.None),
            "sweep", "--recipe", "fashion-mnist", "--train-size", "60", "--val-size", "30", "--epochs", "1", "--batch-size", "30", "--grid", "eta=0.05,0.1", "--out", dir);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, SweepManifest.FileName)));
        Assert.That(json.RootElement.GetProperty("recipe").GetString(), Is.EqualTo("fashion-mnist"));
        Assert.That(json.RootElement.GetProperty("configuration").GetProperty("augment").GetString(), Is.EqualTo("crop=2,flip"));
        Assert.That(SweepManifest.Read(dir).Recipe, Is.EqualTo("fashion-mnist"));
        Assert.That(SweepManifest.Read(dir).Differences(SweepManifest.Read(dir) with { Recipe = null }), Is.EqualTo(new[] { "recipe: fashion-mnist vs none" }));
    }

    /// <summary>A bn-convnet run exercising every piece of state a checkpoint must carry (batch norm, dropout, augmentation, a schedule, momentum).</summary>
    private static string[] ResumableRun(string dir, string model) =>
        ["--train-size", "60", "--val-size", "30", "--model", "bn-convnet", "--epochs", "2", "--batch-size", "20", "--optimizer", "nesterov", "--eta", "0.05",
         "--schedule", "onecycle", "--augment", "crop=1,flip", "--normalize", "--weight-decay", "0.001", "--out", dir, "--save", model];

    [Test]
    public void AnInterruptedRunResumedEndsWithTheBitsOfAnUninterruptedOne()
    {
        string whole = Path.Combine(Folder, "whole"), parts = Path.Combine(Folder, "parts");
        var (code, _, error) = Train(ResumableRun(whole, Path.Combine(Folder, "whole.bin")));
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);

        // Stopped (as by Ctrl+C) once the first epoch is done: its checkpoint is on disk.
        using var stop = new CancellationTokenSource();
        var interrupted = TrainCommand.Create(TestSupport.SyntheticData, stop.Token, e => { if (e.Epoch == 1) stop.Cancel(); });
        (code, var output, error) = TestSupport.Run(interrupted, ["train", .. ResumableRun(parts, Path.Combine(Folder, "parts.bin"))]);
        Assert.That(code, Is.EqualTo(ExitCodes.Cancelled), output + error);
        Assert.That(output, Does.Contain("epoch 1/2").And.Not.Contain("epoch 2/2"));
        Assert.That(error, Does.Contain($"add --resume to continue from {Path.Combine(parts, TrainCommand.CheckpointName)}"));

        (code, output, error) = Train([.. ResumableRun(parts, Path.Combine(Folder, "parts.bin")), "--resume"]);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.Contain($"resuming from {Path.Combine(parts, TrainCommand.CheckpointName)}").And.Contain("epoch 2/2").And.Not.Contain("epoch 1/2"));

        var a = Network.Load(Path.Combine(Folder, "whole.bin"));
        var b = Network.Load(Path.Combine(Folder, "parts.bin"));
        Assert.That(b.GetParameters(), Is.EqualTo(a.GetParameters()), "bit for bit");
        Assert.That(File.ReadAllBytes(Path.Combine(Folder, "parts.bin")), Is.EqualTo(File.ReadAllBytes(Path.Combine(Folder, "whole.bin"))), "weights, running statistics and normalisation");
        string Metrics(string dir) => string.Join('\n', File.ReadAllLines(Path.Combine(dir, HistoryFiles.CsvName)).Select(l => string.Join(',', l.Split(',')[..7])));
        Assert.That(Metrics(parts), Is.EqualTo(Metrics(whole)), "both epochs in the history, the same metrics and rates");
    }

    [Test]
    public void ACheckpointIsNeverReplacedWithoutResume()
    {
        string dir = Path.Combine(Folder, "run");
        string[] run = ["--train-size", "60", "--val-size", "30", "--filters", "2", "--epochs", "1", "--out", dir];
        Assert.That(Train(run).Code, Is.EqualTo(ExitCodes.Ok));
        string checkpoint = Path.Combine(dir, TrainCommand.CheckpointName);
        byte[] before = File.ReadAllBytes(checkpoint);
        var (code, output, error) = Train(run);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error.Trim(), Is.EqualTo($"error: --out {dir} holds the checkpoint of an earlier run ({checkpoint}); add --resume to continue it, or choose another --out."));
        Assert.That(output, Is.Empty, "refused before any work");
        Assert.That(File.ReadAllBytes(checkpoint), Is.EqualTo(before));
    }

    [Test]
    public void ResumeNeedsACheckpointOfTheSameRun()
    {
        string dir = Path.Combine(Folder, "run");
        var (code, _, error) = Train("--filters", "2", "--resume");
        Assert.That((code, error.Trim()), Is.EqualTo((ExitCodes.Usage, "error: --resume continues the run whose checkpoint.ckpt is in --out DIR; give --out.")));
        (code, _, error) = Train("--filters", "2", "--out", dir, "--resume");
        Assert.That((code, error.Trim()), Is.EqualTo((ExitCodes.Usage, $"error: --resume: --out {dir} holds no checkpoint.ckpt to continue; run without --resume to start.")));

        string[] run = ["--train-size", "60", "--val-size", "30", "--filters", "2", "--epochs", "2", "--out", dir];
        Assert.That(Train(run).Code, Is.EqualTo(ExitCodes.Ok));
        (code, _, error) = Train([.. run[..^3], "3", "--out", dir, "--resume"]);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage), error);
        Assert.That(error.Trim(), Is.EqualTo($"error: --resume: {Path.Combine(dir, TrainCommand.CheckpointName)} is of another run (epochs=2 there, epochs=3 here); give that run's options, or another --out."));

        (code, var output, error) = Train([.. run, "--resume"]);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), "a finished run resumed is finished: nothing more trains");
        Assert.That(output, Does.Not.Contain("epoch 1/2").And.Not.Contain("epoch 2/2").And.Contain("final: "));

        File.WriteAllBytes(Path.Combine(dir, TrainCommand.CheckpointName), [1, 2, 3]);
        (code, _, error) = Train([.. run, "--resume"]);
        Assert.That(code, Is.EqualTo(ExitCodes.Data));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(error, Does.Contain("not a SimdCnn checkpoint"));
    }

    [Test]
    public void CheckpointDifferencesAreTheSettingsThatDiffer()
    {
        Assert.That(TrainCommand.CheckpointDifference("loss=cross-entropy optimizer=adam(eta=0.01, beta1=0.9)", "loss=cross-entropy optimizer=adam(eta=0.02, beta1=0.9)"),
            Is.EqualTo("optimizer=adam(eta=0.01, beta1=0.9) there, optimizer=adam(eta=0.02, beta1=0.9) here"));
        Assert.That(TrainCommand.CheckpointDifference("a b", "a"), Is.EqualTo("\"a b\" there, \"a\" here"));
    }
}
