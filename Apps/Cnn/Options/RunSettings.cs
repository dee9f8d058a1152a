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
    /// <summary>Options of which a run takes one or the other: giving one drops the other's value from a recipe.</summary>
    private static readonly (string, string)[] Exclusive = [("batch-size", "batches"), ("model", "model-file")];

    private readonly Dictionary<string, string> _given;
    private readonly Recipe? _recipe;
    private readonly Dictionary<string, string> _effective;

    private RunSettings(Dictionary<string, string> given, Recipe? recipe = null)
    {
        _given = given;
        _recipe = recipe;
        _effective = new Dictionary<string, string>(given);
        foreach (var (name, value) in recipe?.Settings ?? [])
            if (!given.ContainsKey(name) && !Exclusive.Any(p => (p.Item1 == name && given.ContainsKey(p.Item2)) || (p.Item2 == name && given.ContainsKey(p.Item1))))
                _effective[name] = value;
    }

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

    /// <summary>The given options (canonical values), in table order; a recipe's settings are not among them.</summary>
    public IEnumerable<KeyValuePair<string, string>> Given =>
        TrainOptionTable.All.Where(o => _given.ContainsKey(o.Name)).Select(o => new KeyValuePair<string, string>(o.Name, _given[o.Name]));

    /// <summary>The recipe the run starts from (<c>--recipe</c>), or null.</summary>
    public Recipe? Recipe => _recipe;

    /// <summary>Whether <paramref name="name"/> was given.</summary>
    public bool IsGiven(string name) => _given.ContainsKey(TrainOptionTable.Get(name).Name);

    /// <summary>These settings with option <paramref name="name"/> set to <paramref name="value"/>.</summary>
    /// <exception cref="UsageException">Unknown option or bad value.</exception>
    public RunSettings With(string name, string value)
    {
        var option = TrainOptionTable.Get(name);
        return new RunSettings(new Dictionary<string, string>(_given) { [option.Name] = option.Canonical(value) }, _recipe);
    }

    /// <summary>These settings without option <paramref name="name"/>.</summary>
    public RunSettings Without(string name)
    {
        var copy = new Dictionary<string, string>(_given);
        copy.Remove(TrainOptionTable.Get(name).Name);
        return new RunSettings(copy, _recipe);
    }

    /// <summary>
    /// These settings on top of <paramref name="recipe"/>: each option takes its given value, else the recipe's, else its
    /// default. A recipe's setting that a given option rules out (its <c>--batch-size</c> when <c>--batches</c> is
    /// given, its <c>--model</c> when <c>--model-file</c> is) is dropped, and so is one that does not apply to the
    /// run the given options make (its <c>--momentum</c> under <c>--optimizer adam</c>); only given options are refused.
    /// </summary>
    public RunSettings WithRecipe(Recipe? recipe) => new(new Dictionary<string, string>(_given), recipe);

    /// <summary>
    /// The given options that replace a recipe's settings, e.g. <c>--epochs 3 (recipe: 30)</c> or
    /// <c>--batches 4 (instead of the recipe's --batch-size 128)</c>; empty without a recipe.
    /// </summary>
    public IReadOnlyList<string> RecipeOverrides()
    {
        if (_recipe is null) return [];
        var recipe = _recipe.Settings.ToDictionary(v => v.Name, v => v.Value);
        var list = new List<string>();
        foreach (var (name, value) in Given)
        {
            if (recipe.TryGetValue(name, out string? theirs))
            {
                if (theirs != value) list.Add($"--{name} {value} (recipe: {theirs})");
                continue;
            }
            foreach (var (a, b) in Exclusive)
            {
                string? other = name == a ? b : name == b ? a : null;
                if (other is not null && recipe.TryGetValue(other, out string? replaced))
                    list.Add($"--{name} {value} (instead of the recipe's --{other} {replaced})");
            }
        }
        return list;
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
            if (WhyNotApplicable(name, resolved, _effective) is { } why) return why;
        return null;
    }

    /// <summary>Why option <paramref name="name"/> does not apply to the run of these settings, or null when it does.</summary>
    public string? WhyNot(string name) => WhyNotApplicable(TrainOptionTable.Get(name).Name, Resolve().Values, _effective);

    /// <summary>
    /// Every option that applies, with its given value, its recipe's or its default (options that do not apply are left
    /// out, given or not: <see cref="Check"/> refuses those first where that matters).
    /// </summary>
    public ResolvedSettings Resolve()
    {
        var resolved = new Dictionary<string, string>();
        foreach (var option in TrainOptionTable.All)
        {
            string? value = _effective.TryGetValue(option.Name, out string? v) ? v : DefaultOf(option.Name, resolved);
            if (value is not null && WhyNotApplicable(option.Name, resolved, _effective) is null) resolved[option.Name] = value;
        }
        return new ResolvedSettings(resolved) { Given = _given.Keys.ToHashSet() };
    }

    private string? DefaultOf(string name, IReadOnlyDictionary<string, string> resolved) => name switch
    {
        "model" => resolved.GetValueOrDefault("dataset") == "cifar10" ? "paper-cifar" : "paper-mnist",
        "batch-size" => _effective.ContainsKey("batches") ? null : TrainOptionTable.DefaultBatchSize.ToString(CultureInfo.InvariantCulture),
        "weight-decay" => Choices.Optimizer(resolved["optimizer"]).OwnsWeightDecay ? "0.01" : "0",
        "warmup" => resolved.GetValueOrDefault("schedule") == "onecycle" ? "0.3" : "0",
        _ => TrainOptionTable.Get(name).Default,
    };

    /// <summary>
    /// Why option <paramref name="name"/> does not apply to a run whose options so far are <paramref name="resolved"/>
    /// (options earlier in the table) and whose given options (with a recipe's) are <paramref name="given"/>; null when
    /// it applies.
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
            case "dropout" when !modelFile && !ModelSource.HasDropout(model):
                return $"--dropout applies only to models with Dropout layers ({string.Join(", ", ModelSource.ZooModelsWithDropout)}, or a --model-file with them), not {model}.";
            case "l2-style" when resolved.GetValueOrDefault("lambda") == "0":
                return "--l2-style says what λ means, and --lambda is 0: give --lambda X with it.";
            case "batches" when given.ContainsKey("batch-size"):
                return "--batch-size and --batches: give one, not both (--batches N means batch size = images / N).";
            case "early-stopping" when resolved.GetValueOrDefault("val-size") == "0":
                return "--early-stopping watches the validation loss, and --val-size is 0: give validation images.";
            case "test-augment" when resolved.GetValueOrDefault("val-size") == "0":
                return "--test-augment says how the validation images are evaluated, and --val-size is 0: give validation images.";
            case "restore-best" when !resolved.ContainsKey("early-stopping"):
                return "--restore-best and --no-restore-best apply only with --early-stopping N.";
        }
        foreach (var family in Choices.Families)
        {
            if (!family.Members.Any(m => m.Parameters.Contains(name))) continue;
            string chosen = resolved.GetValueOrDefault(family.Option, "");
            if (family.Members.FirstOrDefault(m => m.Name == chosen).Parameters?.Contains(name) == true) continue;
            var takers = family.Members.Where(m => m.Parameters.Contains(name)).Select(m => m.Name);
            return $"--{name} does not apply to --{family.Option} {chosen}; it applies to {string.Join(", ", takers)}.";
        }
        return null;
    }
}

/// <summary>The options that apply to one run, each with its given or default value.</summary>
/// <param name="Values">Canonical values by option name.</param>
public sealed record ResolvedSettings(IReadOnlyDictionary<string, string> Values)
{
    /// <summary>The options given (on the command line or as a sweep cell's axes; not a recipe's settings), applicable or not.</summary>
    public IReadOnlySet<string> Given { get; init; } = new HashSet<string>();

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

    /// <summary>A real option's value, or null when it does not apply.</summary>
    public float? OptionalReal(string name) => this[name] is { } v ? float.Parse(v, CultureInfo.InvariantCulture) : null;

    /// <summary>An on/off option's value (false when it does not apply).</summary>
    public bool Flag(string name) => this[name] == "true";

    /// <summary>The initialisation of the layers without their own (<c>--init</c>).</summary>
    public Engine.Layers.WeightInit Init => Choices.Init(Text("init")) ?? throw new InvalidOperationException($"--init {Text("init")} is unknown.");

    /// <summary>The seed.</summary>
    public long Seed => long.Parse(Text("seed"), CultureInfo.InvariantCulture);

    /// <summary>The paper models' variant (defaults where an option does not apply).</summary>
    public ModelZoo.Variant Variant => new(
        OptionalInteger("filters") ?? 20, OptionalInteger("hidden") ?? 0, this["activation"] ?? "lrelu", this["pool"] ?? "max");

    /// <summary>The values as (file key, value) pairs in table order, e.g. <c>("batch_size", "30")</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> Fields =>
        [.. TrainOptionTable.All.Where(o => Values.ContainsKey(o.Name)).Select(o => new KeyValuePair<string, string?>(o.Key, Values[o.Name]))];
}
