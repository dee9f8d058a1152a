using System.Globalization;
using System.Text;
using System.Text.Json;
using Engine.Data;

namespace Cnn;

/// <summary>What one finished cell of a sweep measured.</summary>
/// <param name="Index">The cell's position in the grid's cartesian order.</param>
/// <param name="Values">The cell's axis values, in axis order (canonical strings).</param>
/// <param name="TrainAccuracy">Training accuracy of the last finished epoch, or NaN if none finished.</param>
/// <param name="ValidationAccuracy">Validation accuracy of the last finished epoch, or NaN.</param>
/// <param name="TrainLoss">Training loss of the last finished epoch, or NaN.</param>
/// <param name="ValidationLoss">Validation loss of the last finished epoch, or NaN.</param>
/// <param name="Epochs">Epochs that finished.</param>
/// <param name="Seconds">Wall time of the cell.</param>
/// <param name="Status"><c>completed</c> or <c>diverged</c>.</param>
/// <param name="Seed">The network's seed.</param>
public sealed record CellResult(
    int Index, IReadOnlyList<string> Values, double TrainAccuracy, double ValidationAccuracy,
    double TrainLoss, double ValidationLoss, int Epochs, double Seconds, string Status, long Seed)
{
    /// <summary>Equal measurements and configuration, ignoring <see cref="Seconds"/> (wall time differs run to run).</summary>
    public bool SameOutcome(CellResult other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Index == other.Index && Values.SequenceEqual(other.Values) && Epochs == other.Epochs && Status == other.Status && Seed == other.Seed
            && Same(TrainAccuracy, other.TrainAccuracy) && Same(ValidationAccuracy, other.ValidationAccuracy)
            && Same(TrainLoss, other.TrainLoss) && Same(ValidationLoss, other.ValidationLoss);
    }

    private static bool Same(double a, double b) => BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b) || (double.IsNaN(a) && double.IsNaN(b));
}

/// <summary>
/// The identity of a sweep, kept in <c>DIR/sweep.json</c>: its fixed training configuration (every option that is not
/// a grid axis), its grid, and which shard of it a folder holds. Resume and gather compare these.
/// </summary>
/// <param name="Fields">The fixed options as (name, value) pairs in a stable order; value null when not set.</param>
/// <param name="Grid">The sweep's grid.</param>
/// <param name="Shard">The shard this folder holds (<c>i/n</c>), or null for a whole sweep.</param>
public sealed record SweepManifest(IReadOnlyList<KeyValuePair<string, string?>> Fields, Grid Grid, string? Shard)
{
    /// <summary>The file name of the manifest inside a sweep folder.</summary>
    public const string FileName = "sweep.json";

    /// <summary>
    /// The differences between this sweep and <paramref name="other"/> (fields and grid; the shard is not compared),
    /// one phrase each such as <c>epochs: 2 vs 3</c>; empty when they are the same sweep.
    /// </summary>
    public IReadOnlyList<string> Differences(SweepManifest other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var list = new List<string>();
        var mine = Fields.ToDictionary(f => f.Key, f => f.Value);
        var theirs = other.Fields.ToDictionary(f => f.Key, f => f.Value);
        foreach (string key in mine.Keys.Union(theirs.Keys))
        {
            mine.TryGetValue(key, out string? a);
            theirs.TryGetValue(key, out string? b);
            if (a != b) list.Add($"{key}: {a ?? "(grid axis or unset)"} vs {b ?? "(grid axis or unset)"}");
        }
        string GridText(Grid g) => string.Join(" ", g.Axes.Select(a => $"{a.Name}={string.Join(',', a.Values)}"));
        if (GridText(Grid) != GridText(other.Grid)) list.Add($"grid: {GridText(Grid)} vs {GridText(other.Grid)}");
        return list;
    }

    /// <summary>Writes the manifest to <c>dir/sweep.json</c> atomically.</summary>
    public void Write(string dir)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartObject("configuration");
            foreach (var (key, value) in Fields) w.WriteString(key, value);
            w.WriteEndObject();
            w.WriteStartArray("grid");
            foreach (var axis in Grid.Axes)
            {
                w.WriteStartObject();
                w.WriteString("name", axis.Name);
                w.WriteStartArray("values");
                foreach (string v in axis.Values) w.WriteStringValue(v);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("cells", Grid.Count);
            w.WriteString("shard", Shard);
            w.WriteEndObject();
        }
        SweepFiles.WriteAtomically(Path.Combine(dir, FileName), buffer.ToArray());
    }

    /// <summary>Reads <c>dir/sweep.json</c>.</summary>
    /// <exception cref="FileNotFoundException">The folder holds no sweep.</exception>
    /// <exception cref="DataFileException">The file is not a sweep manifest.</exception>
    public static SweepManifest Read(string dir)
    {
        string path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{dir} holds no sweep ({FileName} is missing).", path);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            var fields = root.GetProperty("configuration").EnumerateObject()
                .Select(p => new KeyValuePair<string, string?>(p.Name, p.Value.ValueKind == JsonValueKind.Null ? null : p.Value.GetString()))
                .ToList();
            var axes = root.GetProperty("grid").EnumerateArray()
                .Select(a => new GridAxis(a.GetProperty("name").GetString()!,
                    [.. a.GetProperty("values").EnumerateArray().Select(v => v.GetString()!)]))
                .ToList();
            string? shard = root.TryGetProperty("shard", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            return new SweepManifest(fields, new Grid(axes), shard);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new DataFileException(path, $"not a sweep manifest ({e.Message})", e);
        }
    }
}

/// <summary>
/// The finished cells of a sweep folder, kept in cell order and rewritten in full to <c>results.csv</c> and
/// <c>results.json</c> (temporary file, then rename) each time a cell is added, so the files are always whole.
/// Thread-safe.
/// </summary>
public sealed class SweepResults
{
    /// <summary>The CSV file name inside a sweep folder.</summary>
    public const string CsvFileName = "results.csv";

    /// <summary>The JSON file name inside a sweep folder.</summary>
    public const string JsonFileName = "results.json";

    private readonly object _lock = new();
    private readonly SortedDictionary<int, CellResult> _cells = [];
    private readonly string _dir;
    private readonly Grid _grid;

    /// <summary>Results of <paramref name="grid"/> kept in folder <paramref name="dir"/>, starting with <paramref name="existing"/>.</summary>
    public SweepResults(string dir, Grid grid, IEnumerable<CellResult>? existing = null)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentNullException.ThrowIfNull(grid);
        _dir = dir;
        _grid = grid;
        foreach (var cell in existing ?? []) _cells[cell.Index] = cell;
    }

    /// <summary>The finished cells in cell order (a snapshot).</summary>
    public IReadOnlyList<CellResult> Cells { get { lock (_lock) return [.. _cells.Values]; } }

    /// <summary>Whether cell <paramref name="index"/> has finished.</summary>
    public bool Contains(int index) { lock (_lock) return _cells.ContainsKey(index); }

    /// <summary>
    /// Adds a finished cell, rewrites both files, then calls <paramref name="whileLocked"/> (still under the lock, so
    /// progress lines come out in the order cells were written) with the number of finished cells and the best so far.
    /// </summary>
    public void Add(CellResult cell, Action<int, CellResult?>? whileLocked = null)
    {
        ArgumentNullException.ThrowIfNull(cell);
        lock (_lock)
        {
            _cells[cell.Index] = cell;
            WriteFiles();
            whileLocked?.Invoke(_cells.Count, Best(_cells.Values));
        }
    }

    /// <summary>Writes both files with the current cells (also when there are none: a header and an empty array).</summary>
    public void WriteFiles()
    {
        lock (_lock)
        {
            SweepFiles.WriteAtomically(Path.Combine(_dir, CsvFileName), Encoding.UTF8.GetBytes(ToCsv(_grid, _cells.Values)));
            SweepFiles.WriteAtomically(Path.Combine(_dir, JsonFileName), ToJson(_grid, _cells.Values));
        }
    }

    /// <summary>The cell with the highest validation accuracy (the first on ties), or null if none has one.</summary>
    public static CellResult? Best(IEnumerable<CellResult> cells) =>
        cells.Where(c => !double.IsNaN(c.ValidationAccuracy))
             .Aggregate((CellResult?)null, (best, c) => best is null || c.ValidationAccuracy > best.ValidationAccuracy ? c : best);

    /// <summary>The metric column names after the cell index and the axis columns.</summary>
    public static IReadOnlyList<string> MetricColumns { get; } = ["train_acc", "val_acc", "train_loss", "val_loss", "epochs", "seconds", "status", "seed"];

    /// <summary>CSV text: a header <c>cell,&lt;axes&gt;,train_acc,val_acc,train_loss,val_loss,epochs,seconds,status,seed</c>, one row per cell; NaN is an empty field.</summary>
    public static string ToCsv(Grid grid, IEnumerable<CellResult> cells)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("cell,").Append(string.Join(',', grid.Axes.Select(a => a.Name))).Append(',').Append(string.Join(',', MetricColumns)).Append('\n');
        foreach (var cell in cells)
        {
            sb.Append(cell.Index.ToString(c)).Append(',').Append(string.Join(',', cell.Values)).Append(',')
              .Append(Number(cell.TrainAccuracy)).Append(',').Append(Number(cell.ValidationAccuracy)).Append(',')
              .Append(Number(cell.TrainLoss)).Append(',').Append(Number(cell.ValidationLoss)).Append(',')
              .Append(cell.Epochs.ToString(c)).Append(',').Append(cell.Seconds.ToString("F3", c)).Append(',')
              .Append(cell.Status).Append(',').Append(cell.Seed.ToString(c)).Append('\n');
        }
        return sb.ToString();

        static string Number(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";
    }

    /// <summary>
    /// JSON: an array of flat cell objects <c>{"cell":0,"eta":0.0001,...,"train_acc":0.91,...,"status":"completed","seed":100}</c>;
    /// numeric axes as numbers, activation and pool as strings, NaN or infinite metrics as null.
    /// </summary>
    public static byte[] ToJson(Grid grid, IEnumerable<CellResult> cells)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var cell in cells)
            {
                w.WriteStartObject();
                w.WriteNumber("cell", cell.Index);
                for (int a = 0; a < grid.Axes.Count; a++)
                {
                    w.WritePropertyName(grid.Axes[a].Name);
                    if (IsNumeric(grid.Axes[a].Name)) w.WriteRawValue(cell.Values[a]);
                    else w.WriteStringValue(cell.Values[a]);
                }
                Number("train_acc", cell.TrainAccuracy);
                Number("val_acc", cell.ValidationAccuracy);
                Number("train_loss", cell.TrainLoss);
                Number("val_loss", cell.ValidationLoss);
                w.WriteNumber("epochs", cell.Epochs);
                w.WriteNumber("seconds", Math.Round(cell.Seconds, 3));
                w.WriteString("status", cell.Status);
                w.WriteNumber("seed", cell.Seed);
                w.WriteEndObject();
            }
            w.WriteEndArray();

            void Number(string name, double v)
            {
                if (double.IsFinite(v)) w.WriteNumber(name, v);
                else w.WriteNull(name);
            }
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Reads <c>dir/results.json</c> (none: an empty list), checking each cell's index and axis values against <paramref name="grid"/>.
    /// </summary>
    /// <exception cref="DataFileException">The file is malformed or a cell does not belong to the grid; the message names the file and the cell.</exception>
    public static List<CellResult> Read(string dir, Grid grid)
    {
        string path = Path.Combine(dir, JsonFileName);
        var list = new List<CellResult>();
        if (!File.Exists(path)) return list;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                int index = e.GetProperty("cell").GetInt32();
                if (index < 0 || index >= grid.Count) throw new DataFileException(path, $"cell {index} is outside the grid's 0..{grid.Count - 1}.");
                var values = new string[grid.Axes.Count];
                for (int a = 0; a < values.Length; a++)
                {
                    string name = grid.Axes[a].Name;
                    var v = e.GetProperty(name);
                    string raw = v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();
                    values[a] = GridAxis.Canonical(name, raw, why => $"cell {index}: {why}");
                }
                var expected = grid.Cell(index);
                if (!values.SequenceEqual(expected))
                    throw new DataFileException(path, $"cell {index} has {string.Join(' ', values)} but the grid's cell {index} is {grid.Describe(index)}.");
                list.Add(new CellResult(index, values, Get(e, "train_acc"), Get(e, "val_acc"), Get(e, "train_loss"), Get(e, "val_loss"),
                    e.GetProperty("epochs").GetInt32(), e.GetProperty("seconds").GetDouble(), e.GetProperty("status").GetString()!, e.GetProperty("seed").GetInt64()));
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new DataFileException(path, $"not a sweep results file ({e.Message})", e);
        }
        return list;

        static double Get(JsonElement e, string name)
        {
            var v = e.GetProperty(name);
            return v.ValueKind == JsonValueKind.Null ? double.NaN : v.GetDouble();
        }
    }

    private static bool IsNumeric(string axis) => axis is "eta" or "lambda" or "filters" or "hidden";
}

/// <summary>File helpers for sweep folders.</summary>
public static class SweepFiles
{
    /// <summary>Writes <paramref name="bytes"/> to a temporary file beside <paramref name="path"/>, then renames it over <paramref name="path"/>, so readers never see half a file.</summary>
    public static void WriteAtomically(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(bytes);
        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
