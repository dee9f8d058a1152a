using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Engine.Layers;

namespace Engine.Serialization;

/// <summary>
/// The model file format, version 1 (all integers and floats little-endian):
/// <code>
/// "SIMDCNN1"                     8-byte magic
/// u16 format version             1
/// u8 rank, i32 × rank            input sample shape
/// i64 seed
/// i32 layer count, then per layer:
///     string kind                (BinaryWriter: 7-bit length prefix + UTF-8)
///     i32 length, bytes          the layer's constructor configuration
///     i32 weights, i32 biases    its parameter counts (checked against the configuration)
/// i32 parameter count, f32 × count   all weights in layer order, then all biases
/// 32 bytes                       SHA-256 of everything before it
/// </code>
/// Files are written to a temporary file and renamed, so a crash never leaves half a model. The format knows layers and
/// shapes (<see cref="LayerCodec"/>), not networks: it reads and writes a <see cref="ModelContents"/>.
/// </summary>
internal static class ModelFile
{
    private static ReadOnlySpan<byte> Magic => "SIMDCNN1"u8;
    internal const ushort FormatVersion = 1;
    private const int HashLength = 32;

    public static void Save(ModelContents contents, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = Serialize(contents);
        string full = Path.GetFullPath(path);
        string temp = full + ".tmp-" + Environment.ProcessId;
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
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

    public static byte[] Serialize(ModelContents contents)
    {
        var parameters = contents.Parameters;
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write((byte)contents.InputShape.Rank);
            for (int i = 0; i < contents.InputShape.Rank; i++) w.Write(contents.InputShape[i]);
            w.Write(contents.Seed);
            w.Write(contents.Layers.Count);
            foreach (var layer in contents.Layers)
            {
                w.Write(layer.Kind);
                using var config = new MemoryStream();
                using (var cw = new BinaryWriter(config, Encoding.UTF8, leaveOpen: true)) LayerCodec.Write(cw, layer);
                w.Write((int)config.Length);
                w.Write(config.GetBuffer(), 0, (int)config.Length);
                w.Write(layer.WeightCount);
                w.Write(layer.BiasCount);
            }
            w.Write(parameters.Length);
            var raw = new byte[parameters.Length * sizeof(float)];
            for (int i = 0; i < parameters.Length; i++)
                BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), parameters.Span[i]);
            w.Write(raw);
        }
        var hash = SHA256.HashData(stream.GetBuffer().AsSpan(0, (int)stream.Length));
        stream.Write(hash);
        return stream.ToArray();
    }

    public static ModelContents Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException e) { throw new ModelFileException(path, "no such file.", e); }
        catch (DirectoryNotFoundException e) { throw new ModelFileException(path, "no such folder.", e); }
        catch (UnauthorizedAccessException e) { throw new ModelFileException(path, "cannot be read: " + e.Message, e); }
        return Deserialize(bytes, path);
    }

    public static ModelContents Deserialize(byte[] bytes, string path)
    {
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new ModelFileException(path, "not a SimdCnn model file (it does not start with \"SIMDCNN1\").");
        if (bytes.Length < Magic.Length + 2)
            throw new ModelFileException(path, "truncated: the file ends inside its header.");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(Magic.Length));
        if (version != FormatVersion)
            throw new ModelFileException(path, $"model format version {version}; this build of SimdCnn reads version {FormatVersion} only.");
        if (bytes.Length < Magic.Length + 2 + HashLength)
            throw new ModelFileException(path, "truncated: the file is too short to hold a model.");
        int body = bytes.Length - HashLength;
        bool intact = SHA256.HashData(bytes.AsSpan(0, body)).AsSpan().SequenceEqual(bytes.AsSpan(body));
        ModelContents contents;
        try
        {
            contents = Parse(bytes, body, path);
        }
        catch (ModelFileException e) when (!intact)
        {
            throw new ModelFileException(path, e.Problem + " The checksum does not match either: the file is damaged.", e);
        }
        if (!intact)
            throw new ModelFileException(path, "corrupt: the checksum does not match the contents.");
        return contents;
    }

    private static ModelContents Parse(byte[] bytes, int body, string path)
    {
        using var stream = new MemoryStream(bytes, 0, body, writable: false);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            stream.Position = Magic.Length + 2;
            int rank = r.ReadByte();
            if (rank is < 1 or > Shape.MaxRank) throw new ModelFileException(path, $"corrupt: input rank {rank}.");
            Span<int> dims = stackalloc int[rank];
            for (int i = 0; i < rank; i++) dims[i] = r.ReadInt32();
            Shape input;
            try { input = new Shape(dims); }
            catch (ArgumentException e) { throw new ModelFileException(path, "corrupt input shape: " + e.Message, e); }
            long seed = r.ReadInt64();
            int count = r.ReadInt32();
            if (count is < 0 or > 10_000) throw new ModelFileException(path, $"corrupt: {count} layers.");
            var layers = new List<Layer>(count);
            var shape = input;
            long parameterCount = 0;
            for (int i = 0; i < count; i++)
            {
                string kind = r.ReadString();
                if (!LayerCodec.Knows(kind))
                    throw new ModelFileException(path, $"layer {i + 1} is of unknown kind \"{kind}\".");
                int length = r.ReadInt32();
                if (length < 0 || length > body - stream.Position)
                    throw new ModelFileException(path, $"corrupt: layer {i + 1} ({kind}) claims {length} configuration bytes.");
                long end = stream.Position + length;
                Layer layer;
                try { layer = LayerCodec.Read(r, kind); }
                catch (InvalidDataException e) { throw new ModelFileException(path, $"layer {i + 1} ({kind}): {e.Message}", e); }
                catch (ArgumentException e) { throw new ModelFileException(path, $"layer {i + 1} ({kind}): invalid configuration: {e.Message}", e); }
                if (stream.Position != end)
                    throw new ModelFileException(path, $"corrupt: layer {i + 1} ({kind}) configuration has {length} bytes but {stream.Position - (end - length)} were read.");
                try { layer.Build(shape, Layer.PositionName(i + 1, layer)); }
                catch (ArgumentException e) { throw new ModelFileException(path, "the layers do not fit together: " + e.Message, e); }
                shape = layer.OutputShape;
                var counts = (Weights: r.ReadInt32(), Biases: r.ReadInt32());
                if (counts != (layer.WeightCount, layer.BiasCount))
                    throw new ModelFileException(path, $"{layer.Name} holds {counts.Weights} weights and {counts.Biases} biases in the file, but its configuration needs {layer.WeightCount} and {layer.BiasCount}.");
                parameterCount += layer.ParameterCount;
                layers.Add(layer);
            }
            int total = r.ReadInt32();
            if (total != parameterCount)
                throw new ModelFileException(path, $"corrupt: {total} parameters stored, the layers need {parameterCount}.");
            if ((long)total * 4 != body - stream.Position)
                throw new ModelFileException(path, $"truncated or padded: {total} parameters need {(long)total * 4} bytes, {body - stream.Position} remain.");
            var parameters = new float[total];
            var raw = bytes.AsSpan((int)stream.Position, total * 4);
            for (int i = 0; i < total; i++) parameters[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(i * 4));
            return new ModelContents(input, seed, layers, parameters);
        }
        catch (EndOfStreamException e)
        {
            throw new ModelFileException(path, "truncated: the file ends before the model does.", e);
        }
    }
}

/// <summary>What a model file holds: the input shape, the seed, the layers in order (built, named by position when read) and all
/// parameters (every layer's weights in order, then every layer's biases).</summary>
internal sealed record ModelContents(Shape InputShape, long Seed, IReadOnlyList<Layer> Layers, ReadOnlyMemory<float> Parameters);
