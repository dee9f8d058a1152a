using Engine.Layers;
using Engine.Onnx.Protobuf;
using Engine.Training;
using static Engine.Onnx.Protobuf.AttributeProto;
using static Engine.Tests.Onnx.OnnxGraphs;

namespace Engine.Tests.Onnx;

/// <summary>Each imported operator becomes the layer it means, with the attribute defaults of its opset, checked against the
/// same network built directly (same bits); what the engine cannot express is refused naming the node, operator and attribute.</summary>
public class OperatorImportTests
{
    private static readonly float[] W = Random(4 * 3 * 3 * 2, 1), B = Random(4, 2);

    private static Network Direct(Shape input, Layer layer, float[] weights, float[] biases)
    {
        var net = new Network(input).Add(layer);
        net.SetParameters([.. weights, .. biases]);
        return net;
    }

    [TestCase("SAME_UPPER", 0, 1, 0, 1)]
    [TestCase("SAME_LOWER", 1, 0, 1, 0)]
    [TestCase("VALID", 0, 0, 0, 0)]
    public void ConvAutoPadBecomesExplicitPadding(string autoPad, int top, int bottom, int left, int right)
    {
        // 3×6×5 input, 3×2 kernel, stride 2: SAME totals one row and one column, put at the end (UPPER) or the start (LOWER).
        var bytes = Model([3, 6, 5], [Node("Conv", ["x", "w", "b"], ["y"], new AttributeProto { Name = "auto_pad", Type = AttributeType.String, S = autoPad }, IntList("strides", 2, 2))],
            [Floats("w", [4, 3, 3, 2], W), Floats("b", [4], B)]);
        var padding = autoPad == "VALID" ? Padding.Valid : Padding.Explicit(top, bottom, left, right);
        AssertSamePredictions(Direct(new Shape(3, 6, 5), new Conv2D(4, 3, 2, 2, 2, padding), W, B), Import(bytes));
    }

    [Test]
    public void ConvPadsAreTopLeftBottomRight()
    {
        var bytes = Model([3, 6, 5], [Node("Conv", ["x", "w"], ["y"], IntList("pads", 1, 0, 2, 3), IntList("kernel_shape", 3, 2))], [Floats("w", [4, 3, 3, 2], W)]);
        var net = Import(bytes);
        Assert.That(((Conv2D)net.Layers[0]).HasBias, Is.False, "a Conv without B is a Conv2D without bias");
        AssertSamePredictions(Direct(new Shape(3, 6, 5), new Conv2D(4, 3, 2, 1, 1, Padding.Explicit(1, 2, 0, 3), bias: false), W, []), net);
    }

    [TestCase("group", 3L, "attribute group = 3", TestName = "a grouped convolution")]
    [TestCase("dilations", null, "attribute dilations = [2, 1]", TestName = "a dilated convolution")]
    [TestCase("kernel_shape", null, "attribute kernel_shape = [3, 3]", TestName = "a kernel_shape unlike the weights'")]
    [TestCase("lowering", 1L, "\"lowering\" is not one the engine knows", TestName = "an unknown attribute")]
    public void ConvAttributesTheEngineLacksAreRefusedByName(string attribute, long? value, string words)
    {
        var a = value is long v ? Int(attribute, v) : IntList(attribute, attribute == "dilations" ? [2, 1] : [3, 3]);
        var bytes = Model([3, 6, 5], [new NodeProto { Name = "conv1", OpType = "Conv", Inputs = { "x", "w" }, Outputs = { "y" }, Attributes = { a } }], [Floats("w", [4, 3, 3, 2], W)]);
        Assert.That(Refusal(bytes), Does.Contain("node 0 \"conv1\" (Conv)").And.Contain(words));
    }

    [Test]
    public void GemmWithTransBIsDenseAndTransB0IsTransposedWithAlphaAndBeta()
    {
        var w = Random(5 * 4, 3); // [Units 5, Inputs 4]
        var b = Random(5, 4);
        var direct = Direct(new Shape(4), new Dense(5), w, b);
        AssertSamePredictions(direct, Import(Model([4], [Node("Gemm", ["x", "w", "b"], ["y"], Int("transB", 1))], [Floats("w", [5, 4], w), Floats("b", [5], b)])));

        var wt = new float[20]; // [4, 5]
        for (int u = 0; u < 5; u++) for (int i = 0; i < 4; i++) wt[i * 5 + u] = w[u * 4 + i];
        var scaled = Import(Model([4], [Node("Gemm", ["x", "w", "b"], ["y"], Float("alpha", 2f), Float("beta", 0.5f))], [Floats("w", [4, 5], wt), Floats("b", [1, 5], b)]));
        AssertSamePredictions(Direct(new Shape(4), new Dense(5), [.. w.Select(v => 2 * v)], [.. b.Select(v => 0.5f * v)]), scaled);
    }

    [Test]
    public void MatMulPlusAddIsOneDenseAndTransposedWeightsFold()
    {
        var w = Random(3 * 4, 5); // [Units 3, Inputs 4]: a Transpose gives MatMul's [4, 3]
        var b = Random(3, 6);
        var bytes = Model([4],
            [Node("Transpose", ["w"], ["wt"]), Node("MatMul", ["x", "wt"], ["h"]), Node("Identity", ["h"], ["h2"]), Node("Add", ["h2", "b"], ["y"])],
            [Floats("w", [3, 4], w), Floats("b", [1, 3], b)]);
        var net = Import(bytes);
        Assert.That(net.Layers.Select(l => l.Kind), Is.EqualTo(new[] { "Dense" }));
        AssertSamePredictions(Direct(new Shape(4), new Dense(3), w, b), net);
    }

    [Test]
    public void AddAfterAConvWithoutBiasIsItsPerChannelBias()
    {
        var bytes = Model([3, 6, 5], [Node("Conv", ["x", "w"], ["c"]), Node("Add", ["bias", "c"], ["y"])],
            [Floats("w", [4, 3, 3, 2], W), Floats("bias", [4, 1, 1], B)]);
        AssertSamePredictions(Direct(new Shape(3, 6, 5), new Conv2D(4, 3, 2, 1, 1, Padding.Valid), W, B), Import(bytes));
    }

    [TestCase("Relu", "the output of ReLU", TestName = "an Add after an activation")]
    [TestCase("Conv", "one value per channel", TestName = "an Add varying over the image")]
    public void AddsTheEngineCannotFoldAreRefused(string first, string words)
    {
        var nodes = first == "Relu" ? new[] { Node("Relu", ["x"], ["c"]), Node("Add", ["c", "k"], ["y"]) } : [Node("Conv", ["x", "w"], ["c"]), Node("Add", ["c", "k"], ["y"])];
        var k = first == "Relu" ? Floats("k", [1], [1f]) : Floats("k", [4, 4, 4], Random(64, 3));
        Assert.That(Refusal(Model([3, 6, 5], nodes, [Floats("w", [4, 3, 3, 2], W), k])), Does.Contain("node 1 (Add)").And.Contain(words));
    }

    [TestCase(new long[] { 0, -1 }, TestName = "Reshape [0, -1]")]
    [TestCase(new long[] { -1, 60 }, TestName = "Reshape [-1, 60]")]
    [TestCase(new long[] { 0, 3, 4, 5 }, TestName = "Reshape [0, 3, 4, 5] (no change)")]
    public void ReshapesThatKeepTheBatchAreFlattens(long[] shape)
    {
        var bytes = Model([3, 4, 5], [Node("Reshape", ["x", "s"], ["r"]), Node("Relu", ["r"], ["y"])], [Ints("s", shape)]);
        var net = Import(bytes);
        Assert.That(net.OutputShape, Is.EqualTo(shape.Length == 2 ? new Shape(60) : new Shape(3, 4, 5)));
    }

    [TestCase(new long[] { -1 }, TestName = "Reshape [-1] (mixes the batch in)")]
    [TestCase(new long[] { 0, 12, 5 }, TestName = "Reshape [0, 12, 5]")]
    [TestCase(new long[] { 0, 7, -1 }, TestName = "Reshape that does not divide")]
    public void ReshapesTheEngineCannotExpressAreRefused(long[] shape) =>
        Assert.That(Refusal(Model([3, 4, 5], [Node("Reshape", ["x", "s"], ["y"])], [Ints("s", shape)])), Does.Contain("node 0 (Reshape)").And.Contain("[N, features]"));

    [TestCase(13, null, true)]
    [TestCase(13, 1L, true)]
    [TestCase(11, null, true)]
    [TestCase(11, -1L, true)]
    [TestCase(13, 0L, false)]
    public void SoftmaxAxisFollowsTheOpset(int opset, long? axis, bool imports)
    {
        var node = axis is long a ? Node("Softmax", Int("axis", a)) : Node("Softmax");
        var bytes = Model([10], [node], opset: opset);
        if (imports) Assert.That(Import(bytes).Layers[0], Is.TypeOf<Engine.Layers.Softmax>());
        else Assert.That(Refusal(bytes), Does.Contain("attribute axis = 0"));
    }

    [Test]
    public void SoftmaxOverAnImageIsRefused() =>
        Assert.That(Refusal(Model([3, 4, 5], [Node("Softmax")], opset: 9)), Does.Contain("(Softmax)").And.Contain("[N, K]"));

    [Test]
    public void FlattenAtAnotherAxisIsRefused() =>
        Assert.That(Refusal(Model([3, 4, 5], [Node("Flatten", Int("axis", 2))])), Does.Contain("attribute axis = 2"));

    [Test]
    public void PoolingImportsWithDefaultsAndCeilModeWhenItChangesNothing()
    {
        var net = Import(Model([2, 7, 9], [Node("MaxPool", ["x"], ["m"], IntList("kernel_shape", 3, 3), IntList("strides", 2, 2), Int("ceil_mode", 1)),
            Node("AveragePool", ["m"], ["y"], IntList("kernel_shape", 1, 2))]));
        Assert.That(net.Layers.Select(l => l.ToString()), Is.EqualTo(new[] { "MaxPool2D(3×3, stride 2): 2×7×9 → 2×3×4", "AvgPool2D(1×2, stride 1×1): 2×3×4 → 2×3×3" }));
        Assert.That(Refusal(Model([2, 8, 8], [Node("MaxPool", IntList("kernel_shape", 3, 3), IntList("strides", 2, 2), Int("ceil_mode", 1))])),
            Does.Contain("attribute ceil_mode = 1").And.Contain("rounds the output size up"));
    }

    [Test]
    public void GlobalPoolsAreWholeImageWindows()
    {
        var net = Import(Model([3, 4, 5], [Node("GlobalAveragePool", ["x"], ["g"]), Node("GlobalMaxPool", ["g"], ["y"])]));
        Assert.That(net.Layers.Select(l => l.ToString()), Is.EqualTo(new[] { "AvgPool2D(4×5, stride 4×5): 3×4×5 → 3×1×1", "MaxPool2D(1×1, stride 1): 3×1×1 → 3×1×1" }));
    }

    [Test]
    public void LeakyReluTakesItsOpsetDefaultAndRefusesSlopesTheLayerLacks()
    {
        Assert.That(((LeakyReLU)Import(Model([6], [Node("LeakyRelu")])).Layers[0]).Slope, Is.EqualTo(0.01f));
        Assert.That(Refusal(Model([6], [Node("LeakyRelu", Float("alpha", 1.5f))])), Does.Contain("attribute alpha = 1.5"));
    }

    [Test]
    public void DropoutAndIdentityComputeNothingAndAConstantNodeIsAWeight()
    {
        var w = Random(12, 8);
        var bytes = Model([4],
            [Node("Constant", [], ["w"], new AttributeProto { Name = "value", Type = AttributeType.Tensor, T = Floats("", [3, 4], w) }),
             Node("Dropout", ["x"], ["d"], Float("ratio", 0.3f)), Node("Gemm", ["d", "w"], ["g"], Int("transB", 1)), Node("Identity", ["g"], ["y"])]);
        AssertSamePredictions(Direct(new Shape(4), new Dense(3), w, new float[3]), Import(bytes));
    }

    [TestCase("Mul", "an operator the engine cannot import")]
    [TestCase("Elu", "an operator the engine cannot import")]
    [TestCase("LSTM", "an operator the engine cannot import")]
    public void OperatorsTheEngineLacksAreRefusedByName(string op, string words) =>
        Assert.That(Refusal(Model([6], [new NodeProto { Name = "n", OpType = op, Inputs = { "x" }, Outputs = { "y" } }])),
            Does.Contain($"node 0 \"n\" ({op})").And.Contain(words));

    [Test]
    public void OperatorsOfAnotherDomainAreRefused() =>
        Assert.That(Refusal(Model([6], [new NodeProto { OpType = "Relu", Domain = "com.example", Inputs = { "x" }, Outputs = { "y" } }])), Does.Contain("\"com.example\""));

    [TestCase(5, "opset 5")]
    [TestCase(22, "opset 22")]
    public void OpsetsOutsideTheKnownRangeAreRefused(int opset, string words) =>
        Assert.That(Refusal(Model([6], [Node("Relu")], opset: opset)), Does.Contain(words));
}
