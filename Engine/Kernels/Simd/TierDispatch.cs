using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels;

/// <summary>
/// A kernel body written once over the vector width: <see cref="TierDispatch"/> calls <see cref="Run{TWidth, TVector}"/>
/// with the width of the tier that runs, and the JIT specialises (and inlines) the body per width. The kernel is
/// usually a <c>ref struct</c> holding its spans and scalars, so a dispatch allocates nothing.
/// </summary>
internal interface IWidthKernel
{
    /// <summary>Runs the kernel with registers of <typeparamref name="TVector"/> (<typeparamref name="TWidth"/>'s operations).</summary>
    void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct;
}

/// <summary>
/// The one place that turns a <see cref="ComputeTier"/> into a register width. Every vectorised kernel goes
/// through it (or is itself one of the tier-specific GEMM microkernels chosen by <see cref="GemmMicrokernels.For"/>),
/// so <see cref="Cpu.TierOverride"/> reaches every path and no kernel tests <c>IsSupported</c> itself.
/// </summary>
internal static class TierDispatch
{
    /// <summary>Runs <paramref name="kernel"/> on the width of <see cref="Cpu.Tier"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TKernel>(ref TKernel kernel) where TKernel : IWidthKernel, allows ref struct =>
        Run(Cpu.Tier, ref kernel);

    /// <summary>Runs <paramref name="kernel"/> on the width of <paramref name="tier"/> (no wider than <see cref="Cpu.DetectedTier"/>).</summary>
    public static void Run<TKernel>(ComputeTier tier, ref TKernel kernel) where TKernel : IWidthKernel, allows ref struct
    {
        switch (tier)
        {
            case ComputeTier.Avx512: kernel.Run<Width512, Vector512<float>>(); break;
            case ComputeTier.Avx2: kernel.Run<Width256, Vector256<float>>(); break;
            case ComputeTier.Vector128: kernel.Run<Width128, Vector128<float>>(); break;
            default: kernel.Run<Width1, float>(); break;
        }
    }
}
