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

    /// <summary>The widest tier this process can run (honours the <c>DOTNET_Enable*</c> knobs).</summary>
    public static ComputeTier DetectedTier { get; } = Detect();

    /// <summary>The tier the kernels actually run: <see cref="DetectedTier"/> unless a test forces a narrower one.</summary>
    public static ComputeTier Tier => TierOverride is { } forced && forced < DetectedTier ? forced : DetectedTier;

    /// <summary>Test-only: forces a tier no wider than <see cref="DetectedTier"/>; null restores detection.</summary>
    internal static ComputeTier? TierOverride { get; set; }

    /// <summary>How many threads the kernels may use (default: all logical processors).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int ThreadCount
    {
        get => _threadCount;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(ThreadCount));
            _threadCount = value;
        }
    }

    private static ComputeTier Detect()
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported) return ComputeTier.Avx512;
        if (Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported) return ComputeTier.Avx2;
        if (Vector128.IsHardwareAccelerated) return ComputeTier.Vector128;
        return ComputeTier.Scalar;
    }
}
