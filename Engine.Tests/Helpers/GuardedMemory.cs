using System.Runtime.InteropServices;

namespace Engine.Tests.Helpers;

/// <summary>
/// Native memory whose elements touch an inaccessible page (mmap + mprotect(PROT_NONE) on Linux), either right after
/// the last element or right before the first: a kernel that reads or writes one element out of its span crashes the
/// process at once instead of corrupting a neighbour silently (the guard pages of System.Numerics.Tensors' BoundedMemory).
/// </summary>
internal sealed unsafe class GuardedMemory<T> : IDisposable where T : unmanaged
{
    private readonly byte* _mapping;
    private readonly nuint _mappingSize;
    private readonly T* _data;

    /// <summary>A copy of <paramref name="values"/> ending at a guard page, or starting at one if <paramref name="guardBefore"/>.</summary>
    public GuardedMemory(ReadOnlySpan<T> values, bool guardBefore)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("Guard pages are set up with Linux mmap/mprotect.");
        Length = values.Length;
        nuint page = (nuint)Environment.SystemPageSize, bytes = (nuint)(values.Length * sizeof(T));
        nuint dataPages = Math.Max(1, (bytes + page - 1) / page);
        _mappingSize = (dataPages + 2) * page;
        _mapping = (byte*)LinuxMemory.Mmap(null, _mappingSize, LinuxMemory.ProtReadWrite, LinuxMemory.MapPrivateAnonymous, -1, 0);
        if (_mapping == (byte*)-1) throw new InvalidOperationException($"mmap failed: errno {Marshal.GetLastPInvokeError()}.");
        if (LinuxMemory.Mprotect(_mapping, page, LinuxMemory.ProtNone) != 0 || LinuxMemory.Mprotect(_mapping + _mappingSize - page, page, LinuxMemory.ProtNone) != 0)
            throw new InvalidOperationException($"mprotect failed: errno {Marshal.GetLastPInvokeError()}.");
        _data = (T*)(guardBefore ? _mapping + page : _mapping + page + dataPages * page - bytes);
        values.CopyTo(Span);
    }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>The elements (valid until disposed).</summary>
    public Span<T> Span => new(_data, Length);

    public void Dispose() => LinuxMemory.Munmap(_mapping, _mappingSize);
}

/// <summary>The Linux memory-mapping calls <see cref="GuardedMemory{T}"/> needs.</summary>
internal static unsafe class LinuxMemory
{
    public const int ProtNone = 0, ProtReadWrite = 3, MapPrivateAnonymous = 0x02 | 0x20;

    [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static extern void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [DllImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    public static extern int Mprotect(void* address, nuint length, int protection);

    [DllImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static extern int Munmap(void* address, nuint length);
}
