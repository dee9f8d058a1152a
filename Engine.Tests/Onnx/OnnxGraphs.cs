using Engine.Onnx;
using Engine.Onnx.Protobuf;
using Engine.Training;

namespace Engine.Tests.Onnx;

/// <summary>Small ONNX models written by hand for the tests: a graph from input <c>x</c> [N, sample…] to output <c>y</c>.</summary>
internal static class OnnxGraphs
{
    /// <summary>A model of <paramref name="nodes"/> and <paramref name="initializers"/> at <paramref name="opset"/>.</summary>
    public static byte[] Model(int[] sample, NodeProto[] nodes, TensorProto[]? initializers = null, int opset = 13, long ir = 7,
        string output = "y", int[]? outputSample = null)
    {
        var graph = new GraphProto { Name = "test" };
        graph.Nodes.AddRange(nodes);
        if (initializers is not null) graph.Initializers.AddRange(initializers);
        graph.Inputs.Add(Value("x", sample));
        graph.Outputs.Add(outputSample is null ? new ValueInfoProto { Name = output, IsTensor = true, ElementType = OnnxDataType.Float } : Value(output, outputSample));
        var model = new ModelProto { IrVersion = ir, ProducerName = "tests", Graph = graph };
        model.OpsetImport.Add(("", opset));
        return model.ToBytes();
    }

    /// <summary>A node reading <paramref name="inputs"/> and writing <paramref name="outputs"/>.</summary>
    public static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op };
        node.Inputs.AddRange(inputs);
        node.Outputs.AddRange(outputs);
        node.Attributes.AddRange(attributes);
        return node;
    }

    /// <summary>A one-input one-output node x → y.</summary>
    public static NodeProto Node(string op, params AttributeProto[] attributes) => Node(op, ["x"], ["y"], attributes);

    /// <summary>A FLOAT initializer.</summary>
    public static TensorProto Floats(string name, long[] dims, float[] values) =>
        new() { Name = name, DataType = OnnxDataType.Float, Dims = dims, Floats = values };

    /// <summary>An INT64 initializer.</summary>
    public static TensorProto Ints(string name, params long[] values) =>
        new() { Name = name, DataType = OnnxDataType.Int64, Dims = [values.Length], Ints = values };

    /// <summary>Seeded values in [−1, 1).</summary>
    public static float[] Random(int count, int seed) { var r = new Random(seed); return Enumerable.Range(0, count).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray(); }

    /// <summary>A network of <paramref name="layers"/> with <paramref name="parameters"/> (every leaf's weights, then every leaf's
    /// biases) and <paramref name="state"/> (every leaf's, e.g. batch norm running mean and variance).</summary>
    public static Network Built(Shape input, Engine.Layers.Layer[] layers, float[] parameters, float[]? state = null)
    {
        var net = new Network(input);
        foreach (var layer in layers) net.Add(layer);
        net.SetParameters(parameters);
        state?.CopyTo(net.State);
        return net;
    }

    /// <summary>Seeded values in [0.5, 1.5) (variances, deviations).</summary>
    public static float[] Positive(int count, int seed) => Random(count, seed).Select(v => 1f + v / 2).ToArray();

    /// <summary>Imports <paramref name="bytes"/> under the name <c>test.onnx</c>.</summary>
    public static Network Import(byte[] bytes) => OnnxImport.FromBytes(bytes, "test.onnx");

    /// <summary>The refusal <paramref name="bytes"/> meets, checked to name the file.</summary>
    public static string Refusal(byte[] bytes)
    {
        var e = Assert.Throws<OnnxFormatException>(() => Import(bytes))!;
        Assert.That(e.Message, Does.StartWith("test.onnx: "));
        return e.Message;
    }

    /// <summary>Asserts both networks give the same bits on seeded inputs.</summary>
    public static void AssertSamePredictions(Network expected, Network actual, int batch = 3)
    {
        Assert.That(actual.InputShape, Is.EqualTo(expected.InputShape));
        Assert.That(actual.OutputShape, Is.EqualTo(expected.OutputShape));
        var input = Random(batch * expected.InputShape.Size, 99);
        var a = new float[batch * expected.OutputShape.Size];
        var b = new float[a.Length];
        expected.Predict(input, a, batch);
        actual.Predict(input, b, batch);
        Assert.That(b, Is.EqualTo(a).AsCollection);
    }

    private static ValueInfoProto Value(string name, int[] sample) => new()
    {
        Name = name, IsTensor = true, ElementType = OnnxDataType.Float,
        Shape = [new(null, "N"), .. sample.Select(d => new ValueInfoProto.Dimension(d, null))],
    };
}
