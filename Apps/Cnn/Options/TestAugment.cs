using Engine;
using Engine.Training;

namespace Cnn;

/// <summary>
/// The values of <c>--test-augment</c> (<c>cnn train</c>: the validation pass after each epoch; <c>cnn evaluate</c>):
/// <c>none</c>, one pass per image, or <c>mirror</c>, each image's output averaged with its mirror image's.
/// </summary>
public static class TestAugment
{
    /// <summary>The values, in the order the help lists them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["none", "mirror"];

    /// <summary>The engine's value for <paramref name="value"/> (one of <see cref="Names"/>).</summary>
    /// <exception cref="UsageException">Not one of the names.</exception>
    public static TestTimeAugmentation Of(string value) => value switch
    {
        "none" => TestTimeAugmentation.None,
        "mirror" => TestTimeAugmentation.Mirror,
        _ => throw new UsageException($"--test-augment: '{value}' is not one of {string.Join(", ", Names)}."),
    };

    /// <summary>The engine's value for <paramref name="value"/>, checked against a network taking <paramref name="input"/>.</summary>
    /// <param name="value">One of <see cref="Names"/>.</param>
    /// <param name="input">The network's input shape.</param>
    /// <exception cref="UsageException">Not a name, or <c>mirror</c> for a network whose inputs are not images [C, H, W].</exception>
    public static TestTimeAugmentation Parse(string value, Shape input)
    {
        var augmentation = Of(value);
        if (augmentation == TestTimeAugmentation.Mirror && input.Rank != 3)
            throw new UsageException($"--test-augment mirror mirrors images [C, H, W]; the model takes {input}.");
        return augmentation;
    }
}
