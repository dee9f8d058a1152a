namespace Engine.Training;

/// <summary>
/// Copies a training image into a batch with the random crop, flip, cut-out and CutMix box of <see cref="Augmentation"/>: the draw for a
/// sample is <see cref="SeededRandom.Mix"/>(seed of the epoch, the sample's index in the dataset), so it does not depend on the
/// batch, the thread count or the order of work (the cut-out's centre comes from a second mix of that draw, so adding a
/// cut-out leaves the crops and flips as they were). Rows are moved with block copies (and reversed for a flip);
/// allocation-free.
/// </summary>
internal static class Augmenter
{
    /// <summary>The seed of an epoch's draws: the network's seed, a stream of its own, the epoch number.</summary>
    public static ulong EpochSeed(long networkSeed, int epoch) =>
        SeededRandom.Mix(SeededRandom.Mix((ulong)networkSeed, 0xA0C0_FFEE), (ulong)epoch);

    /// <summary>
    /// target [C, H, W] = image [C, H, W] shifted by (dy, dx) ∈ [−p, p]² with zeros where the shift leaves the image, then mirrored
    /// when the draw says so; then a square of side <see cref="Augmentation.Cutout"/> around a drawn centre is set to
    /// <paramref name="fill"/>[c] in every channel c.
    /// </summary>
    /// <param name="augmentation">What to change.</param>
    /// <param name="shape">The images' shape (C, H, W).</param>
    /// <param name="image">[C, H, W] the dataset's image.</param>
    /// <param name="target">[C, H, W] its place in the batch (overwritten).</param>
    /// <param name="epochSeed">The epoch's seed (<see cref="EpochSeed"/>).</param>
    /// <param name="sampleIndex">The image's index in the dataset.</param>
    /// <param name="fill">[C] the value of cut-out pixels per channel (the inputs' mean), or empty for zeros; unused without a cut-out.</param>
    public static void Copy(Augmentation augmentation, Shape shape, ReadOnlySpan<float> image, Span<float> target, ulong epochSeed, int sampleIndex,
        ReadOnlySpan<float> fill)
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
        if (augmentation.Cutout > 0) CutOut(augmentation.Cutout, shape, target, SeededRandom.Mix(draw, 1), fill);
    }

    /// <summary>
    /// The CutMix draw of sample <paramref name="sampleIndex"/> in the epoch of <paramref name="epochSeed"/> (a third mix of the
    /// sample's draw, so crops, flips and cut-outs keep their draws): false when no box is pasted (probability 1 − <see cref="Augmentation.CutMix"/>,
    /// or a box too small to cover a pixel); otherwise the training image to paste from and the box, clipped to the image.
    /// </summary>
    /// <param name="augmentation">The augmentation (its <see cref="Augmentation.CutMix"/> probability).</param>
    /// <param name="shape">The images' shape (C, H, W).</param>
    /// <param name="epochSeed">The epoch's seed (<see cref="EpochSeed"/>).</param>
    /// <param name="sampleIndex">The image's index in the dataset.</param>
    /// <param name="count">The number of training images the other image is drawn from.</param>
    /// <param name="box">The pasted box and the image it comes from.</param>
    public static bool DrawCutMix(Augmentation augmentation, Shape shape, ulong epochSeed, int sampleIndex, int count, out MixBox box)
    {
        box = default;
        ulong draw = SeededRandom.Mix(SeededRandom.Mix(epochSeed, (ulong)sampleIndex), 2);
        const double Unit = 1.0 / (1UL << 53);
        if ((draw >> 11) * Unit >= augmentation.CutMix) return false;
        int height = shape[1], width = shape[2];
        ulong where = SeededRandom.Mix(draw, 1);
        double side = Math.Sqrt((SeededRandom.Mix(draw, 2) >> 11) * Unit); // the box's side over the image's: its area share is uniform
        int boxHeight = (int)(height * side), boxWidth = (int)(width * side);
        int cy = (int)(where % (ulong)height), cx = (int)(where / (ulong)height % (ulong)width);
        int y0 = Math.Max(0, cy - boxHeight / 2), y1 = Math.Min(height, cy - boxHeight / 2 + boxHeight);
        int x0 = Math.Max(0, cx - boxWidth / 2), x1 = Math.Min(width, cx - boxWidth / 2 + boxWidth);
        if (y0 >= y1 || x0 >= x1) return false;
        box = new MixBox((int)(SeededRandom.Mix(draw, 3) % (ulong)count), y0, y1, x0, x1);
        return true;
    }

    /// <summary>target [C, H, W]: the cells of <paramref name="box"/> in every channel copied from <paramref name="source"/> [C, H, W].</summary>
    public static void Paste(in MixBox box, Shape shape, ReadOnlySpan<float> source, Span<float> target)
    {
        int channels = shape[0], height = shape[1], width = shape[2];
        for (int c = 0; c < channels; c++)
            for (int y = box.Y0; y < box.Y1; y++)
            {
                int start = (c * height + y) * width + box.X0;
                source.Slice(start, box.X1 - box.X0).CopyTo(target.Slice(start, box.X1 - box.X0));
            }
    }

    /// <summary>target [C, H, W]: the rows and columns of a side × side square centred on the draw's pixel, clipped to the image, set to fill[c] (0 when fill is empty).</summary>
    private static void CutOut(int side, Shape shape, Span<float> target, ulong draw, ReadOnlySpan<float> fill)
    {
        int channels = shape[0], height = shape[1], width = shape[2];
        int cy = (int)(draw % (ulong)height), cx = (int)(draw / (ulong)height % (ulong)width);
        int y0 = Math.Max(0, cy - side / 2), y1 = Math.Min(height, cy - side / 2 + side);
        int x0 = Math.Max(0, cx - side / 2), x1 = Math.Min(width, cx - side / 2 + side);
        for (int c = 0; c < channels; c++)
            for (int y = y0; y < y1; y++)
                target.Slice((c * height + y) * width + x0, x1 - x0).Fill(fill.IsEmpty ? 0f : fill[c]);
    }
}

/// <summary>
/// A box pasted by CutMix: rows <see cref="Y0"/> … <see cref="Y1"/> − 1 and columns <see cref="X0"/> … <see cref="X1"/> − 1 of
/// training image <see cref="Partner"/> (after its own crop, flip and cut-out).
/// </summary>
internal readonly record struct MixBox(int Partner, int Y0, int Y1, int X0, int X1)
{
    /// <summary>The share of an image of <paramref name="height"/> × <paramref name="width"/> the box covers (0 … 1).</summary>
    public float Share(int height, int width) => (float)((Y1 - Y0) * (X1 - X0)) / (height * width);
}
