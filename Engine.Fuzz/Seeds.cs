using System.IO.Compression;
using Engine.Layers;
using Engine.Onnx;
using Engine.Onnx.Protobuf;
using Engine.Serialization;
using Engine.Training;

namespace Engine.Fuzz;

/// <summary>
/// The seed corpus: tiny valid files of each format, written deterministically by <c>--write-seeds DIR</c> (and committed
/// under corpus/): a few hundred bytes each, the CIFAR batch one 3073-byte record, a 4 KB gzip that inflates 1000-fold.
/// </summary>
internal static class Seeds
{
    public static void Write(string root)
    {
        var onnx = Folder(root, "onnx");
        File.WriteAllBytes(Path.Combine(onnx, "conv-pool-dense.onnx"), ConvNet().ToOnnx());
        File.WriteAllBytes(Path.Combine(onnx, "every-layer.onnx"), EveryLayer().ToOnnx());
        File.WriteAllBytes(Path.Combine(onnx, "matmul-opset9.onnx"), MatMulGraph());
        File.WriteAllBytes(Path.Combine(onnx, "same-gap-opset11.onnx"), SameAndGlobalPoolGraph());
        File.WriteAllBytes(Path.Combine(onnx, "resnet-mini.onnx"), ResNetMini().ToOnnx());
        File.WriteAllBytes(Path.Combine(onnx, "bn-tanh-dropout.onnx"), NormalizedConvNet().ToOnnx());

        var model = Folder(root, "model");
        ConvNet().Save(Path.Combine(model, "conv-pool-dense.bin"));
        EveryLayer().Save(Path.Combine(model, "every-layer.bin"));

        // Not dataset files: two synthetic 3×3 ramp images and their labels, named unlike MNIST's files on purpose.
        var idx = Folder(root, "idx");
        byte[] images = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3, .. Enumerable.Range(0, 18).Select(i => (byte)(i * 14))];
        byte[] labels = [0, 0, 8, 1, 0, 0, 0, 2, 7, 3];
        File.WriteAllBytes(Path.Combine(idx, "ramp-images.idx3"), images);
        File.WriteAllBytes(Path.Combine(idx, "ramp-labels.idx1"), labels);
        File.WriteAllBytes(Path.Combine(idx, "ramp-images.idx3.gz"), Gzip(images));
        File.WriteAllBytes(Path.Combine(idx, "ramp-labels.idx1.gz"), Gzip(labels));
        // One 1×1 image followed by 4 MiB of zeros: 4 KB gzipped. A reader that bounds decompression by the header's size
        // stops after 17 bytes; one that does not allocates thousands of times the file (a gzip bomb in miniature).
        File.WriteAllBytes(Path.Combine(idx, "gzip-bomb.idx3.gz"), Gzip([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 9, .. new byte[4 << 20]]));

        var cifar = Folder(root, "cifar");
        File.WriteAllBytes(Path.Combine(cifar, "one-record.bin"), [6, .. Enumerable.Range(0, 3072).Select(i => (byte)(i * 7))]);
    }

    private static Network ConvNet()
    {
        var net = new Network(new Shape(1, 6, 6), seed: 1)
            .Add(new Conv2D(2, 3)).Add(new ReLU()).Add(new MaxPool2D(2)).Add(new Flatten()).Add(new Dense(3)).Add(new Softmax());
        net.GetParameters();
        return net;
    }

    private static Network EveryLayer()
    {
        var net = new Network(new Shape(2, 5, 4), seed: 2)
            .Add(new Conv2D(2, 2, 3, 1, 2, Padding.Same)).Add(new Sigmoid()).Add(new LeakyReLU(0.1f))
            .Add(new AvgPool2D(2, 1, 1, 1)).Add(new Flatten()).Add(new Dense(2)).Add(new Softmax());
        net.GetParameters();
        return net;
    }

    /// <summary>
    /// ResNet-20's shape in miniature: input normalisation, Conv (no bias) → BN → ReLU, one basic block per stage (2, 4, 8 channels;
    /// identity shortcut, then two stride-2 blocks with the 1×1 conv + BN projection), GlobalAvgPool, Dense, Softmax.
    /// </summary>
    private static Network ResNetMini()
    {
        static Conv2D Conv(int filters, int stride) => new(filters, 3, stride, Padding.Explicit(1), bias: false);
        var net = new Network(new Shape(3, 8, 8), seed: 4) { Normalization = new InputNormalization([0.5f, 0.4f, 0.3f], [0.25f, 0.5f, 2f]) };
        net.Add(Conv(2, 1)).Add(new BatchNorm2D()).Add(new ReLU());
        foreach (var (channels, stride) in new[] { (2, 1), (4, 2), (8, 2) })
            net.Add(new Residual(Conv(channels, stride), new BatchNorm2D(), new ReLU(), Conv(channels, 1), new BatchNorm2D())).Add(new ReLU());
        net.Add(new GlobalAvgPool2D()).Add(new Dense(3)).Add(new Softmax());
        net.GetParameters();
        return net;
    }

    /// <summary>Conv (no bias) → BN (momentum 0.2) → Tanh → MaxPool 3×3 padded 1 → Flatten → Dense → BN1D → Dropout → Dense → Softmax.</summary>
    private static Network NormalizedConvNet()
    {
        var net = new Network(new Shape(1, 5, 5), seed: 5)
            .Add(new Conv2D(2, 2, bias: false)).Add(new BatchNorm2D(momentum: 0.2f)).Add(new Tanh()).Add(new MaxPool2D(3, 2, 1))
            .Add(new Flatten()).Add(new Dense(3)).Add(new BatchNorm1D()).Add(new Dropout(0.3f)).Add(new Dense(2)).Add(new Softmax());
        net.GetParameters();
        return net;
    }

    /// <summary>Opset 9, as converters write a dense layer: Constant, Transpose of the weights, MatMul, Add, Reshape, Dropout, Identity.</summary>
    private static byte[] MatMulGraph()
    {
        var g = new GraphProto { Name = "matmul" };
        g.Initializers.Add(new TensorProto { Name = "w", DataType = OnnxDataType.Float, Dims = [3, 4], Floats = [.. Enumerable.Range(0, 12).Select(i => i / 10f - 0.5f)] });
        g.Initializers.Add(new TensorProto { Name = "shape", DataType = OnnxDataType.Int64, Dims = [2], Ints = [0, -1] });
        g.Nodes.Add(Node("Constant", [], ["b"], new AttributeProto { Name = "value", Type = AttributeType.Tensor, T = new TensorProto { DataType = OnnxDataType.Float, Dims = [3], Floats = [0.1f, -0.2f, 0.3f] } }));
        g.Nodes.Add(Node("Reshape", ["x", "shape"], ["flat"]));
        g.Nodes.Add(Node("Transpose", ["w"], ["wt"], AttributeProto.IntList("perm", 1, 0)));
        g.Nodes.Add(Node("MatMul", ["flat", "wt"], ["m"]));
        g.Nodes.Add(Node("Add", ["m", "b"], ["a"]));
        g.Nodes.Add(Node("Dropout", ["a"], ["d"], AttributeProto.Float("ratio", 0.5f)));
        g.Nodes.Add(Node("Identity", ["d"], ["s"]));
        g.Nodes.Add(Node("Softmax", ["s"], ["y"], AttributeProto.Int("axis", 1)));
        return Model(g, opset: 9, ir: 4, [2, 2]);
    }

    /// <summary>Opset 11: Conv with auto_pad SAME_UPPER and no bias, LeakyRelu, GlobalAveragePool, Flatten, Gemm with transB 0.</summary>
    private static byte[] SameAndGlobalPoolGraph()
    {
        var g = new GraphProto { Name = "same" };
        g.Initializers.Add(new TensorProto { Name = "k", DataType = OnnxDataType.Float, Dims = [2, 1, 3, 3], Floats = [.. Enumerable.Range(0, 18).Select(i => (i % 5) / 4f - 0.4f)] });
        g.Initializers.Add(new TensorProto { Name = "g", DataType = OnnxDataType.Float, Dims = [2, 2], Floats = [1f, -1f, 0.5f, 2f] });
        g.Nodes.Add(Node("Conv", ["x", "k"], ["c"], new AttributeProto { Name = "auto_pad", Type = AttributeType.String, S = "SAME_UPPER" }, AttributeProto.IntList("strides", 2, 2)));
        g.Nodes.Add(Node("LeakyRelu", ["c"], ["l"], AttributeProto.Float("alpha", 0.2f)));
        g.Nodes.Add(Node("GlobalAveragePool", ["l"], ["p"]));
        g.Nodes.Add(Node("Flatten", ["p"], ["f"]));
        g.Nodes.Add(Node("Gemm", ["f", "g"], ["y"], AttributeProto.Float("alpha", 1f)));
        return Model(g, opset: 11, ir: 6, [1, 5, 5]);
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { Name = op.ToLowerInvariant(), OpType = op };
        node.Inputs.AddRange(inputs);
        node.Outputs.AddRange(outputs);
        node.Attributes.AddRange(attributes);
        return node;
    }

    private static byte[] Model(GraphProto g, int opset, long ir, int[] sample)
    {
        g.Inputs.Add(new ValueInfoProto { Name = "x", IsTensor = true, ElementType = OnnxDataType.Float, Shape = [new(null, "batch"), .. sample.Select(d => new ValueInfoProto.Dimension(d, null))] });
        g.Outputs.Add(new ValueInfoProto { Name = "y", IsTensor = true, ElementType = OnnxDataType.Float });
        var model = new ModelProto { IrVersion = ir, ProducerName = "seeds", Graph = g };
        model.OpsetImport.Add(("", opset));
        var bytes = model.ToBytes();
        OnnxImport.FromBytes(bytes, "seed"); // a seed must be valid
        return bytes;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    private static string Folder(string root, string name)
    {
        string dir = Path.Combine(root, name);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
