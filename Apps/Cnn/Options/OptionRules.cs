using System.CommandLine;
using System.Globalization;

namespace Cnn;

/// <summary>
/// Range checks for numeric options, reported by the parser with the option's name; and the rule for options that make a
/// command do one thing and exit.
/// </summary>
public static class OptionRules
{
    /// <summary>
    /// Refuses every option and argument given on the command line besides <paramref name="mode"/> (an option that makes
    /// the command do one thing and exit, such as <c>--list-recipes</c>) and <paramref name="takes"/>, in one line naming
    /// the first, e.g. <c>--epochs does not apply to --list-recipes, which lists the recipes and exits.</c> Options at
    /// their defaults are not given.
    /// </summary>
    /// <param name="parse">The command line.</param>
    /// <param name="mode">The option.</param>
    /// <param name="does">What the command then does, e.g. "lists the recipes and exits".</param>
    /// <param name="takes">The options and arguments that apply with it (<c>--verbose</c> always does).</param>
    /// <exception cref="UsageException">Another option or argument was given.</exception>
    public static void RefuseBeside(ParseResult parse, Option mode, string does, params IReadOnlyList<Symbol> takes)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(mode);
        ArgumentNullException.ThrowIfNull(takes);
        var command = parse.CommandResult.Command;
        var takenOptions = takes.OfType<Option>().Where(o => o.Name != "--verbose").Select(o => o.Name).ToList();
        string also = takenOptions.Count == 0 ? "" : $"; it takes {string.Join(", ", takenOptions)}";
        string beside = $"does not apply to {mode.Name}, which {does}{also}.";
        foreach (var option in command.Options)
            if (option != mode && option.Name != "--verbose" && !takes.Contains(option) && parse.GetResult(option) is { Implicit: false })
                throw new UsageException($"{option.Name} {beside}");
        foreach (var argument in command.Arguments)
            if (!takes.Contains(argument) && parse.GetResult(argument) is { Tokens: [var token, ..] })
                throw new UsageException($"'{token.Value}' (the {argument.Name}) {beside}");
    }

    /// <summary>Rejects values below <paramref name="minimum"/>.</summary>
    public static void AtLeast(Option<int> option, int minimum) =>
        option.Validators.Add(r =>
        {
            if (!TryGet(r, out int value)) return;
            if (value < minimum) r.AddError($"{option.Name} must be at least {minimum}, not {value}.");
        });

    /// <summary>Rejects values below <paramref name="minimum"/> when the option is given.</summary>
    public static void AtLeast(Option<int?> option, int minimum) =>
        option.Validators.Add(r =>
        {
            if (TryGet(r, out int? given) && given is { } value && value < minimum)
                r.AddError($"{option.Name} must be at least {minimum}, not {value}.");
        });

    /// <summary>Rejects values below <paramref name="minimum"/>, NaN and infinities.</summary>
    public static void AtLeast(Option<float> option, float minimum) =>
        option.Validators.Add(r =>
        {
            if (!TryGet(r, out float value)) return;
            if (!(value >= minimum) || !float.IsFinite(value))
                r.AddError($"{option.Name} must be a finite number ≥ {minimum.ToString(CultureInfo.InvariantCulture)}, not {value.ToString(CultureInfo.InvariantCulture)}.");
        });

    /// <summary>Rejects zero, negative values, NaN and infinities.</summary>
    public static void Positive(Option<float> option) =>
        option.Validators.Add(r =>
        {
            if (!TryGet(r, out float value)) return;
            if (!(value > 0) || !float.IsFinite(value))
                r.AddError($"{option.Name} must be a positive finite number, not {value.ToString(CultureInfo.InvariantCulture)}.");
        });

    /// <summary>The option's value, or false when it did not convert (the parser reports that error itself).</summary>
    private static bool TryGet<T>(System.CommandLine.Parsing.OptionResult result, out T value)
    {
        try { value = result.GetValueOrDefault<T>(); return true; }
        catch (InvalidOperationException) { value = default!; return false; }
    }
}
