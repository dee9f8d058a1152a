using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Engine.Layers;

namespace Engine.Serialization;

/// <summary>
/// The model file format, version 2 (all integers and floats little-endian; version 1 files, without states and input
/// normalisation, are read too):
/// <code>
/// "SIMDCNN1"                     8-byte magic
/// u16 format version             2
/// u8 rank, i32 × rank            input sample shape
/// i64 seed
/// i32 layer count, then per layer:
///     string kind                (BinaryWriter: 7-bit length prefix + UTF-8)
///     i32 length, bytes          the layer's constructor configuration (<see cref="LayerCodec"/>; a residual block nests its layers)
///     i32 weights, i32 biases    its parameter counts (checked against the configuration; a block's are its layers' sums)
///     i32 states                 (version 2) its state count, likewise
/// i32 parameter count, f32 × count   all weights in layer order, then all biases (blocks expanded)
/// i32 state count, f32 × count   (version 2) all states in layer order (e.g. batch norm running mean and variance)
/// u8 normalised, [i32 C, f32 mean × C, f32 std × C]   (version 2) the input's per-channel normalisation, if any
/// 32 bytes                       SHA-256 of everything before it
/// </code>
/// Files are written to a temporary file and renamed, so a crash never leaves half a model. The format knows layers and
/// shapes (<see cref="LayerCodec"/>), not networks: it reads and writes a <see cref="ModelContents"/>.
/// </summary>
internal static class ModelFile
{
    private static ReadOnlySpan<byte> Magic => "SIMDCNN1"u8;
    internal const ushort FormatVersion = 2;
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
                LayerCodec.WriteRecord(w, layer);
                var (weights, biases, states) = LayerCodec.Counts(layer);
                w.Write(weights);
                w.Write(biases);
                w.Write(states);
            }
            WriteFloats(w, contents.Parameters.Span);
            WriteFloats(w, contents.State.Span);
            if (contents.Normalization is { } norm)
            {
                w.Write((byte)1);
                w.Write(norm.Mean.Length);
                WriteRaw(w, norm.Mean);
                WriteRaw(w, norm.Std);
            }
            else w.Write((byte)0);
        }
        var hash = SHA256.HashData(stream.GetBuffer().AsSpan(0, (int)stream.Length));
        stream.Write(hash);
        return stream.ToArray();
    }

    private static void WriteFloats(BinaryWriter w, ReadOnlySpan<float> values)
    {
        w.Write(values.Length);
        WriteRaw(w, values);
    }

    private static void WriteRaw(BinaryWriter w, ReadOnlySpan<float> values)
    {
        var raw = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), values[i]);
        w.Write(raw);
    }

    /// <summary>The largest model file read (a bound on what a path can make the reader allocate).</summary>
    public const long MaxFileBytes = int.MaxValue;

    public static ModelContents Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Exception Fail(string p, string problem) => new ModelFileException(p, problem);
        byte[] bytes;
        using (var stream = BoundedFile.OpenRead(path, MaxFileBytes, Fail))
        {
            // The header first: a file of another kind is refused before its body is read.
            Span<byte> header = stackalloc byte[Magic.Length + 2];
            int got = BoundedFile.ReadUpTo(stream, header, path, Fail);
            CheckHeader(header[..got], path, stream.Length);
            bytes = new byte[stream.Length];
            header[..got].CopyTo(bytes);
            int read = got + BoundedFile.ReadUpTo(stream, bytes.AsSpan(got), path, Fail);
            if (read != bytes.Length) throw new ModelFileException(path, "truncated: the file shrank while it was read.");
        }
        return Deserialize(bytes, path);
    }

    private static void CheckHeader(ReadOnlySpan<byte> header, string path, long length)
    {
        if (header.Length < Magic.Length || !header[..Magic.Length].SequenceEqual(Magic))
            throw new ModelFileException(path, "not a SimdCnn model file (it does not start with \"SIMDCNN1\").");
        if (header.Length < Magic.Length + 2)
            throw new ModelFileException(path, "truncated: the file ends inside its header.");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(header[Magic.Length..]);
        if (version is < 1 or > FormatVersion)
            throw new ModelFileException(path, $"model format version {version}; this build of SimdCnn reads versions 1 to {FormatVersion}.");
        if (length < Magic.Length + 2 + HashLength)
            throw new ModelFileException(path, "truncated: the file is too short to hold a model.");
    }

    public static ModelContents Deserialize(byte[] bytes, string path)
    {
        CheckHeader(bytes.AsSpan(0, Math.Min(bytes.Length, Magic.Length + 2)), path, bytes.Length);
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(Magic.Length));
        int body = bytes.Length - HashLength;
        bool intact = SHA256.HashData(bytes.AsSpan(0, body)).AsSpan().SequenceEqual(bytes.AsSpan(body));
        ModelContents contents;
        try
        {
            contents = Parse(bytes, body, path, version);
        }
        catch (ModelFileException e) when (!intact)
        {
            throw new ModelFileException(path, e.Problem + " The checksum does not match either: the file is damaged.", e);
        }
        if (!intact)
            throw new ModelFileException(path, "corrupt: the checksum does not match the contents.");
        return contents;
    }

    private static ModelContents Parse(byte[] bytes, int body, string path, ushort version)
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
            var layers = new List<Layer>(Math.Min(count, 64));
            var shape = input;
            long parameterCount = 0, stateCount = 0;
            for (int i = 0; i < count; i++)
            {
                Layer layer;
                try { layer = LayerCodec.ReadRecord(r, version, body); }
                catch (InvalidDataException e) { throw new ModelFileException(path, $"layer {i + 1}: {e.Message}", e); }
                catch (ArgumentException e) { throw new ModelFileException(path, $"layer {i + 1} ({e.ParamName ?? "configuration"}): invalid configuration: {e.Message}", e); }
                try { layer.Build(shape, Layer.PositionName(i + 1, layer)); }
                catch (ArgumentException e) { throw new ModelFileException(path, "the layers do not fit together: " + e.Message, e); }
                shape = layer.OutputShape;
                var stored = (Weights: r.ReadInt32(), Biases: r.ReadInt32(), States: version >= 2 ? r.ReadInt32() : 0);
                var needed = LayerCodec.Counts(layer);
                if (stored != needed)
                    throw new ModelFileException(path, $"{layer.Name} holds {stored.Weights} weights, {stored.Biases} biases and {stored.States} states in the file, but its configuration needs {needed.Weights}, {needed.Biases} and {needed.States}.");
                parameterCount += needed.Weights + needed.Biases;
                stateCount += needed.States;
                layers.Add(layer);
            }
            var parameters = ReadFloats(r, body, path, parameterCount, "parameters");
            var state = version >= 2 ? ReadFloats(r, body, path, stateCount, "states") : new float[stateCount];
            (float[] Mean, float[] Std)? normalization = null;
            if (version >= 2 && r.ReadByte() == 1)
            {
                int channels = r.ReadInt32();
                if (channels < 1 || channels > input[0] || input.Rank != 3 || channels != input[0])
                    throw new ModelFileException(path, $"corrupt: input normalisation of {channels} channels for an input of {input}.");
                normalization = (ReadRaw(r, body, path, channels, "normalisation means"), ReadRaw(r, body, path, channels, "normalisation deviations"));
            }
            if (stream.Position != body)
                throw new ModelFileException(path, $"corrupt: {body - stream.Position} bytes follow the model.");
            return new ModelContents(input, seed, layers, parameters) { State = state, Normalization = normalization };
        }
        catch (EndOfStreamException e)
        {
            throw new ModelFileException(path, "truncated: the file ends before the model does.", e);
        }
    }

    private static float[] ReadFloats(BinaryReader r, int body, string path, long needed, string what)
    {
        int total = r.ReadInt32();
        if (total != needed)
            throw new ModelFileException(path, $"corrupt: {total} {what} stored, the layers need {needed}.");
        return ReadRaw(r, body, path, total, what);
    }

    private static float[] ReadRaw(BinaryReader r, int body, string path, int count, string what)
    {
        long left = body - r.BaseStream.Position;
        if ((long)count * 4 > left)
            throw new ModelFileException(path, $"truncated: {count} {what} need {(long)count * 4} bytes, {left} remain.");
        var raw = r.ReadBytes(count * 4);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(i * 4));
        return values;
    }
}

/// <summary>What a model file holds: the input shape, the seed, the layers in order (built, named by position when read), all
/// parameters (every layer's weights in order, then every layer's biases; residual blocks expanded), the layers' states and the
/// input's per-channel normalisation.</summary>
internal sealed record ModelContents(Shape InputShape, long Seed, IReadOnlyList<Layer> Layers, ReadOnlyMemory<float> Parameters)
{
    /// <summary>Every layer's state in order (empty when the layers keep none).</summary>
    public ReadOnlyMemory<float> State { get; init; } = ReadOnlyMemory<float>.Empty;

    /// <summary>Per-channel mean and standard deviation subtracted from and divided into the input, or null.</summary>
    public (float[] Mean, float[] Std)? Normalization { get; init; }
}
