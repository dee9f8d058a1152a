using Engine;
using Engine.Training;

namespace Cnn;

/// <summary>Where networks come from: a run's architecture (named model or <c>--model-file</c>), and trained model files.</summary>
public static class ModelSource
{
    /// <summary>
    /// A new network for the run <paramref name="settings"/> on images of <paramref name="input"/>, seeded with
    /// <paramref name="seed"/>: the architecture in <c>--model-file</c>, or the named <c>--model</c> with its variant.
    /// </summary>
    /// <exception cref="UsageException">The named model does not fit the images (the message names the layer and the shapes).</exception>
    public static Network Build(ResolvedSettings settings, Shape input, long seed)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings["model-file"] is { } file) return ArchitectureFile.Build(file, input, seed);
        string model = settings.Text("model");
        try
        {
            return ModelZoo.Build(model, input, seed, settings.Variant);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--model {model} does not fit images of {input}: {e.Message}", e);
        }
    }

    /// <summary>A short description of the run's architecture, e.g. "paper-mnist (filters 20, hidden 0, lrelu, max pool)" or "model-file net.json".</summary>
    public static string Describe(ResolvedSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings["model-file"] is { } file) return $"model-file {file}";
        var parts = new List<string>();
        if (settings["filters"] is { } f) parts.Add($"filters {f}");
        if (settings["hidden"] is { } h) parts.Add($"hidden {h}");
        if (settings["activation"] is { } a) parts.Add(a);
        if (settings["pool"] is { } p) parts.Add($"{p} pool");
        return parts.Count == 0 ? settings.Text("model") : $"{settings.Text("model")} ({string.Join(", ", parts)})";
    }

    /// <summary>
    /// Loads a trained model (a file written by <c>cnn train --save</c>) for <c>cnn evaluate</c> and <c>cnn predict</c>:
    /// the one place models are loaded, so a new format (ONNX) is added here.
    /// </summary>
    /// <exception cref="Engine.Serialization.ModelFileException">The file is missing, not a regular file, corrupt or of another format.</exception>
    public static Network Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        // Before the reader opens it: a directory, device or FIFO is refused here, unread.
        if (Engine.Data.DataFile.WhyNotARegularFile(path) is { } why) throw new Engine.Serialization.ModelFileException(path, why);
        return Network.Load(path);
    }
}
