using System.Text;
using Engine;
using Engine.Serialization;
using Engine.Training;

namespace Cnn.Tests;

/// <summary><c>--model-file net.json</c>: the schema of docs/MODEL-FILES.md, and mistakes named by line and layer.</summary>
[NonParallelizable]
public class ArchitectureFileTests : TempFolderTest
{
    private const string PaperMnist = """
        {
          // the report's Fig. 12 model
          "input": [1, 28, 28],
          "layers": [
            {"type": "Conv2D", "filters": 20, "kernel": 3, "stride": 1, "padding": "valid"},
            {"type": "LeakyReLU", "slope": 0.01},
            {"type": "MaxPool2D", "size": 2},
            {"type": "Flatten"},
            {"type": "Dense", "units": 20},
            {"type": "LeakyReLU"},
            {"type": "Dense", "units": 10},
            {"type": "Softmax"},
          ]
        }
        """;

    private static Network Build(string json, Shape? input = null) =>
        ArchitectureFile.Build("net.json", Encoding.UTF8.GetBytes(json), input ?? new Shape(1, 28, 28), seed: 100);

    private static string ErrorOf(string json, Shape? input = null) =>
        Assert.Throws<ModelFileException>(() => Build(json, input))!.Message;

    [Test]
    public void TheReportsModelInJsonIsTheZoosModelWeightForWeight()
    {
        var fromFile = Build(PaperMnist);
        var zoo = ModelZoo.Build("paper-mnist", new Shape(1, 28, 28), 100);
        Assert.That(fromFile.Summary(), Is.EqualTo(zoo.Summary()));
        Assert.That(fromFile.GetParameters(), Is.EqualTo(zoo.GetParameters()), "same layers, same seed, same initial weights");
    }

    [Test]
    public void EveryLayerTypeAndFieldForm()
    {
        var net = Build("""
            {"layers": [
              {"type": "Conv2D", "filters": 4, "kernel": [3, 5], "stride": [1, 2], "padding": [1, 2], "init": "glorot"},
              {"type": "ReLU"},
              {"type": "Conv2D", "filters": 4, "kernel": 3, "padding": "same"},
              {"type": "Sigmoid"},
              {"type": "Conv2D", "filters": 2, "kernel": 1, "padding": [0, 1, 0, 1]},
              {"type": "AvgPool2D", "size": [2, 1], "stride": 2},
              {"type": "MaxPool2D", "size": 2, "stride": [1, 1]},
              {"type": "Flatten"},
              {"type": "Dense", "units": 10, "init": "he"},
              {"type": "Softmax"}
            ]}
            """);
        Assert.That(net.Layers.Select(l => l.Kind), Is.EqualTo(new[] { "Conv2D", "ReLU", "Conv2D", "Sigmoid", "Conv2D", "AvgPool2D", "MaxPool2D", "Flatten", "Dense", "Softmax" }));
        Assert.That(net.Layers[0].OutputShape, Is.EqualTo(new Shape(4, 28, 14)));
        Assert.That(net.OutputShape, Is.EqualTo(new Shape(10)));
        Assert.That(ArchitectureFile.LayerTypes.Keys, Is.EquivalentTo(new[] { "Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "Flatten", "Dense", "BatchNorm2D", "BatchNorm1D", "Dropout", "Residual", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax" }));
    }

    [TestCase("{\"layers\": [\n  {\"type\": \"Conv2D\", \"filters\": 0, \"kernel\": 3}\n]}", "net.json: line 2: layer 1 (Conv2D): 'filters' must be a whole number ≥ 1, not the number 0.")]
    [TestCase("{\"layers\": [\n  {\"type\": \"Dense\", \"units\": 10},\n  {\"type\": \"Conv2d\"}\n]}", "net.json: line 3: layer 2: unknown type \"Conv2d\"; types are Conv2D, MaxPool2D")]
    [TestCase("{\"layers\": [\n\n  {\"type\": \"Dense\", \"unit\": 10}\n]}", "net.json: line 3: layer 1 (Dense): unknown field 'unit'; layer 1 (Dense) takes units, init.")]
    [TestCase("{\"layers\": [\n  {\"type\": \"Dense\"}\n]}", "net.json: line 2: layer 1 (Dense) needs 'units'.")]
    [TestCase("{\"layers\": [\n  {\"units\": 3}\n]}", "net.json: line 2: layer 1 has no \"type\"")]
    [TestCase("{\"layers\": [\n  {\"type\": \"MaxPool2D\", \"size\": 2.5}\n]}", "line 2: layer 1 (MaxPool2D): 'size' must be a whole number ≥ 1 or [height, width], not the number 2.5.")]
    [TestCase("{\"layers\": [\n  {\"type\": \"Conv2D\", \"filters\": 2, \"kernel\": 3,\n   \"padding\": \"full\"}\n]}", "line 3: layer 1 (Conv2D): 'padding' must be \"valid\", \"same\"")]
    [TestCase("{\"layers\": []}", "line 1: \"layers\" is empty")]
    [TestCase("{\"layer\": []}", "line 1: unknown field 'layer'; the file takes input, layers.")]
    [TestCase("[1, 2]", "line 1: the file must be an object {…}, not a list.")]
    [TestCase("{\"input\": [3, 32, 32], \"layers\": [{\"type\": \"Flatten\"}]}", "line 1: \"input\" is 3×32×32, but the images are 1×28×28.")]
    public void MistakesNameTheLineAndTheLayer(string json, string message) =>
        Assert.That(ErrorOf(json), Does.Contain(message));

    [Test]
    public void SyntaxErrorsKeepSystemTextJsonsLineNumber()
    {
        string message = ErrorOf("{\n  \"layers\": [\n    {\"type\": \"Flatten\"}\n    {\"type\": \"ReLU\"}\n  ]\n}");
        Assert.That(message, Does.StartWith("net.json: line 4: not valid JSON"));
        Assert.That(ErrorOf("{\"layers\": [{\"type\": \"Flatten\", \"type\": \"ReLU\"}]}"), Does.Contain("'type' is given twice"));
        Assert.That(ErrorOf(""), Does.Contain("line 1:"));
    }

    [Test]
    public void ShapeMistakesNameTheLineOfTheLayer()
    {
        string message = ErrorOf("{\"layers\": [\n  {\"type\": \"Flatten\"},\n  {\"type\": \"Conv2D\", \"filters\": 2, \"kernel\": 3}\n]}");
        Assert.That(message, Does.StartWith("net.json: line 3: layer 2 (Conv2D)"));
    }

    [Test]
    public void TrainUsesTheFileAndRefusesTheZoosOptionsWithIt()
    {
        string path = Path.Combine(Folder, "net.json");
        File.WriteAllText(path, """
            {"layers": [
              {"type": "Conv2D", "filters": 2, "kernel": 3}, {"type": "ReLU"}, {"type": "MaxPool2D", "size": 2},
              {"type": "Flatten"}, {"type": "Dense", "units": 10}, {"type": "Softmax"}
            ]}
            """);
        var (code, output, error) = TestSupport.Run(TrainCommand.Create(TestSupport.SyntheticData),
            "train", "--model-file", path, "--train-size", "60", "--val-size", "30", "--epochs", "1");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.StartWith($"train: model-file {path}, 210 parameters"), "conv 2×3×3 + 2, dense 18×10 + 10");

        foreach (string[] extra in new[] { new[] { "--model", "lenet5" }, ["--filters", "3"], ["--activation", "relu"] })
        {
            (code, _, error) = TestSupport.RunMain(["train", "--model-file", path, .. extra]);
            Assert.That(code, Is.EqualTo(ExitCodes.Usage), string.Join(' ', extra));
            Assert.That(error, Does.Contain(extra[0]));
        }

        (code, output, error) = TestSupport.RunMain("train", "--model-file", path, "--dataset", "mnist", "--print-model");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.StartWith("input 1×28×28").And.Contain("layer 5 (Dense)"));

        File.WriteAllText(path, "{\"layers\": [\n  {\"type\": \"Dense\", \"units\": -1}\n]}");
        (code, _, error) = TestSupport.RunMain("train", "--model-file", path, "--print-model");
        Assert.That(code, Is.EqualTo(ExitCodes.Data));
        Assert.That(error, Does.Contain($"{path}: line 2: layer 1 (Dense): 'units'"));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
    }
    /// <summary>ResNet-20 written as an architecture file: the stem, nine residual blocks, global pooling.</summary>
    private static string ResNet20Json()
    {
        var blocks = new List<string>();
        foreach (var (channels, first) in new[] { (16, 1), (32, 2), (64, 2) })
            for (int block = 0; block < 3; block++)
                blocks.Add($$"""
                    {"type": "Residual", "body": [
                      {"type": "Conv2D", "filters": {{channels}}, "kernel": 3, "stride": {{(block == 0 ? first : 1)}}, "padding": 1, "bias": false},
                      {"type": "BatchNorm2D"}, {"type": "ReLU"},
                      {"type": "Conv2D", "filters": {{channels}}, "kernel": 3, "padding": 1, "bias": false},
                      {"type": "BatchNorm2D", "momentum": 0.1, "epsilon": 1e-5}
                    ]},
                    {"type": "ReLU"},
                    """);
        return $$"""
            {"input": [3, 32, 32], "layers": [
              {"type": "Conv2D", "filters": 16, "kernel": 3, "padding": 1, "bias": false}, {"type": "BatchNorm2D"}, {"type": "ReLU"},
              {{string.Concat(blocks)}}
              {"type": "GlobalAvgPool2D"}, {"type": "Dense", "units": 10}, {"type": "Softmax"}
            ]}
            """;
    }

    [Test]
    public void ResNet20InJsonIsTheZoosModelWeightForWeight()
    {
        var fromFile = Build(ResNet20Json(), new Shape(3, 32, 32));
        var zoo = ModelZoo.Build("resnet20", new Shape(3, 32, 32), 100);
        Assert.That(fromFile.Summary(), Is.EqualTo(zoo.Summary()));
        Assert.That(fromFile.ParameterCount, Is.EqualTo(272_474));
        Assert.That(fromFile.GetParameters(), Is.EqualTo(zoo.GetParameters()));
        var blocks = fromFile.Layers.OfType<Engine.Layers.Residual>().ToList();
        Assert.That(blocks.Select(b => b.Projects), Is.EqualTo(new[] { false, false, false, true, false, false, true, false, false }),
            "the shortcut follows from the shapes: a 1×1 conv + batch norm where the body halves the size and doubles the channels");
    }

    [Test]
    public void BnConvnetInJsonIsTheZoosModelWeightForWeight()
    {
        const string json = """
            {"input": [1, 28, 28], "layers": [
              {"type": "Conv2D", "filters": 16, "kernel": 3, "padding": 1, "bias": false}, {"type": "BatchNorm2D"}, {"type": "ReLU"},
              {"type": "Conv2D", "filters": 16, "kernel": 3, "padding": 1, "bias": false}, {"type": "BatchNorm2D"}, {"type": "ReLU"},
              {"type": "MaxPool2D", "size": 2},
              {"type": "Conv2D", "filters": 32, "kernel": 3, "padding": 1, "bias": false}, {"type": "BatchNorm2D"}, {"type": "ReLU"},
              {"type": "Conv2D", "filters": 32, "kernel": 3, "padding": 1, "bias": false}, {"type": "BatchNorm2D"}, {"type": "ReLU"},
              {"type": "MaxPool2D", "size": 2},
              {"type": "Flatten"}, {"type": "Dense", "units": 128}, {"type": "BatchNorm1D"}, {"type": "ReLU"}, {"type": "Dropout", "rate": 0.25},
              {"type": "Dense", "units": 10}, {"type": "Softmax"}
            ]}
            """;
        var fromFile = Build(json);
        var zoo = ModelZoo.Build("bn-convnet", new Shape(1, 28, 28), 100);
        Assert.That(fromFile.Summary(), Is.EqualTo(zoo.Summary()));
        Assert.That(fromFile.GetParameters(), Is.EqualTo(zoo.GetParameters()));
    }

    [Test]
    public void TheNewLayersAndFieldsReachTheLayers()
    {
        var net = Build("""
            {"layers": [
              {"type": "Conv2D", "filters": 4, "kernel": 3, "padding": "same", "bias": false, "init": "he-uniform"},
              {"type": "BatchNorm2D", "momentum": 0.2, "epsilon": 0.001},
              {"type": "Tanh"},
              {"type": "MaxPool2D", "size": 3, "stride": 2, "padding": 1},
              {"type": "Residual", "body": [{"type": "Conv2D", "filters": 4, "kernel": 1, "init": "lecun"}, {"type": "ReLU"}]},
              {"type": "GlobalAvgPool2D"},
              {"type": "Dense", "units": 8, "init": "glorot-normal"},
              {"type": "BatchNorm1D"},
              {"type": "Dropout", "rate": 0.3},
              {"type": "Dense", "units": 10, "init": "pytorch"},
              {"type": "Softmax"}
            ]}
            """);
        var conv = (Engine.Layers.Conv2D)net.Layers[0];
        Assert.That((conv.HasBias, conv.Init, conv.Padding), Is.EqualTo((false, Engine.Layers.WeightInit.HeUniform, Engine.Layers.Padding.Same)));
        Assert.That(conv.ParameterCount, Is.EqualTo(4 * 9), "no biases");
        var norm = (Engine.Layers.BatchNorm2D)net.Layers[1];
        Assert.That((norm.Momentum, norm.Epsilon), Is.EqualTo((0.2f, 0.001f)));
        Assert.That(net.Layers[3].OutputShape, Is.EqualTo(new Shape(4, 14, 14)), "3×3 pooling, stride 2, padding 1 of 28×28");
        var block = (Engine.Layers.Residual)net.Layers[4];
        Assert.That((block.Projects, ((Engine.Layers.Conv2D)block.Body[0]).Init), Is.EqualTo((false, Engine.Layers.WeightInit.LeCun)));
        Assert.That(net.Layers[5].OutputShape, Is.EqualTo(new Shape(4)));
        Assert.That(((Engine.Layers.Dense)net.Layers[6]).Init, Is.EqualTo(Engine.Layers.WeightInit.GlorotNormal));
        Assert.That(((Engine.Layers.Dropout)net.Layers[8]).Rate, Is.EqualTo(0.3f));
        Assert.That(((Engine.Layers.Dense)net.Layers[9]).Init, Is.EqualTo(Engine.Layers.WeightInit.PyTorchDefault));
        Assert.That(net.Layers.Select(l => l.Kind), Is.EqualTo(new[] { "Conv2D", "BatchNorm2D", "Tanh", "MaxPool2D", "Residual", "GlobalAvgPool2D", "Dense", "BatchNorm1D", "Dropout", "Dense", "Softmax" }));
    }

    [TestCase("{\"layers\": [\n  {\"type\": \"Conv2D\", \"filters\": 2, \"kernel\": 3, \"bias\": \"no\"}\n]}", "line 2: layer 1 (Conv2D): 'bias' must be true or false, not the text \"no\".")]
    [TestCase("{\"layers\": [\n  {\"type\": \"Dense\", \"units\": 2, \"init\": \"xavier\"}\n]}", "line 2: layer 1 (Dense): 'init' must be \"he\", \"he-uniform\", \"glorot\", \"glorot-normal\", \"lecun\", \"pytorch\", not the text \"xavier\".")]
    [TestCase("{\"layers\": [\n  {\"type\": \"Residual\"}\n]}", "line 2: layer 1 (Residual) needs 'body'.")]
    [TestCase("{\"layers\": [\n  {\"type\": \"Residual\", \"body\": []}\n]}", "line 2: layer 1 (Residual): A residual block needs at least one layer in its body.")]
    [TestCase("{\"layers\": [\n  {\"type\": \"Residual\", \"body\": [\n    {\"type\": \"ReLU\"},\n    {\"type\": \"Dense\", \"unit\": 3}]}\n]}", "line 4: layer 1 (Residual), body layer 2 (Dense): unknown field 'unit'; layer 1 (Residual), body layer 2 (Dense) takes units, init.")]
    [TestCase("{\"layers\": [\n  {\"type\": \"Dropout\", \"rate\": 1}\n]}", "line 2: layer 1 (Dropout): Dropout: the rate must be in [0, 1).")]
    [TestCase("{\"layers\": [\n  {\"type\": \"BatchNorm2D\", \"momentum\": 0}\n]}", "line 2: layer 1 (BatchNorm2D): BatchNorm2D: momentum must be in (0, 1].")]
    [TestCase("{\"layers\": [\n  {\"type\": \"MaxPool2D\", \"size\": 2, \"padding\": -1}\n]}", "line 2: layer 1 (MaxPool2D): 'padding' must be a whole number ≥ 0 or [height, width], not the number -1.")]
    [TestCase("{\"layers\": [\n  {\"type\": \"Flatten\"},\n  {\"type\": \"BatchNorm2D\"}\n]}", "line 3: layer 2 (BatchNorm2D)")]
    public void MistakesInTheNewLayersNameTheLineAndTheLayer(string json, string message) =>
        Assert.That(ErrorOf(json), Does.Contain(message));

    [Test]
    public void AResidualBodyThatNoShortcutMatchesNamesItsLine()
    {
        string message = ErrorOf("{\"layers\": [\n  {\"type\": \"Flatten\"},\n  {\"type\": \"Residual\", \"body\": [{\"type\": \"Dense\", \"units\": 3}]}\n]}");
        Assert.That(message, Does.StartWith("net.json: line 3: layer 2 (Residual)").And.Contain("projection shortcut"));
    }
    [Test]
    public void EveryJsonExampleOfTheDocsBuilds()
    {
        string root = TestContext.CurrentContext.TestDirectory;
        while (!File.Exists(Path.Combine(root, "Engine.sln"))) root = Path.GetDirectoryName(root)!;
        string docs = File.ReadAllText(Path.Combine(root, "docs", "MODEL-FILES.md"));
        var examples = System.Text.RegularExpressions.Regex.Matches(docs, "```json\n(.*?)```", System.Text.RegularExpressions.RegexOptions.Singleline);
        Assert.That(examples, Has.Count.EqualTo(2));
        Assert.That(Build(examples[0].Groups[1].Value).Summary(), Is.EqualTo(ModelZoo.Build("paper-mnist", new Shape(1, 28, 28), 100).Summary()));
        var residual = Build(examples[1].Groups[1].Value, new Shape(3, 32, 32));
        Assert.That(residual.Layers.OfType<Engine.Layers.Residual>().Select(b => b.Projects), Is.EqualTo(new[] { false, true }), "as the text says");
        Assert.That(residual.OutputShape, Is.EqualTo(new Shape(10)));
    }
}


