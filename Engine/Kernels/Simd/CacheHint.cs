using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels;

/// <summary>
/// Cache hints for the kernels: on x86 a prefetch into every cache level, elsewhere nothing. A hint changes no result,
/// only when a line arrives, so it is the same on every tier (and it lives here because it asks the hardware).
/// </summary>
internal static unsafe class CacheHint
{
    /// <summary>Asks for the cache line holding <paramref name="address"/> to be brought into L1 (x86 <c>prefetcht0</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(void* address)
    {
        if (Sse.IsSupported) Sse.Prefetch0(address);
    }
}
