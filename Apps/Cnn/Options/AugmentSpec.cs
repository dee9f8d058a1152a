using System.Globalization;
using Engine;
using Engine.Training;

namespace Cnn;

/// <summary>
/// The value of <c>--augment</c>: <c>none</c>, or parts separated by commas (or <c>+</c>, which a <c>--grid</c> list
/// needs, its values being separated by commas): <c>crop=N</c> (pad N zero pixels on every side, then crop the
/// original size at a random offset), <c>flip</c> (mirror left–right with probability ½) and <c>cutout=N</c> (blank an
/// N × N square at a random place) and <c>cutmix=P</c> (with probability P, 0 &lt; P ≤ 1, paste a box of another training image
/// and mix the two labels by area), each at most once. The canonical form lists the parts given in the order crop, flip,
/// cutout, cutmix (e.g. <c>crop=4,flip,cutout=8,cutmix=0.5</c>), or is <c>none</c>.
/// </summary>
public static class AugmentSpec
{
    /// <summary>No augmentation.</summary>
    public const string None = "none";

    /// <summary>The canonical form of <paramref name="text"/>.</summary>
    /// <exception cref="UsageException">Not of that form; the message starts with <c>--augment</c>.</exception>
    public static string Canonical(string text)
    {
        var (crop, flip, cutout, cutMix) = Parse(text);
        return Format(crop, flip, cutout, cutMix);
    }

    /// <summary>The engine's augmentation of the canonical <paramref name="value"/>, or null for <c>none</c>.</summary>
    /// <exception cref="UsageException">Not an augmentation value, or a crop as large as (or a cut-out larger than) the images of <paramref name="images"/>.</exception>
    public static Augmentation? ToAugmentation(string value, Shape images)
    {
        var (crop, flip, cutout, cutMix) = Parse(value);
        if (crop == 0 && !flip && cutout == 0 && cutMix == 0f) return null;
        if (images.Rank != 3)
            throw new UsageException($"--augment {value}: crops, flips, cut-outs and pasted boxes need images of channels × height × width, not {images}.");
        int side = Math.Min(images[1], images[2]);
        if (crop >= side)
            throw new UsageException($"--augment crop={crop} is not smaller than the {images[1]}×{images[2]} images; give at most crop={side - 1}.");
        if (cutout > side)
            throw new UsageException($"--augment cutout={cutout} is larger than the {images[1]}×{images[2]} images; give at most cutout={side}.");
        return new Augmentation { PadCrop = crop, HorizontalFlip = flip, Cutout = cutout, CutMix = cutMix };
    }

    private static (int Crop, bool Flip, int Cutout, float CutMix) Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string value = text.Trim().ToLowerInvariant();
        if (value == None) return (0, false, 0, 0f);
        int? crop = null, cutout = null;
        float? cutMix = null;
        bool flip = false;
        foreach (string part in value.Split([',', '+'], StringSplitOptions.TrimEntries))
        {
            if (part == "flip")
            {
                if (flip) throw Bad(text, "flip is given twice");
                flip = true;
            }
            else if (part.StartsWith("crop=", StringComparison.Ordinal))
            {
                if (crop is not null) throw Bad(text, "crop is given twice");
                crop = Pixels(text, "crop", part);
            }
            else if (part.StartsWith("cutout=", StringComparison.Ordinal))
            {
                if (cutout is not null) throw Bad(text, "cutout is given twice");
                cutout = Pixels(text, "cutout", part);
            }
            else if (part.StartsWith("cutmix=", StringComparison.Ordinal))
            {
                if (cutMix is not null) throw Bad(text, "cutmix is given twice");
                cutMix = Probability(text, part);
            }
            else
            {
                throw Bad(text, $"'{part}' is not crop=N, flip, cutout=N or cutmix=P");
            }
        }
        return (crop ?? 0, flip, cutout ?? 0, cutMix ?? 0f);
    }

    /// <summary>The P of the part <c>cutmix=P</c>: a probability 0 &lt; P ≤ 1.</summary>
    private static float Probability(string text, string part)
    {
        string digits = part["cutmix=".Length..];
        if (!float.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out float p) || !(p > 0f && p <= 1f))
            throw Bad(text, $"cutmix takes a probability above 0 and at most 1, not '{digits}'");
        return p;
    }

    /// <summary>The N of the part <c>name=N</c>: a whole number of pixels ≥ 1.</summary>
    private static int Pixels(string text, string name, string part)
    {
        string digits = part[(name.Length + 1)..];
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
            throw Bad(text, $"{name} takes a whole number of pixels ≥ 1, not '{digits}'");
        return n;
    }

    private static string Format(int crop, bool flip, int cutout, float cutMix) =>
        crop == 0 && !flip && cutout == 0 && cutMix == 0f ? None : string.Join(',', new[]
        {
            crop > 0 ? $"crop={crop.ToString(CultureInfo.InvariantCulture)}" : null,
            flip ? "flip" : null,
            cutout > 0 ? $"cutout={cutout.ToString(CultureInfo.InvariantCulture)}" : null,
            cutMix > 0f ? $"cutmix={cutMix.ToString("R", CultureInfo.InvariantCulture)}" : null,
        }.OfType<string>());

    private static UsageException Bad(string text, string why) =>
        new($"--augment '{text}': {why}; give crop=N, flip, cutout=N, cutmix=P or several joined by commas (crop=4,flip; crop=4+flip in a --grid list), or none.");
}
