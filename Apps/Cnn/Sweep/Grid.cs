using System.Globalization;

namespace Cnn;

/// <summary>
/// One axis of a sweep: a training option (any of <see cref="TrainOptionTable"/>) and the values it takes, parsed from a
/// <c>--grid</c> value. Real options take lists or log grids (<c>eta=1e-4:1:5</c>: 5 values from 1e-4 to 1, both ends
/// included, evenly spaced in log scale), whole-number options lists or ranges (<c>filters=1..5</c>,
/// <c>batch-size=16..128:16</c>), the others lists (<c>optimizer=sgd,adam</c>). Every value is checked as the option
/// checks it, after rounding to the float training uses, before any cell runs.
/// </summary>
/// <param name="Name">The option's name, e.g. <c>eta</c> or <c>batch-size</c>.</param>
/// <param name="Values">The values in grid order, canonical strings.</param>
public sealed record GridAxis(string Name, IReadOnlyList<string> Values)
{
    /// <summary>The most values one axis may have.</summary>
    public const int MaxValues = 10_000;

    /// <summary>The names an axis may have: every training option.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. TrainOptionTable.All.Select(o => o.Name)];

    /// <summary>The option this axis varies.</summary>
    public TrainOption Option => TrainOptionTable.Get(Name);

    /// <summary>
    /// The axis' column in results.csv and results.json: the option's key (<c>batch_size</c>), or <c>grid_seed</c> and
    /// <c>grid_epochs</c> for the options whose keys are result columns too (the seed run, the epochs finished).
    /// </summary>
    public string Column => SweepResults.MetricColumns.Contains(Option.Key) || SweepResults.SpreadColumns.Contains(Option.Key) ? "grid_" + Option.Key : Option.Key;

    /// <summary>Parses one <c>--grid</c> value.</summary>
    /// <param name="spec">E.g. <c>eta=1e-4:1:5</c>, <c>lambda=0,0.001</c>, <c>hidden=10..30:10</c>, <c>optimizer=sgd,adam</c>.</param>
    /// <exception cref="UsageException">The spec is malformed; the message quotes it and says what is wrong.</exception>
    public static GridAxis Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        UsageException Bad(string why) => new($"--grid '{spec}': {why}");
        int eq = spec.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == spec.Length - 1)
            throw Bad("expected name=from:to:count or name=v1,v2,... (e.g. eta=1e-4:1:5, filters=1,2,3).");
        string name = spec[..eq].Trim();
        string body = spec[(eq + 1)..].Trim();
        var option = TrainOptionTable.Find(name)
            ?? throw Bad($"unknown axis '{name}'; choose one of {string.Join(", ", Names)}.");

        List<string> values;
        try
        {
            values = option.Kind switch
            {
                OptionKind.Real when body.Contains(':', StringComparison.Ordinal) => LogGrid(option, body),
                OptionKind.Integer when body.Contains("..", StringComparison.Ordinal) => Range(option, body),
                OptionKind.Choice when body.Contains(':', StringComparison.Ordinal) =>
                    throw new UsageException($"{option.Name} takes a list, e.g. {option.Name}={string.Join(',', option.Choices.Take(2))}."),
                OptionKind.Integer when body.Contains(':', StringComparison.Ordinal) =>
                    throw new UsageException($"a log grid from:to:count is only for real-valued options (eta, lambda, …); give {option.Name} as a list or a range, e.g. {option.Name}=1,2,3 or {option.Name}=1..5."),
                _ => List(option, body),
            };
        }
        catch (UsageException e)
        {
            throw Bad(e.Message);
        }
        if (values.Count > MaxValues) throw Bad($"{values.Count} values; an axis may have at most {MaxValues}.");
        var duplicate = values.GroupBy(v => v).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw Bad($"value {duplicate.Key} appears more than once{(option.Kind == OptionKind.Real ? " (as a 32-bit float)" : "")}.");
        return new GridAxis(option.Name, values);
    }

    private static List<string> List(TrainOption option, string body)
    {
        var values = new List<string>();
        foreach (string raw in body.Split(',', StringSplitOptions.TrimEntries))
        {
            if (raw.Length == 0) throw new UsageException("empty value in the list.");
            values.Add(option.Canonical(raw));
        }
        return values;
    }

    /// <summary><c>from..to</c> or <c>from..to:step</c>, both ends included (the last value is the largest ≤ to).</summary>
    private static List<string> Range(TrainOption option, string body)
    {
        string[] ends = body.Split("..", StringSplitOptions.TrimEntries);
        string[] tail = ends.Length == 2 ? ends[1].Split(':', StringSplitOptions.TrimEntries) : [];
        if (ends.Length != 2 || tail.Length is < 1 or > 2)
            throw new UsageException("a range is from..to or from..to:step, e.g. 1..5 or 16..128:16.");
        long from = long.Parse(option.Canonical(ends[0]), CultureInfo.InvariantCulture);
        long to = long.Parse(option.Canonical(tail[0]), CultureInfo.InvariantCulture);
        long step = 1;
        if (tail.Length == 2 && (!long.TryParse(tail[1], NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1))
            throw new UsageException($"the step must be a whole number ≥ 1, not '{tail[1]}'.");
        if (to < from) throw new UsageException($"the range {from}..{to} is empty; from must be ≤ to.");
        if ((to - from) / step + 1 > MaxValues) throw new UsageException($"the range has more than {MaxValues} values.");
        var values = new List<string>();
        for (long v = from; v <= to; v += step) values.Add(option.Canonical(v.ToString(CultureInfo.InvariantCulture)));
        return values;
    }

    private static List<string> LogGrid(TrainOption option, string body)
    {
        string[] parts = body.Split(':', StringSplitOptions.TrimEntries);
        if (parts.Length != 3) throw new UsageException("a log grid is from:to:count, e.g. 1e-4:1:5.");
        if (!double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double from) || !double.IsFinite(from) || from <= 0)
            throw new UsageException($"'from' must be a positive number (log grid), not '{parts[0]}'.");
        if (!double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double to) || !double.IsFinite(to) || to <= 0)
            throw new UsageException($"'to' must be a positive number (log grid), not '{parts[1]}'.");
        if (!int.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out int count) || count < 1)
            throw new UsageException($"'count' must be a whole number ≥ 1, not '{parts[2]}'.");
        if (count > MaxValues) throw new UsageException($"'count' may be at most {MaxValues}, not {count}.");
        if (count == 1 && from != to) throw new UsageException("a count of 1 needs from = to.");
        var values = new List<string>(count);
        double logFrom = Math.Log10(from), logTo = Math.Log10(to);
        for (int i = 0; i < count; i++)
        {
            // Exact ends; interior points 10^(a + i (b - a) / (count - 1)), rounded to float once and checked there.
            double v = i == 0 ? from : i == count - 1 ? to : Math.Pow(10, logFrom + i * (logTo - logFrom) / (count - 1));
            string written = i == 0 ? parts[0] : i == count - 1 ? parts[1] : v.ToString("G6", CultureInfo.InvariantCulture);
            values.Add(option.CanonicalReal(v, written));
        }
        return values;
    }
}

/// <summary>
/// The cells of a sweep: the cartesian product of its axes in a fixed order (the first axis varies slowest,
/// the last fastest), so cell <c>i</c> is the same configuration on every machine and in every shard.
/// </summary>
public sealed class Grid
{
    /// <summary>The most cells a grid may have.</summary>
    public const int MaxCells = 1_000_000;

    /// <summary>Builds the product of <paramref name="axes"/>.</summary>
    /// <exception cref="UsageException">No axes, an axis given twice, or too many cells.</exception>
    public Grid(IReadOnlyList<GridAxis> axes)
    {
        ArgumentNullException.ThrowIfNull(axes);
        if (axes.Count == 0) throw new UsageException("A sweep needs at least one --grid axis, e.g. --grid eta=1e-4:1:5.");
        var twice = axes.GroupBy(a => a.Name).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new UsageException($"--grid {twice.Key} is given more than once.");
        Axes = axes;
        long count = 1;
        foreach (var axis in axes) count = Math.Min(count * axis.Values.Count, MaxCells + 1L);
        if (count > MaxCells) throw new UsageException($"The grid has more than {MaxCells} cells; make it smaller or split it into several sweeps.");
        Count = (int)count;
    }

    /// <summary>The axes, in command-line order.</summary>
    public IReadOnlyList<GridAxis> Axes { get; }

    /// <summary>The number of cells (product of the axis lengths).</summary>
    public int Count { get; }

    /// <summary>The position of cell <paramref name="index"/> along each axis (indices into each axis' values).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside 0..Count-1.</exception>
    public int[] Position(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var position = new int[Axes.Count];
        for (int a = Axes.Count - 1; a >= 0; a--)
        {
            int n = Axes[a].Values.Count;
            position[a] = index % n;
            index /= n;
        }
        return position;
    }

    /// <summary>The values of cell <paramref name="index"/>, one per axis in axis order.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside 0..Count-1.</exception>
    public string[] Cell(int index)
    {
        var position = Position(index);
        return [.. position.Select((p, a) => Axes[a].Values[p])];
    }

    /// <summary>The cell's values as <c>eta=0.01 lambda=0.001</c>, for messages.</summary>
    public string Describe(int index)
    {
        var values = Cell(index);
        return string.Join(' ', Axes.Select((a, i) => $"{a.Name}={values[i]}"));
    }

    /// <summary>
    /// Some cells (indices in increasing order) for messages: <c>optimizer=sgd,nesterov</c> when they are
    /// exactly the cells with those values of the axes named (several axes joined by "and"; values written as in
    /// <c>--grid</c>, <c>augment=crop=2+flip</c>), else their indices
    /// (<c>cells 0, 3, 5</c>, the first ten).
    /// </summary>
    public string DescribeCells(IReadOnlyList<int> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var taken = Axes.Select(_ => new SortedSet<int>()).ToArray();
        foreach (int cell in cells)
        {
            var position = Position(cell);
            for (int a = 0; a < Axes.Count; a++) taken[a].Add(position[a]);
        }
        long product = taken.Aggregate(1L, (n, values) => n * values.Count);
        var restricted = Enumerable.Range(0, Axes.Count).Where(a => taken[a].Count < Axes[a].Values.Count).ToList();
        if (product == cells.Count && restricted.Count > 0)
            return string.Join(" and ", restricted.Select(a => $"{Axes[a].Name}={string.Join(',', taken[a].Select(p => Axes[a].Values[p].Replace(',', '+')))}"));
        const int shown = 10;
        return "cells " + string.Join(", ", cells.Take(shown)) + (cells.Count > shown ? ", …" : "");
    }

    /// <summary>The run settings of cell <paramref name="index"/>: <paramref name="fixedSettings"/> with each axis' value set.</summary>
    public RunSettings Settings(RunSettings fixedSettings, int index)
    {
        ArgumentNullException.ThrowIfNull(fixedSettings);
        var values = Cell(index);
        var settings = fixedSettings;
        for (int a = 0; a < values.Length; a++) settings = settings.With(Axes[a].Name, values[a]);
        return settings;
    }
}
