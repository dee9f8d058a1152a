using System.Collections.Concurrent;
using Engine.Data;

namespace Cnn;

/// <summary>A dataset's training and test parts and the folder they were read from (e.g. <c>…/cifar-10-subset</c>).</summary>
/// <param name="Split">The training and test images.</param>
/// <param name="Folder">The folder the files came from, as shown in headers and recorded in sweep.json.</param>
public sealed record LoadedData(TrainTestSplit Split, string Folder);

/// <summary>Loads dataset <paramref name="dataset"/>, looking in <paramref name="dataDir"/> first (the commands' data seam).</summary>
public delegate LoadedData DataLoader(string dataset, string? dataDir);

/// <summary>Loading datasets by name, downloading a missing one first.</summary>
public static class DataLoading
{
    /// <summary>
    /// Finds <paramref name="dataset"/> (see <see cref="DatasetLocator"/>), downloading it when it is nowhere, and loads it.
    /// Download progress lines go to standard output.
    /// </summary>
    public static LoadedData ByName(string dataset, string? dataDir)
    {
        string folder = DownloadCommand.EnsureAsync(dataset, dataDir, Console.Out).GetAwaiter().GetResult();
        return new LoadedData(dataset == "cifar10" ? Cifar10.Load(folder) : Mnist.Load(folder, dataset), folder);
    }

    /// <summary>A loader that loads each dataset once (sweeps whose cells share or switch datasets); thread-safe.</summary>
    public static Func<string, LoadedData> Cached(DataLoader loader, string? dataDir)
    {
        ArgumentNullException.ThrowIfNull(loader);
        var cache = new ConcurrentDictionary<string, Lazy<LoadedData>>();
        return dataset => cache.GetOrAdd(dataset, name => new Lazy<LoadedData>(() => loader(name, dataDir))).Value;
    }

    /// <summary>The sample shape of a dataset's images, known without reading it: (1, 28, 28) or (3, 32, 32) for cifar10.</summary>
    public static Engine.Shape SampleShape(string dataset) => dataset == "cifar10" ? new(3, 32, 32) : new(1, 28, 28);
}
