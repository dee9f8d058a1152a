namespace Engine.Onnx.Protobuf;

/// <summary>
/// An ONNX ModelProto (field numbers of onnx.proto): ir_version = 1, producer_name = 2, producer_version = 3, graph = 7,
/// opset_import = 8 (each an OperatorSetIdProto: domain = 1, version = 2). Functions (25) and training information (20) are
/// skipped: no imported operator refers to them.
/// </summary>
internal sealed class ModelProto
{
    /// <summary>The IR version the file follows.</summary>
    public long IrVersion { get; set; }

    /// <summary>The operator sets the graph uses: (domain, version); the standard set has domain "" or "ai.onnx".</summary>
    public List<(string Domain, long Version)> OpsetImport { get; } = new();

    /// <summary>The tool that wrote the file.</summary>
    public string ProducerName { get; set; } = "";

    /// <summary>Its version.</summary>
    public string ProducerVersion { get; set; } = "";

    /// <summary>The graph; null when the file has none.</summary>
    public GraphProto? Graph { get; set; }

    /// <summary>Reads a model from the bytes of an .onnx file.</summary>
    /// <param name="bytes">The file's contents.</param>
    /// <param name="limits">The file's name for errors and the decode's allocation budget.</param>
    /// <exception cref="OnnxFormatException">The bytes are not a well-formed model.</exception>
    public static ModelProto Parse(ReadOnlySpan<byte> bytes, DecodeLimits limits)
    {
        var r = new ProtoReader(bytes, limits);
        var model = new ModelProto();
        bool sawGraph = false;
        while (r.NextField())
        {
            switch (r.Field)
            {
                case 1: model.IrVersion = r.ReadInt64(); break;
                case 2: model.ProducerName = r.ReadString(); break;
                case 3: model.ProducerVersion = r.ReadString(); break;
                case 7:
                    if (sawGraph) throw r.Fail("the model holds two graphs");
                    sawGraph = true;
                    var g = r.ReadMessage();
                    model.Graph = GraphProto.Read(ref g);
                    break;
                case 8:
                    var o = r.ReadMessage();
                    string domain = "";
                    long version = 0;
                    while (o.NextField())
                    {
                        if (o.Field == 1) domain = o.ReadString();
                        else if (o.Field == 2) version = o.ReadInt64();
                        else o.Skip();
                    }
                    model.OpsetImport.Add((domain, version));
                    break;
                default: r.Skip(); break;
            }
        }
        return model;
    }

    /// <summary>The model as the bytes of an .onnx file.</summary>
    public byte[] ToBytes()
    {
        var w = new ProtoWriter();
        w.WriteInt64(1, IrVersion);
        w.WriteString(2, ProducerName);
        w.WriteString(3, ProducerVersion);
        if (Graph is not null) w.WriteMessage(7, Graph, static (w, g) => g.Write(w));
        foreach (var opset in OpsetImport)
            w.WriteMessage(8, opset, static (w, o) =>
            {
                w.WriteString(1, o.Domain);
                w.WriteInt64(2, o.Version);
            });
        return w.WrittenSpan.ToArray();
    }
}
