using Engine.Data;
using Engine.Losses;
using Engine.Training;

namespace Engine.Tests.Helpers;

/// <summary>
/// Finite-difference check of a whole network's parameter gradients (training mode: batch statistics, a fixed dropout mask):
/// for every parameter, the central difference of the batch's mean loss (in double, from the float outputs) against the
/// gradient the plan's backward pass leaves in the gradient buffer. Covers what a single-layer check cannot, such as residual
/// blocks whose input gradient reaches the layers before them, and augmentations that mix the loss (CutMix; its draws are fixed by the seed). The step h = 1e-2 balances truncation against the float
/// round-off of the outputs (smaller steps measured noisier on batch-normalised networks).
/// </summary>
internal static class NetworkGradientCheck
{
    public static void Check(Network net, Dataset data, Loss loss, double h = 1e-2, double tolerance = 2e-2, int every = 1,
        Augmentation? augmentation = null, ulong augmentationSeed = 0)
    {
        var indices = Enumerable.Range(0, data.Count).ToArray();
        var ws = net.TrainingWorkspace(data.Count, loss);
        net.ComputeGradients(ws, data, indices, loss, out _, augmentation, augmentationSeed);
        var analytic = net.Gradients.ToArray();
        var parameters = net.Parameters;
        for (int i = 0; i < analytic.Length; i += every)
        {
            float saved = parameters[i];
            parameters[i] = (float)(saved + h);
            double plus = net.ComputeGradients(ws, data, indices, loss, out _, augmentation, augmentationSeed);
            parameters[i] = (float)(saved - h);
            double minus = net.ComputeGradients(ws, data, indices, loss, out _, augmentation, augmentationSeed);
            parameters[i] = saved;
            double numeric = (plus - minus) / ((double)(float)(saved + h) - (float)(saved - h));
            double a = analytic[i];
            double err = Math.Abs(a - numeric) / Math.Max(1e-2, Math.Max(Math.Abs(a), Math.Abs(numeric)));
            if (err > tolerance)
                Assert.Fail($"parameter {i} of {analytic.Length}: analytic {a:G9} vs numeric {numeric:G9} (relative error {err:G3} > {tolerance})");
        }
    }
}
