namespace Engine.Layers;

/// <summary>
/// A layer's kernel plans by (maximum batch, threads): the workspaces of a network (training, and the pooled inference
/// workspaces) each find their plan again without allocating. Thread-safe: the entries are an immutable array replaced as a
/// whole; two threads that make the same plan at once make equal ones.
/// </summary>
/// <remarks>
/// Room for <see cref="Capacity"/> keys: the nine inference size classes (1, 2, 4 … 256) on three thread counts and a few
/// training batch sizes, so a server that predicts at every batch size never rebuilds a plan. Past that the oldest key
/// made goes (a hit does not reorder, so finding a plan writes nothing).
/// </remarks>
/// <typeparam name="TPlan">The kernel family's plan type.</typeparam>
internal sealed class PlanCache<TPlan> where TPlan : class
{
    private const int Capacity = 32;
    private (int MaxBatch, int Threads, TPlan Plan)[] _entries = [];

    /// <summary>The plan for (<paramref name="maxBatch"/>, <paramref name="threads"/>), made by <paramref name="create"/> the first time.</summary>
    public TPlan Get<TState>(int maxBatch, int threads, TState state, Func<TState, int, int, TPlan> create)
    {
        var entries = Volatile.Read(ref _entries);
        foreach (var (batch, count, plan) in entries)
            if (batch == maxBatch && count == threads) return plan;
        var made = create(state, maxBatch, threads);
        var grown = new (int, int, TPlan)[Math.Min(entries.Length + 1, Capacity)];
        grown[0] = (maxBatch, threads, made);
        Array.Copy(entries, 0, grown, 1, grown.Length - 1);
        Volatile.Write(ref _entries, grown);
        return made;
    }
}
