using Engine.Layers;
using Engine.Losses;
using Engine.Optimizers;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Training;

public class EndToEndTests
{
    /// <summary>
    /// The report's Fig. 11c model (Conv 20×3×3, LReLU, MaxPool 2, Flatten, Dense 10, softmax-CE, Adam)
    /// on the first 600 MNIST training images, 100 batches per epoch, measured on the first 100 test images.
    /// </summary>
    [Test]
    public void ReportFigure11cModelLearnsMnist()
    {
        var mnist = TestData.Mnist();
        var train = mnist.Train.Take(600);
        var val = mnist.Test.Take(100);
        var net = new Network(new Shape(1, 28, 28), seed: 100)
            .Add(new Conv2D(filters: 20, kernel: 3))
            .Add(new LeakyReLU(0.01f))
            .Add(new MaxPool2D(size: 2))
            .Add(new Flatten())
            .Add(new Dense(10))
            .Add(new Softmax());
        var history = net.Fit(train, val, new TrainingOptions
        {
            Epochs = 5, Batches = 100, Loss = new CrossEntropy(), Optimizer = new Adam(0.001f), L2 = 0.001f,
        });
        TestContext.Out.WriteLine(string.Join(Environment.NewLine, history.Epochs));
        Assert.That(history.Last.ValidationAccuracy, Is.GreaterThanOrEqualTo(0.80));
    }
}
