using Engine.Data;
using Engine.Onnx;
using Engine.Serialization;
using Engine.Training;

namespace Engine.Fuzz;

/// <summary>
/// One reader of untrusted bytes: how to feed it a file's contents, and the exceptions its contract allows (its format's own).
/// <see cref="Read"/> is the part whose allocations are measured; <see cref="Use"/> then runs what was read (a network predicts
/// one sample), which must not fail either.
/// </summary>
internal sealed record Target(string Name, Type Allowed, Func<byte[], string, object?> Read, Action<object?> Use)
{
    /// <summary>Every target, by name.</summary>
    public static IReadOnlyList<Target> All { get; } =
    [
        new("onnx", typeof(OnnxFormatException), (bytes, _) => OnnxImport.FromBytes(bytes, "fuzz.onnx"), PredictOnce),
        new("model", typeof(ModelFileException), (bytes, _) => Network.FromModelContents(ModelFile.Deserialize(bytes, "fuzz.bin")), PredictOnce),
        new("idx", typeof(DataFileException), ReadIdx, _ => { }),
        new("cifar", typeof(DataFileException), ReadCifar, _ => { }),
    ];

    /// <summary>IDX images and labels, raw or gzipped: the bytes as one file, read as both kinds (one refuses the magic).</summary>
    private static object? ReadIdx(byte[] bytes, string dir)
    {
        string path = Path.Combine(dir, "fuzz-idx3-ubyte");
        File.WriteAllBytes(path, bytes);
        object? result = null;
        try { result = Idx.ReadImages(path); }
        catch (DataFileException) { }
        try { return Idx.ReadLabels(path, Mnist.Classes); }
        catch (DataFileException) when (result is not null) { return result; }
    }

    /// <summary>A CIFAR-10 folder whose training and test batches are the bytes.</summary>
    private static object? ReadCifar(byte[] bytes, string dir)
    {
        File.WriteAllBytes(Path.Combine(dir, Cifar10.FirstTrainingBatchFile), bytes);
        File.WriteAllBytes(Path.Combine(dir, Cifar10.TestBatchFile), bytes);
        return Cifar10.Load(dir);
    }

    /// <summary>Runs a network read from a file on one sample of zeros, when it is small enough to run at once.</summary>
    private static void PredictOnce(object? read)
    {
        if (read is not Network net || net.ParameterCount > 1 << 20 || net.InputShape.Size > 1 << 16) return;
        if (net.Layers.Any(l => l.OutputShape.Size > 1 << 16)) return;
        var output = new float[net.OutputShape.Size];
        net.Predict(new float[net.InputShape.Size], output, 1);
    }
}
