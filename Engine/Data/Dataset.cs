namespace Engine.Data;

/// <summary>
/// Labelled images in memory: <c>Images</c> is [Count, SampleShape] in NCHW order (pixels already
/// scaled, usually to [0, 1]); <c>Labels</c> holds one class index in 0..Classes-1 per image.
/// </summary>
public sealed class Dataset
{
    private readonly float[] _images;
    private readonly int[] _labels;
    private readonly int _offset;

    /// <summary>Wraps arrays (not copied) as a dataset.</summary>
    /// <param name="name">What the data is, for messages, e.g. <c>mnist/train</c>.</param>
    /// <param name="images">Count × SampleShape.Size values, image after image.</param>
    /// <param name="labels">Count class indices.</param>
    /// <param name="sampleShape">The shape of one image, e.g. <c>(1, 28, 28)</c>.</param>
    /// <param name="classes">Number of classes; every label must be below it.</param>
    /// <exception cref="ArgumentException">The arrays' lengths disagree with each other or the shape, or a label is out of range.</exception>
    public Dataset(string name, float[] images, int[] labels, Shape sampleShape, int classes)
        : this(name, images, labels, sampleShape, classes, 0, labels.Length)
    {
        if (images.Length != (long)labels.Length * sampleShape.Size)
            throw new ArgumentException($"{name}: {labels.Length} labels need {(long)labels.Length * sampleShape.Size} image values of shape {sampleShape}, but there are {images.Length}.", nameof(images));
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentException($"{name}: label {i} is {labels[i]}, outside 0..{classes - 1}.", nameof(labels));
    }

    private Dataset(string name, float[] images, int[] labels, Shape sampleShape, int classes, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        if (sampleShape.Rank == 0) throw new ArgumentException("The sample shape is empty.", nameof(sampleShape));
        Name = name; _images = images; _labels = labels; SampleShape = sampleShape; Classes = classes;
        _offset = offset; Count = count;
    }

    /// <summary>What the data is, e.g. <c>mnist/train</c>.</summary>
    public string Name { get; }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>The shape of one image (C, H, W).</summary>
    public Shape SampleShape { get; }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>All images, [Count, SampleShape] row-major.</summary>
    public ReadOnlySpan<float> Images => _images.AsSpan(_offset * SampleShape.Size, Count * SampleShape.Size);

    /// <summary>All labels, [Count].</summary>
    public ReadOnlySpan<int> Labels => _labels.AsSpan(_offset, Count);

    /// <summary>Image <paramref name="index"/>, SampleShape.Size values.</summary>
    public ReadOnlySpan<float> Image(int index) => _images.AsSpan((_offset + CheckIndex(index)) * SampleShape.Size, SampleShape.Size);

    /// <summary>The label of image <paramref name="index"/>.</summary>
    public int Label(int index) => _labels[_offset + CheckIndex(index)];

    /// <summary>The first <paramref name="count"/> images, in their original order (the report's subsets). Shares storage.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1 or above <see cref="Count"/>.</exception>
    public Dataset Take(int count) => Slice(0, count);

    /// <summary><paramref name="count"/> images starting at <paramref name="start"/>. Shares storage.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is empty or leaves the dataset.</exception>
    public Dataset Slice(int start, int count)
    {
        if (count < 1 || start < 0 || (long)start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"{Name} has {Count} images; cannot take {count} from index {start}.");
        return new Dataset(Name, _images, _labels, SampleShape, Classes, _offset + start, count);
    }

    /// <summary>Number of images of each class.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[Classes];
        foreach (int label in Labels) counts[label]++;
        return counts;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Count} × {SampleShape}, {Classes} classes";

    private int CheckIndex(int index) =>
        (uint)index < (uint)Count ? index : throw new ArgumentOutOfRangeException(nameof(index), $"{Name} has {Count} images; there is no image {index}.");
}

/// <summary>A dataset's training and test parts, as published.</summary>
/// <param name="Train">The training images.</param>
/// <param name="Test">The test images (the report's validation data is the first of these).</param>
public sealed record TrainTestSplit(Dataset Train, Dataset Test);
