namespace Engine.Kernels;

/// <summary>
/// The pool threads behind <see cref="ParallelFor"/>: a fixed set of background threads, created on first use and
/// reused, that claim parts of the current run one at a time together with the calling thread. One run at a time;
/// <see cref="TryBegin"/> fails while one is in progress, and the caller then runs its parts inline.
/// </summary>
/// <remarks>
/// Hand-out: <c>_state</c> packs (parts, threads, next part) into one 64-bit word that every claim advances with a
/// compare-and-swap, so a part is claimed by exactly one thread, only by a worker index below the run's thread count,
/// and never after the run has closed (a late pool thread simply finds nothing to claim). The run's body pointer is
/// read after a successful claim, when the run cannot have ended (its claimed part is still pending). Completion:
/// each finished part decrements <c>_pending</c> (a full fence, so its writes are visible to the caller, on ARM64 as
/// on x64); the caller waits only for parts that were claimed, never for a pool thread that has not woken.
/// <para>Waiting: pool threads and the caller spin (with yields) for <see cref="SpinCount"/> rounds of
/// <see cref="ManualResetEventSlim"/>'s spin — of the order of a millisecond — before they block. A network step runs one parallel
/// loop per stage with short serial stretches between them, and waking a blocked thread goes through the operating system
/// (and, on a virtual machine, the hypervisor) once per stage; a thread still spinning picks the next run up at once
/// (measured: 2-thread training of the small models and resnet20 4–14 % faster on a 2-core VM, docs/PERFORMANCE.md). The
/// spin yields, so a core shared with another process is handed over, and an idle pool blocks after the spin.</para>
/// </remarks>
internal sealed unsafe class WorkerThreads
{
    /// <summary>The most threads one run may use (the thread field of the hand-out word is 8 bits).</summary>
    public const int MaxThreads = 255;

    private const int PartBits = 24;
    private const int ThreadShift = 32, PartShift = 40;

    [ThreadStatic] private static bool _insidePart;

    private readonly List<Worker> _workers = new();
    /// <summary>Spin rounds before a waiting thread blocks: the largest <see cref="ManualResetEventSlim"/> allows (see the remarks).</summary>
    private const int SpinCount = 2047;

    private readonly ManualResetEventSlim _done = new(false, SpinCount);
    private int _busy;
    private long _state;
    private int _pending;
    private void* _body;
    private delegate*<void*, int, int, void> _invoke;
    private Exception? _error;

    /// <summary>The pool every kernel shares.</summary>
    public static WorkerThreads Shared { get; } = new();

    private static long _workerAllocatedBytes;

    /// <summary>Bytes the pool threads have allocated while running parts, since the process started (tests check that a
    /// steady-state step adds nothing here, as on the calling thread).</summary>
    public static long WorkerAllocatedBytes => Interlocked.Read(ref _workerAllocatedBytes);

    /// <summary>Whether the current thread is running a part (a nested parallel loop then runs inline).</summary>
    public static bool InsidePart => _insidePart;

    /// <summary>The largest part count of one run.</summary>
    public static int MaxParts => (1 << PartBits) - 1;

    /// <summary>Claims the pool for one run; false while another run is in progress. A true return must be followed by <see cref="Run"/>.</summary>
    public bool TryBegin() => Interlocked.CompareExchange(ref _busy, 1, 0) == 0;

    /// <summary>
    /// Runs parts 0 … <paramref name="parts"/> − 1 through <paramref name="invoke"/>(<paramref name="body"/>, part, worker) on
    /// up to <paramref name="threads"/> threads, the caller being worker 0, and releases the pool. Call after <see cref="TryBegin"/>.
    /// </summary>
    public void Run(void* body, delegate*<void*, int, int, void> invoke, int parts, int threads)
    {
        try
        {
            if (parts > MaxParts) throw new ArgumentOutOfRangeException(nameof(parts), parts, $"A parallel run holds at most {MaxParts} parts.");
            int helpers = Math.Min(threads, parts) - 1;
            while (_workers.Count < helpers) _workers.Add(new Worker(this, _workers.Count + 1));
            _body = body;
            _invoke = invoke;
            _error = null;
            Volatile.Write(ref _pending, parts);
            _done.Reset();
            Volatile.Write(ref _state, ((long)parts << PartShift) | ((long)threads << ThreadShift));
            for (int i = 0; i < helpers; i++) _workers[i].Wake();
            RunParts(0);
            // Wait for parts other threads claimed. A Set left over from an earlier run only costs one more turn.
            while (Volatile.Read(ref _pending) != 0)
            {
                _done.Wait();
                _done.Reset();
            }
            Volatile.Write(ref _state, 0);
            _body = null;
            if (_error is { } error) throw new AggregateException("A parallel kernel part failed.", error);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Claims and runs parts of the current run as worker <paramref name="worker"/> until none is left.</summary>
    private void RunParts(int worker)
    {
        _insidePart = true;
        try
        {
            while (true)
            {
                long state = Volatile.Read(ref _state);
                int parts = (int)(state >> PartShift), threads = (int)((state >> ThreadShift) & 0xFF), next = (int)state;
                if (next >= parts || worker >= threads) return;
                if (Interlocked.CompareExchange(ref _state, state + 1, state) != state) continue;
                try { _invoke(_body, next, worker); }
                catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
                if (Interlocked.Decrement(ref _pending) == 0) _done.Set();
            }
        }
        finally { _insidePart = false; }
    }

    private sealed class Worker
    {
        private readonly WorkerThreads _pool;
        private readonly int _index;
        private readonly ManualResetEventSlim _go = new(false, SpinCount);

        public Worker(WorkerThreads pool, int index)
        {
            _pool = pool;
            _index = index;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"SimdCnn worker {index}" };
            thread.Start();
        }

        public void Wake() => _go.Set();

        private void Loop()
        {
            while (true)
            {
                _go.Wait();
                _go.Reset();
                long before = GC.GetAllocatedBytesForCurrentThread();
                _pool.RunParts(_index);
                Interlocked.Add(ref _workerAllocatedBytes, GC.GetAllocatedBytesForCurrentThread() - before);
            }
        }
    }
}
