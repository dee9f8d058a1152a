namespace Engine.Training;

/// <summary>
/// What an evaluation pass does with each image besides running the network on it (<see cref="Network.Evaluate(Data.Dataset, TestTimeAugmentation, Losses.Loss, int)"/>,
/// <see cref="TrainingOptions.ValidationAugmentation"/>).
/// </summary>
public enum TestTimeAugmentation
{
    /// <summary>One plain pass per image (the default).</summary>
    None,

    /// <summary>
    /// Two passes per image, the image as it is and mirrored left to right; the network's outputs are averaged,
    /// (a + b) · ½ per class, before the loss and the predicted class are taken. Needs image inputs [C, H, W];
    /// twice the work of <see cref="None"/>.
    /// </summary>
    Mirror,
}
