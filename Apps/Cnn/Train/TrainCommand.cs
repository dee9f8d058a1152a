using System.CommandLine;
using System.Globalization;
using Engine;
using Engine.Data;
using Engine.Training;
using Spectre.Console;

namespace Cnn;

/// <summary><c>cnn train</c>: trains one model and prints one line per epoch and a parseable summary.</summary>
public static class TrainCommand
{
    /// <summary>Builds the command and its options.</summary>
    public static Command Create()
    {
        var set = new TrainingOptionsSet();
        var threads = new Option<int>("--threads") { Description = "Threads the kernels may use (results are identical for any count)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var save = new Option<string?>("--save") { Description = "Write the trained model to this file" };
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces with errors" };
        OptionRules.AtLeast(threads, 1);

        var command = new Command("train", "Train one model and print one line per epoch, then a summary line.");
        set.AddTo(command);
        command.Options.Add(threads);
        command.Options.Add(save);
        command.Options.Add(verbose);
        command.SetAction(parse => ExitCodes.Run(() =>
        {
            Cpu.ThreadCount = parse.GetValue(threads);
            var configuration = set.Configuration(parse);
            string? dataDir = parse.GetValue(set.DataDir);
            DownloadCommand.EnsureAsync(configuration.Dataset, dataDir, Console.Out).GetAwaiter().GetResult();
            var data = DatasetLocator.Load(configuration.Dataset, dataDir);
            var (train, val) = TrainingOptionsSet.Subsets(data, configuration.TrainSize, configuration.ValidationSize, Console.Out);
            var net = ModelZoo.Build(configuration.Model, train.SampleShape, configuration.Seed, set.Variant(parse));
            using var cancel = new CancellationTokenSource();
            History history;
            using (ExitCodes.CancelOnCtrlC(cancel))
            {
                history = SpectreSweepProgress.Supported
                    ? TrainWithLiveProgress(net, train, val, configuration, cancel.Token)
                    : net.Fit(train, val, TrainingOptionsSet.ToTrainingOptions(configuration, configuration.Eta, configuration.Lambda),
                        new Progress<EpochReport>(r => Console.WriteLine(r)), cancel.Token);
            }
            string? path = parse.GetValue(save);
            // An interrupted run still saves the weights of the last finished step: nothing trained is lost.
            // A diverged run is not saved, so a good model file is never replaced by a broken one.
            if (path is not null && history.Status != TrainingStatus.Diverged) net.Save(path);
            if (history.Status == TrainingStatus.Cancelled)
                Console.Error.WriteLine($"training interrupted after {history.Epochs.Count} finished epochs{(path is null ? "" : $"; the model was saved to {path}")}.");
            if (history.Status == TrainingStatus.Diverged)
                Console.Error.WriteLine($"training diverged (the loss became NaN or infinite) after {history.Epochs.Count} finished epochs{(path is null ? "" : "; no model was saved")}; try a smaller --eta.");
            if (history.Epochs.Count == 0)
                return history.Status == TrainingStatus.Cancelled ? ExitCodes.Cancelled : ExitCodes.TrainingStopped;
            var last = history.Last;
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "final: train_acc={0:F4} val_acc={1:F4} train_loss={2:F4} val_loss={3:F4} epochs={4} seconds={5:F1} images_per_sec={6:F0}",
                last.TrainAccuracy, last.ValidationAccuracy, last.TrainLoss, last.ValidationLoss, history.Epochs.Count,
                history.Elapsed.TotalSeconds, history.TrainingImagesPerSecond));
            return history.Status switch
            {
                TrainingStatus.Completed => ExitCodes.Ok,
                TrainingStatus.Cancelled => ExitCodes.Cancelled,
                _ => ExitCodes.TrainingStopped,
            };
        }, parse.GetValue(verbose)));
        return command;
    }

    /// <summary>Training with a live Spectre.Console bar (epoch, batch, loss, images/s, time left); the epoch lines print above it.</summary>
    private static History TrainWithLiveProgress(Network net, Dataset train, Dataset val, SweepConfiguration configuration, CancellationToken cancellationToken)
    {
        History history = null!;
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("starting", maxValue: 1);
                var batches = new Progress<BatchReport>(r =>
                {
                    task.MaxValue = (double)r.Epochs * r.Batches;
                    task.Value = (double)(r.Epoch - 1) * r.Batches + r.Batch;
                    task.Description = Markup.Escape(string.Format(CultureInfo.InvariantCulture,
                        "epoch {0}/{1} batch {2}/{3} loss {4:F4} {5:F0} img/s", r.Epoch, r.Epochs, r.Batch, r.Batches, r.Loss, r.ImagesPerSecond));
                });
                var options = TrainingOptionsSet.ToTrainingOptions(configuration, configuration.Eta, configuration.Lambda, batches);
                history = net.Fit(train, val, options, new Progress<EpochReport>(r => AnsiConsole.WriteLine(r.ToString())), cancellationToken);
            });
        return history;
    }

    /// <summary>Reports on the training thread, synchronously (<see cref="System.Progress{T}"/> would post to the thread pool).</summary>
    private sealed class Progress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
