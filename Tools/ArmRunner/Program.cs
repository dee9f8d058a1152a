using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security;
using Engine;
using NUnit.Framework.Api;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;

// Usage: ArmRunner CHECK...   with CHECK = name=PATTERN[;PATTERN...]
// A PATTERN is a .NET regular expression matched against NUnit full names (a matching fixture or namespace brings all
// its tests); a PATTERN starting with '!' excludes what it matches. Each check prints one line, PASS or FAIL with its
// test count and time, followed by the failures; a check that selects no test fails. Exit code: 0 if every check passed.
if (args.Length == 0 || args.Any(a => !a.Contains('=')))
{
    Console.Error.WriteLine("usage: ArmRunner name=PATTERN[;PATTERN...] ...   (PATTERN: regex on test full names, '!' to exclude)");
    return 2;
}

Console.WriteLine($"runner: {RuntimeInformation.ProcessArchitecture}, {RuntimeInformation.FrameworkDescription}, " +
    $"detected tier {Cpu.DetectedTier}, {Environment.ProcessorCount} processors");
var assembly = typeof(Engine.Tests.Training.ZooFingerprintTests).Assembly;
bool allPassed = true;
foreach (string check in args)
{
    string name = check[..check.IndexOf('=')];
    string[] patterns = check[(name.Length + 1)..].Split(';', StringSplitOptions.RemoveEmptyEntries);
    var runner = new NUnitTestAssemblyRunner(new DefaultTestAssemblyBuilder());
    runner.Load(assembly, new Dictionary<string, object>());
    var listener = new FailureListener();
    var clock = Stopwatch.StartNew();
    var result = runner.Run(listener, TestFilter.FromXml(FilterXml(patterns)));
    int total = result.PassCount + result.FailCount + result.WarningCount + result.InconclusiveCount + result.SkipCount;
    bool passed = result.FailCount == 0 && result.InconclusiveCount == 0 && total > 0;
    allPassed &= passed;
    Console.WriteLine($"{(passed ? "PASS" : "FAIL")} {name}: {result.PassCount} passed, {result.FailCount} failed" +
        $"{(result.SkipCount > 0 ? $", {result.SkipCount} skipped" : "")}{(total == 0 ? " (no test selected)" : "")} ({clock.Elapsed.TotalSeconds:F1} s)");
    foreach (string failure in listener.Failures) Console.WriteLine($"    {failure}");
}
return allPassed ? 0 : 1;

static string FilterXml(string[] patterns)
{
    static string Test(string pattern) => $"<test re=\"1\">{SecurityElement.Escape(pattern)}</test>";
    var include = patterns.Where(p => !p.StartsWith('!')).ToArray();
    var exclude = patterns.Where(p => p.StartsWith('!')).Select(p => p[1..]).ToArray();
    return "<filter>"
        + (include.Length > 0 ? "<or>" + string.Concat(include.Select(Test)) + "</or>" : "")
        + (exclude.Length > 0 ? "<not><or>" + string.Concat(exclude.Select(Test)) + "</or></not>" : "")
        + "</filter>";
}

/// <summary>Collects the name and first message line of every failed test.</summary>
internal sealed class FailureListener : ITestListener
{
    public List<string> Failures { get; } = [];

    public void TestStarted(ITest test) { }

    public void TestFinished(ITestResult result)
    {
        if (result.Test.IsSuite || result.ResultState.Status is not (TestStatus.Failed or TestStatus.Inconclusive)) return;
        string message = (result.Message ?? "").Trim().Split('\n')[0].Trim();
        Failures.Add($"{result.ResultState.Status}: {result.FullName}: {message}");
    }

    public void TestOutput(TestOutput output) { }

    public void SendMessage(TestMessage message) { }
}
