using System.CommandLine;
using System.Globalization;
using System.Text;
using Engine;
using Engine.Data;
using Engine.Training;

namespace Cnn;

/// <summary>
/// <c>cnn evaluate MODEL --dataset D [--data-dir D] [--val-size N] [--loss L] [--test-augment none|mirror] [--out DIR]</c>: a trained model's accuracy,
/// loss, per-class accuracy and confusion matrix on a dataset's test images, as tables on standard output and, in
/// <c>--out</c>, <c>confusion.csv</c> and <c>confusion.png</c>.
/// </summary>
public static class EvaluateCommand
{
    /// <summary>The confusion matrix as CSV (counts).</summary>
    public const string CsvName = "confusion.csv";

    /// <summary>The confusion matrix as a heatmap (fractions of each label's images).</summary>
    public const string PngName = "confusion.png";

    /// <summary>Builds the command; data is found (and downloaded if missing) by name.</summary>
    public static Command Create() => Create(DataLoading.ByName);

    /// <summary>Builds the command with a data loader (a seam for tests).</summary>
    internal static Command Create(DataLoader loadData)
    {
        var model = new Argument<string>("model") { Description = "A model file written by cnn train --save, or an ONNX model (.onnx)" };
        var dataset = new Option<string>("--dataset") { Description = "mnist, fashion-mnist or cifar10", Required = true };
        dataset.AcceptOnlyFromAmong([.. DatasetLocator.Datasets]);
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder holding the dataset folders (default: $ENGINE_DATASETS, then ./datasets)" };
        var count = new Option<int?>("--val-size") { Description = "Evaluate on the first N test images (default: all)" };
        var loss = new Option<string>("--loss") { Description = "The loss reported", DefaultValueFactory = _ => "cross-entropy" };
        loss.AcceptOnlyFromAmong([.. Choices.Losses.Select(l => l.Name)]);
        var augment = new Option<string>("--test-augment")
        {
            Description = "none: one pass per image; mirror: average each image's output with its mirror image's (test-time augmentation)",
            DefaultValueFactory = _ => "none",
        };
        augment.AcceptOnlyFromAmong([.. TestAugment.Names]);
        var output = new Option<string>("--out") { Description = "Folder for confusion.csv and confusion.png", DefaultValueFactory = _ => Path.Combine("runs", "evaluate") };
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces with errors" };
        OptionRules.AtLeast(count, 1);
        var command = new Command("evaluate", "Accuracy, loss, per-class accuracy and the confusion matrix of a trained model on a dataset's test images.")
        {
            model, dataset, dataDir, count, loss, augment, output, verbose,
        };
        command.SetAction(parse => ExitCodes.Run(() =>
        {
            string outDir = OutputPaths.Folder("--out", parse.GetValue(output)!);
            string path = parse.GetValue(model)!;
            var net = ModelSource.Load(path);
            string name = parse.GetValue(dataset)!;
            var data = loadData(name, parse.GetValue(dataDir));
            var test = data.Split.Test;
            if (parse.GetValue(count) is { } n)
            {
                if (n > test.Count) Console.WriteLine($"note: --val-size {n} asks for more than the {test.Count} test images of {test.Name}; all are used.");
                test = test.Take(Math.Min(n, test.Count));
            }
            if (net.InputShape != test.SampleShape)
                throw new UsageException($"{path} takes images of {net.InputShape}, but {name} has {test.SampleShape}.");
            if (net.OutputShape.Size != test.Classes)
                throw new UsageException($"{path} outputs {net.OutputShape.Size} classes, but {name} has {test.Classes}.");

            var testAugment = TestAugment.Parse(parse.GetValue(augment)!, net.InputShape);
            Console.WriteLine($"evaluate: {path} ({net.ParameterCount} parameters) on {data.Folder}: {test.Count} test images"
                + (testAugment == TestTimeAugmentation.None ? "" : ", each averaged with its mirror image"));
            var metrics = net.Evaluate(test, testAugment, Choices.Loss(parse.GetValue(loss)!));
            var names = ClassNames(name, test.Classes);
            Console.Write(Report(metrics, names));
            File.WriteAllText(Path.Combine(outDir, CsvName), ConfusionCsv(metrics.ConfusionMatrix!, names));
            Heatmap.Render(ConfusionHeatmap(metrics.ConfusionMatrix!, names, $"{Path.GetFileName(path)} on {name} ({test.Count} test images): accuracy {metrics.Accuracy:F4}"),
                Path.Combine(outDir, PngName), Path.Combine(outDir, Path.ChangeExtension(PngName, ".svg")));
            Console.WriteLine($"wrote {Path.Combine(outDir, CsvName)}");
            Console.WriteLine($"wrote {Path.Combine(outDir, PngName)}");
            return ExitCodes.Ok;
        }, parse.GetValue(verbose)));
        return command;
    }

    /// <summary>The class names of a dataset: CIFAR-10's and Fashion-MNIST's names, MNIST's digits.</summary>
    public static IReadOnlyList<string> ClassNames(string dataset, int classes) => dataset switch
    {
        "cifar10" => Cifar10.ClassNames,
        "fashion-mnist" => ["T-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"],
        _ => [.. Enumerable.Range(0, classes).Select(i => i.ToString(CultureInfo.InvariantCulture))],
    };

    /// <summary>
    /// The tables printed: <c>accuracy=… loss=… images=…</c>, a per-class table (images, accuracy) and the confusion
    /// matrix (rows: label, columns: predicted class).
    /// </summary>
    public static string Report(Metrics metrics, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(names);
        var c = CultureInfo.InvariantCulture;
        var confusion = metrics.ConfusionMatrix ?? throw new ArgumentException("The metrics have no confusion matrix.", nameof(metrics));
        var text = new StringBuilder();
        text.AppendLine(string.Format(c, "accuracy={0:F4} loss={1:F4} images={2}", metrics.Accuracy, metrics.Loss, metrics.Count));
        text.AppendLine();
        text.AppendLine("| class | name | images | accuracy |");
        text.AppendLine("|---:|---|---:|---:|");
        for (int k = 0; k < confusion.Classes; k++)
        {
            double accuracy = metrics.PerClassAccuracy[k];
            text.AppendLine(string.Format(c, "| {0} | {1} | {2} | {3} |", k, names[k], confusion.Total(k), double.IsNaN(accuracy) ? "–" : accuracy.ToString("F4", c)));
        }
        text.AppendLine();
        text.AppendLine("confusion matrix (rows: label, columns: predicted class):");
        int width = Math.Max(5, Enumerable.Range(0, confusion.Classes).Max(k => Enumerable.Range(0, confusion.Classes).Max(p => confusion[k, p]).ToString(c).Length) + 1);
        text.Append("label".PadRight(7));
        for (int p = 0; p < confusion.Classes; p++) text.Append(p.ToString(c).PadLeft(width));
        text.AppendLine();
        for (int k = 0; k < confusion.Classes; k++)
        {
            text.Append(k.ToString(c).PadRight(7));
            for (int p = 0; p < confusion.Classes; p++) text.Append(confusion[k, p].ToString(c).PadLeft(width));
            text.AppendLine();
        }
        return text.ToString();
    }

    /// <summary>The confusion matrix as CSV: <c>label,name,predicted_0,…,predicted_K-1</c>, one row per label, counts.</summary>
    public static string ConfusionCsv(ConfusionMatrix confusion, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        ArgumentNullException.ThrowIfNull(names);
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder("label,name");
        for (int p = 0; p < confusion.Classes; p++) text.Append(c, $",predicted_{p}");
        text.Append('\n');
        for (int k = 0; k < confusion.Classes; k++)
        {
            text.Append(k.ToString(c)).Append(',').Append(names[k].Replace(',', ' '));
            for (int p = 0; p < confusion.Classes; p++) text.Append(',').Append(confusion[k, p].ToString(c));
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The confusion matrix as a heatmap: each row (a label) as fractions of that label's images, on 0–1.</summary>
    public static HeatmapData ConfusionHeatmap(ConfusionMatrix confusion, IReadOnlyList<string> names, string title)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        ArgumentNullException.ThrowIfNull(names);
        int k = confusion.Classes;
        var values = new double?[k, k];
        for (int r = 0; r < k; r++)
        {
            long total = confusion.Total(r);
            for (int p = 0; p < k; p++) values[r, p] = total == 0 ? null : confusion[r, p] / (double)total;
        }
        return new HeatmapData(title, "label", names, "predicted class", names, values) { ValueName = "fraction of the label's images" };
    }
}
