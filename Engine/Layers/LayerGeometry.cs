using Engine.Kernels;

namespace Engine.Layers;

/// <summary>Kernel geometries from layer settings: where a layer's <see cref="Padding"/> becomes the amounts the kernels take.</summary>
internal static class LayerGeometry
{
    /// <summary>The convolution geometry of a <paramref name="channels"/>×<paramref name="height"/>×<paramref name="width"/> sample
    /// with <paramref name="padding"/> resolved by <see cref="Padding.Resolve"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is less than 1.</exception>
    /// <exception cref="ArgumentException">The kernel does not fit the padded input, or the im2col matrix would be too large.</exception>
    public static ConvGeometry Conv(int channels, int height, int width, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, Padding padding)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(strideHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(strideWidth, 1);
        var (top, bottom, left, right) = padding.Resolve(height, width, kernelHeight, kernelWidth, strideHeight, strideWidth);
        return ConvGeometry.Create(channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, top, bottom, left, right);
    }
}
