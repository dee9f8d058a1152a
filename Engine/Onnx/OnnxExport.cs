using Engine.Layers;
using Engine.Onnx.Export;
using Engine.Onnx.Protobuf;
using Engine.Training;

namespace Engine.Onnx;

/// <summary>
/// Writes a <see cref="Network"/> as a standard ONNX model (opset 13, IR version 7) that ONNX Runtime, Netron and other tools
/// read: input <c>input</c> of shape [N, InputShape] (N symbolic), output <c>output</c> [N, OutputShape]; the input normalisation
/// (if any) as Sub and Div, then one node per layer (Conv, Gemm, MaxPool, AveragePool, GlobalAveragePool + Flatten,
/// BatchNormalization, Dropout, Flatten, Sigmoid, Relu, Tanh, LeakyRelu, Softmax) named <c>layerK_kind</c>, a residual block
/// as its body's and shortcut's nodes and an Add; weights and batch norm statistics as float32 initializers
/// (<c>layerK_kind.weight</c>, <c>.bias</c>, <c>.mean</c>…).
/// </summary>
public static class OnnxExport
{
    /// <summary>The standard operator set the exported models use.</summary>
    public const int Opset = 13;

    /// <summary>The IR version of the exported files (the one opset 13 came with).</summary>
    public const int IrVersion = 7;

    /// <summary>
    /// Writes <paramref name="network"/> to <paramref name="path"/> as an ONNX model, atomically (a temporary file renamed, so a
    /// crash never leaves half a model). Its parameters are created first if they do not exist yet.
    /// </summary>
    /// <exception cref="NotSupportedException">The network holds a layer ONNX export does not know (a custom layer).</exception>
    /// <exception cref="InvalidOperationException">The network has no layers.</exception>
    public static void SaveOnnx(this Network network, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes = network.ToOnnx();
        string full = Path.GetFullPath(path);
        string temp = $"{full}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>The ONNX model of <paramref name="network"/> as the bytes of an .onnx file (for an in-memory ONNX Runtime session).</summary>
    /// <exception cref="NotSupportedException">The network holds a layer ONNX export does not know (a custom layer).</exception>
    /// <exception cref="InvalidOperationException">The network has no layers.</exception>
    public static byte[] ToOnnx(this Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.Layers.Count == 0) throw new InvalidOperationException("The network has no layers.");
        foreach (var layer in network.Leaves)
            if (!LayerExporters.Table.ContainsKey(layer.GetType()))
                throw new NotSupportedException($"{layer.Name} ({layer.GetType().FullName}) cannot be exported to ONNX; export knows {string.Join(", ", LayerExporters.Table.Keys.Select(t => t.Name))} and {nameof(Layers.Residual)}.");
        var graph = new GraphProto { Name = "simdcnn" };
        var exporter = new Exporter(new GraphWriter(graph), network.GetParameters(), network.State.ToArray(), network.Leaves.Sum(l => l.WeightCount));
        if (network.Normalization is { } normalization) exporter.Normalization(normalization, network.InputShape);
        exporter.Layers(network.Layers, "layer");
        exporter.Writer.Finish();
        graph.Inputs.Add(GraphWriter.Value(GraphWriter.InputName, network.InputShape));
        graph.Outputs.Add(GraphWriter.Value(GraphWriter.OutputName, network.OutputShape));
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "SimdCnn",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "",
            Graph = graph,
        };
        model.OpsetImport.Add(("", Opset));
        return model.ToBytes();
    }

    /// <summary>
    /// Writes the layers in order, each leaf with its slices of the parameters (every leaf's weights in order, then every leaf's
    /// biases) and of the state; a residual block as its body, its shortcut (a projection's nodes, or none: the identity) from the
    /// block's input, and the Add of the two.
    /// </summary>
    private sealed class Exporter(GraphWriter writer, float[] parameters, float[] state, int weightCount)
    {
        private int _weights, _biases = weightCount, _state;

        public GraphWriter Writer => writer;

        /// <summary>The input normalisation as Sub of the means and Div by the deviations, each [C, 1, 1].</summary>
        public void Normalization(InputNormalization normalization, Shape input)
        {
            long[] dims = [normalization.Channels, 1, 1];
            writer.Begin("normalize", null);
            string mean = writer.Initializer("mean", dims, normalization.Mean.ToArray());
            string std = writer.Initializer("std", dims, normalization.Std.ToArray());
            writer.Node("Sub", [mean]);
            writer.Node("Div", [std]);
            writer.End(input);
        }

        /// <summary>Writes <paramref name="layers"/>, the one at (1-based) position k named <c>{prefix}k_kind</c>.</summary>
        public void Layers(IReadOnlyList<Layer> layers, string prefix)
        {
            for (int i = 0; i < layers.Count; i++)
            {
                string name = $"{prefix}{i + 1}";
                if (layers[i] is not Residual block)
                {
                    Leaf(layers[i], name);
                    continue;
                }
                string input = writer.Current;
                Layers(block.Body, name + "_");
                string body = writer.Current;
                writer.Current = input;
                for (int j = 0; j < block.Shortcut.Count; j++) Leaf(block.Shortcut[j], $"{name}_s{j + 1}");
                writer.Join($"{name}_add", body, writer.Current, block.OutputShape);
            }
        }

        private void Leaf(Layer layer, string name)
        {
            var (kind, write) = LayerExporters.Table[layer.GetType()];
            writer.Begin($"{name}_{kind}", layer, parameters.AsMemory(_weights, layer.WeightCount),
                parameters.AsMemory(_biases, layer.BiasCount), state.AsMemory(_state, layer.StateCount));
            write(writer);
            writer.End(layer.OutputShape);
            _weights += layer.WeightCount;
            _biases += layer.BiasCount;
            _state += layer.StateCount;
        }
    }
}
