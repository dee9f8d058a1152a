// Shared by Engine.Tests and Apps/Cnn.Tests (linked into both projects).
using Engine.Data;

/// <summary>
/// Lets the test suite find the data the README's first command downloaded: when <c>ENGINE_DATASETS</c> is not
/// set, it is pointed, for this test process only, at the repository's <c>datasets/</c> folder (the suite runs in
/// <c>bin/</c>, where <c>./datasets</c> would mean nothing). A set variable is left alone. In the global namespace,
/// so NUnit runs it before every test of the assembly.
/// </summary>
[SetUpFixture]
public sealed class RepositoryDatasets
{
    /// <summary>Points <c>ENGINE_DATASETS</c> at the repository's datasets folder when it is unset and that folder exists.</summary>
    [OneTimeSetUp]
    public void UseTheRepositoryDatasetsWhenNoneAreConfigured()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(DatasetLocator.EnvironmentVariable))) return;
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) continue;
            string datasets = Path.Combine(dir.FullName, DatasetLocator.DefaultFolder);
            if (Directory.Exists(datasets)) Environment.SetEnvironmentVariable(DatasetLocator.EnvironmentVariable, datasets);
            return;
        }
    }
}
