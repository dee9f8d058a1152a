using Engine;
using Engine.Serialization;
using Engine.Training;
using SkiaSharp;

namespace Cnn.Tests;

/// <summary><c>cnn evaluate</c> and <c>cnn predict</c> on a model trained on the synthetic data.</summary>
[NonParallelizable]
public class ModelCommandTests : TrainedModelTest
{
    [Test]
    public void EvaluatePrintsAccuracyPerClassAccuracyAndTheConfusionMatrix()
    {
        string dir = Path.Combine(Folder, "eval");
        var (code, output, error) = Evaluate(Model, "--dataset", "mnist", "--out", dir);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);

        var test = TestSupport.Synthetic().Test;
        var metrics = Network.Load(Model).Evaluate(test);
        Assert.That(output, Does.Contain($"evaluate: {Model} (").And.Contain("on /data/synthetic: 30 test images"));
        Assert.That(output, Does.Contain($"accuracy={metrics.Accuracy:F4} loss={metrics.Loss:F4} images=30"));
        Assert.That(output, Does.Contain("| class | name | images | accuracy |"));
        Assert.That(output, Does.Contain($"| 3 | 3 | 3 | {metrics.PerClassAccuracy[3]:F4} |"));
        Assert.That(output, Does.Contain("confusion matrix (rows: label, columns: predicted class):"));

        var csv = File.ReadAllLines(Path.Combine(dir, EvaluateCommand.CsvName));
        Assert.That(csv[0], Is.EqualTo("label,name,predicted_0,predicted_1,predicted_2,predicted_3,predicted_4,predicted_5,predicted_6,predicted_7,predicted_8,predicted_9"));
        var matrix = metrics.ConfusionMatrix!;
        for (int k = 0; k < 10; k++)
            Assert.That(csv[k + 1], Is.EqualTo($"{k},{k}," + string.Join(',', Enumerable.Range(0, 10).Select(p => matrix[k, p]))));
        Assert.That(new FileInfo(Path.Combine(dir, EvaluateCommand.PngName)).Length, Is.GreaterThan(5000));
        var heatmap = EvaluateCommand.ConfusionHeatmap(matrix, EvaluateCommand.ClassNames("cifar10", 10), "t");
        Assert.That(heatmap.RowLabels[0], Is.EqualTo("airplane"));
        Assert.That(heatmap.Values[3, 3], Is.EqualTo(matrix[3, 3] / 3.0), "a row is the fraction of the label's images");
    }

    [Test]
    public void EvaluateSaysWhenValSizeAsksForMoreImagesThanThereAre()
    {
        var (code, output, error) = Evaluate(Model, "--dataset", "mnist", "--val-size", "100", "--out", Path.Combine(Folder, "eval"));
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.StartWith("note: --val-size 100 asks for more than the 30 test images of synthetic/test; all are used.\n"));
        (code, output, error) = Evaluate(Model, "--dataset", "mnist", "--val-size", "30", "--out", Path.Combine(Folder, "eval"));
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.Not.Contain("note:"));
    }

    [Test]
    public void EvaluateWithMirrorAveragesEachImageWithItsMirrorImage()
    {
        var (code, output, error) = Evaluate(Model, "--dataset", "mnist", "--test-augment", "mirror", "--out", Path.Combine(Folder, "eval-mirror"));
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        var metrics = Network.Load(Model).Evaluate(TestSupport.Synthetic().Test, TestTimeAugmentation.Mirror);
        Assert.That(output, Does.Contain("30 test images, each averaged with its mirror image"));
        Assert.That(output, Does.Contain($"accuracy={metrics.Accuracy:F4} loss={metrics.Loss:F4} images=30"));
        (code, _, error) = TestSupport.RunMain("evaluate", Model, "--dataset", "mnist", "--test-augment", "flip");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain("flip"));
    }

    [Test]
    public void EvaluateRefusesAModelThatDoesNotFitTheData()
    {
        var (code, _, error) = TestSupport.Run(EvaluateCommand.Create((_, _) => new LoadedData(CifarShaped(), "/data/c")), "evaluate", Model, "--dataset", "cifar10");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain("takes images of 1×8×8, but cifar10 has 3×32×32"));
        (code, _, error) = Evaluate(Path.Combine(Folder, "missing.bin"), "--dataset", "mnist");
        Assert.That(code, Is.EqualTo(ExitCodes.Data));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public void PredictReadsIdxImagesAndPrintsTheTopClasses()
    {
        var test = TestSupport.Synthetic().Test;
        string idx = Path.Combine(Folder, "images-idx3-ubyte");
        TestSupport.WriteIdx(idx, test, 5);

        var (code, output, error) = TestSupport.RunMain("predict", Model, "--input", idx, "--top", "3");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        var lines = output.Trim().Split('\n');
        Assert.That(lines[0], Is.EqualTo("image,class_1,probability_1,class_2,probability_2,class_3,probability_3"));
        Assert.That(lines, Has.Length.EqualTo(6));

        using var images = Mnist_ReadImages(idx);
        var expected = Network.Load(Model).Predict(images);
        for (int i = 0; i < 5; i++)
        {
            var fields = lines[i + 1].Split(',');
            Assert.That(fields[0], Is.EqualTo(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            var row = Enumerable.Range(0, 10).Select(k => expected[i, k]).ToArray();
            int best = Array.IndexOf(row, row.Max());
            Assert.That(fields[1], Is.EqualTo(best.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            double p1 = double.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture), p2 = double.Parse(fields[4], System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(p1, Is.EqualTo(row.Max()).Within(1e-6));
            Assert.That(p1, Is.GreaterThanOrEqualTo(p2));
        }
    }

    [Test]
    public void PredictReadsAPng()
    {
        string png = Path.Combine(Folder, "digit.png");
        using (var bitmap = new SKBitmap(8, 8))
        {
            for (int y = 0; y < 8; y++)
                for (int x = 0; x < 8; x++)
                    bitmap.SetPixel(x, y, y == 2 ? new SKColor(200, 200, 200) : SKColors.Black);
            using var image = SKImage.FromBitmap(bitmap);
            using var data = image.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(png, data.ToArray());
        }
        using var tensor = PredictCommand.ReadImages(png, new Shape(1, 8, 8));
        Assert.That(tensor.Shape, Is.EqualTo(new Shape(1, 1, 8, 8)));
        Assert.That(tensor[2 * 8 + 3], Is.EqualTo(200f / 255f).Within(1e-5), "grey from luminance");
        Assert.That(tensor[0], Is.EqualTo(0f));

        var (code, output, error) = TestSupport.RunMain("predict", Model, "--input", png);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output.Trim().Split('\n'), Is.EqualTo(new[] { "image,class_1,probability_1", output.Trim().Split('\n')[1] }));
        Assert.That(output.Trim().Split('\n')[1], Does.StartWith("0,"));

        Assert.That(() => PredictCommand.ReadImages(png, new Shape(1, 28, 28)),
            Throws.InstanceOf<UsageException>().With.Message.Contains("the image is 8×8 pixels, but the model takes 28×28"));
    }

    [Test]
    public void PredictRefusesImagesOfTheWrongShapeAndSpecialFiles()
    {
        string cifar = Path.Combine(Folder, "batch.bin");
        File.WriteAllBytes(cifar, new byte[3073 * 2]);
        var (code, _, error) = TestSupport.RunMain("predict", Model, "--input", cifar);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain("images of 3×32×32, but the model takes 1×8×8"));
        (code, _, error) = TestSupport.RunMain("predict", Model, "--input", "/dev/zero");
        Assert.That(code, Is.EqualTo(ExitCodes.Data));
        Assert.That(error, Does.Contain("/dev/zero: is a character device"));
        (code, _, error) = TestSupport.RunMain("predict", Model, "--input", cifar, "--top", "11");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
    }

    [Test]
    public void ModelsAreLoadedInOnePlaceThatRefusesSpecialFiles()
    {
        Assert.That(() => ModelSource.Load("/dev/zero"), Throws.InstanceOf<ModelFileException>().With.Message.Contains("character device"));
        Assert.That(() => ModelSource.Load(Folder), Throws.InstanceOf<ModelFileException>().With.Message.Contains("is a directory"));
        Assert.That(ModelSource.Load(Model).ParameterCount, Is.EqualTo(Network.Load(Model).ParameterCount));
    }

    [Test]
    public void PredictWithoutSoftmaxTurnsScoresIntoProbabilities()
    {
        string csv = PredictCommand.Csv([0f, 1f, 0f, 2f, 2f, 1f], n: 2, classes: 3, top: 2, probabilities: false);
        var lines = csv.Trim().Split('\n');
        double e = Math.E;
        Assert.That(lines[1], Is.EqualTo($"0,1,{(e / (2 + e)).ToString("F6", System.Globalization.CultureInfo.InvariantCulture)},0,{(1 / (2 + e)).ToString("F6", System.Globalization.CultureInfo.InvariantCulture)}"));
        Assert.That(lines[2], Does.StartWith("1,0,"), "ties go to the lower class");
    }

    private static Tensor Mnist_ReadImages(string path) => Engine.Data.Mnist.ReadImages(path);

    private static Engine.Data.TrainTestSplit CifarShaped()
    {
        var d = new Engine.Data.Dataset("c", new float[2 * 3072], [0, 1], new Shape(3, 32, 32), 10);
        return new Engine.Data.TrainTestSplit(d, d);
    }
}
