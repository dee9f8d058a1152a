using System.CommandLine;
using System.Globalization;
using Engine;
using Engine.Training;

namespace Cnn;

/// <summary>
/// <c>cnn train</c>: trains one model, printing a header line (model, parameters, optimizer, loss, data folder and image
/// counts), one line per epoch and a parseable <c>final:</c> line; <c>--out DIR</c> adds history.csv and curves.png.
/// </summary>
public static class TrainCommand
{
    /// <summary>Builds the command; data is found (and downloaded if missing) by name.</summary>
    public static Command Create() => Create(DataLoading.ByName);

    /// <summary>Builds the command with a data loader (a seam for tests).</summary>
    internal static Command Create(DataLoader loadData)
    {
        var set = new TrainingOptionsSet();
        var threads = new Option<int>("--threads") { Description = "Threads the kernels may use (results are identical for any count)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var save = new Option<string?>("--save") { Description = "Write the trained model to this file (checked writable before training)" };
        var output = new Option<string?>("--out") { Description = "Folder for history.csv (per epoch: loss, accuracy, learning rate, seconds) and curves.png" };
        var printModel = new Option<bool>("--print-model") { Description = "Print the network's layers, shapes and parameter counts, and exit" };
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces with errors" };
        OptionRules.AtLeast(threads, 1);

        var command = new Command("train", "Train one model: a header line, one line per epoch, then a final: summary line.");
        set.AddTo(command);
        foreach (var option in new Option[] { threads, save, output, printModel, verbose }) command.Options.Add(option);
        command.SetAction(parse => ExitCodes.Run(() =>
        {
            using var threadScope = Cpu.UseThreads(parse.GetValue(threads));
            var settings = set.Settings(parse).Check().Resolve();
            // Every output is proven writable before any work is spent.
            string? path = parse.GetValue(save) is { } s ? OutputPaths.File("--save", s) : null;
            string? outDir = parse.GetValue(output) is { } o ? OutputPaths.Folder("--out", o) : null;
            string dataset = settings.Text("dataset");
            if (parse.GetValue(printModel))
            {
                Console.WriteLine(ModelSource.Build(settings, DataLoading.SampleShape(dataset), settings.Seed).Summary());
                return ExitCodes.Ok;
            }

            var plan = RunPlan.Prepare(settings, loadData(dataset, parse.GetValue(set.DataDir)));
            foreach (string note in plan.Notes) Console.WriteLine(note);
            Console.WriteLine(plan.Header());
            var net = plan.NewNetwork(settings.Seed);
            using var cancel = new CancellationTokenSource();
            History history;
            using (ExitCodes.CancelOnCtrlC(cancel))
            {
                history = TrainProgress.Supported
                    ? TrainProgress.Run((batches, epochs) => net.Fit(plan.Train, plan.Validation, plan.TrainingOptions(batches), epochs, cancel.Token))
                    : net.Fit(plan.Train, plan.Validation, plan.TrainingOptions(), new Synchronous<EpochReport>(r => Console.WriteLine(r)), cancel.Token);
            }
            var run = new RunHistory(settings.Seed, settings.Real("eta"), history);
            if (outDir is not null && history.Epochs.Count > 0)
                foreach (string written in HistoryFiles.Write(outDir, run, $"{dataset} · {ModelSource.Describe(settings)} · {settings.Text("optimizer")}, η {settings.Text("eta")}"))
                    Console.WriteLine($"wrote {written}");
            // An interrupted run still saves the weights of the last finished step: nothing trained is lost.
            // A diverged run is not saved, so a good model file is never replaced by a broken one.
            if (path is not null && history.Status != TrainingStatus.Diverged) net.Save(path);
            if (history.Status == TrainingStatus.Cancelled)
                Console.Error.WriteLine($"training interrupted after {history.Epochs.Count} finished epochs{(path is null ? "" : $"; the model was saved to {path}")}.");
            if (history.Status == TrainingStatus.Diverged)
                Console.Error.WriteLine($"training diverged (the loss became NaN or infinite) after {history.Epochs.Count} finished epochs{(path is null ? "" : "; no model was saved")}; try a smaller --eta.");
            if (history.Epochs.Count == 0)
                return history.Status == TrainingStatus.Cancelled ? ExitCodes.Cancelled : ExitCodes.TrainingStopped;
            Console.WriteLine(FinalLine(run));
            return history.Status switch
            {
                TrainingStatus.Completed => ExitCodes.Ok,
                TrainingStatus.Cancelled => ExitCodes.Cancelled,
                _ => ExitCodes.TrainingStopped,
            };
        }, parse.GetValue(verbose)));
        return command;
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
