using System.CommandLine;
using System.Globalization;

namespace Cnn;

/// <summary>Range checks for numeric options, reported by the parser with the option's name.</summary>
public static class OptionRules
{
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
