namespace Engine.Training;

/// <summary>
/// Buffers for running a network on batches of up to <see cref="MaxBatch"/> images, allocated once and
/// reused by every step. Training: one activation buffer per layer boundary (backward reads them all) and two
/// gradient buffers used in turn; inference: the input and two activation buffers used in turn. This is what keeps
/// a steady-state step free of allocations.
/// </summary>
internal sealed class Workspace
{
    public Workspace(Network network, int maxBatch, bool training)
    {
        MaxBatch = maxBatch;
        var layers = network.Layers;
        int largest = network.InputShape.Size, largestOutput = 0;
        foreach (var layer in layers)
        {
            largest = Math.Max(largest, layer.OutputShape.Size);
            largestOutput = Math.Max(largestOutput, layer.OutputShape.Size);
        }
        Activations = new float[layers.Count + 1][];
        Activations[0] = new float[maxBatch * network.InputShape.Size];
        if (training)
        {
            // Backward reads every layer's input and output: one buffer per layer boundary.
            for (int i = 0; i < layers.Count; i++)
                Activations[i + 1] = new float[maxBatch * layers[i].OutputShape.Size];
            GradientA = new float[maxBatch * largest];
            GradientB = new float[maxBatch * largest];
        }
        else
        {
            // Inference only ever needs a layer's input and output: two buffers in turn (boundary i ≥ 1 uses
            // buffer (i − 1) mod 2, so a layer never reads and writes the same one).
            float[][] pingPong = [new float[maxBatch * largestOutput], new float[maxBatch * largestOutput]];
            for (int i = 1; i <= layers.Count; i++) Activations[i] = pingPong[(i - 1) % 2];
        }
        Labels = new int[maxBatch];
    }

    public int MaxBatch { get; }

    /// <summary>Activations[0] is the input batch [N, InputShape]; Activations[i + 1] the output of layer i (for
    /// inference, Activations[i + 1] and Activations[i + 3] are the same array).</summary>
    public float[][] Activations { get; }

    public float[] GradientA { get; } = [];

    public float[] GradientB { get; } = [];

    /// <summary>Labels of the current batch [N].</summary>
    public int[] Labels { get; }
}
