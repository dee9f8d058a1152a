namespace Engine.Training;

/// <summary>
/// Random changes of the training images, drawn anew for every sample of every epoch from the network's seed, the epoch and
/// the sample's index in the dataset (so a run is bit-identical for any thread count, and a resumed run draws the same ones):
/// a random crop of the image padded by <see cref="PadCrop"/> zero pixels on each side (a shift by −p … p rows and columns),
/// a horizontal flip with probability ½, and a cut-out square of side <see cref="Cutout"/>. Evaluation and prediction never
/// see them.
/// </summary>
public sealed class Augmentation
{
    /// <summary>Zero pixels padded on every side before a crop of the original size is taken (0: no crop).</summary>
    public int PadCrop { get; init; }

    /// <summary>Whether each image is mirrored left–right with probability ½.</summary>
    public bool HorizontalFlip { get; init; }

    /// <summary>
    /// Side in pixels of a square blanked out of every image after the crop and flip (0: none): its centre is drawn
    /// uniformly over the image and the parts of the square outside the image are dropped (DeVries and Taylor's cutout).
    /// Blanked pixels take each channel's mean when the network normalises its inputs (so they reach the first layer as 0, up to one rounding),
    /// and 0 otherwise.
    /// </summary>
    public int Cutout { get; init; }

    /// <summary>
    /// Probability (0 … 1; 0: never) that a training image gets a box of another training image pasted in, after its crop, flip
    /// and cut-out (Yun et al.'s CutMix). The other image is drawn uniformly from the training set and given its own crop, flip and
    /// cut-out; the box covers a share of the image drawn uniformly from [0, 1), its centre drawn uniformly over the image and its
    /// parts outside the image dropped. The loss of such an image is mixed by area: (1 − a) × the loss of its own label plus
    /// a × the loss of the other image's label, a being the share the clipped box covers. Training accuracy still counts the
    /// image's own label.
    /// </summary>
    public float CutMix { get; init; }

    /// <summary>Whether any change is made (a crop, a flip, a cut-out or a pasted box).</summary>
    internal bool ChangesImages => PadCrop > 0 || HorizontalFlip || Cutout > 0 || CutMix > 0;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting for images of <paramref name="shape"/>.</summary>
    internal void Validate(Shape shape)
    {
        if (PadCrop < 0) throw new ArgumentException($"Augmentation: {nameof(PadCrop)} cannot be negative, not {PadCrop}.");
        if (Cutout < 0) throw new ArgumentException($"Augmentation: {nameof(Cutout)} cannot be negative, not {Cutout}.");
        if (!(CutMix >= 0f && CutMix <= 1f))
            throw new ArgumentException($"Augmentation: {nameof(CutMix)} is a probability from 0 to 1, not {CutMix}.");
        if (ChangesImages && shape.Rank != 3)
            throw new ArgumentException($"Augmentation crops, flips and cuts out of (channels, height, width) images, not {shape}.");
        if (shape.Rank == 3 && (PadCrop >= shape[1] || PadCrop >= shape[2]))
            throw new ArgumentException($"Augmentation: {nameof(PadCrop)} = {PadCrop} is not smaller than the {shape[1]}×{shape[2]} image.");
        if (shape.Rank == 3 && (Cutout > shape[1] || Cutout > shape[2]))
            throw new ArgumentException($"Augmentation: {nameof(Cutout)} = {Cutout} is larger than the {shape[1]}×{shape[2]} image.");
    }

    /// <inheritdoc />
    public override string ToString() => $"augment(crop={PadCrop}, flip={HorizontalFlip}"
        + (Cutout == 0 ? "" : $", cutout={Cutout}")
        + (CutMix == 0f ? "" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $", cutmix={CutMix:R}")) + ")";
}
