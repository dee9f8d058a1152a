using System.Runtime.CompilerServices;

namespace Engine.Kernels;

/// <summary>
/// The body of a parallel loop: part <c>part</c> of a split computation, run on worker <c>worker</c>
/// (0 is the calling thread; 0 ≤ worker &lt; the thread count given to <see cref="ParallelFor.Run{TBody}"/>).
/// </summary>
/// <remarks>
/// Parts write disjoint outputs (never a share of one reduction), and each part's arithmetic depends only on its
/// index, never on which worker runs it: results are bit-identical for any thread count and any hand-out of parts.
/// <c>worker</c> only selects per-worker scratch. Usually a <c>ref struct</c> holding the loop's spans.
/// </remarks>
internal interface IParallelBody
{
    /// <summary>Runs part <paramref name="part"/> using worker <paramref name="worker"/>'s scratch.</summary>
    void Execute(int part, int worker);
}

/// <summary>
/// The one parallel-for of the kernels: parts are handed out one at a time to the calling thread and up to
/// <c>threads − 1</c> pool threads as each becomes free (dynamic hand-out), so a thread slowed by another process
/// delays only the parts it took. Allocation-free; a run started inside a part, or while another run is in
/// progress (a concurrent caller), executes all its parts inline on its own thread.
/// </summary>
/// <remarks>
/// Size policy (<see cref="PartsFor"/>): a split is worth it only when each part holds at least
/// <see cref="MinimumWorkPerPart"/> floating-point operations — waking a pool thread costs a few microseconds —
/// and there are up to <see cref="PartsPerThread"/> parts per thread, so the hand-out can balance uneven threads.
/// </remarks>
internal static unsafe class ParallelFor
{
    /// <summary>Floating-point operations a part must hold at least (about 5 µs of one core's work).</summary>
    public const long MinimumWorkPerPart = 500_000;

    /// <summary>Parts per thread when the work allows: a busy core then holds back at most a small share.</summary>
    public const int PartsPerThread = 4;

    /// <summary>
    /// How many parts to split <paramref name="work"/> floating-point operations into when up to <paramref name="units"/>
    /// independent units (samples, tiles, filter blocks) can be split and <paramref name="threads"/> threads may run:
    /// 1 (run inline) when a thread would get less than <see cref="MinimumWorkPerPart"/>, otherwise at most
    /// <paramref name="partsPerThread"/> × threads parts of at least that much work each, and never more than the units.
    /// A kernel whose every part repeats a pass over a whole operand (the weight gradients pad every sample in each part)
    /// asks for one part per thread: a second part would cost more copying than it gains in balance.
    /// </summary>
    public static int PartsFor(long work, int units, int threads, int partsPerThread = PartsPerThread)
    {
        if (threads <= 1 || units <= 1 || work < 2 * MinimumWorkPerPart) return 1;
        long byWork = work / MinimumWorkPerPart;
        return (int)Math.Max(1, Math.Min(Math.Min(byWork, (long)partsPerThread * threads), units));
    }

    /// <summary>
    /// Runs parts 0 … <paramref name="parts"/> − 1 of <paramref name="body"/> on up to <paramref name="threads"/> threads
    /// (the caller included) and returns when all are done. The first exception a part throws is rethrown
    /// (wrapped in an <see cref="AggregateException"/>) after every part has finished or been skipped.
    /// </summary>
    public static void Run<TBody>(ref TBody body, int parts, int threads) where TBody : IParallelBody, allows ref struct
    {
        if (parts <= 0) return;
        threads = Math.Clamp(threads, 1, WorkerThreads.MaxThreads);
        if (threads == 1 || parts == 1 || WorkerThreads.InsidePart || !WorkerThreads.Shared.TryBegin())
        {
            for (int i = 0; i < parts; i++) body.Execute(i, 0);
            return;
        }
        WorkerThreads.Shared.Run(Unsafe.AsPointer(ref body), &Invoke<TBody>, parts, threads);
    }

    private static void Invoke<TBody>(void* body, int part, int worker) where TBody : IParallelBody, allows ref struct =>
        Unsafe.AsRef<TBody>(body).Execute(part, worker);
}
