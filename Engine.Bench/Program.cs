using BenchmarkDotNet.Running;

namespace Engine.Bench;

/// <summary>Entry point: <c>dotnet run -c Release --project Engine.Bench -- --filter '*'</c> runs every benchmark.</summary>
public static class Program
{
    /// <summary>Hands the arguments to BenchmarkDotNet's switcher.</summary>
    public static int Main(string[] args)
    {
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
