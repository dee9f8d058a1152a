// Shared by Engine.Tests and Engine.Interop.Tests (linked into both projects).
using Engine.Onnx.Protobuf;

namespace Engine.Tests.Onnx;

/// <summary>
/// ONNX's backend test cases exported by PyTorch (a folder per case: <c>model.onnx</c> and <c>test_data_set_0/input_0.pb</c>,
/// <c>output_0.pb</c>, TensorProto files), found through <c>ENGINE_ONNX_TESTS</c>, else an <c>onnx-tests</c> folder next to the
/// repository or next to the datasets folder (<c>$ENGINE_DATASETS/../onnx-tests</c>). When none is found the test is ignored
/// with a message — unless <c>ENGINE_REQUIRE_DATASETS=1</c>, in which case it fails.
/// </summary>
internal static class OnnxTestCases
{
    /// <summary>The variable naming the folder of the cases.</summary>
    public const string EnvironmentVariable = "ENGINE_ONNX_TESTS";

    /// <summary>The cases every copy of the folder holds (so that a test per case exists without the folder).</summary>
    public static readonly string[] Names =
    [
        "test_AvgPool2d", "test_BatchNorm2d_eval", "test_Conv2d", "test_Conv2d_no_bias", "test_Conv2d_padding", "test_LeakyReLU",
        "test_Linear", "test_MaxPool2d", "test_ReLU", "test_Sigmoid", "test_Softmax",
    ];

    /// <summary>The folder of the cases, or the test is ignored/failed as described above.</summary>
    public static string Folder()
    {
        foreach (string candidate in Candidates())
            if (Directory.Exists(candidate)) return candidate;
        string message = $"ONNX test cases not found: set {EnvironmentVariable} to the folder holding test_Conv2d/… (e.g. ../shared/onnx-tests).";
        if (Environment.GetEnvironmentVariable("ENGINE_REQUIRE_DATASETS") == "1") Assert.Fail(message);
        Assert.Ignore(message);
        return "";
    }

    /// <summary>One case: the model's path, and its input and PyTorch's output as (dims, values).</summary>
    public static (string Model, long[] InputDims, float[] Input, long[] OutputDims, float[] Output) Load(string name)
    {
        string dir = Path.Combine(Folder(), name);
        var input = Tensor(Path.Combine(dir, "test_data_set_0", "input_0.pb"));
        var output = Tensor(Path.Combine(dir, "test_data_set_0", "output_0.pb"));
        return (Path.Combine(dir, "model.onnx"), input.Dims, input.Floats!, output.Dims, output.Floats!);
    }

    private static TensorProto Tensor(string path) => TensorProto.Parse(File.ReadAllBytes(path), path);

    private static IEnumerable<string> Candidates()
    {
        string? configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(configured)) { yield return configured; yield break; }
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) continue;
            yield return Path.Combine(dir.FullName, "..", "shared", "onnx-tests");
            break;
        }
        string? datasets = Environment.GetEnvironmentVariable("ENGINE_DATASETS");
        if (!string.IsNullOrEmpty(datasets)) yield return Path.Combine(datasets, "..", "onnx-tests");
    }
}
