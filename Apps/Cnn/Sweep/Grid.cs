using System.Globalization;

namespace Cnn;

/// <summary>
/// One axis of a sweep: a training option and the values it takes, parsed from a <c>--grid</c> value such as
/// <c>eta=1e-4:1:5</c> (5 log-spaced values from 1e-4 to 1, both ends included) or <c>filters=1,2,3</c> (a list).
/// Values are kept as canonical strings (floats in shortest round-trip form) so cells compare and print exactly.
/// </summary>
/// <param name="Name">The option: eta, lambda, filters, hidden, activation or pool.</param>
/// <param name="Values">The values in grid order, canonical strings.</param>
public sealed record GridAxis(string Name, IReadOnlyList<string> Values)
{
    /// <summary>The axes a grid may have, in the order they are documented.</summary>
    public static IReadOnlyList<string> Names { get; } = ["eta", "lambda", "filters", "hidden", "activation", "pool"];

    /// <summary>Parses one <c>--grid</c> value.</summary>
    /// <param name="spec">E.g. <c>eta=1e-4:1:5</c>, <c>lambda=0,0.001,0.01</c>, <c>hidden=10,20,30</c>, <c>activation=relu,lrelu</c>.</param>
    /// <exception cref="ArgumentException">The spec is malformed; the message quotes it and says what is wrong.</exception>
    public static GridAxis Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string Bad(string why) => $"--grid '{spec}': {why}";
        int eq = spec.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == spec.Length - 1)
            throw new ArgumentException(Bad("expected name=from:to:count or name=v1,v2,... (e.g. eta=1e-4:1:5, filters=1,2,3)."));
        string name = spec[..eq].Trim().ToLowerInvariant();
        string body = spec[(eq + 1)..].Trim();
        if (!Names.Contains(name))
            throw new ArgumentException(Bad($"unknown axis '{name}'; choose one of {string.Join(", ", Names)}."));

        List<string> values;
        if (body.Contains(':', StringComparison.Ordinal))
        {
            if (name is not ("eta" or "lambda"))
                throw new ArgumentException(Bad($"a log grid from:to:count is only for eta and lambda; give {name} as a list, e.g. {name}={Example(name)}."));
            values = LogGrid(body, Bad);
        }
        else
        {
            values = [];
            foreach (string raw in body.Split(',', StringSplitOptions.TrimEntries))
            {
                if (raw.Length == 0) throw new ArgumentException(Bad("empty value in the list."));
                values.Add(Canonical(name, raw, Bad));
            }
        }
        var duplicate = values.GroupBy(v => v).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException(Bad($"value {duplicate.Key} appears more than once."));
        return new GridAxis(name, values);
    }

    /// <summary>
    /// The canonical string of <paramref name="raw"/> as a value of axis <paramref name="name"/>: floats in shortest
    /// round-trip form (<c>1e-4</c> → <c>0.0001</c>), integers without sign or zeros, names in lower case.
    /// </summary>
    /// <exception cref="ArgumentException">The value is not valid for the axis (the message comes from <paramref name="error"/>).</exception>
    internal static string Canonical(string name, string raw, Func<string, string> error)
    {
        switch (name)
        {
            case "eta":
            case "lambda":
                if (!float.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) || !float.IsFinite(f))
                    throw new ArgumentException(error($"'{raw}' is not a number."));
                if (name == "eta" ? f <= 0 : f < 0)
                    throw new ArgumentException(error($"{name} must be {(name == "eta" ? "positive" : "≥ 0")}, not {raw}."));
                return FormatFloat(f);
            case "filters":
            case "hidden":
                if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n))
                    throw new ArgumentException(error($"'{raw}' is not a whole number."));
                int min = name == "filters" ? 1 : 0;
                if (n < min) throw new ArgumentException(error($"{name} must be at least {min}, not {n}."));
                return n.ToString(CultureInfo.InvariantCulture);
            case "activation":
                string a = raw.ToLowerInvariant();
                if (a is not ("sigmoid" or "relu" or "lrelu")) throw new ArgumentException(error($"activation '{raw}' is not sigmoid, relu or lrelu."));
                return a;
            case "pool":
                string p = raw.ToLowerInvariant();
                if (p is not ("max" or "avg")) throw new ArgumentException(error($"pool '{raw}' is not max or avg."));
                return p;
            default:
                throw new ArgumentException(error($"unknown axis '{name}'."));
        }
    }

    /// <summary>A float in shortest round-trip invariant form, e.g. <c>0.0001</c> or <c>1E-06</c>.</summary>
    internal static string FormatFloat(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static List<string> LogGrid(string body, Func<string, string> bad)
    {
        string[] parts = body.Split(':', StringSplitOptions.TrimEntries);
        if (parts.Length != 3) throw new ArgumentException(bad("a log grid is from:to:count, e.g. 1e-4:1:5."));
        if (!double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double from) || !double.IsFinite(from) || from <= 0)
            throw new ArgumentException(bad($"'from' must be a positive number (log grid), not '{parts[0]}'."));
        if (!double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double to) || !double.IsFinite(to) || to <= 0)
            throw new ArgumentException(bad($"'to' must be a positive number (log grid), not '{parts[1]}'."));
        if (!int.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out int count) || count < 1)
            throw new ArgumentException(bad($"'count' must be a whole number ≥ 1, not '{parts[2]}'."));
        if (count == 1 && from != to) throw new ArgumentException(bad("a count of 1 needs from = to."));
        var values = new List<string>(count);
        double logFrom = Math.Log10(from), logTo = Math.Log10(to);
        for (int i = 0; i < count; i++)
        {
            // Exact ends; interior points 10^(a + i (b - a) / (count - 1)), rounded to float once.
            double v = i == 0 ? from : i == count - 1 ? to : Math.Pow(10, logFrom + i * (logTo - logFrom) / (count - 1));
            values.Add(FormatFloat((float)v));
        }
        return values;
    }

    private static string Example(string name) => name switch
    {
        "activation" => "relu,lrelu",
        "pool" => "max,avg",
        _ => "1,2,3",
    };
}

/// <summary>
/// The cells of a sweep: the cartesian product of its axes in a fixed order (the first axis varies slowest,
/// the last fastest), so cell <c>i</c> is the same configuration on every machine and in every shard.
/// </summary>
public sealed class Grid
{
    /// <summary>Builds the product of <paramref name="axes"/>.</summary>
    /// <exception cref="ArgumentException">No axes, or an axis given twice.</exception>
    public Grid(IReadOnlyList<GridAxis> axes)
    {
        ArgumentNullException.ThrowIfNull(axes);
        if (axes.Count == 0) throw new ArgumentException("A sweep needs at least one --grid axis, e.g. --grid eta=1e-4:1:5.");
        var twice = axes.GroupBy(a => a.Name).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new ArgumentException($"--grid {twice.Key} is given more than once.");
        Axes = axes;
        long count = 1;
        foreach (var axis in axes) count *= axis.Values.Count;
        if (count > 1_000_000) throw new ArgumentException($"The grid has {count} cells; at most 1000000 are allowed.");
        Count = (int)count;
    }

    /// <summary>The axes, in command-line order.</summary>
    public IReadOnlyList<GridAxis> Axes { get; }

    /// <summary>The number of cells (product of the axis lengths).</summary>
    public int Count { get; }

    /// <summary>The values of cell <paramref name="index"/>, one per axis in axis order.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside 0..Count-1.</exception>
    public string[] Cell(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var values = new string[Axes.Count];
        for (int a = Axes.Count - 1; a >= 0; a--)
        {
            int n = Axes[a].Values.Count;
            values[a] = Axes[a].Values[index % n];
            index /= n;
        }
        return values;
    }

    /// <summary>The cell's values as <c>eta=0.01 lambda=0.001</c>, for messages.</summary>
    public string Describe(int index)
    {
        var values = Cell(index);
        return string.Join(' ', Axes.Select((a, i) => $"{a.Name}={values[i]}"));
    }
}
