using Engine.Tests.Helpers;
using Engine.Kernels;

namespace Engine.Tests.Kernels;

public class ParallelForTests
{
    /// <summary>Writes part² into its slot and records which worker ran it.</summary>
    private readonly ref struct Squares(Span<int> output, Span<int> workers) : IParallelBody
    {
        private readonly Span<int> _output = output, _workers = workers;

        public void Execute(int part, int worker)
        {
            _output[part] = part * part;
            _workers[part] = worker;
        }
    }

    private readonly struct Failing : IParallelBody
    {
        public void Execute(int part, int worker)
        {
            if (part == 3) throw new InvalidOperationException("part 3");
        }
    }

    private readonly struct Nested(int[] output, int[] workers) : IParallelBody
    {
        public void Execute(int part, int worker)
        {
            var inner = new Squares(output, workers);
            ParallelFor.Run(ref inner, output.Length, 4);
        }
    }

    private static void RunSquares(int[] output, int[] workers, int parts, int threads)
    {
        var body = new Squares(output, workers);
        ParallelFor.Run(ref body, parts, threads);
    }

    [TestCase(1, 1), TestCase(7, 1), TestCase(7, 2), TestCase(64, 4), TestCase(3, 8)]
    public void EveryPartRunsOnceOnAWorkerBelowTheThreadCount(int parts, int threads)
    {
        var output = new int[parts];
        var workers = new int[parts];
        for (int round = 0; round < 50; round++)
        {
            Array.Fill(output, -1);
            Array.Fill(workers, -1);
            RunSquares(output, workers, parts, threads);
            Assert.That(output, Is.EqualTo(Enumerable.Range(0, parts).Select(i => i * i)));
            Assert.That(workers, Has.All.InRange(0, threads - 1));
        }
    }

    private readonly struct Rendezvous(Barrier barrier, bool[] met) : IParallelBody
    {
        public void Execute(int part, int worker) => met[part] = barrier.SignalAndWait(TimeSpan.FromSeconds(10));
    }

    [Test]
    public void TwoPartsRunConcurrentlyOnTwoThreads()
    {
        // Each part waits for the other at a barrier: only possible if a worker runs one while the caller runs the other.
        var met = new bool[2];
        var body = new Rendezvous(new Barrier(2), met);
        ParallelFor.Run(ref body, parts: 2, threads: 2);
        Assert.That(met, Has.All.True);
    }

    private readonly struct AllocatingRendezvous(Barrier barrier, int[] ranBy, byte[][] kept) : IParallelBody
    {
        public void Execute(int part, int worker)
        {
            ranBy[part] = worker;
            barrier.SignalAndWait(TimeSpan.FromSeconds(10));
            kept[part] = new byte[4096];
        }
    }

    [Test]
    public void WhatAPoolThreadAllocatesIsCounted()
    {
        // The allocation tests add WorkerAllocatedBytes to the caller's count: a part a pool thread ran must show there.
        var ranBy = new[] { -1, -1 };
        var kept = new byte[2][];
        var body = new AllocatingRendezvous(new Barrier(2), ranBy, kept);
        long before = WorkerThreads.WorkerAllocatedBytes;
        ParallelFor.Run(ref body, parts: 2, threads: 2);
        Assert.That(ranBy, Is.EquivalentTo(new[] { 0, 1 }), "the barrier makes a pool thread run one part");
        Assert.That(WorkerThreads.WorkerAllocatedBytes - before, Is.GreaterThanOrEqualTo(4096));
        Assert.That(kept, Has.All.Not.Null);
    }

    private readonly struct Stalling(ManualResetEventSlim release, int[] ranBy, int[] callerParts) : IParallelBody
    {
        public void Execute(int part, int worker)
        {
            ranBy[part] = worker;
            // The pool thread sits on its first part until the caller has done all the others: hand-out is dynamic.
            if (worker != 0) release.Wait(TimeSpan.FromSeconds(10));
            else if (Interlocked.Increment(ref callerParts[0]) == ranBy.Length - 1) release.Set();
        }
    }

    [Test]
    public void AThreadThatStallsHoldsBackOnlyThePartItTook()
    {
        // 16 parts on 2 threads: whichever part the pool thread takes first, it sits on it until the caller, which must not
        // wait for it, has taken every other part. (If the pool thread never wakes in time, the caller does all 16.)
        for (int round = 0; round < 20; round++)
        {
            var ranBy = Enumerable.Repeat(-1, 16).ToArray();
            using var release = new ManualResetEventSlim(false);
            var body = new Stalling(release, ranBy, new int[1]);
            ParallelFor.Run(ref body, ranBy.Length, 2);
            Assert.That(ranBy.Count(w => w == 1), Is.LessThanOrEqualTo(1), string.Join(",", ranBy));
            Assert.That(ranBy, Has.All.InRange(0, 1));
        }
    }

    [Test]
    public void AnExceptionInAPartIsRethrownAndThePoolStillWorks()
    {
        var body = new Failing();
        var e = Assert.Throws<AggregateException>(() => ParallelFor.Run(ref body, 8, 2));
        Assert.That(e!.InnerException, Is.TypeOf<InvalidOperationException>());
        EveryPartRunsOnceOnAWorkerBelowTheThreadCount(16, 2);
    }

    [Test]
    public void ARunFromInsideAPartRunsInline()
    {
        var output = new int[5];
        var workers = new int[5];
        var body = new Nested(output, workers);
        ParallelFor.Run(ref body, 2, 2);
        Assert.That(output, Is.EqualTo(new[] { 0, 1, 4, 9, 16 }));
        Assert.That(workers, Has.All.EqualTo(0), "a nested run stays on the thread that runs the outer part, as worker 0");
    }

    [Test]
    public void ConcurrentCallersAllGetEveryPartDone()
    {
        // Runs started while another is in progress execute inline on their own thread; every caller's parts all run once.
        const int callers = 6, parts = 40;
        var failures = 0;
        Parallel.For(0, callers, new ParallelOptions { MaxDegreeOfParallelism = callers }, c =>
        {
            var output = new int[parts];
            var workers = new int[parts];
            for (int round = 0; round < 200; round++)
            {
                Array.Fill(output, -1);
                RunSquares(output, workers, parts, 2);
                for (int i = 0; i < parts; i++)
                    if (output[i] != i * i) Interlocked.Increment(ref failures);
            }
        });
        Assert.That(failures, Is.Zero);
    }

    [TestCase(0L, 100, 2, 1), TestCase(999_999L, 100, 2, 1), TestCase(1_000_000L, 100, 2, 2), TestCase(100_000_000L, 100, 2, 8),
     TestCase(100_000_000L, 3, 2, 3), TestCase(100_000_000L, 100, 1, 1), TestCase(3_000_000L, 100, 4, 6)]
    public void PartsFollowTheSizePolicy(long work, int units, int threads, int expected) =>
        Assert.That(ParallelFor.PartsFor(work, units, threads), Is.EqualTo(expected));

    [TestCase(100_000_000L, 100, 2, 2), TestCase(100_000_000L, 100, 3, 3), TestCase(1_000_000L, 100, 4, 2), TestCase(999_999L, 100, 2, 1),
     TestCase(100_000_000L, 1, 2, 1)]
    public void OnePartPerThreadWhenAskedAndStillTheSizePolicy(long work, int units, int threads, int expected) =>
        Assert.That(ParallelFor.PartsFor(work, units, threads, partsPerThread: 1), Is.EqualTo(expected));

    [Test]
    public void ARunAllocatesNothing()
    {
        var output = new int[32];
        var workers = new int[32];
        Assert.That(Allocations.SteadyStateWithWorkers(() => RunSquares(output, workers, output.Length, 2), runs: 100), Is.Zero);
    }
}
