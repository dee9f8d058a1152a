using System.Buffers.Binary;
using System.IO.Compression;

namespace Engine.Tests.Data;

/// <summary>Builds small dataset files byte by byte, as the format documents describe them.</summary>
internal static class DataFiles
{
    public const int CifarRecordBytes = 3073;

    /// <summary>Big-endian 32-bit integers, as in an IDX header.</summary>
    public static byte[] BigEndian(params int[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    /// <summary>An IDX image file: magic 0x803, count, rows, columns, then the pixels.</summary>
    public static byte[] IdxImages(int count, int rows, int columns, byte[] pixels) =>
        [.. BigEndian(0x803, count, rows, columns), .. pixels];

    /// <summary>An IDX label file: magic 0x801, count, then the labels.</summary>
    public static byte[] IdxLabels(params byte[] labels) => [.. BigEndian(0x801, labels.Length), .. labels];

    /// <summary>Pixel bytes that differ from image to image and place to place: (7·i + 3) mod 256.</summary>
    public static byte[] PatternPixels(int length, int seed = 0)
    {
        var pixels = new byte[length];
        for (int i = 0; i < length; i++) pixels[i] = (byte)((7 * i + 3 + seed) % 256);
        return pixels;
    }

    /// <summary>Pixels no compressor can shrink (fixed seed).</summary>
    public static byte[] RandomPixels(int length, int seed)
    {
        var pixels = new byte[length];
        new Random(seed).NextBytes(pixels);
        return pixels;
    }

    public static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>
    /// Writes the four MNIST files into <paramref name="folder"/> (created if needed): images of
    /// rows×columns with <see cref="PatternPixels"/>, the given labels; gzipped (name.gz) or raw.
    /// </summary>
    public static void WriteMnist(string folder, byte[] trainLabels, byte[] testLabels, bool gzip = true, int rows = 28, int columns = 28)
    {
        Directory.CreateDirectory(folder);
        WriteIdx(folder, "train-images-idx3-ubyte", IdxImages(trainLabels.Length, rows, columns, PatternPixels(trainLabels.Length * rows * columns)), gzip);
        WriteIdx(folder, "train-labels-idx1-ubyte", IdxLabels(trainLabels), gzip);
        WriteIdx(folder, "t10k-images-idx3-ubyte", IdxImages(testLabels.Length, rows, columns, PatternPixels(testLabels.Length * rows * columns, seed: 1)), gzip);
        WriteIdx(folder, "t10k-labels-idx1-ubyte", IdxLabels(testLabels), gzip);
    }

    /// <summary>Writes <paramref name="contents"/> as <paramref name="name"/>.gz (gzipped) or <paramref name="name"/>; returns the path.</summary>
    public static string WriteIdx(string folder, string name, byte[] contents, bool gzip)
    {
        string path = Path.Combine(folder, gzip ? name + ".gz" : name);
        File.WriteAllBytes(path, gzip ? Gzip(contents) : contents);
        return path;
    }

    /// <summary>
    /// CIFAR-10 binary records: label, then 1024 red, 1024 green, 1024 blue. Pixel (c, y, x) of record r
    /// is <see cref="CifarPixel"/>(r + firstRecord, c, y, x).
    /// </summary>
    public static byte[] CifarRecords(byte[] labels, int firstRecord = 0)
    {
        var bytes = new byte[labels.Length * CifarRecordBytes];
        for (int r = 0; r < labels.Length; r++)
        {
            int start = r * CifarRecordBytes;
            bytes[start] = labels[r];
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                        bytes[start + 1 + c * 1024 + y * 32 + x] = CifarPixel(r + firstRecord, c, y, x);
        }
        return bytes;
    }

    public static byte CifarPixel(int record, int channel, int y, int x) => (byte)((record * 11 + channel * 85 + y * 7 + x * 3) % 256);

    public static void WriteCifar(string folder, byte[][] trainBatches, byte[] testLabels)
    {
        Directory.CreateDirectory(folder);
        int first = 0;
        for (int b = 0; b < trainBatches.Length; b++)
        {
            File.WriteAllBytes(Path.Combine(folder, $"data_batch_{b + 1}.bin"), CifarRecords(trainBatches[b], first));
            first += trainBatches[b].Length;
        }
        File.WriteAllBytes(Path.Combine(folder, "test_batch.bin"), CifarRecords(testLabels, 1000));
    }
}

/// <summary>Gives each test a fresh empty folder under the system temp folder and deletes it afterwards.</summary>
public abstract class TempFolderTests
{
    protected string Folder { get; private set; } = "";

    [SetUp]
    public void CreateTempFolder()
    {
        Folder = Path.Combine(Path.GetTempPath(), "engine-data-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
    }

    [TearDown]
    public void DeleteTempFolder()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }
}
