namespace Cnn;

/// <summary>
/// The seam where a finished sweep (or gather) hands its folder on: called once with the folder after its
/// <c>results.csv</c>, <c>results.json</c> and <c>sweep.json</c> are complete. For now it prints the paths written;
/// heatmap rendering (<c>Heatmap.Render(...)</c>) is to be wired in here.
/// </summary>
public static class SweepReport
{
    /// <summary>Reports the files of the sweep folder <paramref name="dir"/>.</summary>
    /// <param name="dir">A folder holding sweep.json, results.csv and results.json.</param>
    public static void Written(string dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        foreach (string name in new[] { SweepResults.CsvFileName, SweepResults.JsonFileName, SweepManifest.FileName })
            Console.WriteLine($"wrote {Path.Combine(dir, name)}");
    }
}
