using Engine.Onnx;

namespace Engine.Tests.Onnx;

/// <summary>
/// Every PyTorch-made ONNX backend case (opset 6, IR 3) imported and run against PyTorch's stored output: BatchNorm2d_eval as a
/// BatchNorm2D with PyTorch's running statistics, MaxPool2d (padding 1 on every side) as a padded MaxPool2D.
/// </summary>
public class PyTorchCaseTests
{
    private static IEnumerable<string> Cases => OnnxTestCases.Names;

    [TestCaseSource(nameof(Cases))]
    public void CaseMatchesPyTorch(string name)
    {
        var (model, inputDims, input, outputDims, expected) = OnnxTestCases.Load(name);
        var net = OnnxImport.Load(model);
        int batch = (int)inputDims[0];
        Assert.That(net.InputShape.WithBatch(batch).ToString(), Is.EqualTo(new Shape(inputDims.Select(d => (int)d).ToArray()).ToString()));
        Assert.That(net.OutputShape.WithBatch(batch).ToString(), Is.EqualTo(new Shape(outputDims.Select(d => (int)d).ToArray()).ToString()));
        var actual = new float[expected.Length];
        net.Predict(input, actual, batch);
        for (int i = 0; i < expected.Length; i++)
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-5f), $"{name}: element {i}");
    }
}
