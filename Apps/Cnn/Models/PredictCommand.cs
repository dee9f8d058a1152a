using System.CommandLine;
using System.Globalization;
using System.Text;
using Engine;
using Engine.Data;
using Engine.Layers;
using SkiaSharp;

namespace Cnn;

/// <summary>
/// <c>cnn predict MODEL --input FILE [--top K] [--out FILE]</c>: the classes a trained model gives the images of an IDX
/// image file (raw or gzipped), a CIFAR-10 binary batch or a PNG image, as CSV: <c>image,class_1,probability_1,…</c>,
/// the K most probable classes of each image, most probable first.
/// </summary>
public static class PredictCommand
{
    /// <summary>The largest PNG read (64 MiB).</summary>
    public const long MaxPngBytes = 64 << 20;

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A model file written by cnn train --save, or an ONNX model (.onnx)" };
        var input = new Option<string>("--input") { Description = "Images: an IDX image file (raw or .gz), a CIFAR-10 binary batch (.bin) or a PNG", Required = true };
        var top = new Option<int>("--top") { Description = "Classes per image, most probable first", DefaultValueFactory = _ => 1 };
        var output = new Option<string?>("--out") { Description = "Write the CSV to this file instead of standard output" };
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces with errors" };
        OptionRules.AtLeast(top, 1);
        var command = new Command("predict", "Classify images with a trained model: CSV of image index, class and probability (the top K).")
        {
            model, input, top, output, verbose,
        };
        command.SetAction(parse => ExitCodes.Run(() =>
        {
            string? outPath = parse.GetValue(output) is { } o ? OutputPaths.File("--out", o) : null;
            string modelPath = parse.GetValue(model)!;
            var net = ModelSource.Load(modelPath);
            using var images = ReadImages(parse.GetValue(input)!, net.InputShape, modelPath);
            int k = parse.GetValue(top);
            if (k > net.OutputShape.Size)
                throw new UsageException($"--top {k} is more than the model's {net.OutputShape.Size} classes.");
            int n = images.Shape[0];
            var outputs = new float[n * net.OutputShape.Size];
            net.Predict(images.Span, outputs, n);
            string csv = Csv(outputs, n, net.OutputShape.Size, k, probabilities: net.Layers[^1] is Softmax);
            if (outPath is null) Console.Write(csv);
            else
            {
                SweepFiles.WriteAtomically(outPath, Encoding.UTF8.GetBytes(csv));
                Console.WriteLine($"wrote {outPath}: {n} images");
            }
            return ExitCodes.Ok;
        }, parse.GetValue(verbose)));
        return command;
    }

    /// <summary>
    /// The images of <paramref name="path"/> for a model taking <paramref name="input"/>, [N, input] in [0, 1]: a PNG
    /// (by extension or signature; grey from luminance for one channel, planar RGB for three), an IDX image file (by its
    /// magic number, gzipped or not), or else a CIFAR-10 binary batch. <paramref name="model"/>, when given, is the model file
    /// a shape mismatch names.
    /// </summary>
    /// <exception cref="UsageException">The images' shape does not fit the model (the message names both shapes).</exception>
    /// <exception cref="DataFileException">The file is missing, not a regular file, too large or malformed.</exception>
    public static Tensor ReadImages(string path, Shape input, string? model = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (DataFile.WhyNotARegularFile(path) is { } why) throw new DataFileException(path, why);
        Span<byte> head = stackalloc byte[8];
        int got;
        using (var file = File.OpenRead(path)) got = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..got];
        Tensor images;
        if (path.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']))
            return Png(path, input, model);
        if (head.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B]) || head.StartsWith((ReadOnlySpan<byte>)[0, 0, 8, 3]))
            images = Mnist.ReadImages(path);
        else
        {
            var batch = Cifar10.LoadBatch(path);
            images = new Tensor(new Shape(batch.Count, 3, 32, 32), batch.Images.ToArray());
        }
        var shape = images.Shape.WithoutBatch();
        if (shape != input)
        {
            images.Dispose();
            throw new UsageException($"--input {path}: images of {shape}, but the model takes {input}{Named(model)}.");
        }
        return images;
    }

    /// <summary>One PNG as a batch of one image of <paramref name="input"/> (channels 1: luminance; 3: R, G, B planes).</summary>
    private static Tensor Png(string path, Shape input, string? model)
    {
        byte[] bytes = DataFile.ReadAllBytes(path, MaxPngBytes);
        using var bitmap = SKBitmap.Decode(bytes) ?? throw new DataFileException(path, "not a PNG image SkiaSharp can decode.");
        int channels = input[0], height = input[1], width = input[2];
        if (input.Rank != 3 || channels is not (1 or 3))
            throw new UsageException($"--input {path}: a PNG gives 1 or 3 channels, but the model takes {input}{Named(model)}.");
        if (bitmap.Height != height || bitmap.Width != width)
            throw new UsageException($"--input {path}: the image is {bitmap.Width}×{bitmap.Height} pixels, but the model takes {width}×{height}{Named(model)}.");
        var values = new float[channels * height * width];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                var p = bitmap.GetPixel(x, y);
                int i = y * width + x;
                if (channels == 1) values[i] = (0.299f * p.Red + 0.587f * p.Green + 0.114f * p.Blue) / 255f;
                else
                {
                    values[i] = p.Red / 255f;
                    values[height * width + i] = p.Green / 255f;
                    values[2 * height * width + i] = p.Blue / 255f;
                }
            }
        }
        return new Tensor(new Shape(1, channels, height, width), values);
    }

    /// <summary>" (model.onnx)" after "the model takes …", or nothing when the model file is not known.</summary>
    private static string Named(string? model) => model is null ? "" : $" ({model})";

    /// <summary>
    /// The CSV of <paramref name="outputs"/> [n, classes]: header <c>image,class_1,probability_1,…,class_K,probability_K</c>,
    /// then per image its <paramref name="top"/> classes by decreasing probability (ties: the lower class first). Outputs
    /// that are not <paramref name="probabilities"/> (a model not ending in Softmax) go through a softmax first.
    /// </summary>
    public static string Csv(ReadOnlySpan<float> outputs, int n, int classes, int top, bool probabilities)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder("image");
        for (int k = 1; k <= top; k++) text.Append(c, $",class_{k},probability_{k}");
        text.Append('\n');
        var p = new double[classes];
        var order = new int[classes];
        for (int i = 0; i < n; i++)
        {
            var row = outputs.Slice(i * classes, classes);
            double max = double.NegativeInfinity, sum = 0;
            for (int k = 0; k < classes; k++) max = Math.Max(max, row[k]);
            for (int k = 0; k < classes; k++) { p[k] = probabilities ? row[k] : Math.Exp(row[k] - max); sum += p[k]; order[k] = k; }
            if (!probabilities) for (int k = 0; k < classes; k++) p[k] /= sum;
            Array.Sort(order, (a, b) => p[b].CompareTo(p[a]) is var d && d != 0 ? d : a.CompareTo(b));
            text.Append(i.ToString(c));
            for (int k = 0; k < top; k++) text.Append(',').Append(order[k].ToString(c)).Append(',').Append(p[order[k]].ToString("F6", c));
            text.Append('\n');
        }
        return text.ToString();
    }
}
