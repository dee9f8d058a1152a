using System.CommandLine;
using System.Globalization;
using Engine;
using Engine.Data;
using Engine.Training;

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
            var train = data.Train.Take(Math.Min(configuration.TrainSize, data.Train.Count));
            var val = data.Test.Take(Math.Min(configuration.ValidationSize, data.Test.Count));
            var net = ModelZoo.Build(configuration.Model, train.SampleShape, configuration.Seed, set.Variant(parse));
            var options = TrainingOptionsSet.ToTrainingOptions(configuration, configuration.Eta, configuration.Lambda);
            var history = net.Fit(train, val, options, new Progress(r => Console.WriteLine(r)));
            if (parse.GetValue(save) is { } path) net.Save(path);
            if (history.Epochs.Count == 0)
            {
                Console.Error.WriteLine($"error: training {history.Status.ToString().ToLowerInvariant()} in the first epoch.");
                return ExitCodes.TrainingStopped;
            }
            var last = history.Last;
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "final: train_acc={0:F4} val_acc={1:F4} train_loss={2:F4} val_loss={3:F4} epochs={4} seconds={5:F1} images_per_sec={6:F0}",
                last.TrainAccuracy, last.ValidationAccuracy, last.TrainLoss, last.ValidationLoss, history.Epochs.Count,
                history.Elapsed.TotalSeconds, history.TrainingImagesPerSecond));
            return history.Status == TrainingStatus.Completed ? ExitCodes.Ok : ExitCodes.TrainingStopped;
        }, parse.GetValue(verbose)));
        return command;
    }

    /// <summary>Reports on the training thread, synchronously (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Progress(Action<EpochReport> report) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => report(value);
    }
}
