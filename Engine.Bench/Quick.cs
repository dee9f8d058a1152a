using System.Diagnostics;
using System.Globalization;
using Engine.Kernels;
using Engine.Optimizers;
using Engine.Training;

namespace Engine.Bench;

/// <summary>
/// A quick Stopwatch probe that prints one parseable line per measurement, without BenchmarkDotNet's full run:
/// <code>
/// quick gemm --m 1024 --n 1024 --k 1024 --threads 1 [--ta] [--tb]  → gemm m=1024 n=1024 k=1024 threads=1 tier=Avx512 gflops=251.3
/// quick train --model paper-mnist --batch 30 --threads 1         → train model=paper-mnist batch=30 threads=1 tier=Avx512 images_per_sec=41000
/// quick infer --model lenet5 --batch 256 --threads 2             → infer model=lenet5 batch=256 threads=2 tier=Avx512 images_per_sec=…
/// quick latency --model paper-mnist                              → latency model=paper-mnist threads=1 tier=Avx512 microseconds=…
/// quick layers --model paper-mnist --batch 30                     → one line per layer: forward and backward microseconds per batch
/// </code>
/// Each figure is the median of <c>--reps</c> (default 7) timed repetitions of about 0.2 s after a warm-up;
/// <c>best=</c> gives the fastest repetition.
/// </summary>
internal static class Quick
{
    public static int Run(string[] args)
    {
        try
        {
            if (args.Length == 0) throw new ArgumentException("quick needs a mode: gemm, train, infer, latency or layers.");
            var options = Options(args[1..]);
            Cpu.ThreadCount = Int(options, "threads", args[0] == "latency" ? 1 : Environment.ProcessorCount);
            int reps = Int(options, "reps", 7);
            string line = args[0] switch
            {
                "gemm" => GemmLine(options, reps),
                "train" => ModelLine(options, reps, train: true),
                "infer" => ModelLine(options, reps, train: false),
                "latency" => LatencyLine(options, reps),
                "layers" => LayerLines(options, reps),
                _ => throw new ArgumentException($"unknown quick mode '{args[0]}'; choose gemm, train, infer, latency or layers."),
            };
            Console.WriteLine(line);
            return 0;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    private static string GemmLine(Dictionary<string, string> o, int reps)
    {
        int m = Int(o, "m", 1024), n = Int(o, "n", 1024), k = Int(o, "k", 1024);
        bool ta = o.ContainsKey("ta"), tb = o.ContainsKey("tb");
        var a = BenchData.Floats(m * k, 1);
        var b = BenchData.Floats(k * n, 2);
        var c = new float[m * n];
        int lda = ta ? m : k, ldb = tb ? k : n;
        var (median, best) = Time(() => Gemm.Multiply(ta, tb, m, n, k, a, lda, b, ldb, 0f, c, n), reps);
        double flops = 2.0 * m * n * k;
        return Line($"gemm m={m} n={n} k={k}{(ta ? " ta" : "")}{(tb ? " tb" : "")}", $"gflops={flops / median / 1e9:F1} best={flops / best / 1e9:F1}");
    }

    private static string ModelLine(Dictionary<string, string> o, int reps, bool train)
    {
        string model = o.GetValueOrDefault("model", "paper-mnist");
        int batch = Int(o, "batch", train ? 30 : 256);
        var shape = ModelZoo.InputShape(model);
        var net = ModelZoo.Build(model, shape, seed: 1);
        var data = BenchData.Images(shape, batch * 4);
        Action step;
        if (train)
        {
            var options = new TrainingOptions { BatchSize = batch, Optimizer = new Adam(0.001f) };
            net.EnsureParameters();
            options.Optimizer.Initialize(net.ParameterCount);
            var ws = net.TrainingWorkspace(batch);
            int[] order = Enumerable.Range(0, data.Count).ToArray();
            int next = 0;
            step = () =>
            {
                net.TrainStep(ws, data, order.AsSpan(next * batch, batch), options, out _);
                next = (next + 1) % 4;
            };
        }
        else
        {
            var output = new float[batch * 10];
            var input = data.Images[..(batch * shape.Size)].ToArray();
            step = () => net.Predict(input, output, batch);
        }
        var (median, best) = Time(step, reps);
        return Line($"{(train ? "train" : "infer")} model={model} batch={batch}", $"images_per_sec={batch / median:F0} best={batch / best:F0}");
    }

    private static string LatencyLine(Dictionary<string, string> o, int reps)
    {
        string model = o.GetValueOrDefault("model", "paper-mnist");
        var shape = ModelZoo.InputShape(model);
        var net = ModelZoo.Build(model, shape, seed: 1);
        var input = BenchData.Images(shape, 1).Images.ToArray();
        var output = new float[10];
        var (median, best) = Time(() => net.Predict(input, output, 1), reps);
        return Line($"latency model={model}", $"microseconds={median * 1e6:F1} best={best * 1e6:F1}");
    }

    /// <summary>Forward and backward time of each stage of the training plan (a layer, or a fused pair), and of the optimizer step, for one training batch.</summary>
    private static string LayerLines(Dictionary<string, string> o, int reps)
    {
        string model = o.GetValueOrDefault("model", "paper-mnist");
        int batch = Int(o, "batch", 30);
        var shape = ModelZoo.InputShape(model);
        var net = ModelZoo.Build(model, shape, seed: 1);
        var data = BenchData.Images(shape, batch);
        var options = new TrainingOptions { BatchSize = batch, Optimizer = new Adam(0.001f) };
        net.EnsureParameters();
        options.Optimizer.Initialize(net.ParameterCount);
        var ws = net.TrainingWorkspace(batch, options.Loss);
        int[] order = Enumerable.Range(0, batch).ToArray();
        net.TrainStep(ws, data, order, options, out _);
        var lines = new List<string>();
        var plan = ws.Plan;
        for (int s = 0; s < plan.Stages.Length; s++)
        {
            var stage = plan.Stages[s];
            var last = plan.Layers[stage.Layers[^1]];
            int index = s;
            var (forward, _) = Time(() => stage.Forward(ws, index, batch, Engine.Layers.LayerMode.Training), reps);
            var (backward, _) = Time(() => stage.Backward(ws, index, batch), reps);
            lines.Add(Line($"layer model={model} batch={batch} index={s + 1} kind={string.Join("+", stage.Layers.Select(l => plan.Layers[l].Kind))} shape={last.OutputShape}",
                $"forward_us={forward * 1e6:F1} backward_us={backward * 1e6:F1}"));
        }
        var parameters = net.GetParameters();
        var gradients = BenchData.Floats(parameters.Length, 3);
        var (step, _) = Time(() => options.Optimizer.Step(parameters, gradients, net.WeightCount, 0.001f), reps);
        lines.Add(Line($"optimizer model={model} batch={batch} parameters={parameters.Length}", $"step_us={step * 1e6:F1}"));
        return string.Join(Environment.NewLine, lines);
    }

    private static string Line(string what, string result) =>
        $"{what} threads={Cpu.ThreadCount} tier={Cpu.Tier} {result}";

    /// <summary>Median and best seconds per call over <paramref name="reps"/> repetitions of about 0.2 s each.</summary>
    private static (double Median, double Best) Time(Action call, int reps)
    {
        for (int i = 0; i < 3; i++) call();
        int inner = 1;
        while (true)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < inner; i++) call();
            if (Stopwatch.GetElapsedTime(t0).TotalSeconds > 0.05 || inner > 1 << 24) break;
            inner *= 2;
        }
        inner *= 4;
        var seconds = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < inner; i++) call();
            seconds[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds / inner;
        }
        Array.Sort(seconds);
        return (seconds[reps / 2], seconds[0]);
    }

    private static Dictionary<string, string> Options(string[] args)
    {
        var result = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{args[i]}'.");
            string key = args[i][2..];
            bool hasValue = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
            result[key] = hasValue ? args[++i] : "";
        }
        return result;
    }

    private static int Int(Dictionary<string, string> o, string key, int fallback)
    {
        if (!o.TryGetValue(key, out var text)) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < 1)
            throw new ArgumentException($"--{key} must be a positive integer, not '{text}'.");
        return value;
    }
}
