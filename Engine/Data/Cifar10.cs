namespace Engine.Data;

/// <summary>
/// Loads CIFAR-10 from its binary version: a folder holding <c>data_batch_1.bin</c> …
/// <c>data_batch_5.bin</c> and <c>test_batch.bin</c>. A batch has no header; it is a run of
/// 3073-byte records:
/// <code>
/// label (1 byte, 0..9) | 1024 red | 1024 green | 1024 blue    each colour a 32×32 plane, row-major
/// </code>
/// The record count is the file size / 3073, so shortened batches (such as the project's
/// <c>cifar-10-subset</c>, a prefix of the original order) load unchanged.
/// </summary>
public static class Cifar10
{
    /// <summary>Number of classes.</summary>
    public const int Classes = 10;

    /// <summary>The class names in label order (0 airplane … 9 truck).</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    internal const int Channels = 3, Height = 32, Width = 32;
    internal const int PixelsPerRecord = Channels * Height * Width; // 3072
    internal const int RecordBytes = 1 + PixelsPerRecord;           // 3073
    internal const int MaxTrainingBatches = 5;
    internal const string FirstTrainingBatchFile = "data_batch_1.bin";
    internal const string TestBatchFile = "test_batch.bin";

    /// <summary>
    /// Loads the training set (<c>data_batch_1.bin</c> and whichever of <c>data_batch_2.bin</c> …
    /// <c>data_batch_5.bin</c> follow it without a gap, concatenated in order) and the test set
    /// (<c>test_batch.bin</c>). Each sample has shape (3, 32, 32), planar RGB, pixels scaled to [0, 1]
    /// (byte / 255); 10 classes. Names: <c>cifar10/train</c>, <c>cifar10/test</c>.
    /// </summary>
    /// <param name="folder">The folder holding the batches, e.g. <c>datasets/cifar-10-batches-bin</c>.</param>
    /// <exception cref="DirectoryNotFoundException"><paramref name="folder"/> does not exist.</exception>
    /// <exception cref="FileNotFoundException"><c>data_batch_1.bin</c> or <c>test_batch.bin</c> is missing, or a later training batch exists after a missing one.</exception>
    /// <exception cref="DataFileException">A batch is empty, not a whole number of records, or holds a label above 9.</exception>
    public static TrainTestSplit Load(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"cifar10: folder {folder} does not exist; it should hold {FirstTrainingBatchFile} … data_batch_{MaxTrainingBatches}.bin and {TestBatchFile}.");

        string[] trainPaths = TrainingBatchPaths(folder);
        string testPath = Path.Combine(folder, TestBatchFile);
        DataFileException.ThrowIfDirectory(testPath);
        if (!File.Exists(testPath))
            throw new FileNotFoundException($"cifar10: file {TestBatchFile} not found in folder {folder}.", testPath);

        return new TrainTestSplit(LoadBatches(trainPaths, "cifar10/train"), LoadBatches([testPath], "cifar10/test"));
    }

    /// <summary>The paths of data_batch_1.bin and the batches that follow it without a gap, in order.</summary>
    internal static string[] TrainingBatchPaths(string folder)
    {
        var paths = new List<string>();
        for (int i = 1; i <= MaxTrainingBatches; i++)
        {
            string path = Path.Combine(folder, $"data_batch_{i}.bin");
            DataFileException.ThrowIfDirectory(path);
            if (File.Exists(path))
            {
                if (paths.Count != i - 1)
                    throw new FileNotFoundException(
                        $"cifar10: data_batch_{i}.bin exists but data_batch_{paths.Count + 1}.bin is missing in folder {folder}; training batches must run from 1 without a gap.",
                        Path.Combine(folder, $"data_batch_{paths.Count + 1}.bin"));
                paths.Add(path);
            }
        }
        if (paths.Count == 0)
            throw new FileNotFoundException($"cifar10: file {FirstTrainingBatchFile} not found in folder {folder}.", Path.Combine(folder, FirstTrainingBatchFile));
        return [.. paths];
    }

    /// <summary>
    /// Loads one binary batch file (e.g. <c>test_batch.bin</c>, or a shortened one) as a dataset named after the file:
    /// samples (3, 32, 32), planar RGB, pixels scaled to [0, 1]; 10 classes.
    /// </summary>
    /// <param name="path">The batch file.</param>
    /// <exception cref="DataFileException">The file is missing, not a regular file, too large, empty, not a whole number of records, or holds a label above 9.</exception>
    public static Dataset LoadBatch(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return LoadBatches([path], Path.GetFileName(path));
    }

    /// <summary>The most bytes one batch file may hold: 1 GiB (a published batch holds 30,730,000).</summary>
    internal const long MaxBatchBytes = 1L << 30;

    /// <summary>Reads and concatenates whole batches into one dataset.</summary>
    private static Dataset LoadBatches(string[] paths, string datasetName)
    {
        // Sizes first (each file checked to be a regular file within bounds), so one array of the exact length can be allocated.
        var recordCounts = new int[paths.Length];
        long totalRecords = 0;
        for (int b = 0; b < paths.Length; b++)
        {
            long length;
            using (var stream = BoundedFile.OpenRead(paths[b], MaxBatchBytes, DataFileException.Factory)) length = stream.Length;
            recordCounts[b] = CheckedRecordCount(paths[b], length);
            totalRecords += recordCounts[b];
        }
        if (totalRecords * PixelsPerRecord > Array.MaxLength)
            throw new DataFileException(paths[^1], $"too large: {totalRecords} records in all is more than one array can hold.");

        var images = new float[totalRecords * PixelsPerRecord];
        var labels = new int[totalRecords];
        int record = 0;
        for (int b = 0; b < paths.Length; b++)
        {
            byte[] bytes = BoundedFile.ReadAllBytes(paths[b], MaxBatchBytes, DataFileException.Factory);
            if (CheckedRecordCount(paths[b], bytes.Length) != recordCounts[b])
                throw new DataFileException(paths[b], $"changed while being read: it had {recordCounts[b]} records, now {bytes.Length / RecordBytes}.");
            for (int r = 0; r < recordCounts[b]; r++, record++)
            {
                ReadOnlySpan<byte> source = bytes.AsSpan(r * RecordBytes, RecordBytes);
                int label = source[0];
                if (label >= Classes)
                    throw new DataFileException(paths[b], $"label out of range: record {r} has label {label}, but labels must be 0..{Classes - 1}.");
                labels[record] = label;

                // The record's pixels are already planar (R plane, G plane, B plane) = (3, 32, 32) row-major.
                Span<float> destination = images.AsSpan(record * PixelsPerRecord, PixelsPerRecord);
                ReadOnlySpan<byte> pixels = source[1..];
                for (int i = 0; i < destination.Length; i++) destination[i] = pixels[i] / 255f;
            }
        }
        return new Dataset(datasetName, images, labels, new Shape(Channels, Height, Width), Classes);
    }


    private static int CheckedRecordCount(string path, long length)
    {
        if (length == 0)
            throw new DataFileException(path, $"empty file: a CIFAR-10 binary batch holds records of {RecordBytes} bytes.");
        if (length % RecordBytes != 0)
            throw new DataFileException(path, $"truncated or not a CIFAR-10 binary batch: {length} bytes is not a multiple of {RecordBytes} ({length / RecordBytes} whole records and {length % RecordBytes} bytes over).");
        return checked((int)(length / RecordBytes));
    }
}
