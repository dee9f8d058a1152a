using System.CommandLine;
using System.Globalization;
using Engine;
using Engine.Data;
using Engine.Optimizers;
using Engine.Training;

namespace Cnn;

/// <summary><c>cnn train</c>: trains one model and prints one line per epoch and a parseable summary.</summary>
public static class TrainCommand
{
    /// <summary>Builds the command and its options.</summary>
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "mnist, fashion-mnist or cifar10", DefaultValueFactory = _ => "mnist" };
        dataset.AcceptOnlyFromAmong("mnist", "fashion-mnist", "cifar10");
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder holding the dataset folders (default: $ENGINE_DATASETS, then ./datasets); a missing dataset is downloaded there" };
        var trainSize = new Option<int>("--train-size") { Description = "Use the first N training images", DefaultValueFactory = _ => 6000 };
        var valSize = new Option<int>("--val-size") { Description = "Use the first N test images for validation", DefaultValueFactory = _ => 1000 };
        var model = new Option<string>("--model") { Description = "paper-mnist, paper-cifar, lenet5 or cifar-convnet (default: the report's model for the dataset)" };
        model.AcceptOnlyFromAmong([.. ModelZoo.Names]);
        var filters = new Option<int>("--filters") { Description = "paper-mnist: convolution filters", DefaultValueFactory = _ => 20 };
        var hidden = new Option<int>("--hidden") { Description = "paper-mnist: hidden dense neurons (0 = none, as in Fig. 11)", DefaultValueFactory = _ => 20 };
        var activation = new Option<string>("--activation") { Description = "sigmoid, relu or lrelu", DefaultValueFactory = _ => "lrelu" };
        activation.AcceptOnlyFromAmong("sigmoid", "relu", "lrelu");
        var pool = new Option<string>("--pool") { Description = "max or avg", DefaultValueFactory = _ => "max" };
        pool.AcceptOnlyFromAmong("max", "avg");
        var eta = new Option<float>("--eta") { Description = "Adam learning rate", DefaultValueFactory = _ => 0.01f };
        var lambda = new Option<float>("--lambda") { Description = "L2 λ", DefaultValueFactory = _ => 0.001f };
        var epochs = new Option<int>("--epochs") { Description = "Epochs", DefaultValueFactory = _ => 10 };
        var batchSize = new Option<int?>("--batch-size") { Description = "Images per batch" };
        var batches = new Option<int?>("--batches") { Description = "Batches per epoch, as the report specifies (default 200 when --batch-size is not given)" };
        var seed = new Option<long>("--seed") { Description = "Seed of weights and shuffling", DefaultValueFactory = _ => 100 };
        var threads = new Option<int>("--threads") { Description = "Threads the kernels may use (results are identical for any count)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var save = new Option<string?>("--save") { Description = "Write the trained model to this file" };
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces with errors" };

        foreach (var option in new[] { trainSize, valSize, filters, epochs })
            OptionRules.AtLeast(option, 1);
        OptionRules.AtLeast(hidden, 0);
        OptionRules.AtLeast(threads, 1);
        OptionRules.AtLeast(batchSize, 1);
        OptionRules.AtLeast(batches, 1);
        OptionRules.Positive(eta);
        OptionRules.AtLeast(lambda, 0f);

        var command = new Command("train", "Train one model and print one line per epoch, then a summary line.")
        {
            dataset, dataDir, trainSize, valSize, model, filters, hidden, activation, pool, eta, lambda, epochs, batchSize, batches, seed, threads, save, verbose,
        };
        command.SetAction(parse => ExitCodes.Run(() =>
        {
            Cpu.ThreadCount = parse.GetValue(threads);
            string name = parse.GetValue(dataset)!;
            DownloadCommand.EnsureAsync(name, parse.GetValue(dataDir), Console.Out).GetAwaiter().GetResult();
            var data = DatasetLocator.Load(name, parse.GetValue(dataDir));
            var train = data.Train.Take(Math.Min(parse.GetValue(trainSize), data.Train.Count));
            var val = data.Test.Take(Math.Min(parse.GetValue(valSize), data.Test.Count));
            string modelName = parse.GetValue(model) ?? (name == "cifar10" ? "paper-cifar" : "paper-mnist");
            var net = ModelZoo.Build(modelName, train.SampleShape, parse.GetValue(seed),
                new ModelZoo.Variant(parse.GetValue(filters), parse.GetValue(hidden), parse.GetValue(activation)!, parse.GetValue(pool)!));
            int? bs = parse.GetValue(batchSize);
            var options = new TrainingOptions
            {
                Epochs = parse.GetValue(epochs),
                BatchSize = bs,
                Batches = bs is null ? parse.GetValue(batches) ?? 200 : parse.GetValue(batches),
                Optimizer = new Adam(parse.GetValue(eta)),
                L2 = parse.GetValue(lambda),
            };
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
