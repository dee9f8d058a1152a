using Engine;
using Engine.Layers;
using Engine.Onnx;
using Engine.Training;

namespace Cnn;

/// <summary>Where networks come from: a run's architecture (named model or <c>--model-file</c>), and trained model files.</summary>
public static class ModelSource
{
    /// <summary>
    /// A new network for the run <paramref name="settings"/> on images of <paramref name="input"/>, seeded with
    /// <paramref name="seed"/>: the architecture in <c>--model-file</c>, or the named <c>--model</c> with its variant;
    /// the layers without an initialisation of their own use <c>--init</c>, and <c>--dropout</c> sets the rate of
    /// every Dropout layer.
    /// </summary>
    /// <exception cref="UsageException">The named model does not fit the images (the message names the layer and the shapes), or <c>--dropout</c> is given for a file without Dropout layers, or <c>--init</c> for one whose every layer has its own.</exception>
    public static Network Build(ResolvedSettings settings, Shape input, long seed)
    {
        ArgumentNullException.ThrowIfNull(settings);
        float? dropout = settings.OptionalReal("dropout");
        if (settings["model-file"] is { } file)
        {
            var net = ArchitectureFile.Build(file, input, seed, settings.Init, dropout, out bool initUsed);
            if (dropout is not null && !HasDropout(net))
                throw new UsageException($"--dropout applies only to models with Dropout layers, and {file} has none.");
            if (settings.Given.Contains("init") && !initUsed)
                throw new UsageException($"--init applies to the Conv2D and Dense layers without an \"init\" of their own, and {file} has none.");
            return net;
        }
        string model = settings.Text("model");
        try
        {
            return ModelZoo.Build(model, input, seed, settings.Variant with { Dropout = dropout }, settings.Init);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--model {model} does not fit images of {input}: {e.Message}", e);
        }
    }

    /// <summary>The training options <see cref="Build"/> reads: the ones that make the network (<c>--dataset</c> gives its input shape).</summary>
    public static IReadOnlyList<string> ArchitectureOptions { get; } = ["dataset", "model", "model-file", "filters", "hidden", "activation", "pool", "dropout", "init"];

    /// <summary>The named models that have Dropout layers (those <c>--dropout</c> applies to).</summary>
    public static IReadOnlyList<string> ZooModelsWithDropout { get; } =
        [.. ModelZoo.Names.Where(name => HasDropout(ModelZoo.Build(name, ModelZoo.InputShape(name), 0)))];

    /// <summary>Whether the named model <paramref name="model"/> has Dropout layers.</summary>
    public static bool HasDropout(string model) => ZooModelsWithDropout.Contains(model);

    /// <summary>Whether <paramref name="net"/> has a Dropout layer (in residual bodies too).</summary>
    public static bool HasDropout(Network net)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Layers.Any(IsOrHoldsDropout);

        static bool IsOrHoldsDropout(Layer layer) => layer is Dropout || (layer is Residual r && r.Body.Any(IsOrHoldsDropout));
    }

    /// <summary>A short description of the run's architecture, e.g. "paper-mnist (filters 20, hidden 0, lrelu, max pool)" or "model-file net.json".</summary>
    public static string Describe(ResolvedSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings["model-file"] is { } file) return $"model-file {file}" + (settings["dropout"] is { } rate ? $" (dropout {rate})" : "");
        var parts = new List<string>();
        if (settings["filters"] is { } f) parts.Add($"filters {f}");
        if (settings["hidden"] is { } h) parts.Add($"hidden {h}");
        if (settings["activation"] is { } a) parts.Add(a);
        if (settings["pool"] is { } p) parts.Add($"{p} pool");
        if (settings["dropout"] is { } d) parts.Add($"dropout {d}");
        return parts.Count == 0 ? settings.Text("model") : $"{settings.Text("model")} ({string.Join(", ", parts)})";
    }

    /// <summary>
    /// Loads a trained model for <c>cnn evaluate</c>, <c>cnn predict</c> and <c>cnn export</c>: a file written by
    /// <c>cnn train --save</c>, or an ONNX model (by its extension, <c>.onnx</c>) through <c>Network.LoadOnnx</c>. The one
    /// place models are loaded, so a new format is added here.
    /// </summary>
    /// <exception cref="Engine.Serialization.ModelFileException">The file is missing, not a regular file, corrupt or of another format.</exception>
    /// <exception cref="OnnxFormatException">The .onnx file is malformed or holds a node the engine cannot import (the message names the node and its operator).</exception>
    public static Network Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        // Before the reader opens it: a directory, device or FIFO is refused here, unread.
        if (Engine.Data.DataFile.WhyNotARegularFile(path) is { } why) throw new Engine.Serialization.ModelFileException(path, why);
        return IsOnnx(path) ? Network.LoadOnnx(path) : Network.Load(path);
    }

    /// <summary>Whether <paramref name="path"/> names an ONNX model (its extension is <c>.onnx</c>, in any case).</summary>
    public static bool IsOnnx(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path.EndsWith(ExportCommand.OnnxExtension, StringComparison.OrdinalIgnoreCase);
    }
}
