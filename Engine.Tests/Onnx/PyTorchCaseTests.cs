using Engine.Onnx;

namespace Engine.Tests.Onnx;

/// <summary>
/// Every PyTorch-made ONNX backend case (opset 6, IR 3) imported and run against PyTorch's stored output, or — where the engine
/// lacks the operator or the attribute — refused with the one error naming the file, the node, the operator and the attribute.
/// </summary>
public class PyTorchCaseTests
{
    /// <summary>
    /// Cases the engine cannot run yet, with the words their refusal must hold. BatchNorm2d_eval: no batch normalisation layer
    /// until BatchNorm2D lands (then: import BatchNormalization and move the case to the passing ones). MaxPool2d: pads 1 on
    /// every side, which MaxPool2D takes once it has padding.
    /// </summary>
    private static readonly Dictionary<string, string[]> Refused = new()
    {
        ["test_BatchNorm2d_eval"] = ["node 0 (BatchNormalization)", "batch normalisation"],
        ["test_MaxPool2d"] = ["node 0 (MaxPool)", "attribute pads = [1, 1, 1, 1]", "does not pad"],
    };

    private static IEnumerable<string> Cases => OnnxTestCases.Names;

    [TestCaseSource(nameof(Cases))]
    public void CaseMatchesPyTorchOrIsRefusedByName(string name)
    {
        var (model, inputDims, input, outputDims, expected) = OnnxTestCases.Load(name);
        if (Refused.TryGetValue(name, out var words))
        {
            var e = Assert.Throws<OnnxFormatException>(() => OnnxImport.Load(model))!;
            Assert.That(e.Message, Does.StartWith(model));
            foreach (string w in words) Assert.That(e.Message, Does.Contain(w));
            return;
        }
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
