using System.Globalization;
using Engine;
using Engine.Training;

namespace Cnn;

/// <summary>
/// The value of <c>--augment</c>: <c>none</c>, or parts separated by commas (or <c>+</c>, which a <c>--grid</c> list
/// needs, its values being separated by commas): <c>crop=N</c> (pad N zero pixels on every side, then crop the
/// original size at a random offset) and <c>flip</c> (mirror left–right with probability ½), each at most once.
/// The canonical form is <c>none</c>, <c>crop=N</c>, <c>flip</c> or <c>crop=N,flip</c>.
/// </summary>
public static class AugmentSpec
{
    /// <summary>No augmentation.</summary>
    public const string None = "none";

    /// <summary>The canonical form of <paramref name="text"/>.</summary>
    /// <exception cref="UsageException">Not of that form; the message starts with <c>--augment</c>.</exception>
    public static string Canonical(string text)
    {
        var (crop, flip) = Parse(text);
        return Format(crop, flip);
    }

    /// <summary>The engine's augmentation of the canonical <paramref name="value"/>, or null for <c>none</c>.</summary>
    /// <exception cref="UsageException">Not an augmentation value, or a crop as large as the images of <paramref name="images"/>.</exception>
    public static Augmentation? ToAugmentation(string value, Shape images)
    {
        var (crop, flip) = Parse(value);
        if (crop == 0 && !flip) return null;
        if (images.Rank != 3)
            throw new UsageException($"--augment {value}: crops and flips need images of channels × height × width, not {images}.");
        if (crop >= images[1] || crop >= images[2])
            throw new UsageException($"--augment crop={crop} is not smaller than the {images[1]}×{images[2]} images; give at most crop={Math.Min(images[1], images[2]) - 1}.");
        return new Augmentation { PadCrop = crop, HorizontalFlip = flip };
    }

    private static (int Crop, bool Flip) Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string value = text.Trim().ToLowerInvariant();
        if (value == None) return (0, false);
        int? crop = null;
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
                if (!int.TryParse(part["crop=".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
                    throw Bad(text, $"crop takes a whole number of pixels ≥ 1, not '{part["crop=".Length..]}'");
                crop = n;
            }
            else
            {
                throw Bad(text, $"'{part}' is not crop=N or flip");
            }
        }
        return (crop ?? 0, flip);
    }

    private static string Format(int crop, bool flip) =>
        crop == 0 && !flip ? None : string.Join(',', new[] { crop > 0 ? $"crop={crop.ToString(CultureInfo.InvariantCulture)}" : null, flip ? "flip" : null }.OfType<string>());

    private static UsageException Bad(string text, string why) =>
        new($"--augment '{text}': {why}; give crop=N, flip, crop=N,flip (crop=N+flip in a --grid list) or none.");
}
