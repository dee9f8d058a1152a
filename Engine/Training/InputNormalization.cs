namespace Engine.Training;

/// <summary>
/// A per-channel normalisation of a network's (channels, height, width) input: x ← (x − mean[c]) / std[c], applied by every
/// forward pass (training, evaluation, prediction) before the first layer and saved with the model.
/// </summary>
public sealed class InputNormalization
{
    private readonly float[] _mean, _std;

    /// <summary>A normalisation with the given per-channel means and standard deviations.</summary>
    /// <exception cref="ArgumentException">The lengths differ or are 0, a value is not finite, or a deviation is not positive.</exception>
    public InputNormalization(IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Count == 0 || mean.Count != std.Count)
            throw new ArgumentException($"Input normalisation needs one mean and one deviation per channel ({mean.Count} and {std.Count} given).");
        if (mean.Any(m => !float.IsFinite(m)) || std.Any(s => !(s > 0) || !float.IsFinite(s)))
            throw new ArgumentException("Input normalisation needs finite means and positive finite deviations.");
        _mean = mean.ToArray();
        _std = std.ToArray();
    }

    /// <summary>The per-channel means.</summary>
    public IReadOnlyList<float> Mean => _mean;

    /// <summary>The per-channel means as a span (no copy; the augmentation's cut-out fill).</summary>
    internal ReadOnlySpan<float> MeanValues => _mean;

    /// <summary>The per-channel standard deviations.</summary>
    public IReadOnlyList<float> Std => _std;

    /// <summary>The number of channels.</summary>
    public int Channels => _mean.Length;

    /// <summary>The mean and the population standard deviation of each channel over all images of <paramref name="data"/>, in double, in image order.</summary>
    /// <exception cref="ArgumentException">The images are not (channels, height, width), or a channel is constant.</exception>
    public static InputNormalization FromData(Data.Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var shape = data.SampleShape;
        if (shape.Rank != 3) throw new ArgumentException($"Input normalisation is per channel of (channels, height, width) images, not {shape}.", nameof(data));
        int channels = shape[0], plane = shape[1] * shape[2];
        var sum = new double[channels];
        var squares = new double[channels];
        var images = data.Images;
        for (int n = 0; n < data.Count; n++)
            for (int c = 0; c < channels; c++)
                foreach (float v in images.Slice((n * channels + c) * plane, plane)) { sum[c] += v; squares[c] += (double)v * v; }
        double count = (double)data.Count * plane;
        var mean = new float[channels];
        var std = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double m = sum[c] / count, variance = Math.Max(0, squares[c] / count - m * m);
            if (variance <= 0) throw new ArgumentException($"Channel {c} of {data.Name} is constant; it cannot be normalised.", nameof(data));
            (mean[c], std[c]) = ((float)m, (float)Math.Sqrt(variance));
        }
        return new InputNormalization(mean, std);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"normalise(mean=[{string.Join(", ", _mean.Select(v => v.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)))}], " +
        $"std=[{string.Join(", ", _std.Select(v => v.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)))}])";
}
