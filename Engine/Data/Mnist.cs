namespace Engine.Data;

/// <summary>
/// Loads MNIST and Fashion-MNIST (the same IDX format) from a folder holding the four files
/// <c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c>
/// and <c>t10k-labels-idx1-ubyte</c>, each either gzipped (name + <c>.gz</c>, as published) or raw.
/// </summary>
public static class Mnist
{
    /// <summary>Number of classes (digits 0–9, or the ten Fashion-MNIST clothing classes).</summary>
    public const int Classes = 10;

    internal const string TrainImagesFile = "train-images-idx3-ubyte";
    internal const string TrainLabelsFile = "train-labels-idx1-ubyte";
    internal const string TestImagesFile = "t10k-images-idx3-ubyte";
    internal const string TestLabelsFile = "t10k-labels-idx1-ubyte";

    /// <summary>The four file names without <c>.gz</c>, training images first.</summary>
    internal static readonly string[] FileNames = [TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile];

    /// <summary>
    /// Loads the training and test sets from <paramref name="folder"/>. Pixels are scaled to [0, 1]
    /// (byte / 255); each sample has shape (1, rows, columns), normally (1, 28, 28); 10 classes.
    /// When a file exists both raw and gzipped, the raw one is read (it is what a user who unpacked
    /// the files meant, and it reads faster).
    /// </summary>
    /// <param name="folder">The folder holding the four files, e.g. <c>datasets/mnist</c>.</param>
    /// <param name="name">The dataset's name for <see cref="Dataset.Name"/> and messages: <c>&lt;name&gt;/train</c>, <c>&lt;name&gt;/test</c>.</param>
    /// <exception cref="DirectoryNotFoundException"><paramref name="folder"/> does not exist.</exception>
    /// <exception cref="FileNotFoundException">One of the four files is missing (the message names it and the folder).</exception>
    /// <exception cref="DataFileException">A file is corrupt, truncated, of the wrong kind, holds a label above 9, or disagrees with its partner file.</exception>
    public static TrainTestSplit Load(string folder, string name = "mnist")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{name}: folder {folder} does not exist; it should hold {string.Join(", ", FileNames)} (each raw or .gz).");

        string trainImagesPath = RequireFile(folder, TrainImagesFile, name);
        string trainLabelsPath = RequireFile(folder, TrainLabelsFile, name);
        string testImagesPath = RequireFile(folder, TestImagesFile, name);
        string testLabelsPath = RequireFile(folder, TestLabelsFile, name);

        Dataset train = LoadPart(trainImagesPath, trainLabelsPath, name + "/train");
        Dataset test = LoadPart(testImagesPath, testLabelsPath, name + "/test");
        if (train.SampleShape != test.SampleShape)
            throw new DataFileException(testImagesPath,
                $"image size mismatch: test images are {test.SampleShape[1]}×{test.SampleShape[2]} but the training images in {trainImagesPath} are {train.SampleShape[1]}×{train.SampleShape[2]}.");
        return new TrainTestSplit(train, test);
    }

    /// <summary>The path of <paramref name="fileName"/> in <paramref name="folder"/>: raw if it exists, else gzipped, else null.</summary>
    /// <exception cref="DataFileException">The raw or gzipped name is a directory.</exception>
    internal static string? FindFile(string folder, string fileName)
    {
        string raw = Path.Combine(folder, fileName);
        string gzipped = raw + ".gz";
        DataFileException.ThrowIfDirectory(raw);
        DataFileException.ThrowIfDirectory(gzipped);
        if (File.Exists(raw)) return raw;
        return File.Exists(gzipped) ? gzipped : null;
    }

    private static string RequireFile(string folder, string fileName, string name) =>
        FindFile(folder, fileName) ?? throw new FileNotFoundException(
            $"{name}: file {fileName}.gz (or {fileName}) not found in folder {folder}.", Path.Combine(folder, fileName + ".gz"));

    private static Dataset LoadPart(string imagesPath, string labelsPath, string datasetName)
    {
        int[] labels = Idx.ReadLabels(labelsPath, Classes);
        Idx.Images images = Idx.ReadImages(imagesPath);
        if (images.Count != labels.Length)
            throw new DataFileException(imagesPath,
                $"count mismatch: {images.Count} images, but the label file {labelsPath} holds {labels.Length} labels.");

        return new Dataset(datasetName, Scaled(images.Pixels), labels, new Shape(1, images.Rows, images.Columns), Classes);
    }

    /// <summary>
    /// Reads one IDX image file (raw or gzipped, e.g. <c>t10k-images-idx3-ubyte.gz</c>), for <c>Network.Predict</c>:
    /// a tensor [N, 1, rows, columns] with pixels scaled to [0, 1].
    /// </summary>
    /// <param name="path">The file.</param>
    /// <exception cref="DataFileException">The file is missing, not a regular file, too large, corrupt, truncated or not an IDX image file.</exception>
    public static Tensor ReadImages(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var images = Idx.ReadImages(path);
        return new Tensor(new Shape(images.Count, 1, images.Rows, images.Columns), Scaled(images.Pixels));
    }

    /// <summary>Bytes as floats in [0, 1] (byte / 255), in one pass; 47 M values for the MNIST training set.</summary>
    internal static float[] Scaled(ReadOnlySpan<byte> pixels)
    {
        var values = new float[pixels.Length];
        for (int i = 0; i < values.Length; i++) values[i] = pixels[i] / 255f;
        return values;
    }
}
