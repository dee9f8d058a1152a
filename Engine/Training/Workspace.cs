namespace Engine.Training;

/// <summary>
/// Buffers for running a network on batches of up to <see cref="MaxBatch"/> images, allocated once and
/// reused by every step: one activation buffer per layer boundary and, for training, two gradient
/// buffers used in turn. This is what keeps a steady-state step free of allocations.
/// </summary>
internal sealed class Workspace
{
    public Workspace(Network network, int maxBatch, bool training)
    {
        MaxBatch = maxBatch;
        var layers = network.Layers;
        Activations = new float[layers.Count + 1][];
        Activations[0] = new float[maxBatch * network.InputShape.Size];
        int largest = network.InputShape.Size;
        for (int i = 0; i < layers.Count; i++)
        {
            Activations[i + 1] = new float[maxBatch * layers[i].OutputShape.Size];
            largest = Math.Max(largest, layers[i].OutputShape.Size);
        }
        if (training)
        {
            GradientA = new float[maxBatch * largest];
            GradientB = new float[maxBatch * largest];
        }
        Labels = new int[maxBatch];
    }

    public int MaxBatch { get; }

    /// <summary>Activations[0] is the input batch [N, InputShape]; Activations[i + 1] the output of layer i.</summary>
    public float[][] Activations { get; }

    public float[] GradientA { get; } = [];

    public float[] GradientB { get; } = [];

    /// <summary>Labels of the current batch [N].</summary>
    public int[] Labels { get; }
}
