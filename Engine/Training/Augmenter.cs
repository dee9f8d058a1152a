namespace Engine.Training;

/// <summary>
/// Copies a training image into a batch with the random crop and flip of <see cref="Augmentation"/>: the draw for a sample is
/// <see cref="SeededRandom.Mix"/>(seed of the epoch, the sample's index in the dataset), so it does not depend on the batch,
/// the thread count or the order of work. Rows are moved with block copies (and reversed for a flip); allocation-free.
/// </summary>
internal static class Augmenter
{
    /// <summary>The seed of an epoch's draws: the network's seed, a stream of its own, the epoch number.</summary>
    public static ulong EpochSeed(long networkSeed, int epoch) =>
        SeededRandom.Mix(SeededRandom.Mix((ulong)networkSeed, 0xA0C0_FFEE), (ulong)epoch);

    /// <summary>
    /// target [C, H, W] = image [C, H, W] shifted by (dy, dx) ∈ [−p, p]² with zeros where the shift leaves the image, then mirrored
    /// when the draw says so.
    /// </summary>
    public static void Copy(Augmentation augmentation, Shape shape, ReadOnlySpan<float> image, Span<float> target, ulong epochSeed, int sampleIndex)
    {
        ulong draw = SeededRandom.Mix(epochSeed, (ulong)sampleIndex);
        int p = augmentation.PadCrop, range = 2 * p + 1;
        int dy = p == 0 ? 0 : (int)(draw % (ulong)range) - p;
        int dx = p == 0 ? 0 : (int)(draw / (ulong)range % (ulong)range) - p;
        bool flip = augmentation.HorizontalFlip && (draw >> 63) != 0;
        int channels = shape[0], height = shape[1], width = shape[2];
        int x0 = Math.Max(0, -dx), x1 = Math.Min(width, width - dx); // target columns that read the image
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < height; y++)
            {
                var row = target.Slice((c * height + y) * width, width);
                int sy = y + dy;
                if ((uint)sy >= (uint)height || x0 >= x1)
                {
                    row.Clear();
                    continue;
                }
                row[..x0].Clear();
                row[x1..].Clear();
                image.Slice((c * height + sy) * width + x0 + dx, x1 - x0).CopyTo(row[x0..x1]);
                if (flip) row.Reverse();
            }
    }
}
