using System.Globalization;
using System.Text.Json;
using Engine;
using Engine.Layers;
using Engine.Losses;
using Engine.Optimizers;
using Engine.Training;

namespace Cnn.Tests;

/// <summary>
/// The options of the engine's training features (optimizers, weight decay, L2 styles, initialisation, label
/// smoothing, schedules, augmentation, normalisation, clipping, early stopping, dropout, no validation): each is
/// parsed, refused with one line where it does not apply, reaches the <see cref="TrainingOptions"/> or network that
/// Fit is given (inspected through <see cref="RunPlan"/>, not by training), shows in the header, and is a sweep axis
/// recorded in sweep.json.
/// </summary>
[NonParallelizable]
public class TrainingFeatureTests : TempFolderTest
{
    private static readonly LoadedData Data = new(TestSupport.Synthetic(), "/data/synthetic");

    /// <summary>The plan of a run of <paramref name="values"/> on the synthetic data (paper-mnist with 2 filters unless a model is given).</summary>
    private static RunPlan Plan(params (string, string)[] values)
    {
        var settings = RunSettings.Of([("train-size", "60"), ("val-size", "30"), .. values]);
        if (!values.Any(v => v.Item1 is "model" or "model-file")) settings = settings.With("filters", "2");
        return RunPlan.Prepare(settings.Check().Resolve(), Data);
    }

    private static TrainingOptions Options(params (string, string)[] values) => Plan(values).TrainingOptions();

    private static string Refusal(params (string, string)[] values) =>
        Assert.Throws<UsageException>(() => Plan(values))!.Message;

    private static (int Code, string Out, string Error) Train(params string[] args) =>
        TestSupport.Run(TrainCommand.Create(TestSupport.SyntheticData), ["train", "--train-size", "60", .. args]);

    [Test]
    public void NesterovIsMomentumWithNesterovsStep()
    {
        var optimizer = (Momentum)Options(("optimizer", "nesterov"), ("momentum", "0.8"), ("eta", "0.05")).Optimizer;
        Assert.That((optimizer.Nesterov, optimizer.MomentumCoefficient, optimizer.Eta), Is.EqualTo((true, 0.8f, 0.05f)));
        Assert.That(((Momentum)Options(("optimizer", "momentum")).Optimizer).Nesterov, Is.False);
    }

    [Test]
    public void WeightDecayIsTheTrainingOptionsForEveryOptimizerButAdamWsOwnForAdamW()
    {
        foreach (var choice in Choices.Optimizers.Where(o => !o.OwnsWeightDecay))
        {
            var o = Options(("optimizer", choice.Name), ("weight-decay", "0.002"));
            Assert.That(o.WeightDecay, Is.EqualTo(0.002f), choice.Name);
            Assert.That(Options(("optimizer", choice.Name)).WeightDecay, Is.Zero, $"{choice.Name}: no decay by default");
        }
        var adamw = Options(("optimizer", "adamw"), ("weight-decay", "0.05"), ("beta1", "0.8"));
        Assert.That(adamw.WeightDecay, Is.Zero, "the engine adds the two decays: only AdamW's is set");
        var made = (AdamW)adamw.Optimizer;
        Assert.That((made.WeightDecay, made.Beta1, made.Beta2), Is.EqualTo((0.05f, 0.8f, 0.999f)));
        Assert.That(((AdamW)Options(("optimizer", "adamw")).Optimizer).WeightDecay, Is.EqualTo(0.01f), "AdamW's (PyTorch's) default");
        Assert.That(((AdamW)Options(("optimizer", "adamw"), ("weight-decay", "0")).Optimizer).WeightDecay, Is.Zero);
    }

    [TestCase("report", L2Style.Report)]
    [TestCase("keras", L2Style.Keras)]
    [TestCase("pytorch", L2Style.PyTorch)]
    public void TheL2StyleReachesTheOptions(string style, L2Style expected)
    {
        var o = Options(("l2-style", style), ("lambda", "0.01"));
        Assert.That((o.L2Style, o.L2), Is.EqualTo((expected, 0.01f)));
    }

    [Test]
    public void TheL2StyleIsRefusedWithoutLambda()
    {
        Assert.That(Refusal(("l2-style", "keras"), ("lambda", "0")), Is.EqualTo("--l2-style says what λ means, and --lambda is 0: give --lambda X with it."));
        Assert.That(Options().L2Style, Is.EqualTo(L2Style.Report), "the report's by default");
    }

    [Test]
    public void TheInitialisationReachesZooModelsAndModelFiles()
    {
        foreach (var (name, init) in Choices.Inits)
        {
            var net = Plan(("init", name)).NewNetwork(100);
            Assert.That(net.DefaultInit, Is.EqualTo(init), name);
            Assert.That(net.GetParameters(), Is.EqualTo(ModelZoo.Build("paper-mnist", new Shape(1, 8, 8), 100, new ModelZoo.Variant(Filters: 2), init).GetParameters()), name);
        }
        string file = Path.Combine(Folder, "net.json");
        File.WriteAllText(file, """{"layers": [{"type": "Flatten"}, {"type": "Dense", "units": 10, "init": "he"}, {"type": "Dense", "units": 10}, {"type": "Softmax"}]}""");
        var fromFile = Plan(("model-file", file), ("init", "lecun")).NewNetwork(1);
        Assert.That(fromFile.DefaultInit, Is.EqualTo(WeightInit.LeCun));
        Assert.That(((Dense)fromFile.Layers[1]).Init, Is.EqualTo(WeightInit.He), "a layer's own init is kept");
        Assert.That(((Dense)fromFile.Layers[2]).Init, Is.EqualTo(WeightInit.LeCun), "the others take --init");
        Assert.That(Plan(("init", "glorot")).Header(), Does.Contain("parameters, init glorot · "));
        Assert.That(Plan().Header(), Does.Not.Contain("init"));
    }

    [Test]
    public void LabelSmoothingIsCrossEntropysAndRefusedForTheOtherLosses()
    {
        var loss = (CrossEntropy)Options(("label-smoothing", "0.1")).Loss;
        Assert.That(loss.LabelSmoothing, Is.EqualTo(0.1f));
        Assert.That(((CrossEntropy)Options().Loss).LabelSmoothing, Is.Zero);
        Assert.That(Refusal(("loss", "mse"), ("label-smoothing", "0.1")), Is.EqualTo("--label-smoothing does not apply to --loss mse; it applies to cross-entropy."));
        Assert.That(Plan(("label-smoothing", "0.1")).Header(), Does.Contain(" · loss cross-entropy (label smoothing 0.1) · "));
    }

    [Test]
    public void SchedulesAreTheEnginesWithTheirOptions()
    {
        Assert.That(Options().Schedule, Is.Null, "constant is no schedule: the bits of a run without one");
        Assert.That(Options(("schedule", "constant")).Schedule, Is.Null);
        Assert.That(Options(("schedule", "step"), ("epochs", "11")).Schedule!.Name, Is.EqualTo(LearningRateSchedule.Step(10, 0.1f).Name));
        Assert.That(Options(("schedule", "step"), ("step-every", "2"), ("step-factor", "0.5"), ("epochs", "5")).Schedule!.Name, Is.EqualTo(LearningRateSchedule.Step(2, 0.5f).Name));
        Assert.That(Options(("schedule", "cosine")).Schedule!.Name, Is.EqualTo(LearningRateSchedule.Cosine(0f).Name));
        Assert.That(Options(("schedule", "cosine"), ("warmup", "0.1")).Schedule!.Name, Is.EqualTo(LearningRateSchedule.Cosine(0.1f).Name));
        Assert.That(Options(("schedule", "onecycle")).Schedule!.Name, Is.EqualTo(LearningRateSchedule.OneCycle(0.3f).Name));
        Assert.That(Options(("schedule", "onecycle"), ("warmup", "0.2")).Schedule!.Name, Is.EqualTo(LearningRateSchedule.OneCycle(0.2f).Name));
        Assert.That(Plan(("schedule", "cosine")).Header(), Does.Contain(" · schedule cosine(warmup=0, final=0) · "));
    }

    [Test]
    public void ScheduleOptionsAreRefusedWhereTheyDoNotApply()
    {
        Assert.That(Refusal(("warmup", "0.1")), Is.EqualTo("--warmup does not apply to --schedule constant; it applies to cosine, onecycle."));
        Assert.That(Refusal(("schedule", "cosine"), ("step-every", "2")), Is.EqualTo("--step-every does not apply to --schedule cosine; it applies to step."));
        Assert.That(Refusal(("schedule", "onecycle"), ("step-factor", "0.5")), Does.StartWith("--step-factor does not apply to --schedule onecycle"));
        Assert.That(Refusal(("schedule", "onecycle"), ("warmup", "0")), Does.StartWith("--warmup must be in (0, 1) for --schedule onecycle"));
        Assert.That(Refusal(("schedule", "step"), ("step-every", "3"), ("epochs", "3")), Does.StartWith("--step-every 3 is not less than --epochs 3"));
        var (code, _, error) = TestSupport.RunMain("train", "--schedule", "cosine", "--warmup", "1");
        Assert.That((code, error.Trim()), Is.EqualTo((ExitCodes.Usage, "error: --warmup must be in [0, 1), not 1. (see 'cnn train --help')")));
    }

    [TestCase("crop=4,flip", "crop=4,flip", 4, true)]
    [TestCase("flip+crop=4", "crop=4,flip", 4, true)]
    [TestCase(" Crop=2 ", "crop=2", 2, false)]
    [TestCase("flip", "flip", 0, true)]
    [TestCase("cutout=4+flip+crop=2", "crop=2,flip,cutout=4", 2, true, 4)]
    [TestCase("cutout=8", "cutout=8", 0, false, 8)]
    [TestCase("cutmix=0.50+crop=4", "crop=4,cutmix=0.5", 4, false, 0, 0.5f)]
    [TestCase("crop=4,flip,cutout=6,cutmix=1", "crop=4,flip,cutout=6,cutmix=1", 4, true, 6, 1f)]
    [TestCase("cutmix=.25", "cutmix=0.25", 0, false, 0, 0.25f)]
    public void AugmentationIsParsedAndReachesTheOptions(string written, string canonical, int crop, bool flip, int cutout = 0, float cutMix = 0f)
    {
        Assert.That(AugmentSpec.Canonical(written), Is.EqualTo(canonical));
        var augmentation = Options(("augment", written)).Augmentation!;
        Assert.That((augmentation.PadCrop, augmentation.HorizontalFlip, augmentation.Cutout, augmentation.CutMix), Is.EqualTo((crop, flip, cutout, cutMix)));
        Assert.That(Plan(("augment", written)).Header(), Does.Contain($" · augment {canonical} · "));
    }

    [TestCase("crop=0", "crop takes a whole number of pixels ≥ 1, not '0'")]
    [TestCase("crop=x", "crop takes a whole number of pixels ≥ 1, not 'x'")]
    [TestCase("flip,flip", "flip is given twice")]
    [TestCase("crop=1,crop=2", "crop is given twice")]
    [TestCase("cutout=0", "cutout takes a whole number of pixels ≥ 1, not '0'")]
    [TestCase("cutout=2,cutout=3", "cutout is given twice")]
    [TestCase("cutmix=0", "cutmix takes a probability above 0 and at most 1, not '0'")]
    [TestCase("cutmix=1.5", "cutmix takes a probability above 0 and at most 1, not '1.5'")]
    [TestCase("cutmix=-1", "cutmix takes a probability above 0 and at most 1, not '-1'")]
    [TestCase("cutmix=1,cutmix=0.5", "cutmix is given twice")]
    [TestCase("rotate", "'rotate' is not crop=N, flip, cutout=N or cutmix=P")]
    public void BadAugmentationsAreRefusedNamingThePart(string written, string why)
    {
        var error = Assert.Throws<UsageException>(() => AugmentSpec.Canonical(written))!;
        Assert.That(error.Message, Does.StartWith($"--augment '{written}': {why}; give crop=N, flip"));
    }

    [Test]
    public void NoAugmentationByDefaultAndACropAsLargeAsTheImagesIsRefused()
    {
        Assert.That(Options().Augmentation, Is.Null);
        Assert.That(Options(("augment", "none")).Augmentation, Is.Null);
        Assert.That(Refusal(("augment", "crop=8")), Is.EqualTo("--augment crop=8 is not smaller than the 8×8 images; give at most crop=7."));
        Assert.That(Refusal(("augment", "cutout=9")), Is.EqualTo("--augment cutout=9 is larger than the 8×8 images; give at most cutout=8."));
    }

    [Test]
    public void NormalizeIsAFlagAndClipAndEarlyStoppingReachTheOptions()
    {
        Assert.That(Options().NormalizeInputs, Is.False);
        Assert.That(Options(("normalize", "true")).NormalizeInputs, Is.True);
        Assert.That(Options().ClipGradientNorm, Is.Null);
        Assert.That(Options(("clip", "2.5")).ClipGradientNorm, Is.EqualTo(2.5f));
        Assert.That(Options().EarlyStopping, Is.Null);
        var stopping = Options(("early-stopping", "3")).EarlyStopping!;
        Assert.That((stopping.Patience, stopping.RestoreBest), Is.EqualTo((3, true)));
        Assert.That(Options(("early-stopping", "2"), ("restore-best", "false")).EarlyStopping!.RestoreBest, Is.False);
        Assert.That(Plan(("normalize", "true"), ("clip", "2.5"), ("early-stopping", "3")).Header(),
            Does.Contain(" · normalize inputs · clip gradient norm 2.5 · early stopping after 3 epochs, restoring the best · "));
    }

    [Test]
    public void FlagsAndNoRestoreBestOnTheCommandLine()
    {
        var set = new TrainingOptionsSet();
        var command = new System.CommandLine.Command("train");
        set.AddTo(command);
        RunSettings Parse(params string[] args) => set.Settings(new System.CommandLine.RootCommand { command }.Parse(["train", .. args]));
        Assert.That(Parse("--normalize", "--epochs", "2").Resolve()["normalize"], Is.EqualTo("true"), "--normalize alone is --normalize true");
        Assert.That(Parse("--normalize", "false").Resolve()["normalize"], Is.EqualTo("false"));
        Assert.That(Parse("--early-stopping", "2", "--no-restore-best").Resolve()["restore-best"], Is.EqualTo("false"));
        Assert.That(Parse("--early-stopping", "2").Resolve()["restore-best"], Is.EqualTo("true"));
        Assert.That(Assert.Throws<UsageException>(() => Parse("--no-restore-best", "--restore-best", "true"))!.Message, Is.EqualTo("--restore-best and --no-restore-best: give one, not both."));
    }

    [Test]
    public void EarlyStoppingNeedsValidationImagesAndRestoreBestNeedsEarlyStopping()
    {
        Assert.That(Refusal(("early-stopping", "2"), ("val-size", "0")), Is.EqualTo("--early-stopping watches the validation loss, and --val-size is 0: give validation images."));
        Assert.That(Refusal(("restore-best", "false")), Is.EqualTo("--restore-best and --no-restore-best apply only with --early-stopping N."));
        var (code, _, error) = Train("--epochs", "1", "--no-restore-best");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error.Trim(), Is.EqualTo("error: --restore-best and --no-restore-best apply only with --early-stopping N."));
    }

    [Test]
    public void TestAugmentMirrorChangesTheValidationFiguresNotTheTraining()
    {
        Assert.That(Refusal(("test-augment", "mirror"), ("val-size", "0")), Is.EqualTo("--test-augment says how the validation images are evaluated, and --val-size is 0: give validation images."));
        Assert.That(Plan(("test-augment", "mirror")).TrainingOptions().ValidationAugmentation, Is.EqualTo(TestTimeAugmentation.Mirror));
        Assert.That(Plan().TrainingOptions().ValidationAugmentation, Is.EqualTo(TestTimeAugmentation.None));
        Assert.That(Plan(("test-augment", "mirror")).Header(), Does.Contain(" · validation averaged with mirror images · "));
        var (code, output, error) = Train("--filters", "2", "--val-size", "30", "--epochs", "1", "--test-augment", "mirror");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        var (plainCode, plainOutput, _) = Train("--filters", "2", "--val-size", "30", "--epochs", "1");
        Assert.That(plainCode, Is.EqualTo(ExitCodes.Ok));
        string TrainLoss(string o) => o[o.IndexOf("train_loss=", StringComparison.Ordinal)..].Split(' ')[0];
        Assert.That(TrainLoss(output), Is.EqualTo(TrainLoss(plainOutput)), "the training is the same");
    }

    [Test]
    public void EarlyStoppingEndsTheRunAsASuccess()
    {
        var (code, output, error) = Train("--filters", "2", "--val-size", "30", "--epochs", "30", "--eta", "0.1", "--early-stopping", "1");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.Contain("early stopping after epoch ").And.Contain("the weights of the epoch with the lowest validation loss are kept"));
        Assert.That(output, Does.Not.Contain("epoch 30/30"));
    }

    [Test]
    public void DropoutSetsTheRateOfTheModelsDropoutLayersAndKeepsItsWeights()
    {
        var plan = Plan(("model", "bn-convnet"), ("dropout", "0.4"));
        var net = plan.NewNetwork(7);
        var zoo = ModelZoo.Build("bn-convnet", new Shape(1, 8, 8), 7);
        Assert.That(net.Layers.OfType<Dropout>().Select(d => d.Rate), Is.EqualTo(new[] { 0.4f }));
        Assert.That(zoo.Layers.OfType<Dropout>().Select(d => d.Rate), Is.EqualTo(new[] { 0.25f }));
        Assert.That(net.Summary(), Is.EqualTo(zoo.Summary().Replace("Dropout(0.25)", "Dropout(0.4)", StringComparison.Ordinal)));
        Assert.That(net.GetParameters(), Is.EqualTo(zoo.GetParameters()), "the same layers, seed and initialisation");
        Assert.That(plan.Header(), Does.StartWith("train: bn-convnet (dropout 0.4), "));
        Assert.That(Plan(("model", "bn-convnet")).NewNetwork(7).Layers.OfType<Dropout>().Single().Rate, Is.EqualTo(0.25f), "the model's own rate by default");

        // The zoo refuses a rate for a model without Dropout layers rather than ignore it.
        Assert.That(() => ModelZoo.Build("resnet20", new Shape(3, 32, 32), 3, new ModelZoo.Variant { Dropout = 0.5f }),
            Throws.ArgumentException.With.Message.Contains("resnet20").And.Message.Contains("no Dropout layers"));
    }

    [Test]
    public void DropoutIsRefusedForModelsWithoutDropoutLayers()
    {
        Assert.That(ModelSource.ZooModelsWithDropout, Is.EqualTo(new[] { "bn-convnet" }));
        Assert.That(Refusal(("model", "lenet5"), ("dropout", "0.3")), Is.EqualTo("--dropout applies only to models with Dropout layers (bn-convnet, or a --model-file with them), not lenet5."));
        string file = Path.Combine(Folder, "net.json");
        File.WriteAllText(file, """{"layers": [{"type": "Flatten"}, {"type": "Dense", "units": 10}, {"type": "Softmax"}]}""");
        Assert.That(Refusal(("model-file", file), ("dropout", "0.3")), Is.EqualTo($"--dropout applies only to models with Dropout layers, and {file} has none."));
        File.WriteAllText(file, """{"layers": [{"type": "Flatten"}, {"type": "Dropout", "rate": 0.1}, {"type": "Dense", "units": 10}, {"type": "Dropout"}, {"type": "Softmax"}]}""");
        Assert.That(Plan(("model-file", file), ("dropout", "0.3")).NewNetwork(1).Layers.OfType<Dropout>().Select(d => d.Rate), Is.EqualTo(new[] { 0.3f, 0.3f }));
        Assert.That(Plan(("model-file", file)).NewNetwork(1).Layers.OfType<Dropout>().Select(d => d.Rate), Is.EqualTo(new[] { 0.1f, 0.5f }));
    }

    [Test]
    public void WithoutValidationImagesTheRunTrainsAndReportsNoValidation()
    {
        var plan = Plan(("val-size", "0"));
        Assert.That(plan.Validation, Is.Null);
        var (code, output, error) = Train("--filters", "2", "--epochs", "1", "--val-size", "0");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.Contain("60 train / 0 val images").And.Contain("val_acc=NaN"));
    }

    [Test]
    public void TheHistorysLearningRateIsThatOfEachEpochsLastStep()
    {
        string dir = Path.Combine(Folder, "run");
        var (code, _, error) = Train("--filters", "2", "--val-size", "30", "--epochs", "3", "--batches", "2", "--schedule", "step", "--step-every", "1", "--step-factor", "0.5", "--out", dir);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        var rates = File.ReadAllLines(Path.Combine(dir, HistoryFiles.CsvName)).Skip(1).Select(l => l.Split(',')[6]);
        Assert.That(rates, Is.EqualTo(new[] { "0.01", "0.005", "0.0025" }));
    }

    [Test]
    public void EveryNewOptionIsAGridAxis()
    {
        string[] specs =
        [
            "optimizer=nesterov,adamw", "weight-decay=0,1e-4", "l2-style=report,keras,pytorch", "init=he,pytorch",
            "label-smoothing=0,0.1", "schedule=constant,cosine,onecycle", "warmup=0.1,0.2", "step-every=1..3", "step-factor=0.1,0.5",
            "augment=none,flip,crop=2+flip", "normalize=true,false", "clip=1,5", "early-stopping=2,4", "restore-best=true,false", "dropout=0,0.5",
        ];
        foreach (string spec in specs) Assert.That(() => GridAxis.Parse(spec), Throws.Nothing, spec);
        Assert.That(GridAxis.Parse("augment=none,flip,crop=2+flip").Values, Is.EqualTo(new[] { "none", "flip", "crop=2,flip" }));
    }

    [Test]
    public void ASweepOverTheNewOptionsRecordsThemInSweepJson()
    {
        string dir = Path.Combine(Folder, "s");
        var (code, output, error) = TestSupport.Run(SweepCommand.Create(TestSupport.SyntheticData, CancellationToken.None),
            "sweep", "--train-size", "60", "--val-size", "30", "--model", "bn-convnet", "--epochs", "1", "--batch-size", "30", "--parallel", "1",
            "--optimizer", "nesterov", "--weight-decay", "0.0005", "--normalize", "--dropout", "0.1",
            "--grid", "augment=none,crop=2+flip", "--grid", "schedule=constant,onecycle", "--out", dir);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.Contain("sweep done: 4 cells run"));
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, SweepManifest.FileName)));
        var configuration = manifest.RootElement.GetProperty("configuration");
        Assert.That(configuration.GetProperty("optimizer").GetString(), Is.EqualTo("nesterov"));
        Assert.That(configuration.GetProperty("weight_decay").GetString(), Is.EqualTo("0.0005"));
        Assert.That(configuration.GetProperty("normalize").GetString(), Is.EqualTo("true"));
        Assert.That(configuration.GetProperty("dropout").GetString(), Is.EqualTo("0.1"));
        Assert.That(configuration.GetProperty("init").GetString(), Is.EqualTo("he"));
        Assert.That(configuration.GetProperty("label_smoothing").GetString(), Is.EqualTo("0"));
        Assert.That(configuration.TryGetProperty("augment", out _), Is.False, "an axis");
        var cells = SweepResults.Read(dir, SweepManifest.Read(dir).Grid);
        Assert.That(cells.Select(c => string.Join(' ', c.Values)), Is.EqualTo(new[] { "none constant", "none onecycle", "crop=2,flip constant", "crop=2,flip onecycle" }));
        Assert.That(File.ReadAllText(Path.Combine(dir, SweepResults.CsvFileName)), Does.Contain("\"crop=2,flip\""));
    }

    [Test]
    public void AWarmupAxisMustApplyInEveryCell()
    {
        static SweepRunner Runner(string schedules) => new(RunSettings.Of(("train-size", "60"), ("val-size", "30"), ("filters", "2"), ("epochs", "2")),
            new Grid([GridAxis.Parse(schedules), GridAxis.Parse("warmup=0.1,0.2")]), _ => Data);
        Assert.That(Assert.Throws<UsageException>(() => Runner("schedule=constant,cosine").Prepare())!.Message,
            Is.EqualTo("--warmup does not apply to --schedule constant; it applies to cosine, onecycle (in 2 of the 4 cells: schedule=constant); split the sweep so that it is given only where it applies."),
            "the constant cells would ignore it");
        Assert.That(() => Runner("schedule=cosine,onecycle").Prepare(), Throws.Nothing);
        Assert.That(Assert.Throws<UsageException>(() => Runner("schedule=constant,step").Prepare())!.Message,
            Does.StartWith("--warmup does not apply to --schedule constant").And.EndWith("(in every cell of the grid)."));
    }

    [Test]
    public void AnOlderSweepJsonWithoutTheNewOptionsIsTheSameSweepAtTheirDefaults()
    {
        var grid = new Grid([GridAxis.Parse("eta=0.1,0.01")]);
        var now = new SweepManifest([new("epochs", "2"), new("weight_decay", "0"), new("schedule", "constant"), new("augment", "none")], grid, null);
        var before = new SweepManifest([new("epochs", "2")], grid, null);
        Assert.That(now.Differences(before), Is.Empty);
        var changed = new SweepManifest([new("epochs", "2"), new("weight_decay", "0.1")], grid, null);
        Assert.That(changed.Differences(before), Is.EqualTo(new[] { "weight_decay: 0.1 vs (grid axis or unset)" }));
    }

    [Test]
    public void TheHeaderOfADefaultRunIsUnchanged()
    {
        string header = Plan().Header();
        Assert.That(header, Is.EqualTo(string.Create(CultureInfo.InvariantCulture,
            $"train: paper-mnist (filters 2, hidden 20, lrelu, max pool), {Plan().ParameterCount} parameters · adam(eta=0.01, beta1=0.9, beta2=0.999, epsilon=1E-08) · loss cross-entropy · λ 0.001 · data /data/synthetic: 60 train / 30 val images · 2 batches of 30 × 10 epochs · seed 100")));
    }
    [Test]
    public void SweepTitlesNameTheRecipeScheduleAugmentationAndNormalisation()
    {
        var grid = new Grid([GridAxis.Parse("eta=0.1,0.01")]);
        var manifest = new SweepManifest([new("dataset", "mnist"), new("train_size", "60"), new("val_size", "30"), new("model", "bn-convnet"),
            new("optimizer", "nesterov"), new("schedule", "onecycle"), new("augment", "crop=2"), new("normalize", "true"), new("epochs", "2")], grid, null) { Recipe = "mnist" };
        Assert.That(SweepReport.Title(manifest, "validation accuracy"), Is.EqualTo("recipe mnist · mnist 60 train / 30 val · bn-convnet\nnesterov, onecycle, augment crop=2, normalized, 2 epochs · validation accuracy"));
    }

    [Test]
    public void TheNewLibraryTermsBecomeOptionNames()
    {
        Assert.That(UserErrors.Describe(new ArgumentException("WeightDecay must be a finite number ≥ 0, not -1.")).Message, Is.EqualTo("--weight-decay must be a finite number ≥ 0, not -1."));
        Assert.That(UserErrors.Describe(new ArgumentException("ClipGradientNorm must be a positive finite number, not 0.")).Message, Is.EqualTo("--clip must be a positive finite number, not 0."));
        Assert.That(UserErrors.Describe(new ArgumentException("Augmentation: PadCrop = 40 is not smaller than the 28×28 image.")).Message, Is.EqualTo("--augment crop = 40 is not smaller than the 28×28 image."));
    }
}

