using System.Text;
using Engine;
using Engine.Layers;
using Engine.Onnx;
using Engine.Training;

namespace Cnn.Tests;

/// <summary><c>cnn export</c>, and <c>cnn evaluate</c> / <c>cnn predict</c> on the .onnx files it writes.</summary>
[NonParallelizable]
public class OnnxCommandTests : TrainedModelTest
{
    /// <summary>Exports the trained model to <paramref name="name"/> in the test folder through <c>cnn export</c>.</summary>
    private string Export(string name = "model.onnx")
    {
        string onnx = Path.Combine(Folder, name);
        var (code, output, error) = TestSupport.RunMain("export", Model, "--onnx", onnx);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output.Trim().Split('\n'), Has.Length.EqualTo(1), "one line says what was written");
        return onnx;
    }

    /// <summary>The error is one line, and the folder holds exactly <paramref name="files"/> (no partial or temporary file).</summary>
    private void AssertOneLineAndOnly(string error, params string[] files)
    {
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1), error);
        Assert.That(Directory.GetFiles(Folder, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order(),
            Is.EqualTo(files.Order()), "nothing is left behind");
    }

    [Test]
    public void ExportWritesAnOnnxModelAndSaysWhat()
    {
        string onnx = Path.Combine(Folder, "model.onnx");
        var (code, output, error) = TestSupport.RunMain("export", Model, "--onnx", onnx);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        long bytes = new FileInfo(onnx).Length;
        var net = Network.Load(Model);
        Assert.That(output.Trim(), Is.EqualTo($"wrote {onnx}: ONNX opset 13 (IR 7), {bytes} bytes, {net.ParameterCount} parameters, input N×1×8×8, output N×10"));
        Assert.That(File.ReadAllBytes(onnx), Is.EqualTo(net.ToOnnx()), "the file is SaveOnnx's");
        Assert.That(Network.LoadOnnx(onnx).GetParameters(), Is.EqualTo(net.GetParameters()));
        AssertOneLineAndOnly(output, "model.bin", "model.onnx");
    }

    [Test]
    public void EvaluatingTheOnnxModelGivesTheModelFilesAccuracy()
    {
        string onnx = Export();
        var (code, fromFile, error) = Evaluate(Model, "--dataset", "mnist", "--out", Path.Combine(Folder, "a"));
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        (code, var fromOnnx, error) = Evaluate(onnx, "--dataset", "mnist", "--out", Path.Combine(Folder, "b"));
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);

        var test = TestSupport.Synthetic().Test;
        var expected = Network.Load(Model).Evaluate(test);
        var imported = Network.LoadOnnx(onnx).Evaluate(test);
        Assert.That(imported.Accuracy, Is.EqualTo(expected.Accuracy));
        Assert.That(imported.Loss, Is.EqualTo(expected.Loss).Within(1e-6));
        string line = $"accuracy={expected.Accuracy:F4} loss={expected.Loss:F4} images=30";
        Assert.That(fromOnnx, Does.Contain($"evaluate: {onnx} (").And.Contain(line));
        Assert.That(fromFile, Does.Contain(line));
        Assert.That(ReportAfterHeader(fromOnnx), Is.EqualTo(ReportAfterHeader(fromFile)), "the same tables and confusion matrix");
        Assert.That(File.ReadAllText(Path.Combine(Folder, "b", EvaluateCommand.CsvName)), Is.EqualTo(File.ReadAllText(Path.Combine(Folder, "a", EvaluateCommand.CsvName))));

        static string ReportAfterHeader(string output) =>
            string.Join('\n', output.Split('\n').Skip(1).Where(l => !l.StartsWith("wrote ", StringComparison.Ordinal)));
    }

    [Test]
    public void PredictingWithTheOnnxModelGivesTheModelFilesCsv()
    {
        string onnx = Export();
        string idx = Path.Combine(Folder, "images-idx3-ubyte");
        TestSupport.WriteIdx(idx, TestSupport.Synthetic().Test, 7);
        var (code, fromFile, error) = TestSupport.RunMain("predict", Model, "--input", idx, "--top", "3");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        (code, var fromOnnx, error) = TestSupport.RunMain("predict", onnx, "--input", idx, "--top", "3");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(fromOnnx.Trim().Split('\n'), Has.Length.EqualTo(8));
        Assert.That(fromOnnx, Is.EqualTo(fromFile));
        Assert.That(ModelSource.IsOnnx("M.ONNX") && !ModelSource.IsOnnx("m.bin"), "the format is chosen by the extension, in any case");
    }

    [Test]
    public void ExportRefusesAMissingOrInvalidModelFile()
    {
        string onnx = Path.Combine(Folder, "out.onnx");
        var (code, _, error) = TestSupport.RunMain("export", Path.Combine(Folder, "missing.bin"), "--onnx", onnx);
        Assert.That(code, Is.EqualTo(ExitCodes.Data));
        Assert.That(error, Does.StartWith("error: ").And.Contain("missing.bin"));
        AssertOneLineAndOnly(error, "model.bin");

        string bad = Path.Combine(Folder, "bad.bin");
        File.WriteAllBytes(bad, Encoding.ASCII.GetBytes("not a model at all"));
        (code, _, error) = TestSupport.RunMain("export", bad, "--onnx", onnx);
        Assert.That(code, Is.EqualTo(ExitCodes.Data));
        Assert.That(error, Does.Contain("bad.bin"));
        AssertOneLineAndOnly(error, "model.bin", "bad.bin");

        (code, _, error) = TestSupport.RunMain("export", bad, "--onnx", Path.Combine(Folder, "new", "out.onnx"));
        Assert.That(code, Is.EqualTo(ExitCodes.Data));
        Assert.That(Directory.Exists(Path.Combine(Folder, "new")), Is.False, "the model is read before the output's folder is made");

        (code, _, error) = TestSupport.RunMain("export", Folder, "--onnx", onnx);
        Assert.That(code, Is.EqualTo(ExitCodes.Data));
        Assert.That(error, Does.Contain("is a directory"));
        AssertOneLineAndOnly(error, "model.bin", "bad.bin");
    }

    [Test]
    public void ExportRefusesAnOutputItCannotWrite()
    {
        File.WriteAllText(Path.Combine(Folder, "file"), "x");
        var (code, _, error) = TestSupport.RunMain("export", Model, "--onnx", Path.Combine(Folder, "file", "sub", "m.onnx"));
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain("--onnx").And.Contain("cannot be created"));
        AssertOneLineAndOnly(error, "model.bin", "file");

        Directory.CreateDirectory(Path.Combine(Folder, "dir.onnx"));
        (code, _, error) = TestSupport.RunMain("export", Model, "--onnx", Path.Combine(Folder, "dir.onnx"));
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain("is a folder"));
        AssertOneLineAndOnly(error, "model.bin", "file");

        (code, _, error) = TestSupport.RunMain("export", Model, "--onnx", Path.Combine(Folder, "model.bin2"));
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain("ending in .onnx"));
        AssertOneLineAndOnly(error, "model.bin", "file");

        (code, _, error) = TestSupport.RunMain("export", Model);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain("--onnx"));
        AssertOneLineAndOnly(error, "model.bin", "file");
    }

    [Test]
    public void ExportCreatesTheOutputFolderLikeEveryOutputPath()
    {
        string onnx = Export(Path.Combine("new", "deeper", "m.onnx"));
        Assert.That(File.Exists(onnx));
        AssertOneLineAndOnly("", "model.bin", "m.onnx");
    }

    [Test]
    public void ExportRefusesANetworkOnnxCannotExpressNamingTheLayer()
    {
        var net = new Network(new Shape(1, 8, 8), seed: 1).Add(new Doubling()).Add(new Flatten()).Add(new Dense(10)).Add(new Softmax());
        string onnx = Path.Combine(Folder, "custom.onnx");
        var (code, _, error) = TestSupport.Run(ExportCommand.Create(_ => net), "export", "custom.bin", "--onnx", onnx);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.StartWith("error: custom.bin cannot be exported to ONNX: ").And.Contain(nameof(Doubling)));
        AssertOneLineAndOnly(error, "model.bin");
    }

    [Test]
    public void EvaluateAndPredictRefuseAnOnnxModelOfAnotherShapeNamingTheFileAndBothShapes()
    {
        string onnx = Export();
        var cifar = new Engine.Data.Dataset("c", new float[2 * 3072], [0, 1], new Shape(3, 32, 32), 10);
        var (code, _, error) = TestSupport.Run(EvaluateCommand.Create((_, _) => new LoadedData(new Engine.Data.TrainTestSplit(cifar, cifar), "/data/c")),
            "evaluate", onnx, "--dataset", "cifar10", "--out", Path.Combine(Folder, "eval"));
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error.Trim(), Is.EqualTo($"error: {onnx} takes images of 1×8×8, but cifar10 has 3×32×32."));

        string batch = Path.Combine(Folder, "batch.bin");
        File.WriteAllBytes(batch, new byte[3073 * 2]);
        (code, _, error) = TestSupport.RunMain("predict", onnx, "--input", batch);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error.Trim(), Is.EqualTo($"error: --input {batch}: images of 3×32×32, but the model takes 1×8×8 ({onnx})."));
    }

    [Test]
    public void AnOnnxModelTheEngineCannotImportIsOneLineNamingTheFileAndTheNode()
    {
        // The exported file with its Flatten node's operator renamed (same length, so the protobuf stays well formed).
        byte[] bytes = Network.Load(Model).ToOnnx();
        int at = IndexOf(bytes, "Flatten"u8);
        Assert.That(at, Is.GreaterThan(0));
        bytes[at + 6] = (byte)'X';
        string onnx = Path.Combine(Folder, "odd.onnx");
        File.WriteAllBytes(onnx, bytes);
        string idx = Path.Combine(Folder, "images-idx3-ubyte");
        TestSupport.WriteIdx(idx, TestSupport.Synthetic().Test, 2);

        var (code, _, error) = Evaluate(onnx, "--dataset", "mnist", "--out", Path.Combine(Folder, "eval"));
        Assert.That(code, Is.EqualTo(ExitCodes.Data));
        Assert.That(error, Does.StartWith($"error: {onnx}: ").And.Contain("FlatteX").And.Contain("flatten"));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
        (code, _, var predictError) = TestSupport.RunMain("predict", onnx, "--input", idx);
        Assert.That(code, Is.EqualTo(ExitCodes.Data));
        Assert.That(predictError, Is.EqualTo(error));

        File.WriteAllBytes(onnx, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        (code, _, error) = TestSupport.RunMain("predict", onnx, "--input", idx);
        Assert.That(code, Is.EqualTo(ExitCodes.Data), "a truncated file");
        Assert.That(error, Does.StartWith($"error: {onnx}: "));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle);

    /// <summary>A layer outside the engine (y = 2x), which ONNX export does not know.</summary>
    private sealed class Doubling : Layer
    {
        protected override Shape InferOutputShape(Shape input) => input;

        protected override void OnForward(ReadOnlySpan<float> x, Span<float> y, int batch, in LayerContext context)
        {
            for (int i = 0; i < x.Length; i++) y[i] = 2 * x[i];
        }

        protected override void OnBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch, in LayerContext context)
        {
            for (int i = 0; i < dx.Length; i++) dx[i] = 2 * dy[i];
        }
    }
}
