namespace Engine.Data;

/// <summary>
/// Finds a dataset's folder. Roots are searched in order: an explicit data directory (if given),
/// then <c>$ENGINE_DATASETS</c> (if set and not empty), then <c>./datasets</c> relative to the
/// current directory. Under a root the dataset lives in
/// <code>
/// mnist/                    train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
/// fashion-mnist/            t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]
/// cifar-10-batches-bin/     data_batch_1.bin … data_batch_5.bin, test_batch.bin   (full set, preferred)
/// cifar-10-subset/          data_batch_1.bin, test_batch.bin                      (prefix of the original order)
/// </code>
/// A folder counts as found when all of its <see cref="RequiredFiles"/> exist. Only file names are
/// checked here (a directory under a file's name is an error, not a missing file); the loaders check the contents.
/// </summary>
public static class DatasetLocator
{
    /// <summary>The environment variable naming a folder that holds dataset folders: <c>ENGINE_DATASETS</c>.</summary>
    public const string EnvironmentVariable = "ENGINE_DATASETS";

    /// <summary>The folder searched last, relative to the current directory: <c>datasets</c>.</summary>
    public const string DefaultFolder = "datasets";

    private static readonly string[] CifarRequired = [Cifar10.FirstTrainingBatchFile, Cifar10.TestBatchFile];

    /// <summary>The dataset names this locator knows, as accepted by <see cref="Resolve"/>: <c>mnist</c>, <c>fashion-mnist</c>, <c>cifar10</c>.</summary>
    public static IReadOnlyList<string> Datasets { get; } = ["mnist", "fashion-mnist", "cifar10"];

    /// <summary>
    /// The folder holding <paramref name="dataset"/>'s files, as a full path: the first folder, in search
    /// order (roots outermost, then <see cref="FolderNames"/> in order), that holds all required files.
    /// </summary>
    /// <param name="dataset"><c>mnist</c>, <c>fashion-mnist</c> or <c>cifar10</c> (case-insensitive).</param>
    /// <param name="dataDirectory">A folder to search first (the command line's <c>--data-dir</c>), or null.</param>
    /// <exception cref="ArgumentException"><paramref name="dataset"/> is not a known name.</exception>
    /// <exception cref="DatasetNotFoundException">No searched folder holds the files; the message lists every folder searched.</exception>
    /// <exception cref="DataFileException">A searched folder holds a directory where one of the dataset's files should be.</exception>
    public static string Resolve(string dataset, string? dataDirectory = null)
    {
        string key = Canonical(dataset);
        var searched = new List<string>();
        foreach (string root in SearchRoots(dataDirectory))
        {
            foreach (string folderName in FolderNames(key))
            {
                string folder = Path.Combine(root, folderName);
                searched.Add(folder);
                if (HasRequiredFiles(key, folder)) return folder;
            }
        }
        throw new DatasetNotFoundException(key, searched, DescribeExpectedFiles(key));
    }

    /// <summary>
    /// Loads <paramref name="dataset"/> from the folder <see cref="Resolve"/> finds, with the matching loader
    /// (<see cref="Mnist.Load"/> or <see cref="Cifar10.Load"/>).
    /// </summary>
    /// <param name="dataset"><c>mnist</c>, <c>fashion-mnist</c> or <c>cifar10</c> (case-insensitive).</param>
    /// <param name="dataDirectory">A folder to search first, or null.</param>
    /// <exception cref="ArgumentException"><paramref name="dataset"/> is not a known name.</exception>
    /// <exception cref="DatasetNotFoundException">No searched folder holds the files.</exception>
    /// <exception cref="DataFileException">A file is corrupt, truncated or of the wrong kind.</exception>
    public static TrainTestSplit Load(string dataset, string? dataDirectory = null)
    {
        string key = Canonical(dataset);
        string folder = Resolve(key, dataDirectory);
        return key == "cifar10" ? Cifar10.Load(folder) : Mnist.Load(folder, key);
    }

    /// <summary>
    /// The folders searched for dataset folders, in order, as full paths without duplicates:
    /// <paramref name="dataDirectory"/> (if given), <c>$ENGINE_DATASETS</c> (if set), <c>./datasets</c>.
    /// The folders need not exist.
    /// </summary>
    /// <param name="dataDirectory">A folder to search first, or null.</param>
    public static IReadOnlyList<string> SearchRoots(string? dataDirectory = null)
    {
        var roots = new List<string>();
        void Add(string? folder)
        {
            if (string.IsNullOrWhiteSpace(folder)) return;
            string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
            if (!roots.Contains(full)) roots.Add(full);
        }
        Add(dataDirectory);
        Add(Environment.GetEnvironmentVariable(EnvironmentVariable));
        Add(DefaultFolder);
        return roots;
    }

    /// <summary>
    /// The file names a folder must hold for <paramref name="dataset"/> to count as found there. For
    /// <c>mnist</c> and <c>fashion-mnist</c> these are the raw IDX names; each file may instead be stored
    /// gzipped as name + <c>.gz</c> (the published form). For <c>cifar10</c>: <c>data_batch_1.bin</c> and
    /// <c>test_batch.bin</c> (<c>data_batch_2.bin</c> … <c>data_batch_5.bin</c> are read when present).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="dataset"/> is not a known name.</exception>
    public static IReadOnlyList<string> RequiredFiles(string dataset) =>
        Canonical(dataset) == "cifar10" ? CifarRequired : Mnist.FileNames;

    /// <summary>
    /// The names of the folders, under each root, that may hold <paramref name="dataset"/>, in the order they
    /// are tried: <c>mnist</c>; <c>fashion-mnist</c>; for <c>cifar10</c> <c>cifar-10-batches-bin</c> (full set)
    /// then <c>cifar-10-subset</c>. The first is where a download belongs.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="dataset"/> is not a known name.</exception>
    public static IReadOnlyList<string> FolderNames(string dataset) => Canonical(dataset) switch
    {
        "mnist" => ["mnist"],
        "fashion-mnist" => ["fashion-mnist"],
        _ => ["cifar-10-batches-bin", "cifar-10-subset"],
    };

    private static bool HasRequiredFiles(string dataset, string folder)
    {
        if (!Directory.Exists(folder)) return false;
        if (dataset == "cifar10")
        {
            foreach (string name in CifarRequired) DataFileException.ThrowIfDirectory(Path.Combine(folder, name));
            return CifarRequired.All(name => File.Exists(Path.Combine(folder, name)));
        }
        return Mnist.FileNames.All(name => Mnist.FindFile(folder, name) is not null);
    }

    private static string DescribeExpectedFiles(string dataset) => dataset == "cifar10"
        ? $"{Cifar10.FirstTrainingBatchFile} (… data_batch_{Cifar10.MaxTrainingBatches}.bin) and {Cifar10.TestBatchFile}"
        : string.Join(", ", Mnist.FileNames.Select(name => name + ".gz")) + " (gzipped or not)";

    private static string Canonical(string dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        foreach (string known in Datasets)
            if (string.Equals(known, dataset.Trim(), StringComparison.OrdinalIgnoreCase)) return known;
        throw new ArgumentException($"Unknown dataset '{dataset}'; known datasets are {string.Join(", ", Datasets)}.", nameof(dataset));
    }
}
