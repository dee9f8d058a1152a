using System.Diagnostics;
using System.Globalization;
using Engine.Onnx;
using Engine.Training;
using Microsoft.ML.OnnxRuntime;

namespace Engine.Bench;

/// <summary>
/// Inference of every zoo model in the engine against ONNX Runtime (CPU) running the engine's own ONNX export:
/// <code>
/// ort [--models paper-mnist,lenet5] [--batches 1,256] [--threads 1,2] [--seconds 0.3] [--rounds 5]
/// </code>
/// For each model × batch × threads: the model (built with seed 1 for its default input shape) is exported to a temporary
/// .onnx file and opened in an <see cref="InferenceSession"/> with <c>IntraOpNumThreads</c> = threads, <c>InterOpNumThreads</c>
/// = 1, sequential execution and every graph optimisation; the engine runs under <see cref="Cpu.UseThreads"/>(threads). Both
/// get the same seeded random images and write into buffers allocated once. The outputs are checked once to agree within
/// 1e-4 (relative above 1); a disagreement stops the run. Then, after a warm-up, the two are timed in alternating rounds,
/// each a loop of at least <c>--seconds</c>, and the median round is reported: images/s for batches above 1, µs per call
/// for batch 1, and the ratio ours / ORT. The table is Markdown on standard output; progress goes to standard error.
/// </summary>
internal static class OrtComparison
{
    /// <summary>How far the outputs may differ: |ours − ORT| ≤ Tolerance · max(1, |ORT|).</summary>
    public const float Tolerance = 1e-4f;

    public static int Run(string[] args)
    {
        try
        {
            var options = Parse(args);
            var models = options.GetValueOrDefault("models")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [.. ModelZoo.Names];
            foreach (var model in models)
                if (!ModelZoo.Names.Contains(model)) throw new ArgumentException($"--models: unknown model '{model}'; choose among {string.Join(", ", ModelZoo.Names)}.");
            int[] batches = Integers(options, "batches", [1, 256]);
            int[] threads = Integers(options, "threads", [1, Environment.ProcessorCount]);
            int rounds = Integers(options, "rounds", [5])[0];
            double seconds = options.TryGetValue("seconds", out var text) ? Seconds(text) : 0.3;

            Console.WriteLine(Header());
            Console.WriteLine();
            Console.WriteLine($"Median of {rounds} alternating rounds of ≥ {seconds.ToString(CultureInfo.InvariantCulture)} s each; ratio = ours / ORT of the figure shown (images/s: above 1 is ours faster; µs: below 1 is ours faster).");
            Console.WriteLine();
            Console.WriteLine("| model | batch | threads | unit | ours | ONNX Runtime | ours / ORT |");
            Console.WriteLine("|---|---:|---:|---|---:|---:|---:|");
            foreach (var model in models)
            {
                var shape = ModelZoo.InputShape(model);
                var net = ModelZoo.Build(model, shape, seed: 1);
                string onnx = Path.Combine(Path.GetTempPath(), $"simdcnn-ort-{model}-{Environment.ProcessId}.onnx");
                try
                {
                    net.SaveOnnx(onnx);
                    foreach (int batch in batches)
                        foreach (int t in threads)
                        {
                            Console.Error.WriteLine($"ort: {model} batch {batch} threads {t}");
                            var (ours, ort) = Measure(model, net, onnx, batch, t, seconds, rounds);
                            Console.WriteLine(Row(model, batch, t, ours, ort));
                        }
                }
                finally
                {
                    File.Delete(onnx);
                }
            }
            return 0;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (OutputsDisagreeException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>Median seconds per call of the engine and of ONNX Runtime for one model, batch and thread count.</summary>
    private static (double Ours, double Ort) Measure(string model, Network net, string onnx, int batch, int threads, double seconds, int rounds)
    {
        var shape = net.InputShape;
        int classes = net.OutputShape.Size;
        var input = BenchData.Images(shape, batch).Images.ToArray();
        var ours = new float[batch * classes];
        var theirs = new float[batch * classes];
        long[] inputDims = [batch, .. Dims(shape)];
        long[] outputDims = [batch, .. Dims(net.OutputShape)];

        using var scope = Cpu.UseThreads(threads);
        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        using var session = new InferenceSession(onnx, sessionOptions);
        using var inputValue = OrtValue.CreateTensorValueFromMemory(input, inputDims);
        using var outputValue = OrtValue.CreateTensorValueFromMemory(theirs, outputDims);
        using var runOptions = new RunOptions();
        string[] inputNames = [session.InputNames[0]], outputNames = [session.OutputNames[0]];
        OrtValue[] inputs = [inputValue], outputs = [outputValue];

        Action runOurs = () => net.Predict(input, ours, batch);
        Action runOrt = () => session.Run(runOptions, inputNames, inputs, outputNames, outputs);
        runOurs();
        runOrt();
        CheckAgreement(ours, theirs, $"{model} batch {batch} threads {threads}");

        TimeLoop(runOurs, seconds / 3);
        TimeLoop(runOrt, seconds / 3);
        var oursSeconds = new double[rounds];
        var ortSeconds = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            // Alternate which one goes first, so neither always follows the other's cache and frequency state.
            if (r % 2 == 0) { oursSeconds[r] = TimeLoop(runOurs, seconds); ortSeconds[r] = TimeLoop(runOrt, seconds); }
            else { ortSeconds[r] = TimeLoop(runOrt, seconds); oursSeconds[r] = TimeLoop(runOurs, seconds); }
        }
        return (Median(oursSeconds), Median(ortSeconds));
    }

    /// <summary>Fails the run when an element of <paramref name="ours"/> differs from ONNX Runtime's beyond <see cref="Tolerance"/>.</summary>
    private static void CheckAgreement(float[] ours, float[] ort, string what)
    {
        for (int i = 0; i < ort.Length; i++)
        {
            float limit = Tolerance * Math.Max(1f, Math.Abs(ort[i]));
            if (!(Math.Abs(ours[i] - ort[i]) <= limit))
                throw new OutputsDisagreeException($"{what}: output {i} is {ours[i].ToString("R", CultureInfo.InvariantCulture)} in the engine and " +
                    $"{ort[i].ToString("R", CultureInfo.InvariantCulture)} in ONNX Runtime (beyond {Tolerance.ToString(CultureInfo.InvariantCulture)}); not timing a model that computes something else.");
        }
    }

    /// <summary>Calls <paramref name="call"/> until at least <paramref name="seconds"/> have passed; the seconds per call.</summary>
    private static double TimeLoop(Action call, double seconds)
    {
        long calls = 0;
        long start = Stopwatch.GetTimestamp();
        double elapsed;
        do
        {
            call();
            calls++;
            elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        while (elapsed < seconds);
        return elapsed / calls;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>One table row: images/s for a batch above 1, µs per call for batch 1.</summary>
    private static string Row(string model, int batch, int threads, double ours, double ort)
    {
        var c = CultureInfo.InvariantCulture;
        return batch == 1
            ? string.Format(c, "| {0} | {1} | {2} | µs | {3:F1} | {4:F1} | {5:F2} |", model, batch, threads, ours * 1e6, ort * 1e6, ours / ort)
            : string.Format(c, "| {0} | {1} | {2} | images/s | {3:F0} | {4:F0} | {5:F2} |", model, batch, threads, batch / ours, batch / ort, ort / ours);
    }

    /// <summary>The date, CPU model, core count, tier and versions the figures were measured with.</summary>
    private static string Header()
    {
        string cpu = "unknown CPU";
        try
        {
            if (File.Exists("/proc/cpuinfo") && File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) is { } line)
                cpu = line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        string ortVersion = OrtEnv.Instance().GetVersionString();
        return $"Engine vs ONNX Runtime {ortVersion}, measured {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC on {cpu}, " +
            $"{Environment.ProcessorCount} cores, tier {Cpu.Tier}, .NET {Environment.Version}.";
    }

    private static IEnumerable<long> Dims(Shape shape)
    {
        for (int i = 0; i < shape.Rank; i++) yield return shape[i];
    }

    /// <summary><c>--name value</c> pairs.</summary>
    private static Dictionary<string, string> Parse(string[] args)
    {
        var result = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"expected --option value, not '{args[i]}'; options: --models, --batches, --threads, --seconds, --rounds.");
            string name = args[i][2..];
            if (name is not ("models" or "batches" or "threads" or "seconds" or "rounds"))
                throw new ArgumentException($"unknown option '{args[i]}'; options: --models, --batches, --threads, --seconds, --rounds.");
            result[name] = args[i + 1];
        }
        return result;
    }

    /// <summary>The comma-separated positive integers of <c>--name</c>, or <paramref name="fallback"/>.</summary>
    private static int[] Integers(Dictionary<string, string> options, string name, int[] fallback)
    {
        if (!options.TryGetValue(name, out var text)) return fallback;
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out values[i]) || values[i] < 1)
                throw new ArgumentException($"--{name} takes positive integers separated by commas, not '{text}'.");
        return values.Length > 0 ? values : throw new ArgumentException($"--{name} is empty.");
    }

    private static double Seconds(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 && s <= 60
            ? s
            : throw new ArgumentException($"--seconds takes a number of seconds in (0, 60], not '{text}'.");

    /// <summary>The engine and ONNX Runtime computed different outputs for the same model and images.</summary>
    private sealed class OutputsDisagreeException(string message) : Exception(message);
}
