using Engine.Onnx;
using Engine.Onnx.Protobuf;
using Engine.Training;
using static Engine.Tests.Onnx.OnnxGraphs;

namespace Engine.Tests.Onnx;

/// <summary>The graph is checked before anything is imported: sortable, no cycles, no dangling inputs, one chain from input to output.</summary>
public class GraphCheckTests
{
    [Test]
    public void NodesOutOfOrderAreSorted()
    {
        var net = Import(Model([6], [Node("Sigmoid", ["a"], ["y"]), Node("Relu", ["x"], ["a"])]));
        Assert.That(net.Layers.Select(l => l.Kind), Is.EqualTo(new[] { "ReLU", "Sigmoid" }));
    }

    [Test]
    public void ACycleIsRefused() =>
        Assert.That(Refusal(Model([6], [Node("Relu", ["x", "b"], ["a"]), Node("Sigmoid", ["a"], ["b"]), Node("Relu", ["b"], ["y"])])), Does.Contain("cycle"));

    [Test]
    public void ANodeReadingItsOwnOutputIsACycle() =>
        Assert.That(Refusal(Model([6], [Node("Add", ["x", "y"], ["y"])])), Does.Contain("node 0 (Add)").And.Contain("cycle"));

    [Test]
    public void ADanglingInputIsRefused() =>
        Assert.That(Refusal(Model([6], [Node("Add", ["x", "ghost"], ["y"])])), Does.Contain("\"ghost\", which no node, graph input or initializer writes"));

    [Test]
    public void AValueWrittenTwiceIsRefused() =>
        Assert.That(Refusal(Model([6], [Node("Relu", ["x"], ["y"]), Node("Sigmoid", ["x"], ["y"])])), Does.Contain("node 1 (Sigmoid) writes \"y\", which is already written by node 0 (Relu)"));

    [Test]
    public void BranchesThatAreNotABodyAndAShortcutAreRefused() =>
        Assert.That(Refusal(Model([6], [Node("Relu", ["x"], ["a"]), Node("Sigmoid", ["x"], ["b"]), Node("Add", ["a", "b"], ["y"])])),
            Does.Contain("node 2 (Add) adds two computed branches from \"x\", neither of which is a residual shortcut"));

    [Test]
    public void AResidualJoinIsABlock()
    {
        var net = Import(Model([6], [Node("Relu", ["x"], ["a"]), Node("Add", ["a", "x"], ["y"])]));
        Assert.That(net.Layers.Select(l => l.ToString()), Is.EqualTo(new[] { "Residual(ReLU): 6 → 6" }));
        AssertSamePredictions(new Network(new Shape(6)).Add(new Engine.Layers.Residual(new Engine.Layers.ReLU())), net);
    }

    [Test]
    public void AValueReadTwiceByOneNodeIsRefused() =>
        Assert.That(Refusal(Model([6], [Node("Add", ["x", "x"], ["y"])])), Does.Contain("reads \"x\" twice"));

    [Test]
    public void AnUsedExtraOutputIsRefused() =>
        Assert.That(Refusal(Model([6], [Node("Dropout", ["x"], ["d", "mask"]), Node("Relu", ["mask"], ["y"])], opset: 11)),
            Does.Contain("extra output \"mask\""));

    [Test]
    public void ANodeOffThePathIsRefused() =>
        Assert.That(Refusal(Model([6], [Node("Relu", ["x"], ["y"]), Node("Sigmoid", ["k"], ["z"])], [Floats("k", [1], [1f])])),
            Does.Contain("node 1 (Sigmoid) is not on the path"));

    [Test]
    public void AChainEndingElsewhereIsRefused() =>
        Assert.That(Refusal(Model([6], [Node("Relu", ["x"], ["a"])], output: "a2")), Does.Contain("\"a2\" is written by no node"));

    [Test]
    public void TwoInputsAreRefused()
    {
        var graph = new GraphProto();
        graph.Nodes.Add(Node("Relu"));
        foreach (string name in new[] { "x", "z" })
            graph.Inputs.Add(new ValueInfoProto { Name = name, IsTensor = true, ElementType = OnnxDataType.Float, Shape = [new(null, "N"), new(6, null)] });
        graph.Outputs.Add(new ValueInfoProto { Name = "y" });
        var model = new ModelProto { IrVersion = 7, Graph = graph };
        model.OpsetImport.Add(("", 13));
        Assert.That(Refusal(model.ToBytes()), Does.Contain("2 inputs (\"x\", \"z\")"));
    }

    [Test]
    public void InitializersListedAsInputsAreConstants()
    {
        // IR 3 files list every initializer among the graph inputs too.
        var w = Random(12, 1);
        var graph = new GraphProto();
        graph.Nodes.Add(Node("Gemm", ["x", "w"], ["y"], AttributeProto.Int("transB", 1)));
        graph.Initializers.Add(Floats("w", [3, 4], w));
        graph.Inputs.Add(new ValueInfoProto { Name = "x", IsTensor = true, ElementType = OnnxDataType.Float, Shape = [new(2, null), new(4, null)] });
        graph.Inputs.Add(new ValueInfoProto { Name = "w", IsTensor = true, ElementType = OnnxDataType.Float, Shape = [new(3, null), new(4, null)] });
        graph.Outputs.Add(new ValueInfoProto { Name = "y" });
        var model = new ModelProto { IrVersion = 3, Graph = graph };
        model.OpsetImport.Add(("", 6));
        Assert.That(Import(model.ToBytes()).InputShape, Is.EqualTo(new Shape(4)));
    }

    [Test]
    public void ASymbolicSampleDimIsRefused()
    {
        var graph = new GraphProto();
        graph.Nodes.Add(Node("Relu"));
        graph.Inputs.Add(new ValueInfoProto { Name = "x", IsTensor = true, ElementType = OnnxDataType.Float, Shape = [new(null, "N"), new(3, null), new(null, "H"), new(8, null)] });
        graph.Outputs.Add(new ValueInfoProto { Name = "y" });
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(("", 17));
        Assert.That(Refusal(model.ToBytes()), Does.Contain("dim 2 = H"));
    }

    [Test]
    public void ADeclaredOutputShapeMustMatch() =>
        Assert.That(Refusal(Model([3, 4, 5], [Node("MaxPool", AttributeProto.IntList("kernel_shape", 2, 2))], outputSample: [3, 2, 3])),
            Does.Contain("declares its output \"y\" as [N, 3, 2, 3] but its operators compute [N, 3, 3, 4]"));

    [Test]
    public void AnOldIrVersionIsRefused() =>
        Assert.That(Refusal(Model([6], [Node("Relu")], ir: 2)), Does.Contain("IR version 2"));

    [Test]
    public void AMissingFileIsAnOnnxError()
    {
        string path = Path.Combine(Path.GetTempPath(), "no-such-" + Guid.NewGuid().ToString("N") + ".onnx");
        var e = Assert.Throws<OnnxFormatException>(() => OnnxImport.Load(path))!;
        Assert.That(e.Message, Does.StartWith(path).And.Contain("no such file"));
    }
}
