// The library example shown in README.md. ReadmeExampleTests checks that the README shows exactly the
// lines between the markers, and runs them, so the README's example always compiles and works.
using Engine;
using Engine.Data;
using Engine.Layers;
using Engine.Losses;
using Engine.Optimizers;
using Engine.Training;

namespace Engine.Tests.Docs;

internal static class ReadmeExample
{
    public static double Run()
    {
        // README-BEGIN
        var data = Mnist.Load(DatasetLocator.Resolve("mnist"));   // train + test, pixels scaled to [0,1]
        var train = data.Train.Take(600); var val = data.Test.Take(100);

        var net = new Network(inputShape: new Shape(1, 28, 28), seed: 100)
            .Add(new Conv2D(filters: 20, kernel: 3, stride: 1, padding: Padding.Valid))
            .Add(new LeakyReLU(0.01f))
            .Add(new MaxPool2D(size: 2, stride: 2))
            .Add(new Flatten())
            .Add(new Dense(10))
            .Add(new Softmax());

        History h = net.Fit(train, val, new TrainingOptions {
            Epochs = 3, Batches = 100, Loss = new CrossEntropy(),
            Optimizer = new Adam(eta: 0.001f), L2 = 0.001f });
        foreach (EpochReport epoch in h.Epochs) Console.WriteLine(epoch);   // one line per epoch, in order
        Console.WriteLine(h.Last.ValidationAccuracy);
        Metrics m = net.Evaluate(val);                      // m.Loss, m.Accuracy
        net.Save("model.bin"); var again = Network.Load("model.bin");
        // README-END
        File.Delete("model.bin");
        return again.Evaluate(val).Accuracy - m.Accuracy;
    }
}
