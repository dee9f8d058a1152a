using Microsoft.ML.OnnxRuntime;

namespace Engine.Interop.Tests;

/// <summary>ONNX Runtime (CPU) as the oracle: runs a model's bytes on a batch and compares outputs within a stated tolerance.</summary>
internal static class OnnxRuntimeOracle
{
    /// <summary>Absolute part of the tolerance: |ours − ORT| ≤ Absolute + Relative·|ORT|.</summary>
    public const float Absolute = 1e-5f;

    /// <summary>Relative part of the tolerance.</summary>
    public const float Relative = 1e-4f;

    /// <summary>The model's first output for <paramref name="input"/> of shape <paramref name="dims"/> (batch first).</summary>
    public static float[] Run(byte[] model, float[] input, long[] dims)
    {
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        using var value = OrtValue.CreateTensorValueFromMemory(input, dims);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [session.InputNames[0]], [value], [session.OutputNames[0]]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Asserts ours equals ONNX Runtime's within the tolerance, element by element, reporting the worst difference.</summary>
    public static void AssertClose(float[] ours, float[] ort, string what)
    {
        Assert.That(ours, Has.Length.EqualTo(ort.Length), what);
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < ort.Length; i++)
        {
            double excess = Math.Abs(ours[i] - ort[i]) - (Absolute + Relative * Math.Abs(ort[i]));
            if (!(excess <= worst)) { worst = double.IsNaN(excess) ? double.PositiveInfinity : excess; worstAt = i; }
        }
        Assert.That(worstAt, Is.EqualTo(-1),
            () => $"{what}: element {worstAt} is {ours[worstAt]} here and {ort[worstAt]} in ONNX Runtime (beyond {Absolute} + {Relative}·|ORT|)");
    }
}
