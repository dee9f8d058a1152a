using System.Buffers.Binary;
using System.CommandLine;
using Engine;
using Engine.Data;

namespace Cnn.Tests;

/// <summary>A fresh temporary folder for each test, deleted afterwards.</summary>
public abstract class TempFolderTest
{
    /// <summary>The test's folder.</summary>
    protected string Folder { get; private set; } = "";

    [SetUp]
    public void CreateTempFolder()
    {
        Folder = Path.Combine(Path.GetTempPath(), $"cnn-{GetType().Name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Folder);
    }

    [TearDown]
    public void DeleteTempFolder()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }
}

/// <summary>A fresh temporary folder holding <see cref="Model"/>, a model trained on the synthetic data for each test.</summary>
public abstract class TrainedModelTest : TempFolderTest
{
    /// <summary>The trained model file (model.bin in the test's folder).</summary>
    protected string Model { get; private set; } = "";

    [SetUp]
    public void TrainAModel()
    {
        Model = Path.Combine(Folder, "model.bin");
        TestSupport.TrainSyntheticModel(Model);
    }

    /// <summary><c>cnn evaluate</c> with <paramref name="args"/> on the synthetic data.</summary>
    protected static (int Code, string Out, string Error) Evaluate(params string[] args) =>
        TestSupport.Run(EvaluateCommand.Create(TestSupport.SyntheticData), ["evaluate", .. args]);
}

/// <summary>Running the command line in process, and a tiny synthetic dataset for end-to-end runs.</summary>
internal static class TestSupport
{
    /// <summary>Runs <paramref name="run"/> with stdout and stderr captured.</summary>
    public static (int Code, string Out, string Error) Capture(Func<int> run)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        using var o = new StringWriter();
        using var e = new StringWriter();
        Console.SetOut(o);
        Console.SetError(e);
        try { return (run(), o.ToString(), e.ToString()); }
        finally { Console.SetOut(stdout); Console.SetError(stderr); }
    }

    /// <summary><c>cnn</c> with <paramref name="args"/>, through <see cref="Program.Main"/>.</summary>
    public static (int Code, string Out, string Error) RunMain(params string[] args) => Capture(() => Program.Main(args));

    /// <summary>A command tree built for the test (e.g. with a data seam) run with <paramref name="args"/>.</summary>
    public static (int Code, string Out, string Error) Run(Command command, params string[] args) =>
        Capture(() => new RootCommand("test") { command }.Parse(args).Invoke());

    /// <summary>Trains a small paper-mnist (2 filters, 3 epochs) on <see cref="Synthetic"/> with <c>cnn train</c> and saves it to <paramref name="path"/>.</summary>
    public static void TrainSyntheticModel(string path)
    {
        var (code, _, error) = Run(TrainCommand.Create(SyntheticData),
            "train", "--train-size", "60", "--val-size", "30", "--filters", "2", "--epochs", "3", "--batch-size", "10", "--save", path);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
    }

    /// <summary>The first <paramref name="count"/> images of <paramref name="images"/> (8×8, values in [0, 1]) as an IDX image file at <paramref name="path"/>.</summary>
    public static void WriteIdx(string path, Dataset images, int count)
    {
        var bytes = new byte[16 + count * 64];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x803);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), 8);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), 8);
        for (int i = 0; i < count * 64; i++) bytes[16 + i] = (byte)Math.Round(Math.Clamp(images.Images[i], 0, 1) * 255);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>The commands' data seam serving <see cref="Synthetic"/> from a folder named "synthetic".</summary>
    public static LoadedData SyntheticData(string dataset, string? dataDir) => new(Synthetic(), "/data/synthetic");

    /// <summary>8×8 images whose bright row is the label (rows 0..7) or column (labels 8, 9), plus deterministic noise:
    /// 60 training and 30 test images, 10 classes.</summary>
    public static TrainTestSplit Synthetic()
    {
        static Dataset Make(string name, int count, int seed)
        {
            var images = new float[count * 64];
            var labels = new int[count];
            uint state = (uint)seed * 2654435761u + 1;
            for (int i = 0; i < count; i++)
            {
                int label = i % 10;
                labels[i] = label;
                for (int p = 0; p < 64; p++)
                {
                    state = state * 1664525u + 1013904223u;
                    float noise = (state >> 8) / (float)(1 << 24) * 0.3f;
                    int row = p / 8, column = p % 8;
                    bool on = label < 8 ? row == label : column == (label == 8 ? 1 : 6);
                    images[i * 64 + p] = (on ? 0.7f : 0f) + noise;
                }
            }
            return new Dataset(name, images, labels, new Shape(1, 8, 8), 10);
        }
        return new TrainTestSplit(Make("synthetic/train", 60, 1), Make("synthetic/test", 30, 2));
    }
}
