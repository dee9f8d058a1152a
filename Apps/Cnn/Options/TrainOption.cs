using System.Globalization;

namespace Cnn;

/// <summary>The kind of value a training option takes; it decides parsing, canonical form and the <c>--grid</c> syntax.</summary>
public enum OptionKind
{
    /// <summary>A 32-bit float (training runs in float): lists, or log grids <c>from:to:count</c>.</summary>
    Real,
    /// <summary>A whole number: lists, or ranges <c>from..to</c> and <c>from..to:step</c>.</summary>
    Integer,
    /// <summary>One of a fixed set of lower-case names: lists.</summary>
    Choice,
    /// <summary>Free text such as a file path: lists.</summary>
    Text,
}

/// <summary>
/// One training option of <c>cnn train</c> and <c>cnn sweep</c>: <c>--NAME</c> on the command line, <c>NAME</c> as a
/// <c>--grid</c> axis, and <see cref="Key"/> (dashes as underscores) in <c>sweep.json</c>, <c>results.csv</c> and
/// <c>results.json</c>. Values are kept as canonical strings (floats in shortest round-trip form of the float the
/// engine trains with), so cells compare and print exactly.
/// </summary>
/// <param name="Name">The option's name without dashes, e.g. <c>eta</c> or <c>batch-size</c>.</param>
/// <param name="Kind">How values are parsed.</param>
/// <param name="Description">The help text (the default is appended).</param>
public sealed record TrainOption(string Name, OptionKind Kind, string Description)
{
    /// <summary>The canonical default, or null when there is none or it depends on other options (then <see cref="DefaultText"/> says what it is).</summary>
    public string? Default { get; init; }

    /// <summary>The default in words for the help text, when it depends on other options (then <see cref="Default"/> is the usual one or null), e.g. "the report's model for the dataset".</summary>
    public string? DefaultText { get; init; }

    /// <summary>The allowed values of a <see cref="OptionKind.Choice"/> option, in the order they are listed.</summary>
    public IReadOnlyList<string> Choices { get; init; } = [];

    /// <summary>The smallest allowed value of a numeric option.</summary>
    public double Minimum { get; init; } = double.NegativeInfinity;

    /// <summary>True when <see cref="Minimum"/> itself is not allowed (e.g. η &gt; 0).</summary>
    public bool ExclusiveMinimum { get; init; }

    /// <summary>The largest allowed value of a numeric option.</summary>
    public double Maximum { get; init; } = double.PositiveInfinity;

    /// <summary>True when <see cref="Maximum"/> itself is not allowed (e.g. momentum &lt; 1).</summary>
    public bool ExclusiveMaximum { get; init; }

    /// <summary>
    /// True for an on/off option (a <see cref="OptionKind.Choice"/> of <c>true</c> and <c>false</c>): <c>--NAME</c> alone
    /// means <c>--NAME true</c>.
    /// </summary>
    public bool IsFlag { get; init; }

    /// <summary>
    /// Makes a <see cref="OptionKind.Text"/> value canonical when the option has a syntax of its own (e.g.
    /// <c>--augment crop=4,flip</c>); throws a <see cref="UsageException"/> starting with <c>--NAME</c> for a bad value.
    /// </summary>
    public Func<string, string>? Syntax { get; init; }

    /// <summary>The value's name in the help, e.g. <c>X</c>, <c>N</c>, <c>sgd|adam</c>; null for the kind's default.</summary>
    public string? ValueName { get; init; }

    /// <summary>The name in files: dashes as underscores, e.g. <c>batch_size</c>.</summary>
    public string Key => Name.Replace('-', '_');

    /// <summary>Whether values are numbers (written as JSON numbers in results.json).</summary>
    public bool IsNumeric => Kind is OptionKind.Real or OptionKind.Integer;

    /// <summary>The help text with the default, e.g. "Learning rate η (default 0.01)".</summary>
    public string Help => DefaultText is not null ? $"{Description} (default: {DefaultText})" : Default is not null ? $"{Description} (default {Default})" : Description;

    /// <summary>The canonical string of <paramref name="raw"/>.</summary>
    /// <exception cref="UsageException">Not a valid value; the message starts with <c>--NAME</c>.</exception>
    public string Canonical(string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        string text = raw.Trim();
        switch (Kind)
        {
            case OptionKind.Real:
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || !double.IsFinite(d))
                    throw Bad($"'{raw}' is not a number");
                return CanonicalReal(d, text);
            case OptionKind.Integer:
                if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
                    throw Bad($"'{raw}' is not a whole number");
                CheckRange(n, text);
                if (n is > int.MaxValue or < int.MinValue && Name != "seed") throw Bad($"{text} is too large");
                return n.ToString(CultureInfo.InvariantCulture);
            case OptionKind.Choice:
                string choice = text.ToLowerInvariant();
                if (!Choices.Contains(choice)) throw Bad($"'{raw}' is not one of {string.Join(", ", Choices)}");
                return choice;
            default:
                if (text.Length == 0) throw Bad("the value is empty");
                return Syntax is null ? text : Syntax(text);
        }
    }

    /// <summary>
    /// The canonical string of the real <paramref name="value"/> as the engine trains with it: rounded to float,
    /// then range-checked (so 1e-50 is refused for η: it is 0 in float).
    /// </summary>
    /// <param name="value">The value in double precision.</param>
    /// <param name="written">How the user wrote it, for messages.</param>
    /// <exception cref="UsageException">Out of range after rounding to float.</exception>
    public string CanonicalReal(double value, string written)
    {
        float f = (float)value;
        if (!float.IsFinite(f)) throw Bad($"{written} is too large for a 32-bit float");
        if (f == 0 && value != 0 && !InRange(0))
            throw Bad($"{written} is 0 as a 32-bit float (training runs in float), and {Name} must be {RangeText}");
        CheckRange(f, written);
        return FormatFloat(f);
    }

    /// <summary>A float in shortest round-trip invariant form, e.g. <c>0.0001</c> or <c>1E-06</c>.</summary>
    public static string FormatFloat(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The range in words, e.g. "a positive number", "in [0, 1)", "at least 1".</summary>
    public string RangeText
    {
        get
        {
            var c = CultureInfo.InvariantCulture;
            bool low = double.IsFinite(Minimum), high = double.IsFinite(Maximum);
            if (low && high)
                return string.Format(c, "in {0}{1}, {2}{3}", ExclusiveMinimum ? "(" : "[", Minimum, Maximum, ExclusiveMaximum ? ")" : "]");
            if (low && Minimum == 0) return ExclusiveMinimum ? "a positive number" : "≥ 0";
            if (low) return Kind == OptionKind.Integer ? string.Format(c, "at least {0}", Minimum) : string.Format(c, "{0} {1}", ExclusiveMinimum ? ">" : "≥", Minimum);
            return "a number";
        }
    }

    private bool InRange(double value) =>
        (ExclusiveMinimum ? value > Minimum : value >= Minimum) && (ExclusiveMaximum ? value < Maximum : value <= Maximum);

    private void CheckRange(double value, string written)
    {
        if (!InRange(value)) throw Bad($"must be {RangeText}, not {written}", separator: " ");
    }

    private UsageException Bad(string problem, string separator = ": ") => new($"--{Name}{separator}{problem}.");
}
