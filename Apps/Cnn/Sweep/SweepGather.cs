namespace Cnn;

/// <summary>The shard folders given to <c>cnn sweep gather</c> do not make up one whole sweep; the message says which folders or cells are wrong.</summary>
public sealed class SweepGatherException : IOException
{
    /// <summary>Creates the exception with a message naming the folders or cells at fault.</summary>
    public SweepGatherException(string message) : base(message) { }
}

/// <summary>
/// <c>cnn sweep gather DIR…</c>: merges the folders of a sharded sweep (each with <c>sweep.json</c> and
/// <c>results.json</c>) into one folder holding the whole sweep's results, after checking that they are shards of
/// the same sweep and that every cell is present exactly once.
/// </summary>
public static class SweepGather
{
    /// <summary>Merges <paramref name="dirs"/> into <paramref name="outDir"/> (default: their common parent folder).</summary>
    /// <returns>The folder written and the merged cells in cell order.</returns>
    /// <exception cref="ArgumentException">No folders given.</exception>
    /// <exception cref="FileNotFoundException">A folder holds no <c>sweep.json</c>.</exception>
    /// <exception cref="SweepGatherException">The folders belong to different sweeps, or cells are duplicated or missing.</exception>
    public static (string OutDir, IReadOnlyList<CellResult> Cells) Gather(IReadOnlyList<string> dirs, string? outDir)
    {
        ArgumentNullException.ThrowIfNull(dirs);
        if (dirs.Count == 0) throw new ArgumentException("gather needs at least one sweep folder, e.g. cnn sweep gather runs/fig12/shard-*.");
        var full = dirs.Select(d => Path.GetFullPath(d)).Distinct().ToList();
        var manifests = full.Select(SweepManifest.Read).ToList();
        var first = manifests[0];
        for (int i = 1; i < manifests.Count; i++)
        {
            var differences = first.Differences(manifests[i]);
            if (differences.Count > 0)
                throw new SweepGatherException($"{full[i]} is not a shard of the same sweep as {full[0]}: {string.Join("; ", differences)}.");
        }

        var grid = first.Grid;
        var cells = new SortedDictionary<int, CellResult>();
        var from = new Dictionary<int, string>();
        var duplicates = new List<string>();
        for (int i = 0; i < full.Count; i++)
        {
            foreach (var cell in SweepResults.Read(full[i], grid))
            {
                if (from.TryGetValue(cell.Index, out string? other))
                {
                    duplicates.Add($"cell {cell.Index} ({grid.Describe(cell.Index)}) in {other} and {full[i]}");
                    continue;
                }
                from[cell.Index] = full[i];
                cells[cell.Index] = cell;
            }
        }
        if (duplicates.Count > 0)
            throw new SweepGatherException($"{duplicates.Count} cell(s) appear in more than one folder: {List(duplicates)}.");
        var missing = Enumerable.Range(0, grid.Count).Where(i => !cells.ContainsKey(i))
            .Select(i => $"cell {i} ({grid.Describe(i)})").ToList();
        if (missing.Count > 0)
            throw new SweepGatherException($"{missing.Count} of {grid.Count} cells are missing: {List(missing)}. Run or resume the shards that hold them, or pass their folders too.");

        string target = Path.GetFullPath(outDir ?? CommonParent(full));
        Directory.CreateDirectory(target);
        new SweepManifest(first.Fields, grid, Shard: null) { Repeats = first.Repeats, Data = first.Data }.Write(target);
        // The per-cell histories come along (the shards' cells/ folders hold disjoint cells).
        foreach (var (index, folder) in from.Where(f => f.Value != target))
        {
            string source = SweepRunner.CellHistory(folder, index);
            if (!File.Exists(source)) continue;
            Directory.CreateDirectory(Path.Combine(target, SweepRunner.CellsFolder));
            File.Copy(source, SweepRunner.CellHistory(target, index), overwrite: true);
        }
        var results = new SweepResults(target, grid, cells.Values, first.Repeats);
        results.WriteFiles();
        return (target, results.Cells);
    }

    /// <summary>The deepest folder containing every one of <paramref name="dirs"/> (full paths) — their parent when they are siblings.</summary>
    public static string CommonParent(IReadOnlyList<string> dirs)
    {
        ArgumentNullException.ThrowIfNull(dirs);
        var parts = dirs.Select(d => Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(d)))!
            .Split(Path.DirectorySeparatorChar)).ToList();
        int n = parts.Min(p => p.Length);
        int common = 0;
        while (common < n && parts.All(p => p[common] == parts[0][common])) common++;
        string joined = string.Join(Path.DirectorySeparatorChar, parts[0].Take(common));
        return joined.Length == 0 ? Path.GetPathRoot(Path.GetFullPath(dirs[0]))! : joined;
    }

    private static string List(List<string> items) =>
        items.Count <= 10 ? string.Join(", ", items) : $"{string.Join(", ", items.Take(10))} and {items.Count - 10} more";
}
