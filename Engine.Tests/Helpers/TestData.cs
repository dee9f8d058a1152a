using System.Collections.Concurrent;
using Engine.Data;

namespace Engine.Tests.Helpers;

/// <summary>
/// The real datasets for tests, found through <see cref="DatasetLocator"/> (<c>ENGINE_DATASETS</c>, else the repository's datasets/ folder)
/// and loaded once per test run. When one is missing the test is ignored with a message saying how to get
/// it — unless <c>ENGINE_REQUIRE_DATASETS=1</c> (CI sets it), in which case the test fails.
/// </summary>
internal static class TestData
{
    private static readonly ConcurrentDictionary<string, Lazy<TrainTestSplit?>> Cache = new();

    /// <summary>Dataset <paramref name="dataset"/> ("mnist", "fashion-mnist", "cifar10"), loaded once.</summary>
    public static TrainTestSplit Load(string dataset) =>
        Cache.GetOrAdd(dataset, name => new Lazy<TrainTestSplit?>(() => TryLoad(name))).Value ?? throw Missing(dataset);

    /// <summary><paramref name="count"/> random images of <paramref name="shape"/> in [0, 1) with labels i·7 + seed mod <paramref name="classes"/>.</summary>
    public static Dataset Random(Engine.Shape shape, int count, int seed, int classes = 10)
    {
        var rng = new SeededRandom(seed);
        var images = new float[count * shape.Size];
        for (int i = 0; i < images.Length; i++) images[i] = (float)rng.NextDouble();
        return new Dataset("random", images, Enumerable.Range(0, count).Select(i => (i * 7 + seed) % classes).ToArray(), shape, classes);
    }

    /// <summary>MNIST, loaded once.</summary>
    public static TrainTestSplit Mnist() => Load("mnist");

    /// <summary>The folder of <paramref name="dataset"/>, or the test is ignored/failed as described above.</summary>
    public static string Folder(string dataset)
    {
        try { return DatasetLocator.Resolve(dataset); }
        catch (DatasetNotFoundException) { throw Missing(dataset); }
    }

    private static TrainTestSplit? TryLoad(string dataset)
    {
        try { return DatasetLocator.Load(dataset); }
        catch (DatasetNotFoundException) { return null; }
    }

    private static Exception Missing(string dataset)
    {
        string message = $"{dataset} not found: set ENGINE_DATASETS to a folder holding it (e.g. ../shared/datasets) or run `cnn download {dataset}`.";
        if (Environment.GetEnvironmentVariable("ENGINE_REQUIRE_DATASETS") == "1") Assert.Fail(message);
        Assert.Ignore(message);
        return new InvalidOperationException(message);
    }
}
