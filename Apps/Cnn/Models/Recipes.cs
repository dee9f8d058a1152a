using System.Globalization;

namespace Cnn;

/// <summary>A recipe's measured result on a stated machine (from docs/ACCURACY.md).</summary>
/// <param name="Accuracy">The validation accuracy reached, e.g. 0.994.</param>
/// <param name="Minutes">Wall time of the whole run in minutes.</param>
/// <param name="Where">The machine and data it was measured on, e.g. "2 cores, AVX2; full MNIST".</param>
public sealed record RecipeResult(double Accuracy, double Minutes, string Where);

/// <summary>
/// A named, documented model with its training options (<c>cnn train --recipe NAME</c>), meant to reach a stated
/// accuracy. Options given with <c>--recipe</c> replace its settings (see <see cref="RunSettings.WithRecipe"/>).
/// </summary>
/// <param name="Name">The <c>--recipe</c> value.</param>
/// <param name="Summary">One line: what it trains and what for.</param>
/// <param name="Values">Its settings, (training option, value) in the order they are listed; checked against the option table.</param>
public sealed record Recipe(string Name, string Summary, IReadOnlyList<(string Name, string Value)> Values)
{
    /// <summary>What it reached when measured, or null when not measured yet.</summary>
    public RecipeResult? Measured { get; init; }

    /// <summary>The expected accuracy and time in words, or that it was not yet measured (a number is never made up).</summary>
    public string Expected => Measured is { } m
        ? string.Format(CultureInfo.InvariantCulture, "expected accuracy: {0:F3} in {1:F0} min ({2})", m.Accuracy, m.Minutes, m.Where)
        : "expected accuracy: not yet measured on this machine";

    /// <summary>The settings with canonical option names and values.</summary>
    /// <exception cref="UsageException">A setting is not a training option or not a valid value (a mistake in the table).</exception>
    public IReadOnlyList<(string Name, string Value)> Settings =>
        [.. Values.Select(v => (TrainOptionTable.Get(v.Name).Name, TrainOptionTable.Get(v.Name).Canonical(v.Value)))];

    /// <summary>The settings as the options one would type, e.g. <c>--dataset mnist --model bn-convnet …</c>.</summary>
    public string CommandLine => string.Join(' ', Values.Select(v => $"--{v.Name} {v.Value}"));
}

/// <summary>
/// The recipes, as data: one entry each, with the settings it gives (the rest stay at their defaults). The
/// measurements come from docs/ACCURACY.md; until a recipe is measured there, <see cref="Recipe.Measured"/> is null.
/// </summary>
public static class Recipes
{
    /// <summary>MNIST: bn-convnet on all 60,000 / 10,000 images, SGD with Nesterov momentum over one cycle.</summary>
    public static Recipe Mnist { get; } = new("mnist",
        "bn-convnet on all of MNIST (60,000 train / 10,000 test images): Nesterov SGD over one cycle, shifted crops, normalised inputs",
        [
            ("dataset", "mnist"), ("train-size", "60000"), ("val-size", "10000"), ("model", "bn-convnet"),
            ("optimizer", "nesterov"), ("eta", "0.1"), ("momentum", "0.9"), ("weight-decay", "0.0005"), ("lambda", "0"),
            ("schedule", "onecycle"), ("warmup", "0.25"), ("augment", "crop=2"), ("normalize", "true"),
            ("epochs", "8"), ("batch-size", "128"),
        ])
    { Measured = new(0.9959, 1.6, "docs/ACCURACY.md: 2 cores, AVX-512 (Zen 5), seed 100") };

    /// <summary>Fashion-MNIST: as <see cref="Mnist"/>, with mirrored images and more epochs.</summary>
    public static Recipe FashionMnist { get; } = new("fashion-mnist",
        "bn-convnet on all of Fashion-MNIST (60,000 / 10,000): Nesterov SGD over one cycle, shifted crops and mirrored images, normalised inputs",
        [
            ("dataset", "fashion-mnist"), ("train-size", "60000"), ("val-size", "10000"), ("model", "bn-convnet"),
            ("optimizer", "nesterov"), ("eta", "0.1"), ("momentum", "0.9"), ("weight-decay", "0.0005"), ("lambda", "0"),
            ("schedule", "onecycle"), ("warmup", "0.25"), ("augment", "crop=2,flip"), ("normalize", "true"),
            ("epochs", "30"), ("batch-size", "128"),
        ])
    { Measured = new(0.9422, 4.2, "docs/ACCURACY.md: 2 cores, AVX-512 (Zen 5), seed 100") };

    /// <summary>
    /// CIFAR-10: ResNet-20 on all the CIFAR-10 images found (50,000 / 10,000 with the full set; the subset's 4,000 /
    /// 1,000 otherwise), Nesterov SGD with weight decay over one cycle, crops, flips and 16-pixel cut-outs, label smoothing;
    /// each validation image's output averaged with its mirror image's (test-time augmentation).
    /// </summary>
    public static Recipe Cifar10 { get; } = new("cifar10",
        "resnet20 on all the CIFAR-10 images found (50,000 / 10,000 with the full set): Nesterov SGD with weight decay over one cycle, crops, flips and cut-outs, normalised inputs, label smoothing; validated with mirror-averaged outputs",
        [
            ("dataset", "cifar10"), ("train-size", "50000"), ("val-size", "10000"), ("model", "resnet20"),
            ("optimizer", "nesterov"), ("eta", "0.1"), ("momentum", "0.9"), ("weight-decay", "0.0005"), ("lambda", "0"),
            ("schedule", "onecycle"), ("warmup", "0.15"), ("augment", "crop=4,flip,cutout=16"), ("normalize", "true"),
            ("loss", "cross-entropy"), ("label-smoothing", "0.1"), ("epochs", "88"), ("batch-size", "64"),
            ("test-augment", "mirror"),
        ])
    { Measured = new(0.756, 7.3, "docs/ACCURACY.md: cifar-10-subset only, 4,000 / 1,000 images, mirror-averaged; 2 cores, AVX-512 (Zen 5), seed 100") };

    /// <summary>Every recipe, in the order <c>--list-recipes</c> prints them.</summary>
    public static IReadOnlyList<Recipe> All { get; } = [Mnist, FashionMnist, Cifar10];

    /// <summary>The recipe called <paramref name="name"/> (any case).</summary>
    /// <exception cref="UsageException">Unknown name; the message lists the recipes.</exception>
    public static Recipe Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = name.Trim().ToLowerInvariant();
        return All.FirstOrDefault(r => r.Name == key)
            ?? throw new UsageException($"--recipe: '{name}' is not one of {string.Join(", ", All.Select(r => r.Name))} (see --list-recipes).");
    }

    /// <summary>Prints every recipe: name, summary, its settings as options, and the expected accuracy.</summary>
    public static void List(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (var recipe in All)
        {
            writer.WriteLine($"{recipe.Name,-14} {recipe.Summary}");
            writer.WriteLine($"{"",-14} {recipe.CommandLine}");
            writer.WriteLine($"{"",-14} {recipe.Expected}");
        }
        writer.WriteLine("Options given with --recipe replace its settings, e.g. cnn train --recipe mnist --epochs 2 --train-size 6000.");
    }
}
