using Engine.Tests.Helpers;
using Engine.Kernels;

namespace Engine.Tests.Kernels;

public class WorkerPoolTests
{
    private sealed class Squares(int[] output) : ParallelJob
    {
        public int[] Threads = new int[output.Length];
        public override void Execute(int part)
        {
            output[part] = part * part;
            Threads[part] = Environment.CurrentManagedThreadId;
        }
    }

    private sealed class Failing : ParallelJob
    {
        public override void Execute(int part)
        {
            if (part == 3) throw new InvalidOperationException("part 3");
        }
    }

    private sealed class Nested(int[] output) : ParallelJob
    {
        public override void Execute(int part) => WorkerPool.Shared.Run(new Squares(output), output.Length, 4);
    }

    [TestCase(1, 1), TestCase(7, 1), TestCase(7, 2), TestCase(64, 4), TestCase(3, 8)]
    public void EveryPartRunsOnce(int parts, int threads)
    {
        var output = Enumerable.Repeat(-1, parts).ToArray();
        for (int round = 0; round < 50; round++)
        {
            Array.Fill(output, -1);
            WorkerPool.Shared.Run(new Squares(output), parts, threads);
            Assert.That(output, Is.EqualTo(Enumerable.Range(0, parts).Select(i => i * i)));
        }
    }

    private sealed class Rendezvous : ParallelJob
    {
        private readonly Barrier _barrier = new(2);
        public bool Met = true;
        public override void Execute(int part) => Met &= _barrier.SignalAndWait(TimeSpan.FromSeconds(10));
    }

    [Test]
    public void TwoPartsRunConcurrentlyOnTwoThreads()
    {
        // Each part waits for the other at a barrier: only possible if a worker runs one while the caller runs the other.
        var job = new Rendezvous();
        WorkerPool.Shared.Run(job, parts: 2, threads: 2);
        Assert.That(job.Met, Is.True);
    }

    [Test]
    public void AnExceptionInAPartIsRethrownAndThePoolStillWorks()
    {
        var e = Assert.Throws<AggregateException>(() => WorkerPool.Shared.Run(new Failing(), 8, 2));
        Assert.That(e!.InnerException, Is.TypeOf<InvalidOperationException>());
        EveryPartRunsOnce(16, 2);
    }

    [Test]
    public void ARunFromInsideAPartRunsInline()
    {
        var output = new int[5];
        WorkerPool.Shared.Run(new Nested(output), 2, 2);
        Assert.That(output, Is.EqualTo(new[] { 0, 1, 4, 9, 16 }));
    }

    [Test]
    public void ARunAllocatesNothing()
    {
        var output = new int[32];
        var job = new Squares(output);
        Assert.That(Allocations.SteadyState(() => WorkerPool.Shared.Run(job, output.Length, 2), runs: 100), Is.Zero);
    }
}
