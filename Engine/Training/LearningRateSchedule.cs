using System.Globalization;

namespace Engine.Training;

/// <summary>
/// How the learning rate changes over training, as a factor of the optimizer's η applied at every step (not every epoch):
/// the step-t learning rate is η·<see cref="Factor"/>(t, T) with t = 0 … T − 1 over the T steps of a <c>Fit</c> call.
/// Factors are computed in double from (t, T, steps per epoch) only, so a resumed run gets exactly the same rates.
/// </summary>
public abstract class LearningRateSchedule
{
    private protected LearningRateSchedule() { }

    /// <summary>A short description, e.g. <c>cosine(warmup=0.1)</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The factor of η at step <paramref name="step"/> of <paramref name="totalSteps"/> with <paramref name="stepsPerEpoch"/> steps per epoch.</summary>
    public abstract double Factor(long step, long totalSteps, int stepsPerEpoch);

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>η throughout.</summary>
    public static LearningRateSchedule Constant() => new ConstantSchedule();

    /// <summary>η·<paramref name="factor"/>^⌊epoch / <paramref name="everyEpochs"/>⌋, the epoch counted from the step (PyTorch's StepLR).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="everyEpochs"/> &lt; 1 or <paramref name="factor"/> not in (0, 1].</exception>
    public static LearningRateSchedule Step(int everyEpochs, float factor = 0.1f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(everyEpochs, 1);
        if (!(factor is > 0f and <= 1f)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "The step schedule's factor must be in (0, 1].");
        return new StepSchedule(everyEpochs, factor);
    }

    /// <summary>
    /// A linear warm-up from 0 over the first <paramref name="warmupFraction"/> of the steps, then a half cosine from η down to
    /// η·<paramref name="finalFactor"/> at the last step (PyTorch's CosineAnnealingLR over the whole run, after the warm-up).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A fraction or factor outside [0, 1).</exception>
    public static LearningRateSchedule Cosine(float warmupFraction = 0f, float finalFactor = 0f)
    {
        CheckFraction(warmupFraction, nameof(warmupFraction));
        CheckFraction(finalFactor, nameof(finalFactor));
        return new CosineSchedule(warmupFraction, finalFactor);
    }

    /// <summary>
    /// The one-cycle policy (PyTorch's OneCycleLR with cosine annealing): from η/<paramref name="startDivisor"/> up to η over the
    /// first <paramref name="warmupFraction"/> of the steps, then down to η/(<paramref name="startDivisor"/>·<paramref name="finalDivisor"/>),
    /// both halves along a cosine.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is outside (0, 1) or a divisor is below 1.</exception>
    public static LearningRateSchedule OneCycle(float warmupFraction = 0.3f, float startDivisor = 25f, float finalDivisor = 1e4f)
    {
        if (!(warmupFraction is > 0f and < 1f)) throw new ArgumentOutOfRangeException(nameof(warmupFraction), warmupFraction, "The warm-up fraction must be in (0, 1).");
        if (!(startDivisor >= 1f) || !float.IsFinite(startDivisor)) throw new ArgumentOutOfRangeException(nameof(startDivisor), startDivisor, "The divisor must be at least 1.");
        if (!(finalDivisor >= 1f) || !float.IsFinite(finalDivisor)) throw new ArgumentOutOfRangeException(nameof(finalDivisor), finalDivisor, "The divisor must be at least 1.");
        return new OneCycleSchedule(warmupFraction, startDivisor, finalDivisor);
    }

    private static void CheckFraction(float value, string name)
    {
        if (!(value is >= 0f and < 1f)) throw new ArgumentOutOfRangeException(name, value, "The value must be in [0, 1).");
    }

    /// <summary>end + (start − end)·(1 + cos(π·fraction))/2: start at 0, end at 1.</summary>
    private protected static double CosineBetween(double start, double end, double fraction) =>
        end + (start - end) / 2 * (Math.Cos(Math.PI * fraction) + 1);

    private protected static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed class ConstantSchedule : LearningRateSchedule
    {
        public override string Name => "constant";

        public override double Factor(long step, long totalSteps, int stepsPerEpoch) => 1.0;
    }

    private sealed class StepSchedule(int everyEpochs, float factor) : LearningRateSchedule
    {
        public override string Name => Format($"step(every={everyEpochs}, factor={factor})");

        public override double Factor(long step, long totalSteps, int stepsPerEpoch) =>
            Math.Pow(factor, step / stepsPerEpoch / everyEpochs);
    }

    private sealed class CosineSchedule(float warmupFraction, float finalFactor) : LearningRateSchedule
    {
        public override string Name => Format($"cosine(warmup={warmupFraction}, final={finalFactor})");

        public override double Factor(long step, long totalSteps, int stepsPerEpoch)
        {
            long warmup = (long)Math.Round(warmupFraction * totalSteps);
            if (step < warmup) return (step + 1) / (double)warmup;
            long span = Math.Max(1, totalSteps - 1 - warmup);
            return CosineBetween(1.0, finalFactor, Math.Min(1.0, (step - warmup) / (double)span));
        }
    }

    private sealed class OneCycleSchedule(float warmupFraction, float startDivisor, float finalDivisor) : LearningRateSchedule
    {
        public override string Name => Format($"onecycle(warmup={warmupFraction}, start=1/{startDivisor}, final=1/{startDivisor * finalDivisor})");

        public override double Factor(long step, long totalSteps, int stepsPerEpoch)
        {
            double start = 1.0 / startDivisor, end = start / finalDivisor;
            double peak = warmupFraction * totalSteps - 1; // PyTorch: the first phase ends at pct_start·T − 1
            if (step <= peak) return CosineBetween(start, 1.0, peak <= 0 ? 1.0 : step / peak);
            double last = totalSteps - 1;
            return CosineBetween(1.0, end, Math.Min(1.0, (step - peak) / Math.Max(1e-12, last - peak)));
        }
    }
}
