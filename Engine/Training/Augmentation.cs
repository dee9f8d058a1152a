namespace Engine.Training;

/// <summary>
/// Random changes of the training images, drawn anew for every sample of every epoch from the network's seed, the epoch and
/// the sample's index in the dataset (so a run is bit-identical for any thread count, and a resumed run draws the same ones):
/// a random crop of the image padded by <see cref="PadCrop"/> zero pixels on each side (a shift by −p … p rows and columns),
/// and a horizontal flip with probability ½. Evaluation and prediction never see them.
/// </summary>
public sealed class Augmentation
{
    /// <summary>Zero pixels padded on every side before a crop of the original size is taken (0: no crop).</summary>
    public int PadCrop { get; init; }

    /// <summary>Whether each image is mirrored left–right with probability ½.</summary>
    public bool HorizontalFlip { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting for images of <paramref name="shape"/>.</summary>
    internal void Validate(Shape shape)
    {
        if (PadCrop < 0) throw new ArgumentException($"Augmentation: {nameof(PadCrop)} cannot be negative, not {PadCrop}.");
        if ((PadCrop > 0 || HorizontalFlip) && shape.Rank != 3)
            throw new ArgumentException($"Augmentation crops and flips (channels, height, width) images, not {shape}.");
        if (shape.Rank == 3 && (PadCrop >= shape[1] || PadCrop >= shape[2]))
            throw new ArgumentException($"Augmentation: {nameof(PadCrop)} = {PadCrop} is not smaller than the {shape[1]}×{shape[2]} image.");
    }

    /// <inheritdoc />
    public override string ToString() => $"augment(crop={PadCrop}, flip={HorizontalFlip})";
}
