using Engine.Layers;
using Engine.Onnx.Import;
using Engine.Onnx.Protobuf;
using Engine.Training;
using static Engine.Onnx.Protobuf.AttributeProto;
using static Engine.Tests.Onnx.OnnxGraphs;

namespace Engine.Tests.Onnx;

/// <summary>
/// The operators of the second wave's layers imported: BatchNormalization, Tanh, padded MaxPool, GlobalAveragePool + Flatten,
/// Dropout, Conv without bias, and Sub / Div on the input — each checked against the same network built directly (same bits),
/// with what the engine cannot express refused naming the node, the operator and the attribute.
/// </summary>
public class LayerImportTests
{
    private static readonly float[] Scale = Random(4, 1), Shift = Random(4, 2), Mean = Random(4, 3), Variance = Positive(4, 4);

    private static TensorProto[] Statistics(int channels = 4) =>
        [Floats("s", [channels], Scale[..channels]), Floats("b", [channels], Shift[..channels]), Floats("m", [channels], Mean[..channels]), Floats("v", [channels], Variance[..channels])];

    private static NodeProto BatchNormalization(params AttributeProto[] attributes) => Node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], attributes);

    [TestCase(15)]
    [TestCase(9)]
    [TestCase(7)]
    public void BatchNormalizationIsABatchNorm2DWithItsStatistics(int opset)
    {
        var net = Import(Model([4, 3, 5], [BatchNormalization(Float("epsilon", 1e-3f), Float("momentum", 0.8f))], Statistics(), opset: opset));
        var norm = (BatchNorm2D)net.Layers[0];
        Assert.That((norm.Momentum, norm.Epsilon), Is.EqualTo((0.2f, 1e-3f)), "the engine's momentum is 1 − ONNX's");
        Assert.That(net.State.ToArray(), Is.EqualTo(Mean.Concat(Variance)).AsCollection);
        AssertSamePredictions(Built(new Shape(4, 3, 5), [new BatchNorm2D(0.2f, 1e-3f)], [.. Scale, .. Shift], [.. Mean, .. Variance]), net);
    }

    [Test]
    public void BatchNormalizationOverFeaturesIsABatchNorm1DWithTheDefaults()
    {
        var net = Import(Model([4], [BatchNormalization()], Statistics()));
        Assert.That(net.Layers[0].ToString(), Is.EqualTo("BatchNorm1D: 4 → 4"), "ONNX's defaults (momentum 0.9, epsilon 1e-5) are the engine's");
        AssertSamePredictions(Built(new Shape(4), [new BatchNorm1D()], [.. Scale, .. Shift], [.. Mean, .. Variance]), net);
    }

    [Test]
    public void BatchNormalizationOfOpset6NeedsIsTest()
    {
        Assert.That(Import(Model([4, 2, 2], [BatchNormalization(Int("is_test", 1))], Statistics(), opset: 6)).Layers[0], Is.TypeOf<BatchNorm2D>());
        Assert.That(Refusal(Model([4, 2, 2], [BatchNormalization()], Statistics(), opset: 6)), Does.Contain("node 0 (BatchNormalization): attribute is_test").And.Contain("training mode"));
    }

    [TestCase(15, "training_mode", 1L, "attribute training_mode = 1", TestName = "BatchNormalization in training mode")]
    [TestCase(7, "spatial", 0L, "attribute spatial = 0", TestName = "BatchNormalization per value (spatial 0)")]
    [TestCase(15, "epsilon", null, "attribute epsilon = 0", TestName = "BatchNormalization with epsilon 0")]
    [TestCase(15, "momentum", null, "attribute momentum = 1", TestName = "BatchNormalization with momentum 1")]
    public void BatchNormalizationAttributesTheEngineLacksAreRefused(int opset, string attribute, long? value, string words)
    {
        var a = value is long v ? Int(attribute, v) : Float(attribute, attribute == "epsilon" ? 0f : 1f);
        Assert.That(Refusal(Model([4, 2, 2], [BatchNormalization(a)], Statistics(), opset: opset)), Does.Contain("node 0 (BatchNormalization)").And.Contain(words));
    }

    [Test]
    public void BatchNormalizationOfOtherShapesOrStatisticsIsRefused()
    {
        Assert.That(Refusal(Model([4, 5], [BatchNormalization()], Statistics())), Does.Contain("normalises a value of shape [N, 4, 5]"));
        Assert.That(Refusal(Model([3, 2, 2], [BatchNormalization()], Statistics())), Does.Contain("has a scale of shape [4]; it needs [3]"));
        var withStatistics = Node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "runningMean"]);
        Assert.That(Refusal(Model([4, 2, 2], [withStatistics, Node("Relu", ["runningMean"], ["z"])], Statistics(), output: "z")), Does.Contain("extra output \"runningMean\""));
    }

    [Test]
    public void TanhIsATanhLayer()
    {
        var net = Import(Model([3, 4], [Node("Tanh")]));
        Assert.That(net.Layers[0], Is.TypeOf<Tanh>());
        AssertSamePredictions(Built(new Shape(3, 4), [new Tanh()], []), net);
    }

    [Test]
    public void MaxPoolWithSymmetricPadsIsAPaddedMaxPool2D()
    {
        var net = Import(Model([2, 7, 6], [Node("MaxPool", IntList("kernel_shape", 3, 2), IntList("strides", 2, 1), IntList("pads", 1, 1, 1, 1))]));
        Assert.That(net.Layers[0].ToString(), Is.EqualTo("MaxPool2D(3×2, stride 2×1, padding 1): 2×7×6 → 2×4×7"));
        AssertSamePredictions(Built(new Shape(2, 7, 6), [new MaxPool2D(3, 2, 2, 1, 1, 1)], []), net);
    }

    [TestCase(new long[] { 1, 0, 0, 0 }, "pads the input by (1, 0, 0, 0)", TestName = "MaxPool padded on one side")]
    [TestCase(new long[] { 2, 0, 2, 0 }, "by at most half the window", TestName = "MaxPool padded by more than half its window")]
    public void MaxPoolPadsTheEngineCannotExpressAreRefused(long[] pads, string words) =>
        Assert.That(Refusal(Model([2, 7, 6], [Node("MaxPool", IntList("kernel_shape", 3, 3), IntList("pads", pads))])),
            Does.Contain($"node 0 (MaxPool): attribute pads = {NodeScope.Dims(pads)}").And.Contain(words).And.Contain("pads symmetrically"));

    [Test]
    public void AveragePoolWithPadsIsStillRefused() =>
        Assert.That(Refusal(Model([2, 7, 6], [Node("AveragePool", IntList("kernel_shape", 3, 3), IntList("pads", 1, 1, 1, 1))])),
            Does.Contain("attribute pads = [1, 1, 1, 1]").And.Contain("the engine's AvgPool2D does not pad"));

    [TestCase("Flatten", TestName = "GlobalAveragePool then Flatten")]
    [TestCase("Reshape", TestName = "GlobalAveragePool then Reshape [0, -1]")]
    public void GlobalAveragePoolThenFlattenIsOneGlobalAvgPool2D(string flatten)
    {
        var second = flatten == "Flatten" ? Node("Flatten", ["g"], ["y"]) : Node("Reshape", ["g", "shape"], ["y"]);
        var net = Import(Model([3, 4, 5], [Node("GlobalAveragePool", ["x"], ["g"]), second], [Ints("shape", 0, -1)]));
        Assert.That(net.Layers.Select(l => l.ToString()), Is.EqualTo(new[] { "GlobalAvgPool2D: 3×4×5 → 3" }));
        AssertSamePredictions(Built(new Shape(3, 4, 5), [new GlobalAvgPool2D()], []), net);
    }

    [Test]
    public void GlobalAveragePoolWithANodeBeforeTheFlattenStaysAPool() =>
        Assert.That(Import(Model([3, 4, 5], [Node("GlobalAveragePool", ["x"], ["g"]), Node("Relu", ["g"], ["r"]), Node("Flatten", ["r"], ["y"])])).Layers.Select(l => l.Kind),
            Is.EqualTo(new[] { "AvgPool2D", "ReLU", "Flatten" }));

    [TestCase(13, TestName = "Dropout-13: ratio input")]
    [TestCase(10, TestName = "Dropout-10: ratio attribute")]
    public void DropoutIsADropoutLayerOfItsRatio(int opset)
    {
        var node = opset >= 12 ? Node("Dropout", ["x", "r"], ["y"]) : Node("Dropout", Float("ratio", 0.3f));
        var net = Import(Model([5], [node], opset >= 12 ? [Floats("r", [], [0.3f])] : null, opset: opset));
        Assert.That(((Dropout)net.Layers[0]).Rate, Is.EqualTo(0.3f));
        Assert.That(((Dropout)Import(Model([5], [Node("Dropout")])).Layers[0]).Rate, Is.EqualTo(0.5f), "ONNX's default ratio");
        AssertSamePredictions(Built(new Shape(5), [new Dropout(0.3f)], []), net);
    }

    [Test]
    public void DropoutOfRatioOneIsRefused() =>
        Assert.That(Refusal(Model([5], [Node("Dropout", ["x", "r"], ["y"])], [Floats("r", [], [1f])])), Does.Contain("(Dropout): drops values with ratio 1"));

    [Test]
    public void DropoutBetweenADenseAndItsAddStillTakesTheBias()
    {
        var w = Random(3 * 5, 6);
        var b = Random(3, 7);
        var net = Import(Model([5], [Node("Gemm", ["x", "w"], ["g"], Int("transB", 1)), Node("Dropout", ["g"], ["d"]), Node("Add", ["d", "b"], ["y"])],
            [Floats("w", [3, 5], w), Floats("b", [3], b)]));
        Assert.That(net.Layers.Select(l => l.Kind), Is.EqualTo(new[] { "Dense", "Dropout" }));
        AssertSamePredictions(Built(new Shape(5), [new Dense(3), new Dropout()], [.. w, .. b]), net);
    }

    [TestCase(new long[] { 3, 1, 1 }, TestName = "Sub and Div of [C, 1, 1]")]
    [TestCase(new long[] { 1, 3, 1, 1 }, TestName = "Sub and Div of [1, C, 1, 1]")]
    public void SubAndDivOnTheInputAreItsNormalisation(long[] dims)
    {
        var mean = Random(3, 8);
        var std = Positive(3, 9);
        var w = Random(2 * 3 * 2 * 2, 10);
        var net = Import(Model([3, 4, 4], [Node("Sub", ["x", "mean"], ["s"]), Node("Div", ["s", "std"], ["n"]), Node("Conv", ["n", "w"], ["y"])],
            [Floats("mean", dims, mean), Floats("std", dims, std), Floats("w", [2, 3, 2, 2], w)]));
        Assert.That(net.Normalization!.Mean, Is.EqualTo(mean));
        Assert.That(net.Normalization.Std, Is.EqualTo(std));
        var direct = Built(new Shape(3, 4, 4), [new Conv2D(2, 2, bias: false)], w);
        direct.Normalization = new InputNormalization(mean, std);
        AssertSamePredictions(direct, net);
    }

    [Test]
    public void ASubOrADivAloneIsANormalisationToo()
    {
        var sub = Import(Model([2, 3, 3], [Node("Sub", ["x", "k"], ["s"]), Node("Relu", ["s"], ["y"])], [Floats("k", [], [0.25f])]));
        Assert.That((sub.Normalization!.Mean, sub.Normalization.Std), Is.EqualTo((new[] { 0.25f, 0.25f }, new[] { 1f, 1f })));
        var div = Import(Model([2, 3, 3], [Node("Div", ["x", "k"], ["s"]), Node("Relu", ["s"], ["y"])], [Floats("k", [2, 1, 1], [2f, 4f])]));
        Assert.That((div.Normalization!.Mean, div.Normalization.Std), Is.EqualTo((new[] { 0f, 0f }, new[] { 2f, 4f })));
    }

    [TestCase("after a layer", "(the output of ReLU); the engine takes Sub and Div of constants only on the graph's input")]
    [TestCase("varying over the image", "the engine's input normalisation holds one value per channel")]
    [TestCase("constant first", "subtracts the input from a constant (c − x)")]
    [TestCase("by zero", "divides the input by 0")]
    [TestCase("twice", "subtracts a second constant from the input")]
    [TestCase("Div then Sub", "after a Div")]
    [TestCase("of a vector", "per channel of [N, C, H, W] images")]
    public void SubAndDivTheEngineCannotExpressAreRefused(string what, string words)
    {
        int[] sample = what == "of a vector" ? [6] : [2, 3, 3];
        var k = Floats("k", [2, 1, 1], [1f, 2f]);
        NodeProto[] nodes = what switch
        {
            "after a layer" => [Node("Relu", ["x"], ["r"]), Node("Sub", ["r", "k"], ["y"])],
            "varying over the image" => [Node("Sub", ["x", "wide"], ["y"])],
            "constant first" => [Node("Sub", ["k", "x"], ["y"])],
            "by zero" => [Node("Div", ["x", "zero"], ["y"])],
            "twice" => [Node("Sub", ["x", "k"], ["s"]), Node("Sub", ["s", "k"], ["y"])],
            "Div then Sub" => [Node("Div", ["x", "k"], ["s"]), Node("Sub", ["s", "k"], ["y"])],
            _ => [Node("Sub", ["x", "one"], ["y"])],
        };
        var constants = new[] { k, Floats("wide", [1, 3], [1f, 2f, 3f]), Floats("zero", [], [0f]), Floats("one", [], [1f]) };
        Assert.That(Refusal(Model(sample, nodes, constants)), Does.Contain(words));
    }
}
