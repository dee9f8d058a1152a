using System.CommandLine;
using System.Globalization;
using Engine.Onnx;
using Engine.Training;

namespace Cnn;

/// <summary>
/// <c>cnn export MODEL --onnx OUT.onnx</c>: writes a trained model as a standard ONNX model (opset 13) that ONNX Runtime,
/// Netron and <c>cnn evaluate</c> / <c>cnn predict</c> read. The file is written atomically (a temporary file renamed), so an
/// error never leaves a partial file.
/// </summary>
public static class ExportCommand
{
    /// <summary>The extension an ONNX output must have (it is how <c>cnn evaluate</c> and <c>cnn predict</c> know the format).</summary>
    public const string OnnxExtension = ".onnx";

    /// <summary>Builds the command; models are loaded by <see cref="ModelSource.Load"/>.</summary>
    public static Command Create() => Create(ModelSource.Load);

    /// <summary>Builds the command with a model loader (a seam for tests).</summary>
    internal static Command Create(Func<string, Network> loadModel)
    {
        var model = new Argument<string>("model") { Description = "A model file written by cnn train --save (or an .onnx model)" };
        var onnx = new Option<string>("--onnx") { Description = "The ONNX file to write (its name ends in .onnx; its folder is created)", Required = true };
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces with errors" };
        var command = new Command("export", "Write a trained model as an ONNX model (opset 13) for ONNX Runtime, Netron and other tools.")
        {
            model, onnx, verbose,
        };
        command.SetAction(parse => ExitCodes.Run(() =>
        {
            string option = parse.GetValue(onnx)!;
            if (!option.EndsWith(OnnxExtension, StringComparison.OrdinalIgnoreCase))
                throw new UsageException($"--onnx {option}: give a file name ending in {OnnxExtension} (cnn evaluate and cnn predict read ONNX files by that extension).");
            string path = parse.GetValue(model)!;
            // The model first (a quick read): a missing or corrupt one leaves not even the output's folder behind.
            var net = loadModel(path);
            string outPath = OutputPaths.File("--onnx", option);
            try
            {
                net.SaveOnnx(outPath);
            }
            catch (NotSupportedException e)
            {
                throw new UsageException($"{path} cannot be exported to ONNX: {e.Message}", e);
            }
            long bytes = new FileInfo(outPath).Length;
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "wrote {0}: ONNX opset {1} (IR {2}), {3} bytes, {4} parameters, input N×{5}, output N×{6}",
                option, OnnxExport.Opset, OnnxExport.IrVersion, bytes, net.ParameterCount, net.InputShape, net.OutputShape));
            return ExitCodes.Ok;
        }, parse.GetValue(verbose)));
        return command;
    }
}
