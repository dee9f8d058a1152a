using System.Runtime.CompilerServices;
using Engine.Layers;

namespace Engine.Tests.Helpers;

/// <summary>
/// Runs a layer on its own through the public layer API, the way a network does: it gives each layer a context whose saved
/// memory persists from Forward to Backward (one per layer and batch size) and a scratch sized by the layer itself.
/// Uses only public members, so tests of layers written outside the engine use it too.
/// </summary>
public static class LayerHarness
{
    private sealed class Memory
    {
        public float[] Saved = [], Scratch = [];
        public int Batch, Threads;
    }

    private static readonly ConditionalWeakTable<Layer, Memory> Memories = new();

    /// <summary>A context for <paramref name="layer"/> and batches of up to <paramref name="batch"/> at the current thread count;
    /// the same saved memory every time for the same layer, batch and threads.</summary>
    public static LayerContext Context(Layer layer, int batch, LayerMode mode = LayerMode.Training)
    {
        var memory = Memories.GetValue(layer, _ => new Memory());
        int threads = Cpu.ThreadCount;
        if (memory.Batch != batch || memory.Threads != threads)
        {
            memory.Batch = batch;
            memory.Threads = threads;
            memory.Saved = new float[layer.SavedSize(batch)];
            memory.Scratch = new float[Math.Max(layer.ScratchSize(batch, threads, LayerMode.Training), layer.ScratchSize(batch, threads, LayerMode.Evaluation))];
        }
        return new LayerContext(mode, batch, threads, memory.Saved, memory.Scratch);
    }

    /// <summary>y = layer(x) for <paramref name="batch"/> samples (training mode unless given).</summary>
    public static void Forward(Layer layer, ReadOnlySpan<float> x, Span<float> y, int batch, LayerMode mode = LayerMode.Training) =>
        layer.Forward(x, y, batch, Context(layer, batch, mode));

    /// <summary>The backward pass after <see cref="Forward"/> with the same batch.</summary>
    public static void Backward(Layer layer, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch) =>
        layer.Backward(x, y, dy, dx, batch, Context(layer, batch));
}
