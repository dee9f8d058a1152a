using System.CommandLine;

namespace Cnn;

/// <summary>
/// The command-line options of <see cref="TrainOptionTable"/> (one <c>--NAME</c> per training option, each value
/// checked by the parser with the option's name) plus <c>--data-dir</c>, shared by <c>cnn train</c> and <c>cnn sweep</c>.
/// </summary>
public sealed class TrainingOptionsSet
{
    private readonly Dictionary<string, Option<string>> _options = [];

    /// <summary>The options; <paramref name="perCell"/> words the descriptions for a sweep (one run per cell).</summary>
    public TrainingOptionsSet(bool perCell = false)
    {
        foreach (var spec in TrainOptionTable.All)
        {
            string help = spec.Help;
            if (perCell && spec.Name == "seed") help += "; with --repeats N, cells run seeds seed, seed+1, …, seed+N−1";
            if (perCell && spec.Name == "epochs") help = "Epochs per cell" + help["Epochs".Length..];
            var option = new Option<string>($"--{spec.Name}") { Description = help, HelpName = HelpName(spec) };
            if (spec.IsFlag) option.Arity = ArgumentArity.ZeroOrOne;
            option.Validators.Add(result =>
            {
                foreach (var token in result.Tokens)
                {
                    try { spec.Canonical(token.Value); }
                    catch (UsageException e) { result.AddError(e.Message); return; }
                }
            });
            _options[spec.Name] = option;
        }
    }

    /// <summary><c>--recipe NAME</c>: start from a recipe's settings (the options given replace them).</summary>
    public Option<string?> Recipe { get; } = CreateRecipeOption();

    /// <summary><c>--no-restore-best</c>: short for <c>--restore-best false</c>.</summary>
    public Option<bool> NoRestoreBest { get; } = new("--no-restore-best") { Description = "With --early-stopping: keep the last epoch's weights (short for --restore-best false)" };

    /// <summary><c>--data-dir</c>: the folder holding the dataset folders.</summary>
    public Option<string?> DataDir { get; } = new("--data-dir") { Description = "Folder holding the dataset folders (default: $ENGINE_DATASETS, then ./datasets); a missing dataset is downloaded there" };

    /// <summary>The option of training option <paramref name="name"/>.</summary>
    public Option<string> this[string name] => _options[TrainOptionTable.Get(name).Name];

    /// <summary>Every option, in the order <c>--help</c> lists them.</summary>
    public IReadOnlyList<Option> All =>
        [Recipe, .. TrainOptionTable.All.Take(1).Select(o => (Option)_options[o.Name]), DataDir, .. TrainOptionTable.All.Skip(1).Select(o => (Option)_options[o.Name]), NoRestoreBest];

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in All) command.Options.Add(option);
    }

    /// <summary>
    /// The training options given on the command line (not yet checked for applicability), on top of the
    /// <c>--recipe</c> when one is given; an on/off option given without a value is <c>true</c>.
    /// </summary>
    /// <exception cref="UsageException"><c>--no-restore-best</c> with <c>--restore-best</c>, or an unknown recipe.</exception>
    public RunSettings Settings(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var values = new List<(string, string)>();
        foreach (var spec in TrainOptionTable.All)
        {
            if (parse.GetResult(_options[spec.Name]) is not { } result) continue;
            values.Add((spec.Name, spec.IsFlag && result.Tokens.Count == 0 ? "true" : parse.GetValue(_options[spec.Name]) ?? ""));
        }
        if (parse.GetValue(NoRestoreBest))
        {
            if (values.Any(v => v.Item1 == "restore-best"))
                throw new UsageException("--restore-best and --no-restore-best: give one, not both.");
            values.Add(("restore-best", "false"));
        }
        var settings = RunSettings.Of(values);
        return parse.GetValue(Recipe) is { } recipe ? settings.WithRecipe(Recipes.Get(recipe)) : settings;
    }

    private static Option<string?> CreateRecipeOption()
    {
        var option = new Option<string?>("--recipe")
        {
            Description = $"Start from a recipe ({string.Join(", ", Recipes.All.Select(r => r.Name))}; see --list-recipes): a model and training options meant to reach a stated accuracy; options given replace its settings",
            HelpName = string.Join('|', Recipes.All.Select(r => r.Name)),
        };
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                try { Recipes.Get(token.Value); }
                catch (UsageException e) { result.AddError(e.Message); return; }
            }
        });
        return option;
    }

    private static string HelpName(TrainOption spec) => spec.ValueName ?? spec.Kind switch
    {
        OptionKind.Choice => string.Join('|', spec.Choices),
        OptionKind.Real => "X",
        OptionKind.Integer => "N",
        _ => "FILE",
    };
}
