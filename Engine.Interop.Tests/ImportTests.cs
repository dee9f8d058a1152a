using Engine.Onnx;
using Engine.Tests.Onnx;
using Engine.Training;

namespace Engine.Interop.Tests;

/// <summary>
/// Models imported from ONNX and exported again: the same file, the same bits, ONNX Runtime agreeing, and training going on
/// from the imported weights.
/// </summary>
public class ImportTests
{
    private static IEnumerable<TestCaseData> Zoo =>
        ModelZoo.Names.SelectMany(name => new[] { new TestCaseData(name, false).SetName(name), new TestCaseData(name, true).SetName($"{name} trained, inputs normalised") });

    [TestCaseSource(nameof(Zoo))]
    public void ImportThenExportGivesTheSameFileAndTheSameBits(string name, bool trained)
    {
        var shape = ModelZoo.InputShape(name);
        var net = trained ? ExportTests.Trained(name, seed: 5) : ModelZoo.Build(name, shape, seed: 5);
        byte[] exported = net.ToOnnx();
        var imported = OnnxImport.FromBytes(exported, name + ".onnx");
        Assert.Multiple(() =>
        {
            Assert.That(imported.InputShape, Is.EqualTo(net.InputShape));
            Assert.That(imported.Layers.Select(l => l.ToString()), Is.EqualTo(net.Layers.Select(l => l.ToString())));
            Assert.That(imported.GetParameters(), Is.EqualTo(net.GetParameters()).AsCollection);
            Assert.That(imported.State.ToArray(), Is.EqualTo(net.State.ToArray()).AsCollection, "batch norm running statistics");
            Assert.That(imported.Normalization?.Mean, Is.EqualTo(net.Normalization?.Mean));
            Assert.That(imported.Normalization?.Std, Is.EqualTo(net.Normalization?.Std));
            Assert.That(imported.Leaves.OfType<Engine.Layers.BatchNorm>().Select(b => (b.Momentum, b.Epsilon)),
                Is.EqualTo(net.Leaves.OfType<Engine.Layers.BatchNorm>().Select(b => (b.Momentum, b.Epsilon))));
            Assert.That(imported.ToOnnx(), Is.EqualTo(exported), "export → import → export writes the same bytes");
        });
        var (input, dims) = ExportTests.RealImages(ExportTests.DatasetOf(shape), shape);
        int n = (int)dims[0];
        var ours = new float[n * 10];
        var again = new float[n * 10];
        net.Predict(input, ours, n);
        imported.Predict(input, again, n);
        Assert.That(again, Is.EqualTo(ours).AsCollection, "the imported network computes the same bits");
        OnnxRuntimeOracle.AssertClose(again, OnnxRuntimeOracle.Run(imported.ToOnnx(), input, dims), name);
    }

    private static IEnumerable<string> RunnableCases => OnnxTestCases.Names;

    /// <summary>
    /// Each PyTorch case the engine imports, exported again at opset 13, runs in ONNX Runtime to PyTorch's output — also for the
    /// opset-6 operators ONNX Runtime has no kernel for (AveragePool-1, Gemm-6, BatchNormalization-6) — and, where ONNX Runtime runs the original
    /// opset-6 file, that agrees too.
    /// </summary>
    [TestCaseSource(nameof(RunnableCases))]
    public void PyTorchCaseImportedAndExportedRunsInOnnxRuntime(string name)
    {
        var (model, inputDims, input, _, expected) = OnnxTestCases.Load(name);
        var net = OnnxImport.Load(model);
        var exported = OnnxRuntimeOracle.Run(net.ToOnnx(), input, inputDims);
        for (int i = 0; i < expected.Length; i++)
            Assert.That(exported[i], Is.EqualTo(expected[i]).Within(1e-5f), $"{name}, exported: element {i}");
        if (name is "test_AvgPool2d" or "test_Linear" or "test_BatchNorm2d_eval") return; // AveragePool-1, Gemm-6, BatchNormalization-6: no kernel in ONNX Runtime
        var original = OnnxRuntimeOracle.Run(File.ReadAllBytes(model), input, inputDims);
        var ours = new float[expected.Length];
        net.Predict(input, ours, (int)inputDims[0]);
        OnnxRuntimeOracle.AssertClose(ours, original, name + ", original file");
    }

    [Test]
    public void ImportedModelTrainsFurther()
    {
        var shape = ModelZoo.InputShape("lenet5");
        var source = ModelZoo.Build("lenet5", shape, seed: 9);
        var net = OnnxImport.FromBytes(source.ToOnnx(), "lenet5.onnx", seed: 9);
        var train = Engine.Tests.Helpers.TestData.Mnist().Train.Take(512);
        var before = net.GetParameters();
        double lossBefore = net.Evaluate(train).Loss;
        var history = net.Fit(train, null, new TrainingOptions { Epochs = 2, BatchSize = 32, Optimizer = new Engine.Optimizers.Adam(1e-3f) });
        double lossAfter = net.Evaluate(train).Loss;
        Assert.Multiple(() =>
        {
            Assert.That(history.Status, Is.EqualTo(TrainingStatus.Completed));
            Assert.That(lossAfter, Is.LessThan(lossBefore * 0.8), $"loss {lossBefore} → {lossAfter}");
            Assert.That(net.GetParameters(), Is.Not.EqualTo(before).AsCollection, "the weights changed");
        });
        var (input, dims) = ExportTests.RealImages("mnist", shape);
        ExportTests.AssertSameAsOnnxRuntime(net, input, dims, "fine-tuned lenet5");
    }
}
