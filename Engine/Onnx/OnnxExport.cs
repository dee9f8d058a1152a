using Engine.Onnx.Export;
using Engine.Onnx.Protobuf;
using Engine.Training;

namespace Engine.Onnx;

/// <summary>
/// Writes a <see cref="Network"/> as a standard ONNX model (opset 13, IR version 7) that ONNX Runtime, Netron and other tools
/// read: input <c>input</c> of shape [N, InputShape] (N symbolic), output <c>output</c> [N, OutputShape], one node per layer
/// (Conv, Gemm, MaxPool, AveragePool, Flatten, Sigmoid, Relu, LeakyRelu, Softmax) named <c>layerK_kind</c>, weights as
/// float32 initializers <c>layerK_kind.weight</c> and <c>.bias</c>.
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
        var layers = network.Layers;
        if (layers.Count == 0) throw new InvalidOperationException("The network has no layers.");
        foreach (var layer in layers)
            if (!LayerExporters.Table.ContainsKey(layer.GetType()))
                throw new NotSupportedException($"{layer.Name} ({layer.GetType().FullName}) cannot be exported to ONNX; export knows {string.Join(", ", LayerExporters.Table.Keys.Select(t => t.Name))}.");
        float[] parameters = network.GetParameters();
        int weightsAt = 0, biasesAt = layers.Sum(l => l.WeightCount);
        var graph = new GraphProto { Name = "simdcnn" };
        var writer = new GraphWriter(graph, layers.Count);
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var (kind, write) = LayerExporters.Table[layer.GetType()];
            writer.Begin(i + 1, layer, kind,
                parameters.AsMemory(weightsAt, layer.WeightCount), parameters.AsMemory(biasesAt, layer.BiasCount));
            write(writer);
            writer.End();
            weightsAt += layer.WeightCount;
            biasesAt += layer.BiasCount;
        }
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
}
