namespace Engine.Kernels;

/// <summary>
/// Work that can be split into independent parts, each writing its own disjoint share of the output
/// (never a share of one reduction: GEMM's K loop is never split). The result is therefore the same
/// whichever thread runs which part and however many threads there are.
/// </summary>
internal abstract class ParallelJob
{
    /// <summary>Runs part <paramref name="part"/> of the job (0 ≤ part &lt; the part count given to Run).</summary>
    public abstract void Execute(int part);
}

/// <summary>
/// A fixed set of worker threads that run the parts of a <see cref="ParallelJob"/> together with the
/// calling thread. Unlike <c>Parallel.For</c> it allocates nothing per run, so kernels that reuse their
/// job objects keep the training step allocation-free. One run at a time; a run started from inside a
/// part, or with one thread, executes inline.
/// </summary>
internal sealed class WorkerPool
{
    private readonly object _runLock = new();
    private readonly List<Worker> _workers = new();
    private readonly CountdownEvent _finished = new(1);
    private ParallelJob? _job;
    private int _parts;
    private int _next;
    private Exception? _error;

    [ThreadStatic] private static bool _insidePart;

    /// <summary>The pool all kernels share.</summary>
    public static WorkerPool Shared { get; } = new();

    /// <summary>
    /// Runs parts 0..<paramref name="parts"/>-1 of <paramref name="job"/> on up to <paramref name="threads"/>
    /// threads (the caller included) and returns when all are done. The first exception a part throws is rethrown.
    /// </summary>
    public void Run(ParallelJob job, int parts, int threads)
    {
        if (parts <= 0) return;
        int helpers = Math.Min(threads, parts) - 1;
        if (helpers <= 0 || _insidePart)
        {
            for (int i = 0; i < parts; i++) job.Execute(i);
            return;
        }
        lock (_runLock)
        {
            while (_workers.Count < helpers) _workers.Add(new Worker(this, _workers.Count));
            _job = job;
            _parts = parts;
            _error = null;
            Volatile.Write(ref _next, 0);
            _finished.Reset(helpers);
            for (int i = 0; i < helpers; i++) _workers[i].Start();
            RunParts();
            _finished.Wait();
            _job = null;
            if (_error is { } error) throw new AggregateException("A parallel kernel part failed.", error);
        }
    }

    private void RunParts()
    {
        _insidePart = true;
        try
        {
            int part;
            while ((part = Interlocked.Increment(ref _next) - 1) < _parts)
            {
                try { _job!.Execute(part); }
                catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
            }
        }
        finally { _insidePart = false; }
    }

    private sealed class Worker
    {
        private readonly WorkerPool _pool;
        private readonly ManualResetEventSlim _go = new(false, spinCount: 200);

        public Worker(WorkerPool pool, int index)
        {
            _pool = pool;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"SimdCnn worker {index + 1}" };
            thread.Start();
        }

        public void Start() => _go.Set();

        private void Loop()
        {
            while (true)
            {
                _go.Wait();
                _go.Reset();
                _pool.RunParts();
                _pool._finished.Signal();
            }
        }
    }
}
