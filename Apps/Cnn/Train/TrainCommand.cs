using System.CommandLine;
using System.Globalization;
using Engine;
using Engine.Serialization;
using Engine.Training;

namespace Cnn;

/// <summary>
/// <c>cnn train</c>: trains one model, printing a header line (recipe, model, parameters, optimizer, loss, schedule,
/// data folder and image counts), one line per epoch and a parseable <c>final:</c> line; <c>--out DIR</c> adds
/// history.csv, curves.png and checkpoint.ckpt (written after every epoch; <c>--resume</c> continues from it).
/// </summary>
public static class TrainCommand
{
    /// <summary>The checkpoint file inside <c>--out DIR</c>.</summary>
    public const string CheckpointName = "checkpoint.ckpt";

    /// <summary>Builds the command; data is found (and downloaded if missing) by name.</summary>
    public static Command Create() => Create(DataLoading.ByName);

    /// <summary>Builds the command with seams for tests.</summary>
    /// <param name="loadData">Given the dataset name and <c>--data-dir</c>, returns its train and test sets.</param>
    /// <param name="cancellationToken">Stops training like Ctrl+C does.</param>
    /// <param name="afterEpoch">Called after each epoch's line is printed, or null.</param>
    internal static Command Create(DataLoader loadData, CancellationToken cancellationToken = default, Action<EpochReport>? afterEpoch = null)
    {
        var set = new TrainingOptionsSet();
        var threads = new Option<int>("--threads") { Description = "Threads the kernels may use (results are identical for any count)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var save = new Option<string?>("--save") { Description = "Write the trained model to this file (checked writable before training)" };
        var output = new Option<string?>("--out") { Description = $"Folder for history.csv (per epoch: loss, accuracy, learning rate, seconds), curves.png and {CheckpointName} (written after every epoch)" };
        var resume = new Option<bool>("--resume") { Description = $"Continue the run in --out DIR from its {CheckpointName} (give the same options; the result is bit-identical to an uninterrupted run)" };
        var listRecipes = new Option<bool>("--list-recipes") { Description = "List the recipes with their settings and expected accuracy, and exit (takes no other option)" };
        var printModel = new Option<bool>("--print-model") { Description = "Print the network's layers, shapes and parameter counts, and exit (takes only --recipe and the options that build the network: " + string.Join(", ", ModelSource.ArchitectureOptions.Select(o => "--" + o)) + ")" };
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces with errors" };
        OptionRules.AtLeast(threads, 1);

        var command = new Command("train", "Train one model: a header line, one line per epoch, then a final: summary line.");
        set.AddTo(command);
        foreach (var option in new Option[] { threads, save, output, resume, listRecipes, printModel, verbose }) command.Options.Add(option);
        command.SetAction(parse => ExitCodes.Run(() =>
        {
            if (parse.GetValue(listRecipes))
            {
                OptionRules.RefuseBeside(parse, listRecipes, "lists the recipes and exits");
                Recipes.List(Console.Out);
                return ExitCodes.Ok;
            }
            if (parse.GetValue(printModel))
            {
                OptionRules.RefuseBeside(parse, printModel, "prints the network and exits", [set.Recipe, .. ModelSource.ArchitectureOptions.Select(o => set[o])]);
                var architecture = set.Settings(parse).Check().Resolve();
                Console.WriteLine(ModelSource.Build(architecture, DataLoading.SampleShape(architecture.Text("dataset")), architecture.Seed).Summary());
                Console.WriteLine($"{ModelSource.Describe(architecture)}; init {architecture.Text("init")} for the layers without their own");
                return ExitCodes.Ok;
            }
            using var threadScope = Cpu.UseThreads(parse.GetValue(threads));
            var given = set.Settings(parse);
            var settings = given.Check().Resolve();
            // Every output is proven writable, and a checkpoint found or missing as asked, before any work is spent.
            string? path = parse.GetValue(save) is { } s ? OutputPaths.File("--save", s) : null;
            string? outDir = parse.GetValue(output) is { } o ? OutputPaths.Folder("--out", o) : null;
            string? checkpoint = outDir is null ? null : Path.Combine(outDir, CheckpointName);
            CheckResume(parse.GetValue(resume), parse.GetValue(output), checkpoint);
            string dataset = settings.Text("dataset");

            var plan = RunPlan.Prepare(settings, loadData(dataset, parse.GetValue(set.DataDir)));
            foreach (string note in plan.Notes) Console.WriteLine(note);
            Console.WriteLine(plan.Header(given.Recipe is { } r ? (r.Name, given.RecipeOverrides()) : null));
            if (parse.GetValue(resume)) Console.WriteLine($"resuming from {checkpoint}");
            var net = plan.NewNetwork(settings.Seed);
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            History history;
            var epochLines = new Synchronous<EpochReport>(e => { Console.WriteLine(e); afterEpoch?.Invoke(e); });
            using (ExitCodes.CancelOnCtrlC(cancel))
            {
                try
                {
                    history = TrainProgress.Supported
                        ? TrainProgress.Run((batches, epochs) => net.Fit(plan.Train, plan.Validation, plan.TrainingOptions(batches, checkpoint), epochs, cancel.Token))
                        : net.Fit(plan.Train, plan.Validation, plan.TrainingOptions(checkpointPath: checkpoint), epochLines, cancel.Token);
                }
                catch (CheckpointMismatchException e) when (e.FilePath == checkpoint)
                {
                    throw new UsageException($"--resume: {checkpoint} is of another run ({CheckpointDifference(e.Stored, e.Current)}); give that run's options, or another --out.", e);
                }
            }
            var run = new RunHistory(settings.Seed, history);
            if (outDir is not null && history.Epochs.Count > 0)
                foreach (string written in HistoryFiles.Write(outDir, run, $"{dataset} · {ModelSource.Describe(settings)} · {settings.Text("optimizer")}, η {settings.Text("eta")}"))
                    Console.WriteLine($"wrote {written}");
            // An interrupted run still saves the weights of the last finished step: nothing trained is lost.
            // A diverged run is not saved, so a good model file is never replaced by a broken one.
            if (path is not null && history.Status != TrainingStatus.Diverged) net.Save(path);
            if (history.Status == TrainingStatus.Cancelled)
                Console.Error.WriteLine($"training interrupted after {history.Epochs.Count} finished epochs{(path is null ? "" : $"; the model was saved to {path}")}{(checkpoint is not null && File.Exists(checkpoint) ? $"; add --resume to continue from {checkpoint}" : "")}.");
            if (history.Status == TrainingStatus.Diverged)
                Console.Error.WriteLine($"training diverged (the loss became NaN or infinite) after {history.Epochs.Count} finished epochs{(path is null ? "" : "; no model was saved")}; try a smaller --eta.");
            if (history.Status == TrainingStatus.Stopped && history.Epochs.Count > 0)
                Console.WriteLine($"early stopping after epoch {history.Last.Epoch}: the validation loss did not improve for {settings.Text("early-stopping")} epochs" +
                    (settings.Flag("restore-best") ? "; the weights of the epoch with the lowest validation loss are kept" : "") + ".");
            if (history.Epochs.Count == 0)
                return history.Status == TrainingStatus.Cancelled ? ExitCodes.Cancelled : ExitCodes.TrainingStopped;
            Console.WriteLine(FinalLine(run));
            return history.Status switch
            {
                TrainingStatus.Completed or TrainingStatus.Stopped => ExitCodes.Ok,
                TrainingStatus.Cancelled => ExitCodes.Cancelled,
                _ => ExitCodes.TrainingStopped,
            };
        }, parse.GetValue(verbose)));
        return command;
    }

    /// <summary>
    /// The difference the engine found between a checkpoint's run and this one, as the settings that differ, e.g.
    /// <c>epochs=2 there, epochs=3 here</c> (the engine's whole lines when they do not split alike).
    /// </summary>
    internal static string CheckpointDifference(string stored, string current)
    {
        var there = Settings(stored);
        var here = Settings(current);
        var differing = there.Count == here.Count
            ? Enumerable.Range(0, there.Count).Where(i => there[i] != here[i]).Select(i => $"{there[i]} there, {here[i]} here").ToList()
            : [];
        return differing.Count > 0 ? string.Join("; ", differing) : $"\"{stored}\" there, \"{current}\" here";

        // The line's name=value settings: split at the spaces outside parentheses.
        static List<string> Settings(string line)
        {
            var parts = new List<string>();
            int depth = 0, start = 0;
            for (int i = 0; i <= line.Length; i++)
            {
                if (i < line.Length && line[i] == '(') depth++;
                else if (i < line.Length && line[i] == ')') depth--;
                else if (i == line.Length || (line[i] == ' ' && depth == 0))
                {
                    if (i > start) parts.Add(line[start..i]);
                    start = i + 1;
                }
            }
            return parts;
        }
    }

    /// <summary>
    /// Refuses, before any work, <c>--resume</c> without <c>--out</c> or without a checkpoint there, and a checkpoint
    /// left in <c>--out</c> without <c>--resume</c> (it is never silently replaced).
    /// </summary>
    /// <exception cref="UsageException">One of those.</exception>
    internal static void CheckResume(bool resume, string? outOption, string? checkpoint)
    {
        if (checkpoint is null)
        {
            if (resume) throw new UsageException($"--resume continues the run whose {CheckpointName} is in --out DIR; give --out.");
            return;
        }
        bool exists = File.Exists(checkpoint) || Directory.Exists(checkpoint);
        if (resume && !exists)
            throw new UsageException($"--resume: --out {outOption} holds no {CheckpointName} to continue; run without --resume to start.");
        if (!resume && exists)
            throw new UsageException($"--out {outOption} holds the checkpoint of an earlier run ({checkpoint}); add --resume to continue it, or choose another --out.");
    }

    /// <summary>
    /// <c>final: train_acc=… val_acc=… train_loss=… val_loss=… epochs=… seconds=… images_per_sec=… best_epoch=… best_val_acc=…</c>
    /// (the last epoch's metrics, then the epoch with the highest validation accuracy).
    /// </summary>
    internal static string FinalLine(RunHistory run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var history = run.History;
        var last = history.Last;
        var best = run.Best;
        return string.Format(CultureInfo.InvariantCulture,
            "final: train_acc={0:F4} val_acc={1:F4} train_loss={2:F4} val_loss={3:F4} epochs={4} seconds={5:F1} images_per_sec={6:F0} best_epoch={7} best_val_acc={8:F4}",
            last.TrainAccuracy, last.ValidationAccuracy, last.TrainLoss, last.ValidationLoss, history.Epochs.Count,
            history.Elapsed.TotalSeconds, history.TrainingImagesPerSecond, best?.Epoch ?? 0, best?.Accuracy ?? double.NaN);
    }
}
