using System.Diagnostics;
using System.Security.Cryptography;
using Engine.Fuzz;

// Mutation fuzzing of every reader of untrusted bytes (ONNX import, model files, IDX, CIFAR-10), without coverage feedback:
// inputs are mutants of a committed seed corpus (corpus/<reader>/) and of the mutants kept because they were read
// successfully or met an error not seen before. A finding is an exception outside the reader's contract, an input that runs
// longer than the timeout, or a read that allocates more than a fixed multiple of the input's size. Findings are written to
// the findings folder; the exit code is 1 when there is any.
//
//   Engine.Fuzz [--target onnx|model|idx|cifar|all] [--seconds N] [--iterations N] [--seed N] [--timeout-ms N]
//               [--findings DIR] [--write-seeds DIR] [--reproduce FILE (with --target)]

var options = Options.Parse(args);
if (options.WriteSeeds is { } seedDir)
{
    Seeds.Write(seedDir);
    return 0;
}
if (options.Reproduce is { } file)
{
    var target = Target.All.Single(t => t.Name == options.Target);
    string dir = Directory.CreateTempSubdirectory("simdcnn-fuzz-").FullName;
    try { target.Use(target.Read(File.ReadAllBytes(file), dir)); Console.WriteLine("read without error"); }
    catch (Exception e) { Console.WriteLine(e); }
    finally { Directory.Delete(dir, recursive: true); }
    return 0;
}
string corpus = Path.Combine(AppContext.BaseDirectory, "corpus");
int failures = 0;
foreach (var target in Target.All.Where(t => options.Target is "all" || t.Name == options.Target))
    failures += new Campaign(target, corpus, options).Run();
return failures == 0 ? 0 : 1;

/// <summary>The command line.</summary>
internal sealed record Options(string Target, double Seconds, long Iterations, int Seed, int TimeoutMs, string Findings, string? WriteSeeds, string? Reproduce)
{
    public static Options Parse(string[] args)
    {
        var o = new Options("all", 30, long.MaxValue, 1, 5000, "fuzz-findings", null, null);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string v = args[i + 1];
            o = args[i] switch
            {
                "--target" => o with { Target = v },
                "--seconds" => o with { Seconds = double.Parse(v, System.Globalization.CultureInfo.InvariantCulture) },
                "--iterations" => o with { Iterations = long.Parse(v, System.Globalization.CultureInfo.InvariantCulture) },
                "--seed" => o with { Seed = int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) },
                "--timeout-ms" => o with { TimeoutMs = int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) },
                "--findings" => o with { Findings = v },
                "--write-seeds" => o with { WriteSeeds = v },
                "--reproduce" => o with { Reproduce = v },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        if (args.Length % 2 != 0) throw new ArgumentException($"option {args[^1]} needs a value");
        return o;
    }
}

/// <summary>One reader fuzzed for a time or a number of inputs on a worker thread, watched for hangs.</summary>
internal sealed class Campaign(Target target, string corpusRoot, Options options)
{
    /// <summary>A read may allocate this many bytes per input byte, plus <see cref="AllocationSlack"/>.</summary>
    private const long AllocationPerByte = 64;
    private const long AllocationSlack = 4 << 20;
    private const int MaxPool = 1000;

    private readonly List<byte[]> _pool = new();
    private readonly HashSet<string> _signatures = new();
    private readonly Dictionary<string, int> _findings = new();
    private readonly Random _replace = new(7);
    private int _seedCount;
    private long _executions;
    private long _started = -1;

    public int Run()
    {
        foreach (string file in Directory.GetFiles(Path.Combine(corpusRoot, target.Name)).Order())
            _pool.Add(File.ReadAllBytes(file));
        if (_pool.Count == 0) throw new InvalidOperationException($"no seeds for {target.Name}");
        _seedCount = _pool.Count;
        string dir = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"simdcnn-fuzz-{Environment.ProcessId}-{target.Name}");
        Directory.CreateDirectory(dir);
        Directory.CreateDirectory(options.Findings);
        string current = Path.Combine(options.Findings, $"current-{target.Name}.bin");
        var clock = Stopwatch.StartNew();
        var worker = new Thread(() => Loop(dir, current, clock), 64 << 20) { IsBackground = true, Name = "fuzz " + target.Name };
        worker.Start();
        bool hung = false;
        while (!worker.Join(100))
        {
            long started = Volatile.Read(ref _started);
            if (started >= 0 && clock.ElapsedMilliseconds - started > options.TimeoutMs)
            {
                hung = true;
                byte[] input;
                using (var stream = new FileStream(current, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
                {
                    input = new byte[stream.Length];
                    stream.ReadExactly(input);
                }
                string kept = Keep(input, "hang");
                Console.WriteLine($"{target.Name}: HANG: an input ran longer than {options.TimeoutMs} ms; kept as {kept}");
                break;
            }
        }
        Directory.Delete(dir, recursive: true);
        if (!hung) File.Delete(current);
        double seconds = clock.Elapsed.TotalSeconds;
        int found = _findings.Values.Sum() + (hung ? 1 : 0);
        Console.WriteLine($"{target.Name}: {_executions} executions in {seconds:F1} s ({_executions / seconds:F0}/s), " +
                          $"{_signatures.Count} distinct outcomes, pool {_pool.Count}, {found} finding(s)");
        foreach (var (kind, count) in _findings) Console.WriteLine($"  {count} × {kind}");
        return found;
    }

    private void Loop(string dir, string current, Stopwatch clock)
    {
        var mutator = new Mutator(options.Seed);
        var pick = new Random(options.Seed + 1);
        using var currentFile = new FileStream(current, FileMode.Create, FileAccess.Write, FileShare.Read);
        long deadline = (long)(options.Seconds * 1000);
        for (long i = 0; i < options.Iterations && clock.ElapsedMilliseconds < deadline; i++)
        {
            var input = i < _pool.Count ? _pool[(int)i] : mutator.Mutate(_pool[pick.Next(_pool.Count)], _pool[pick.Next(_pool.Count)]);
            currentFile.Position = 0;
            currentFile.Write(input);
            currentFile.SetLength(input.Length);
            currentFile.Flush();
            Volatile.Write(ref _started, clock.ElapsedMilliseconds);
            Execute(input, dir);
            Volatile.Write(ref _started, -1);
            _executions++;
        }
    }

    private void Execute(byte[] input, string dir)
    {
        string outcome;
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            object? read;
            try { read = target.Read(input, dir); }
            finally { CheckAllocation(input, GC.GetAllocatedBytesForCurrentThread() - before); } // refusals are measured too
            target.Use(read);
            outcome = "read " + read?.GetType().Name;
        }
        catch (Exception e) when (target.Allowed.IsInstanceOfType(e))
        {
            outcome = Signature(e.Message);
        }
        catch (Exception e)
        {
            Finding(input, e.GetType().Name, $"{e.GetType().FullName}: {e.Message}\n{e.StackTrace}");
            return;
        }
        if (!_signatures.Add(outcome)) return;
        if (_pool.Count < MaxPool) _pool.Add(input);
        else _pool[_seedCount + _replace.Next(MaxPool - _seedCount)] = input; // a full pool keeps taking new outcomes, never dropping seeds
    }

    private void CheckAllocation(byte[] input, long allocated)
    {
        if (allocated > AllocationPerByte * input.Length + AllocationSlack)
            Finding(input, "allocation", $"{allocated} bytes allocated reading {input.Length} bytes (more than {AllocationPerByte} per byte + {AllocationSlack})");
    }

    /// <summary>An error message with its numbers and quoted names taken out: the kind of problem, not the instance.</summary>
    private static string Signature(string message)
    {
        int colon = message.IndexOf(": ", StringComparison.Ordinal);
        string problem = colon >= 0 ? message[(colon + 2)..] : message;
        var kept = new System.Text.StringBuilder();
        bool quoted = false;
        foreach (char c in problem)
        {
            if (c == '"') { quoted = !quoted; continue; }
            if (!quoted && !char.IsDigit(c)) kept.Append(c);
        }
        return kept.Length > 90 ? kept.ToString(0, 90) : kept.ToString();
    }

    private void Finding(byte[] input, string kind, string details)
    {
        _findings[kind] = _findings.GetValueOrDefault(kind) + 1;
        if (_findings[kind] > 5) return;
        string kept = Keep(input, kind);
        Console.WriteLine($"{target.Name}: FINDING ({kind}), input kept as {kept}:\n{details}");
    }

    private string Keep(byte[] input, string kind)
    {
        string path = Path.Combine(options.Findings, $"{target.Name}-{kind}-{Convert.ToHexString(SHA256.HashData(input))[..12]}.bin");
        File.WriteAllBytes(path, input);
        return path;
    }
}
