using System.CommandLine;
using System.Reflection;
using Engine;
using Engine.Data;

namespace Cnn;

/// <summary>The <c>cnn</c> command line.</summary>
public static class Program
{
    /// <summary>Parses the arguments and runs the chosen command.</summary>
    public static int Main(string[] args)
    {
        var root = CreateRootCommand();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            string command = parse.CommandResult.Command == root ? "cnn" : $"cnn {parse.CommandResult.Command.Name}";
            var error = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0];
            string message = string.Join(' ', error.Message.Split(['\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Console.Error.WriteLine($"error: {message} (see '{command} --help')");
            return ExitCodes.Usage;
        }
        return parse.Invoke();
    }

    /// <summary>All of <c>cnn</c>'s commands and options (the tests parse the documentation's examples with it).</summary>
    internal static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("SimdCnn: train convolutional networks and reproduce the report's heatmaps.");
        root.Subcommands.Add(InfoCommand());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(DownloadCommand.Create());
        root.Subcommands.Add(SweepCommand.Create());
        root.Subcommands.Add(ReproduceCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        return root;
    }

    private static Command InfoCommand()
    {
        var command = new Command("info", "Show the CPU tier that runs, the thread count, the version and where datasets are looked up.");
        command.SetAction(_ => ExitCodes.Run(() =>
        {
            string version = typeof(Cpu).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            Console.WriteLine($"SimdCnn.Engine {version} on .NET {Environment.Version}");
            Console.WriteLine($"tier: {Cpu.Tier} (detected {Cpu.DetectedTier})");
            Console.WriteLine($"threads: {Cpu.ThreadCount} of {Environment.ProcessorCount} logical processors");
            Console.WriteLine("dataset folders, searched in order:");
            foreach (var root in DatasetLocator.SearchRoots())
                Console.WriteLine($"  {root}");
            foreach (var name in new[] { "mnist", "fashion-mnist", "cifar10" })
            {
                string where;
                try { where = DatasetLocator.Resolve(name); }
                catch (DatasetNotFoundException) { where = "not found"; }
                Console.WriteLine($"{name}: {where}");
            }
            return ExitCodes.Ok;
        }, verbose: false));
        return command;
    }
}
