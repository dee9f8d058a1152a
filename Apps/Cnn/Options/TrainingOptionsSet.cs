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

    /// <summary><c>--data-dir</c>: the folder holding the dataset folders.</summary>
    public Option<string?> DataDir { get; } = new("--data-dir") { Description = "Folder holding the dataset folders (default: $ENGINE_DATASETS, then ./datasets); a missing dataset is downloaded there" };

    /// <summary>The option of training option <paramref name="name"/>.</summary>
    public Option<string> this[string name] => _options[TrainOptionTable.Get(name).Name];

    /// <summary>Every option, in the order <c>--help</c> lists them.</summary>
    public IReadOnlyList<Option> All => [.. TrainOptionTable.All.Take(1).Select(o => (Option)_options[o.Name]), DataDir, .. TrainOptionTable.All.Skip(1).Select(o => (Option)_options[o.Name])];

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in All) command.Options.Add(option);
    }

    /// <summary>The training options given on the command line (not yet checked for applicability).</summary>
    public RunSettings Settings(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return RunSettings.Of(TrainOptionTable.All
            .Where(o => parse.GetValue(_options[o.Name]) is not null)
            .Select(o => (o.Name, parse.GetValue(_options[o.Name])!)));
    }

    private static string HelpName(TrainOption spec) => spec.Kind switch
    {
        OptionKind.Choice => string.Join('|', spec.Choices),
        OptionKind.Real => "X",
        OptionKind.Integer => "N",
        _ => "FILE",
    };
}
