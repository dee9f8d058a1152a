using System.Globalization;
using Engine.Training;

namespace Cnn;

/// <summary>
/// The training options given for a run (on the command line, or by a sweep cell's axes), as canonical strings, and
/// their resolution: every option that applies to the run gets its given value or its default, and a given option
/// that does not apply is refused (<see cref="Check"/>) — never silently ignored. The rules for what applies are
/// here, in <see cref="WhyNotApplicable"/>, and nowhere else.
/// </summary>
public sealed class RunSettings
{
    private readonly Dictionary<string, string> _given;

    private RunSettings(Dictionary<string, string> given) => _given = given;

    /// <summary>No options given: every option at its default.</summary>
    public static RunSettings Empty { get; } = new([]);

    /// <summary>Settings from (option, value) pairs; values are checked and made canonical.</summary>
    /// <exception cref="UsageException">An unknown option or a bad value.</exception>
    public static RunSettings Of(params IEnumerable<(string Name, string Value)> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var given = new Dictionary<string, string>();
        foreach (var (name, value) in values)
        {
            var option = TrainOptionTable.Get(name);
            given[option.Name] = option.Canonical(value);
        }
        return new RunSettings(given);
    }

    /// <summary>The given options (canonical values), in table order.</summary>
    public IEnumerable<KeyValuePair<string, string>> Given =>
        TrainOptionTable.All.Where(o => _given.ContainsKey(o.Name)).Select(o => new KeyValuePair<string, string>(o.Name, _given[o.Name]));

    /// <summary>Whether <paramref name="name"/> was given.</summary>
    public bool IsGiven(string name) => _given.ContainsKey(TrainOptionTable.Get(name).Name);

    /// <summary>These settings with option <paramref name="name"/> set to <paramref name="value"/>.</summary>
    /// <exception cref="UsageException">Unknown option or bad value.</exception>
    public RunSettings With(string name, string value)
    {
        var option = TrainOptionTable.Get(name);
        return new RunSettings(new Dictionary<string, string>(_given) { [option.Name] = option.Canonical(value) });
    }

    /// <summary>These settings without option <paramref name="name"/>.</summary>
    public RunSettings Without(string name)
    {
        var copy = new Dictionary<string, string>(_given);
        copy.Remove(TrainOptionTable.Get(name).Name);
        return new RunSettings(copy);
    }

    /// <summary>Refuses a given option that does not apply to the run (one line naming it and why).</summary>
    /// <exception cref="UsageException">The first such option.</exception>
    public RunSettings Check()
    {
        if (FirstInapplicable() is { } why) throw new UsageException(why);
        return this;
    }

    /// <summary>Why the first given option does not apply, or null when all do.</summary>
    public string? FirstInapplicable()
    {
        var resolved = Resolve().Values;
        foreach (var (name, _) in Given)
            if (WhyNotApplicable(name, resolved, _given) is { } why) return why;
        return null;
    }

    /// <summary>
    /// Every option that applies, with its given value or default (options that do not apply are left out, given or
    /// not: <see cref="Check"/> refuses those first where that matters).
    /// </summary>
    public ResolvedSettings Resolve()
    {
        var resolved = new Dictionary<string, string>();
        foreach (var option in TrainOptionTable.All)
        {
            string? value = _given.TryGetValue(option.Name, out string? v) ? v : DefaultOf(option.Name, resolved);
            if (value is not null && WhyNotApplicable(option.Name, resolved, _given) is null) resolved[option.Name] = value;
        }
        return new ResolvedSettings(resolved);
    }

    private string? DefaultOf(string name, IReadOnlyDictionary<string, string> resolved) => name switch
    {
        "model" => resolved.GetValueOrDefault("dataset") == "cifar10" ? "paper-cifar" : "paper-mnist",
        "batch-size" => _given.ContainsKey("batches") ? null : TrainOptionTable.DefaultBatchSize.ToString(CultureInfo.InvariantCulture),
        _ => TrainOptionTable.Get(name).Default,
    };

    /// <summary>
    /// Why option <paramref name="name"/> does not apply to a run whose options so far are <paramref name="resolved"/>
    /// (options earlier in the table) and whose given options are <paramref name="given"/>; null when it applies.
    /// </summary>
    public static string? WhyNotApplicable(string name, IReadOnlyDictionary<string, string> resolved, IReadOnlyDictionary<string, string> given)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        ArgumentNullException.ThrowIfNull(given);
        bool modelFile = given.ContainsKey("model-file");
        string model = resolved.GetValueOrDefault("model", "");
        switch (name)
        {
            case "model" when modelFile:
                return "--model and --model-file: give one, not both (the file is the architecture).";
            case "filters" or "hidden" or "activation" or "pool" when modelFile:
                return $"--{name} does not apply to --model-file (the file gives the architecture; change it there).";
            case "filters" or "hidden" when model != "paper-mnist":
                return $"--{name} applies only to --model paper-mnist, not {model}.";
            case "activation" or "pool" when model is not ("paper-mnist" or "paper-cifar"):
                return $"--{name} applies only to --model paper-mnist and paper-cifar, not {model} (its layers are fixed; use --model-file to change them).";
            case "batches" when given.ContainsKey("batch-size"):
                return "--batch-size and --batches: give one, not both (--batches N means batch size = images / N).";
        }
        if (Choices.Optimizers.Any(o => o.HyperParameters.Contains(name)))
        {
            string optimizer = resolved.GetValueOrDefault("optimizer", "");
            if (!Choices.Optimizer(optimizer).HyperParameters.Contains(name))
            {
                var takers = Choices.Optimizers.Where(o => o.HyperParameters.Contains(name)).Select(o => o.Name);
                return $"--{name} does not apply to --optimizer {optimizer}; it applies to {string.Join(", ", takers)}.";
            }
        }
        return null;
    }
}

/// <summary>The options that apply to one run, each with its given or default value.</summary>
/// <param name="Values">Canonical values by option name.</param>
public sealed record ResolvedSettings(IReadOnlyDictionary<string, string> Values)
{
    /// <summary>The value of <paramref name="name"/>, or null when it does not apply.</summary>
    public string? this[string name] => Values.GetValueOrDefault(TrainOptionTable.Get(name).Name);

    /// <summary>A text option's value.</summary>
    /// <exception cref="InvalidOperationException">The option does not apply to this run.</exception>
    public string Text(string name) => this[name] ?? throw new InvalidOperationException($"--{name} does not apply to this run.");

    /// <summary>A real option's value.</summary>
    public float Real(string name) => float.Parse(Text(name), CultureInfo.InvariantCulture);

    /// <summary>An integer option's value.</summary>
    public int Integer(string name) => int.Parse(Text(name), CultureInfo.InvariantCulture);

    /// <summary>An integer option's value, or null when it does not apply.</summary>
    public int? OptionalInteger(string name) => this[name] is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : null;

    /// <summary>The seed.</summary>
    public long Seed => long.Parse(Text("seed"), CultureInfo.InvariantCulture);

    /// <summary>The paper models' variant (defaults where an option does not apply).</summary>
    public ModelZoo.Variant Variant => new(
        OptionalInteger("filters") ?? 20, OptionalInteger("hidden") ?? 0, this["activation"] ?? "lrelu", this["pool"] ?? "max");

    /// <summary>The values as (file key, value) pairs in table order, e.g. <c>("batch_size", "30")</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> Fields =>
        [.. TrainOptionTable.All.Where(o => Values.ContainsKey(o.Name)).Select(o => new KeyValuePair<string, string?>(o.Key, Values[o.Name]))];
}
