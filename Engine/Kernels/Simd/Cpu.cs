using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine;

/// <summary>The instruction-set tier the kernels run on, widest first.</summary>
public enum ComputeTier
{
    /// <summary>Plain scalar loops (hardware intrinsics disabled or absent).</summary>
    Scalar = 0,
    /// <summary>128-bit vectors (SSE / NEON).</summary>
    Vector128 = 1,
    /// <summary>256-bit AVX2 with FMA.</summary>
    Avx2 = 2,
    /// <summary>512-bit AVX-512.</summary>
    Avx512 = 3,
}

/// <summary>What the processor offers the kernels, and the settings that choose how they run.</summary>
public static class Cpu
{
    private static int _threadCount = Environment.ProcessorCount;
    private static readonly AsyncLocal<int> _scopedThreads = new();

    /// <summary>The widest tier this process can run (honours the <c>DOTNET_Enable*</c> knobs).</summary>
    public static ComputeTier DetectedTier { get; } = Detect();

    /// <summary>The tier the kernels actually run: <see cref="DetectedTier"/> unless a test forces a narrower one.</summary>
    public static ComputeTier Tier => TierOverride is { } forced && forced < DetectedTier ? forced : DetectedTier;

    /// <summary>Test-only: forces a tier no wider than <see cref="DetectedTier"/>; null restores detection.</summary>
    internal static ComputeTier? TierOverride { get; set; }

    /// <summary>
    /// How many threads the kernels may use on the current flow of execution: the innermost <see cref="UseThreads"/>
    /// scope's count, or else the process default (all logical processors). Setting it changes the process default for
    /// every caller, which is why the setter is obsolete: use a <see cref="UseThreads"/> scope, which never changes what
    /// other callers get. The engine itself never sets it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int ThreadCount
    {
        get => _scopedThreads.Value is > 0 and var scoped ? scoped : _threadCount;
        [Obsolete("Setting the process-wide thread count changes it for every caller; use `using (Cpu.UseThreads(n))` around the work instead.")]
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(ThreadCount));
            _threadCount = value;
        }
    }

    /// <summary>
    /// Limits the kernels to <paramref name="threads"/> threads until the returned scope is disposed, for this flow of
    /// execution only (it follows async calls and tasks started inside it; other threads keep their own count). Scopes nest.
    /// </summary>
    /// <example><code>using (Cpu.UseThreads(1)) net.Fit(train, val, options);</code></example>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is less than 1.</exception>
    public static ThreadScope UseThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        int previous = _scopedThreads.Value;
        _scopedThreads.Value = threads;
        return new ThreadScope(previous);
    }

    /// <summary>Restores the thread count that was in effect before <see cref="UseThreads"/> when disposed.</summary>
    public readonly struct ThreadScope : IDisposable
    {
        private readonly int _previous;

        internal ThreadScope(int previous) => _previous = previous;

        /// <summary>Ends the scope.</summary>
        public void Dispose() => _scopedThreads.Value = _previous;
    }

    private static ComputeTier Detect()
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported) return ComputeTier.Avx512;
        if (Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported) return ComputeTier.Avx2;
        if (Vector128.IsHardwareAccelerated) return ComputeTier.Vector128;
        return ComputeTier.Scalar;
    }
}
