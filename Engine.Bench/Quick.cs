using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
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
/// quick layers --model paper-mnist --batch 30 [--peak 100]      → one line per layer: forward and backward microseconds per batch,
///                                                                  then per convolution its three passes and their fraction of the FMA peak
/// quick conv --shape "16x32x32 16 3 1 1" --batch 32 [--path plan|blocked|gemm|compare] [--pass all|forward|data|weights] [--peak 100]
///                                                                → one convolution's forward, data-gradient and weight-gradient times;
///                                                                  compare alternates the blocked and the GEMM kernels rep by rep
/// </code>
/// Each figure is the median of <c>--reps</c> (default 7) timed repetitions of about 0.2 s after a warm-up;
/// <c>best=</c> gives the fastest repetition; <c>--clock cpu</c> (one thread, Linux) times the thread's CPU time instead of the
/// wall clock, for comparisons on a shared machine (cache and memory contention remain). The peak (<c>--peak</c> GFLOP/s of one thread) defaults to a quick measurement
/// (<see cref="FmaPeak"/>: twelve independent FMA chains in the tier's widest register, C#, this process); a fraction of
/// peak with several threads is of threads × peak.
/// </summary>
internal static class Quick
{
    public static int Run(string[] args)
    {
        try
        {
            if (args.Length == 0) throw new ArgumentException("quick needs a mode: gemm, train, infer, latency, layers or conv.");
            var options = Options(args[1..]);
            using var threads = Cpu.UseThreads(Int(options, "threads", args[0] == "latency" ? 1 : Environment.ProcessorCount));
            string clock = options.GetValueOrDefault("clock", "wall");
            if (clock is not ("wall" or "cpu")) throw new ArgumentException($"--clock is wall or cpu, not '{clock}'.");
            if (clock == "cpu" && (Cpu.ThreadCount != 1 || !OperatingSystem.IsLinux()))
                throw new ArgumentException("--clock cpu measures the calling thread's CPU time: Linux and --threads 1 only.");
            _threadClock = clock == "cpu";
            int reps = Int(options, "reps", 7);
            string line = args[0] switch
            {
                "gemm" => GemmLine(options, reps),
                "train" => ModelLine(options, reps, train: true),
                "infer" => ModelLine(options, reps, train: false),
                "latency" => LatencyLine(options, reps),
                "layers" => LayerLines(options, reps),
                "conv" => ConvLine(options, reps),
                _ => throw new ArgumentException($"unknown quick mode '{args[0]}'; choose gemm, train, infer, latency, layers or conv."),
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
        var (inForward, inBackward, wholeStep) = InSequence(net, ws, data, order, options, reps);
        for (int s = 0; s < plan.Stages.Length; s++)
        {
            var stage = plan.Stages[s];
            // A residual add reads two values: "Add", or "Add+ReLU" when fused with the ReLU after it.
            string kind = string.Join("+", (stage.Inputs.Length > 1 ? ["Add"] : Array.Empty<string>()).Concat(stage.Layers.Select(l => plan.Layers[l].Kind)));
            int index = s;
            var (forward, _) = Time(() => stage.Forward(ws, index, batch, Engine.Layers.LayerMode.Training), reps);
            var (backward, _) = Time(() => stage.Backward(ws, index, batch), reps);
            lines.Add(Line($"layer model={model} batch={batch} index={s + 1} kind={kind} shape={plan.ValueShapes[stage.Output]}",
                $"forward_us={forward * 1e6:F1} backward_us={backward * 1e6:F1} in_step_forward_us={inForward[s] * 1e6:F1} in_step_backward_us={inBackward[s] * 1e6:F1}"));
        }
        lines.Add(Line($"step model={model} batch={batch}",
            $"step_us={wholeStep * 1e6:F1} stages_us={(inForward.Sum() + inBackward.Sum()) * 1e6:F1}"));
        var parameters = net.GetParameters();
        var gradients = BenchData.Floats(parameters.Length, 3);
        var (step, _) = Time(() => options.Optimizer.Step(parameters, gradients, net.WeightCount, 0.001f), reps);
        lines.Add(Line($"optimizer model={model} batch={batch} parameters={parameters.Length}", $"step_us={step * 1e6:F1}"));
        var (peak, source) = Peak(o);
        foreach (var conv in Convolutions(net.Layers))
        {
            var g = conv.Plan(batch, Cpu.ThreadCount).Geometry;
            var passes = new ConvPasses(g, conv.Filters, batch, Cpu.ThreadCount, ConvPath.Plan, conv.HasBias);
            string layer = conv.Name.Replace("layer ", "", StringComparison.Ordinal).Replace(" (Conv2D)", "", StringComparison.Ordinal);
            lines.Add(Line($"conv model={model} batch={batch} layer={layer} input={g.Channels}x{g.Height}x{g.Width} filters={conv.Filters} " +
                $"kernel={g.KernelHeight}x{g.KernelWidth} stride={g.StrideHeight} path={passes.Description}",
                PassTimes(passes, Flops(g, conv.Filters, batch), peak, reps) + $" peak_gflops={peak:F1} peak_source={source}"));
        }
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>
    /// Each stage's forward and backward time inside whole training steps (stages run in the plan's order, so each one meets
    /// the caches the one before left, unlike the isolated repetitions), averaged over <paramref name="reps"/> timed steps
    /// after one warm-up; and the median whole <c>TrainStep</c> (batch copy, loss, optimizer included).
    /// </summary>
    private static (double[] Forward, double[] Backward, double Step) InSequence(Network net, Workspace ws, Engine.Data.Dataset data, int[] order,
        TrainingOptions options, int reps)
    {
        var plan = ws.Plan;
        int batch = order.Length, stages = plan.Stages.Length;
        var forward = new double[stages];
        var backward = new double[stages];
        double tick = 1.0 / Stopwatch.Frequency;
        for (int r = -1; r < reps; r++)
        {
            net.TrainStep(ws, data, order, options, out _); // fresh loss gradient and caches as a step leaves them
            double weight = r < 0 ? 0 : tick / reps;
            long t = Stopwatch.GetTimestamp();
            for (int s = 0; s < stages; s++)
            {
                plan.Stages[s].Forward(ws, s, batch, Engine.Layers.LayerMode.Training);
                long u = Stopwatch.GetTimestamp();
                forward[s] += (u - t) * weight;
                t = u;
            }
            for (int s = stages - 1; s >= 0; s--)
            {
                plan.Stages[s].Backward(ws, s, batch);
                long u = Stopwatch.GetTimestamp();
                backward[s] += (u - t) * weight;
                t = u;
            }
        }
        var (step, _) = Time(() => net.TrainStep(ws, data, order, options, out _), reps);
        return (forward, backward, step);
    }

    /// <summary>One convolution shape: its three passes through the plan or a forced kernel family, or both families alternating.</summary>
    private static string ConvLine(Dictionary<string, string> o, int reps)
    {
        var shape = ConvShape.Parse(o.GetValueOrDefault("shape", "16x32x32 16 3 1 1"));
        int batch = Int(o, "batch", 32);
        string path = o.GetValueOrDefault("path", "plan");
        var (peak, source) = Peak(o);
        var g = shape.Geometry;
        double flops = Flops(g, shape.F, batch);
        string what = $"conv shape={shape.ToString().Replace(' ', ',')} batch={batch}";
        if (path != "compare")
        {
            var kind = path switch
            {
                "plan" => ConvPath.Plan, "blocked" => ConvPath.Blocked, "gemm" => ConvPath.Gemm,
                _ => throw new ArgumentException($"--path is plan, blocked, gemm or compare, not '{path}'."),
            };
            var passes = new ConvPasses(g, shape.F, batch, Cpu.ThreadCount, kind);
            string only = o.GetValueOrDefault("pass", "all");
            if (only is not ("all" or "forward" or "data" or "weights")) throw new ArgumentException($"--pass is all, forward, data or weights, not '{only}'.");
            return Line($"{what} path={passes.Description}", PassTimes(passes, flops, peak, reps, only) + $" peak_gflops={peak:F1} peak_source={source}");
        }
        var blocked = new ConvPasses(g, shape.F, batch, Cpu.ThreadCount, ConvPath.Blocked);
        var gemm = new ConvPasses(g, shape.F, batch, Cpu.ThreadCount, ConvPath.Gemm);
        var results = new List<string>();
        foreach (var (name, b, m) in new[] { ("forward", blocked.Forward, gemm.Forward), ("data", blocked.BackwardData, gemm.BackwardData),
                     ("weights", blocked.BackwardWeights, gemm.BackwardWeights) })
        {
            var (tb, tg) = Alternate(b, m, reps);
            results.Add($"{name}_blocked_peak={flops / tb / 1e9 / (peak * Cpu.ThreadCount):F3} {name}_gemm_peak={flops / tg / 1e9 / (peak * Cpu.ThreadCount):F3} {name}_gemm_over_blocked={tg / tb:F2}");
        }
        return Line($"{what} path=compare", string.Join(' ', results) + $" peak_gflops={peak:F1} peak_source={source}");
    }

    /// <summary>The three passes' median microseconds and fractions of threads × peak.</summary>
    private static string PassTimes(ConvPasses passes, double flops, double peak, int reps, string only = "all")
    {
        var parts = new List<string>();
        foreach (var (name, call) in new[] { ("forward", passes.Forward), ("data", passes.BackwardData), ("weights", passes.BackwardWeights) })
        {
            if (only != "all" && only != name) continue;
            var (median, best) = Time(call, reps);
            parts.Add($"{name}_us={median * 1e6:F1} {name}_peak={flops / median / 1e9 / (peak * Cpu.ThreadCount):F3} {name}_best_peak={flops / best / 1e9 / (peak * Cpu.ThreadCount):F3}");
        }
        return string.Join(' ', parts);
    }

    /// <summary>Best seconds of <paramref name="a"/> and <paramref name="b"/>, timed in turn repetition by repetition (a shared machine's
    /// slow spells then hit both alike, and the best repetition of each is the least disturbed).</summary>
    private static (double A, double B) Alternate(Action a, Action b, int reps)
    {
        int innerA = Calibrate(a), innerB = Calibrate(b);
        var ta = new double[reps];
        var tb = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            ta[r] = Repetition(a, innerA);
            tb[r] = Repetition(b, innerB);
        }
        return (ta.Min(), tb.Min());
    }

    private static double Flops(in ConvGeometry g, int filters, int batch) => 2.0 * batch * filters * g.ColumnCols * g.ColumnRows;

    /// <summary>The one-thread FMA peak: <c>--peak</c>, or measured.</summary>
    private static (double Gflops, string Source) Peak(Dictionary<string, string> o)
    {
        if (!o.TryGetValue("peak", out var text))
            return (FmaPeak.Measure(_threadClock ? ThreadCpuSeconds : () => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency), "measured");
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value > 0))
            throw new ArgumentException($"--peak must be a positive number of GFLOP/s, not '{text}'.");
        return (value, "given");
    }

    /// <summary>Every convolution of the network, inside residual blocks too (body, then shortcut).</summary>
    private static IEnumerable<Engine.Layers.Conv2D> Convolutions(IEnumerable<Engine.Layers.Layer> layers)
    {
        foreach (var layer in layers)
        {
            if (layer is Engine.Layers.Conv2D conv) yield return conv;
            else if (layer is Engine.Layers.Residual block)
                foreach (var inner in Convolutions(block.Body.Concat(block.Shortcut))) yield return inner;
        }
    }

    private static string Line(string what, string result) =>
        $"{what} threads={Cpu.ThreadCount} tier={Cpu.Tier} {result}";

    /// <summary>Median and best seconds per call over <paramref name="reps"/> repetitions of about 0.2 s each.</summary>
    private static (double Median, double Best) Time(Action call, int reps)
    {
        int inner = Calibrate(call);
        var seconds = new double[reps];
        for (int r = 0; r < reps; r++) seconds[r] = Repetition(call, inner);
        Array.Sort(seconds);
        return (seconds[reps / 2], seconds[0]);
    }

    /// <summary>After a warm-up, the calls per repetition of about 0.2 s.</summary>
    private static int Calibrate(Action call)
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
        return inner * 4;
    }

    /// <summary>Seconds per call over one repetition of <paramref name="inner"/> calls: wall-clock time, or with <c>--clock cpu</c>
    /// the calling thread's CPU time (Linux), which leaves out the time a busy machine gives to other processes.</summary>
    private static double Repetition(Action call, int inner)
    {
        if (_threadClock)
        {
            double c0 = ThreadCpuSeconds();
            for (int i = 0; i < inner; i++) call();
            return (ThreadCpuSeconds() - c0) / inner;
        }
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < inner; i++) call();
        return Stopwatch.GetElapsedTime(t0).TotalSeconds / inner;
    }

    private static bool _threadClock;

    private static double ThreadCpuSeconds()
    {
        const int ThreadCpuTimeClock = 3; // CLOCK_THREAD_CPUTIME_ID
        if (ClockGetTime(ThreadCpuTimeClock, out var t) != 0) throw new InvalidOperationException("clock_gettime failed.");
        return t.Seconds + t.Nanoseconds * 1e-9;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

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
