using Engine.Data;
using Engine.Layers;
using Engine.Onnx;
using Engine.Onnx.Protobuf;
using Engine.Training;

namespace Engine.Tests.Onnx;

/// <summary>
/// The nodes the second wave's layers export to, read back from the file: batch norms with their statistics and ONNX's momentum,
/// Conv without bias, padded MaxPool, GlobalAveragePool + Flatten, Dropout's ratio, Tanh, the input normalisation as Sub / Div,
/// residual blocks as their branches and an Add; and export → import giving the same network, bit for bit.
/// </summary>
public class LayerExportTests
{
    /// <summary>Every second-wave layer, nested blocks with both shortcuts, normalised input, trained a step so statistics move
    /// (explicit padding: Same exports resolved, so it would import as explicit amounts).</summary>
    private static Network EveryLayer()
    {
        var net = new Network(new Shape(2, 7, 6), seed: 3)
            .Add(new Conv2D(4, 3, padding: Padding.Explicit(1), bias: false)).Add(new BatchNorm2D(momentum: 0.2f, epsilon: 1e-4f)).Add(new Tanh())
            .Add(new MaxPool2D(3, 2, 1))
            .Add(new Residual(new Conv2D(4, 3, padding: Padding.Explicit(1), bias: false), new BatchNorm2D(), new Residual(new ReLU())))
            .Add(new Residual(new Conv2D(6, 3, 2, Padding.Explicit(1), bias: false), new BatchNorm2D())).Add(new ReLU())
            .Add(new Dropout(0.25f)).Add(new GlobalAvgPool2D()).Add(new Dense(5)).Add(new BatchNorm1D()).Add(new Dense(3)).Add(new Softmax());
        var random = new Random(2);
        var images = Enumerable.Range(0, 24 * net.InputShape.Size).Select(_ => (float)random.NextDouble()).ToArray();
        net.Fit(new Dataset("random", images, Enumerable.Range(0, 24).Select(i => i % 3).ToArray(), net.InputShape, 3), null,
            new TrainingOptions { Epochs = 1, BatchSize = 8, NormalizeInputs = true });
        return net;
    }

    private static GraphProto Graph(Network net)
    {
        var bytes = net.ToOnnx();
        return ModelProto.Parse(bytes, new DecodeLimits("exported.onnx", bytes.Length)).Graph!;
    }

    [Test]
    public void EveryLayerBecomesItsNodes()
    {
        var graph = Graph(EveryLayer());
        Assert.That(graph.Nodes.Select(n => $"{n.Name}:{n.OpType}"), Is.EqualTo(new[]
        {
            "normalize:Sub", "normalize_2:Div",
            "layer1_conv:Conv", "layer2_batchnorm:BatchNormalization", "layer3_tanh:Tanh", "layer4_maxpool:MaxPool",
            "layer5_1_conv:Conv", "layer5_2_batchnorm:BatchNormalization", "layer5_3_1_relu:Relu", "layer5_3_add:Add", "layer5_add:Add",
            "layer6_1_conv:Conv", "layer6_2_batchnorm:BatchNormalization", "layer6_s1_conv:Conv", "layer6_s2_batchnorm:BatchNormalization", "layer6_add:Add",
            "layer7_relu:Relu", "layer8_dropout:Dropout", "layer9_globalavgpool:GlobalAveragePool", "layer9_globalavgpool_2:Flatten",
            "layer10_dense:Gemm", "layer11_batchnorm:BatchNormalization", "layer12_dense:Gemm", "layer13_softmax:Softmax",
        }));
        NodeProto Named(string name) => graph.Nodes.Single(n => n.Name == name);
        Assert.Multiple(() =>
        {
            Assert.That(Named("layer1_conv").Inputs, Is.EqualTo(new[] { "normalize_2", "layer1_conv.weight" }), "a Conv without bias has no B");
            Assert.That(Named("layer5_3_add").Inputs, Is.EqualTo(new[] { "layer5_3_1_relu", "layer5_2_batchnorm" }), "identity: the block's input");
            Assert.That(Named("layer5_add").Inputs, Is.EqualTo(new[] { "layer5_3_add", "layer4_maxpool" }));
            Assert.That(Named("layer6_s1_conv").Inputs[0], Is.EqualTo("layer5_add"), "the projection reads the block's input");
            Assert.That(Named("layer6_add").Inputs, Is.EqualTo(new[] { "layer6_2_batchnorm", "layer6_s2_batchnorm" }));
            Assert.That(Named("layer4_maxpool").Attributes.Single(a => a.Name == "pads").Ints, Is.EqualTo(new long[] { 1, 1, 1, 1 }));
            Assert.That(Named("layer13_softmax").Outputs, Is.EqualTo(new[] { "output" }));
            Assert.That(graph.ValueInfo.Select(v => v.Name), Does.Not.Contain("output").And.Contain("layer6_add"));
        });
    }

    [Test]
    public void ABatchNormWritesItsStatisticsAndOnnxsMomentum()
    {
        var net = EveryLayer();
        var graph = Graph(net);
        var node = graph.Nodes.Single(n => n.Name == "layer2_batchnorm");
        var norm = (BatchNorm2D)net.Layers[1];
        Assert.That(node.Attributes.Select(a => (a.Name, a.F)), Is.EqualTo(new[] { ("epsilon", 1e-4f), ("momentum", 0.8f) }), "ONNX's momentum is 1 − the engine's");
        float[] Values(string suffix) => graph.Initializers.Single(t => t.Name == "layer2_batchnorm." + suffix).Floats!;
        int weights = net.Leaves.Sum(l => l.WeightCount);
        var parameters = net.GetParameters();
        Assert.That(node.Inputs.Skip(1), Is.EqualTo(new[] { "layer2_batchnorm.scale", "layer2_batchnorm.bias", "layer2_batchnorm.mean", "layer2_batchnorm.var" }));
        Assert.That(Values("scale").Concat(Values("bias")), Is.EqualTo(parameters.Skip(weights).Take(8)).AsCollection, "γ, β: the first biases (the conv has none)");
        Assert.That(Values("mean").Concat(Values("var")), Is.EqualTo(net.State[..8].ToArray()).AsCollection);
        Assert.That(Values("var"), Has.Some.Not.EqualTo(1f), "trained statistics");
        Assert.That(norm.Channels, Is.EqualTo(4));
    }

    [Test]
    public void TheInputNormalisationIsASubAndADivOfChannelConstants()
    {
        var net = EveryLayer();
        var graph = Graph(net);
        var mean = graph.Initializers.Single(t => t.Name == "normalize.mean");
        var std = graph.Initializers.Single(t => t.Name == "normalize.std");
        Assert.That((mean.Dims, std.Dims), Is.EqualTo((new long[] { 2, 1, 1 }, new long[] { 2, 1, 1 })));
        Assert.That((mean.Floats, std.Floats), Is.EqualTo((net.Normalization!.Mean.ToArray(), net.Normalization.Std.ToArray())));
        Assert.That(graph.Nodes[0].Inputs, Is.EqualTo(new[] { "input", "normalize.mean" }));
    }

    [Test]
    public void DropoutWritesItsRatioAsAnInput()
    {
        var graph = Graph(EveryLayer());
        var ratio = graph.Initializers.Single(t => t.Name == "layer8_dropout.ratio");
        Assert.That((ratio.Dims, ratio.Floats), Is.EqualTo((Array.Empty<long>(), new[] { 0.25f })));
        Assert.That(graph.Nodes.Single(n => n.OpType == "Dropout").Inputs, Has.Count.EqualTo(2), "no training_mode: inference");
    }

    [Test]
    public void ExportThenImportGivesTheSameNetworkBitForBit()
    {
        var net = EveryLayer();
        byte[] bytes = net.ToOnnx();
        var imported = OnnxImport.FromBytes(bytes, "every-layer.onnx");
        Assert.Multiple(() =>
        {
            Assert.That(imported.Layers.Select(l => l.ToString()), Is.EqualTo(net.Layers.Select(l => l.ToString())));
            Assert.That(imported.Leaves.Select(l => l.Name), Is.EqualTo(net.Leaves.Select(l => l.Name)));
            Assert.That(imported.GetParameters(), Is.EqualTo(net.GetParameters()).AsCollection);
            Assert.That(imported.State.ToArray(), Is.EqualTo(net.State.ToArray()).AsCollection);
            Assert.That(imported.Leaves.OfType<BatchNorm>().Select(b => (b.Momentum, b.Epsilon)), Is.EqualTo(net.Leaves.OfType<BatchNorm>().Select(b => (b.Momentum, b.Epsilon))));
            Assert.That((imported.Normalization!.Mean, imported.Normalization.Std), Is.EqualTo((net.Normalization!.Mean, net.Normalization.Std)));
            Assert.That(imported.ToOnnx(), Is.EqualTo(bytes));
        });
        OnnxGraphs.AssertSamePredictions(net, imported, batch: 5);
    }

    [Test]
    public void NetworkLoadOnnxReadsAFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"simdcnn-{Guid.NewGuid():N}.onnx");
        try
        {
            var net = EveryLayer();
            net.SaveOnnx(path);
            var loaded = Network.LoadOnnx(path, seed: 8);
            Assert.That(loaded.Seed, Is.EqualTo(8));
            Assert.That(loaded.ToOnnx(), Is.EqualTo(net.ToOnnx()));
            var e = Assert.Throws<OnnxFormatException>(() => Network.LoadOnnx(path + ".missing"))!;
            Assert.That(e.Message, Does.StartWith(path + ".missing").And.Contain("no such file"));
        }
        finally { File.Delete(path); }
    }

    [TestCase(0.1f, 0.9f)]
    [TestCase(0.01f, 0.99f)]
    [TestCase(0.25f, 0.75f)]
    [TestCase(1f, 0f)]
    [TestCase(0.123457f, 0.876543f)]
    [TestCase(0.0003f, 0.9997f)]
    public void BatchNormMomentumIsOneMinusOnnxsAndRoundTrips(float engine, float onnx)
    {
        Assert.That(OnnxMomentum.FromEngine(engine), Is.EqualTo(onnx));
        Assert.That(OnnxMomentum.ToEngine(onnx), Is.EqualTo(engine), "the shortest decimal that exports back");
        Assert.That(OnnxMomentum.ToEngine(OnnxMomentum.FromEngine(engine)), Is.EqualTo(engine));
    }
}
