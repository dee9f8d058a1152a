using System.Globalization;
using System.Text;
using System.Text.Json;
using Engine.Data;

namespace Cnn;

/// <summary>The standard deviations over a cell's repeats (sample standard deviation, n − 1), NaN where undefined.</summary>
/// <param name="TrainAccuracy">Of the training accuracy.</param>
/// <param name="ValidationAccuracy">Of the validation accuracy.</param>
/// <param name="TrainLoss">Of the training loss.</param>
/// <param name="ValidationLoss">Of the validation loss.</param>
public sealed record MetricSpread(double TrainAccuracy, double ValidationAccuracy, double TrainLoss, double ValidationLoss);

/// <summary>What one finished cell of a sweep measured: the last epoch's metrics, as the mean over its repeats.</summary>
/// <param name="Index">The cell's position in the grid's cartesian order.</param>
/// <param name="Values">The cell's axis values, in axis order (canonical strings).</param>
/// <param name="TrainAccuracy">Training accuracy of the last finished epoch (mean over repeats), or NaN if none finished.</param>
/// <param name="ValidationAccuracy">Validation accuracy of the last finished epoch (mean), or NaN.</param>
/// <param name="TrainLoss">Training loss of the last finished epoch (mean), or NaN.</param>
/// <param name="ValidationLoss">Validation loss of the last finished epoch (mean), or NaN.</param>
/// <param name="Epochs">Epochs that finished (the fewest over repeats).</param>
/// <param name="Seconds">Wall time of the cell, all repeats.</param>
/// <param name="Status"><c>completed</c>, or <c>diverged</c> when any repeat diverged.</param>
/// <param name="Seed">The first repeat's seed (repeat r has Seed + r).</param>
public sealed record CellResult(
    int Index, IReadOnlyList<string> Values, double TrainAccuracy, double ValidationAccuracy,
    double TrainLoss, double ValidationLoss, int Epochs, double Seconds, string Status, long Seed)
{
    /// <summary>The statuses a cell can have.</summary>
    public static IReadOnlyList<string> Statuses { get; } = ["completed", "diverged"];

    /// <summary>Seeds the cell ran (1 without <c>--repeats</c>).</summary>
    public int Repeats { get; init; } = 1;

    /// <summary>Standard deviations over the repeats; null with one repeat.</summary>
    public MetricSpread? Spread { get; init; }

    /// <summary>Equal measurements and configuration, ignoring <see cref="Seconds"/> (wall time differs run to run).</summary>
    public bool SameOutcome(CellResult other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Index == other.Index && Values.SequenceEqual(other.Values) && Epochs == other.Epochs && Status == other.Status && Seed == other.Seed
            && Repeats == other.Repeats && (Spread is null) == (other.Spread is null)
            && Same(TrainAccuracy, other.TrainAccuracy) && Same(ValidationAccuracy, other.ValidationAccuracy)
            && Same(TrainLoss, other.TrainLoss) && Same(ValidationLoss, other.ValidationLoss)
            && (Spread is null || (Same(Spread.TrainAccuracy, other.Spread!.TrainAccuracy) && Same(Spread.ValidationAccuracy, other.Spread.ValidationAccuracy)
                && Same(Spread.TrainLoss, other.Spread.TrainLoss) && Same(Spread.ValidationLoss, other.Spread.ValidationLoss)));
    }

    /// <summary>
    /// The cell of <paramref name="runs"/> (one per repeat, seeds <paramref name="seed"/>, +1, …): means of the last
    /// epoch's metrics over the repeats that finished one, their standard deviations when there are several repeats.
    /// </summary>
    public static CellResult FromRuns(int index, IReadOnlyList<string> values, long seed, IReadOnlyList<Engine.Training.History> runs, double seconds)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var lasts = runs.Where(h => h.Epochs.Count > 0).Select(h => h.Last).ToList();
        (double Mean, double Std) Of(Func<Engine.Training.EpochReport, double> metric)
        {
            var xs = lasts.Select(metric).Where(double.IsFinite).ToList();
            if (xs.Count == 0) return (double.NaN, double.NaN);
            double mean = xs.Sum() / xs.Count;
            double std = xs.Count < 2 ? double.NaN : Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Count - 1));
            return (mean, std);
        }
        var (ta, tas) = Of(e => e.TrainAccuracy);
        var (va, vas) = Of(e => e.ValidationAccuracy);
        var (tl, tls) = Of(e => e.TrainLoss);
        var (vl, vls) = Of(e => e.ValidationLoss);
        bool diverged = runs.Any(h => h.Status == Engine.Training.TrainingStatus.Diverged);
        return new CellResult(index, values, ta, va, tl, vl, runs.Min(h => h.Epochs.Count), seconds, diverged ? "diverged" : "completed", seed)
        {
            Repeats = runs.Count,
            Spread = runs.Count > 1 ? new MetricSpread(tas, vas, tls, vls) : null,
        };
    }

    private static bool Same(double a, double b) => BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b) || (double.IsNaN(a) && double.IsNaN(b));
}

/// <summary>
/// The identity of a sweep, kept in <c>DIR/sweep.json</c>: its fixed training configuration (every option that is not
/// a grid axis), its grid, the repeats per cell, the dataset folders it read, and which shard of it a folder holds.
/// Resume and gather compare these.
/// </summary>
/// <param name="Fields">The fixed options as (file key, value) pairs in table order; value null when not set.</param>
/// <param name="Grid">The sweep's grid.</param>
/// <param name="Shard">The shard this folder holds (<c>i/n</c>), or null for a whole sweep.</param>
public sealed record SweepManifest(IReadOnlyList<KeyValuePair<string, string?>> Fields, Grid Grid, string? Shard)
{
    /// <summary>The file name of the manifest inside a sweep folder.</summary>
    public const string FileName = "sweep.json";

    /// <summary>The largest sweep.json read.</summary>
    private const long MaxBytes = 16 << 20;

    /// <summary>Seeds per cell (<c>--repeats</c>).</summary>
    public int Repeats { get; init; } = 1;

    /// <summary>The recipe the fixed options start from (<c>--recipe</c>), or null.</summary>
    public string? Recipe { get; init; }

    /// <summary>The dataset folders the cells read, by name (e.g. <c>cifar-10-subset</c>), comma-separated; null when not recorded.</summary>
    public string? Data { get; init; }

    /// <summary>
    /// The differences between this sweep and <paramref name="other"/> (fields, grid, repeats, recipe and data; the shard
    /// is not compared), one phrase each such as <c>epochs: 2 vs 3</c>; empty when they are the same sweep. A field one
    /// side lacks and the other has at its option's default is no difference (a sweep.json written before the option
    /// existed).
    /// </summary>
    public IReadOnlyList<string> Differences(SweepManifest other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var list = new List<string>();
        var mine = Fields.ToDictionary(f => f.Key, f => f.Value);
        var theirs = other.Fields.ToDictionary(f => f.Key, f => f.Value);
        foreach (string key in mine.Keys.Union(theirs.Keys))
        {
            bool inMine = mine.TryGetValue(key, out string? a), inTheirs = theirs.TryGetValue(key, out string? b);
            if (a == b) continue;
            // A field missing on one side (a sweep.json older than the option) had the option's default there.
            if (inMine != inTheirs && (inMine ? a : b) == TrainOptionTable.Find(key)?.Default) continue;
            list.Add($"{key}: {a ?? "(grid axis or unset)"} vs {b ?? "(grid axis or unset)"}");
        }
        string GridText(Grid g) => string.Join(" ", g.Axes.Select(a => $"{a.Name}={string.Join(',', a.Values)}"));
        if (GridText(Grid) != GridText(other.Grid)) list.Add($"grid: {GridText(Grid)} vs {GridText(other.Grid)}");
        if (Repeats != other.Repeats) list.Add($"repeats: {Repeats} vs {other.Repeats}");
        if (Recipe != other.Recipe) list.Add($"recipe: {Recipe ?? "none"} vs {other.Recipe ?? "none"}");
        if (Data is not null && other.Data is not null && Data != other.Data) list.Add($"data: {Data} vs {other.Data}");
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
            w.WriteNumber("repeats", Repeats);
            w.WriteString("recipe", Recipe);
            w.WriteString("data", Data);
            w.WriteString("shard", Shard);
            w.WriteEndObject();
        }
        SweepFiles.WriteAtomically(Path.Combine(dir, FileName), buffer.ToArray());
    }

    /// <summary>Reads <c>dir/sweep.json</c>.</summary>
    /// <exception cref="FileNotFoundException">The folder holds no sweep.</exception>
    /// <exception cref="DataFileException">The file is not a sweep manifest (the message says what is wrong).</exception>
    public static SweepManifest Read(string dir)
    {
        string path = Path.Combine(dir, FileName);
        if (!File.Exists(path) && !Directory.Exists(path)) throw new FileNotFoundException($"{dir} holds no sweep ({FileName} is missing).", path);
        try
        {
            using var doc = JsonDocument.Parse(DataFile.ReadAllBytes(path, MaxBytes));
            var root = doc.RootElement;
            var fields = root.GetProperty("configuration").EnumerateObject()
                .Select(p => new KeyValuePair<string, string?>(p.Name, p.Value.ValueKind == JsonValueKind.Null ? null : p.Value.GetString()))
                .ToList();
            var axes = root.GetProperty("grid").EnumerateArray()
                .Select(a => new GridAxis(TrainOptionTable.Get(a.GetProperty("name").GetString()!).Name,
                    [.. a.GetProperty("values").EnumerateArray().Select(v => v.GetString()!)]))
                .ToList();
            string? shard = root.TryGetProperty("shard", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            int repeats = root.TryGetProperty("repeats", out var r) ? r.GetInt32() : 1;
            if (repeats < 1) throw new FormatException($"repeats is {repeats}; it must be at least 1");
            string? data = root.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            string? recipe = root.TryGetProperty("recipe", out var rc) && rc.ValueKind == JsonValueKind.String ? rc.GetString() : null;
            return new SweepManifest(fields, new Grid(axes), shard) { Repeats = repeats, Data = data, Recipe = recipe };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw new DataFileException(path, $"not a sweep manifest ({e.Message.TrimEnd('.')}).", e);
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

    /// <summary>The largest results.json read.</summary>
    private const long MaxBytes = 1L << 30;

    private readonly Lock _lock = new();
    private readonly SortedDictionary<int, CellResult> _cells = [];
    private readonly string _dir;
    private readonly Grid _grid;
    private readonly int _repeats;

    /// <summary>Results of <paramref name="grid"/> (with <paramref name="repeats"/> seeds per cell) kept in <paramref name="dir"/>, starting with <paramref name="existing"/>.</summary>
    public SweepResults(string dir, Grid grid, IEnumerable<CellResult>? existing = null, int repeats = 1)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentNullException.ThrowIfNull(grid);
        _dir = dir;
        _grid = grid;
        _repeats = repeats;
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
            SweepFiles.WriteAtomically(Path.Combine(_dir, CsvFileName), Encoding.UTF8.GetBytes(ToCsv(_grid, _cells.Values, _repeats)));
            SweepFiles.WriteAtomically(Path.Combine(_dir, JsonFileName), ToJson(_grid, _cells.Values, _repeats));
        }
    }

    /// <summary>The cell with the highest validation accuracy (the first on ties), or null if none has one.</summary>
    public static CellResult? Best(IEnumerable<CellResult> cells) =>
        cells.Where(c => !double.IsNaN(c.ValidationAccuracy))
             .Aggregate((CellResult?)null, (best, c) => best is null || c.ValidationAccuracy > best.ValidationAccuracy ? c : best);

    /// <summary>The metric column names after the cell index and the axis columns.</summary>
    public static IReadOnlyList<string> MetricColumns { get; } = ["train_acc", "val_acc", "train_loss", "val_loss", "epochs", "seconds", "status", "seed"];

    /// <summary>The columns added after <see cref="MetricColumns"/> when cells run several seeds (<c>--repeats</c>).</summary>
    public static IReadOnlyList<string> SpreadColumns { get; } = ["train_acc_std", "val_acc_std", "train_loss_std", "val_loss_std", "repeats"];

    /// <summary>
    /// CSV text: a header <c>cell,&lt;axes&gt;,train_acc,val_acc,train_loss,val_loss,epochs,seconds,status,seed</c> (and
    /// <see cref="SpreadColumns"/> when <paramref name="repeats"/> &gt; 1), one row per cell; NaN is an empty field.
    /// </summary>
    public static string ToCsv(Grid grid, IEnumerable<CellResult> cells, int repeats = 1)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(cells);
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("cell,").Append(string.Join(',', grid.Axes.Select(a => a.Column))).Append(',').Append(string.Join(',', MetricColumns));
        if (repeats > 1) sb.Append(',').Append(string.Join(',', SpreadColumns));
        sb.Append('\n');
        foreach (var cell in cells)
        {
            sb.Append(cell.Index.ToString(c)).Append(',').Append(string.Join(',', cell.Values.Select(Quoted))).Append(',')
              .Append(HistoryFiles.Number(cell.TrainAccuracy)).Append(',').Append(HistoryFiles.Number(cell.ValidationAccuracy)).Append(',')
              .Append(HistoryFiles.Number(cell.TrainLoss)).Append(',').Append(HistoryFiles.Number(cell.ValidationLoss)).Append(',')
              .Append(cell.Epochs.ToString(c)).Append(',').Append(cell.Seconds.ToString("F3", c)).Append(',')
              .Append(cell.Status).Append(',').Append(cell.Seed.ToString(c));
            if (repeats > 1)
            {
                var s = cell.Spread;
                sb.Append(',').Append(HistoryFiles.Number(s?.TrainAccuracy ?? double.NaN)).Append(',').Append(HistoryFiles.Number(s?.ValidationAccuracy ?? double.NaN))
                  .Append(',').Append(HistoryFiles.Number(s?.TrainLoss ?? double.NaN)).Append(',').Append(HistoryFiles.Number(s?.ValidationLoss ?? double.NaN))
                  .Append(',').Append(cell.Repeats.ToString(c));
            }
            sb.Append('\n');
        }
        return sb.ToString();

        static string Quoted(string v) => v.Contains(',', StringComparison.Ordinal) || v.Contains('"', StringComparison.Ordinal) ? $"\"{v.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : v;
    }

    /// <summary>
    /// JSON: an array of flat cell objects <c>{"cell":0,"eta":0.0001,...,"train_acc":0.91,...,"status":"completed","seed":100}</c>
    /// (with <c>train_acc_std</c> … <c>repeats</c> when <paramref name="repeats"/> &gt; 1); numeric axes as numbers, the
    /// others as strings, NaN or infinite metrics as null.
    /// </summary>
    public static byte[] ToJson(Grid grid, IEnumerable<CellResult> cells, int repeats = 1)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(cells);
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
                    var option = grid.Axes[a].Option;
                    w.WritePropertyName(grid.Axes[a].Column);
                    if (option.IsNumeric) w.WriteRawValue(cell.Values[a]);
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
                if (repeats > 1)
                {
                    Number("train_acc_std", cell.Spread?.TrainAccuracy ?? double.NaN);
                    Number("val_acc_std", cell.Spread?.ValidationAccuracy ?? double.NaN);
                    Number("train_loss_std", cell.Spread?.TrainLoss ?? double.NaN);
                    Number("val_loss_std", cell.Spread?.ValidationLoss ?? double.NaN);
                    w.WriteNumber("repeats", cell.Repeats);
                }
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
    /// Reads <c>dir/results.json</c> (none: an empty list), checking each cell's index and axis values against
    /// <paramref name="grid"/>, that no cell appears twice, and that every status, count and metric is well-formed.
    /// </summary>
    /// <exception cref="DataFileException">The file is malformed or a cell does not belong to the grid; the message names the file and the cell.</exception>
    public static List<CellResult> Read(string dir, Grid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        string path = Path.Combine(dir, JsonFileName);
        var list = new List<CellResult>();
        if (!File.Exists(path) && !Directory.Exists(path)) return list;
        try
        {
            using var doc = JsonDocument.Parse(DataFile.ReadAllBytes(path, MaxBytes));
            var seen = new HashSet<int>();
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                int index = e.GetProperty("cell").GetInt32();
                if (index < 0 || index >= grid.Count) throw new DataFileException(path, $"cell {index} is outside the grid's 0..{grid.Count - 1}.");
                if (!seen.Add(index)) throw new DataFileException(path, $"cell {index} ({grid.Describe(index)}) appears more than once.");
                var values = new string[grid.Axes.Count];
                for (int a = 0; a < values.Length; a++)
                {
                    var option = grid.Axes[a].Option;
                    var v = e.GetProperty(grid.Axes[a].Column);
                    string raw = v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();
                    try { values[a] = option.Canonical(raw); }
                    catch (UsageException bad) { throw new DataFileException(path, $"cell {index}: {bad.Message}"); }
                }
                var expected = grid.Cell(index);
                if (!values.SequenceEqual(expected))
                    throw new DataFileException(path, $"cell {index} has {string.Join(' ', values)} but the grid's cell {index} is {grid.Describe(index)}.");
                string? status = e.GetProperty("status").ValueKind == JsonValueKind.String ? e.GetProperty("status").GetString() : null;
                if (status is null || !CellResult.Statuses.Contains(status))
                    throw new DataFileException(path, $"cell {index} has status {e.GetProperty("status").GetRawText()}; it must be {string.Join(" or ", CellResult.Statuses)}.");
                int epochs = e.GetProperty("epochs").GetInt32();
                if (epochs < 0) throw new DataFileException(path, $"cell {index} has {epochs} epochs.");
                int repeats = e.TryGetProperty("repeats", out var r) ? r.GetInt32() : 1;
                if (repeats < 1) throw new DataFileException(path, $"cell {index} has {repeats} repeats.");
                list.Add(new CellResult(index, values, Get(e, "train_acc"), Get(e, "val_acc"), Get(e, "train_loss"), Get(e, "val_loss"),
                    epochs, e.GetProperty("seconds").GetDouble(), status, e.GetProperty("seed").GetInt64())
                {
                    Repeats = repeats,
                    Spread = repeats > 1 ? new MetricSpread(Get(e, "train_acc_std"), Get(e, "val_acc_std"), Get(e, "train_loss_std"), Get(e, "val_loss_std")) : null,
                });
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new DataFileException(path, $"not a sweep results file ({e.Message.TrimEnd('.')}).", e);
        }
        return list;

        double Get(JsonElement e, string name)
        {
            var v = e.GetProperty(name);
            if (v.ValueKind == JsonValueKind.Null) return double.NaN;
            double d = v.GetDouble();
            return double.IsFinite(d) ? d : throw new FormatException($"{name} is {d}");
        }
    }
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
