using Engine.Kernels;
using Engine.Losses;
using Engine.Tests.Helpers;

namespace Engine.Tests.Losses;

public class LossTests
{
    private static IEnumerable<Loss> AllLosses()
    {
        yield return new MeanSquaredError();
        yield return new LogLoss();
        yield return new CrossEntropy();
    }

    [Test]
    public void Names()
    {
        Assert.That(AllLosses().Select(l => l.Name), Is.EqualTo(new[] { "mse", "log-loss", "cross-entropy" }));
        Assert.That(new CrossEntropy().ToString(), Is.EqualTo("cross-entropy"));
    }

    [Test]
    public void MeanSquaredErrorHandCase()
    {
        // sample 0: (0.5 − 1)² + 0.5² = 0.5; sample 1: exact; mean over 2·2 = 0.125
        float[] y = [0.5f, 0.5f, 1f, 0f];
        int[] labels = [0, 0];
        var loss = new MeanSquaredError();
        Assert.That(loss.Compute(y, labels, 2, 2), Is.EqualTo(0.125).Within(1e-12));
        var g = new float[4];
        loss.Gradient(y, labels, g, 2, 2);
        Assert.That(g, Is.EqualTo(new[] { -0.25f, 0.25f, 0f, 0f })); // 2(y − t)/(N·K)
    }

    [Test]
    public void LogLossHandCase()
    {
        // sample 0, label 0: −[log 0.8 + log(1 − 0.2)];  sample 1, label 1: −[log(1 − 0.4) + log 0.9]
        float[] y = [0.8f, 0.2f, 0.4f, 0.9f];
        int[] labels = [0, 1];
        var loss = new LogLoss();
        double expected = -(Math.Log(0.8) + Math.Log(0.8) + Math.Log(0.6) + Math.Log(0.9)) / 2;
        Assert.That(loss.Compute(y, labels, 2, 2), Is.EqualTo(expected).Within(1e-6));
        var g = new float[4];
        loss.Gradient(y, labels, g, 2, 2);
        // −1/(N·y) at the label, 1/(N(1 − y)) elsewhere
        Assert.That(g[0], Is.EqualTo(-1 / (2 * 0.8)).Within(1e-6));
        Assert.That(g[1], Is.EqualTo(1 / (2 * 0.8)).Within(1e-6));
        Assert.That(g[2], Is.EqualTo(1 / (2 * 0.6)).Within(1e-6));
        Assert.That(g[3], Is.EqualTo(-1 / (2 * 0.9)).Within(1e-6));
    }

    [Test]
    public void CrossEntropyHandCase()
    {
        float[] p = [0.25f, 0.75f, 0.5f, 0.5f];
        int[] labels = [1, 0];
        var loss = new CrossEntropy();
        Assert.That(loss.Compute(p, labels, 2, 2), Is.EqualTo((-Math.Log(0.75) - Math.Log(0.5)) / 2).Within(1e-7));
        var g = Enumerable.Repeat(9f, 4).ToArray();
        loss.Gradient(p, labels, g, 2, 2);
        Assert.That(g[0], Is.EqualTo(0f));
        Assert.That(g[1], Is.EqualTo(-1 / (2 * 0.75)).Within(1e-6));
        Assert.That(g[2], Is.EqualTo(-1 / (2 * 0.5)).Within(1e-6));
        Assert.That(g[3], Is.EqualTo(0f));
    }

    [Test]
    public void EpsilonKeepsZeroProbabilitiesFinite()
    {
        // −log(0 + 1e-9) = 9·ln 10
        Assert.That(new CrossEntropy().Compute([0f, 1f], [0], 1, 2), Is.EqualTo(9 * Math.Log(10)).Within(1e-6));
        Assert.That(new LogLoss().Compute([0f, 1f], [0], 1, 2), Is.EqualTo(18 * Math.Log(10)).Within(1e-6));
        var g = new float[2];
        new LogLoss().Gradient([0f, 1f], [0], g, 1, 2);
        Assert.That(g, Is.EqualTo(new[] { -1e9f, 1e9f }));
    }

    [TestCaseSource(nameof(AllLosses))]
    public void GradientMatchesFiniteDifferences(Loss loss)
    {
        const int batch = 3, classes = 5;
        var outputs = GradientCheck.Random(batch * classes, 77, 0.05, 0.95);
        int[] labels = [4, 0, 2];
        GradientCheck.CheckLoss(loss, outputs, labels, classes);
    }

    [TestCaseSource(nameof(AllLosses))]
    public void OutOfRangeLabelsNameTheirIndex(Loss loss)
    {
        foreach (int bad in new[] { -1, 3, 100 })
        {
            int[] labels = [0, 2, bad];
            Assert.DoesNotThrow(() => loss.Compute(new float[6], labels, 2, 3), "only the batch's labels are read");
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() => loss.Compute(new float[9], labels, 3, 3));
            Assert.That(ex!.Message, Does.Contain("labels[2]"));
            var eg = Assert.Throws<ArgumentOutOfRangeException>(() => loss.Gradient(new float[9], labels, new float[9], 3, 3));
            Assert.That(eg!.Message, Does.Contain("labels[2]"));
        }
    }

    [Test]
    public void FusedSoftmaxGradientEqualsSoftmaxBackwardOfTheCrossEntropyGradient()
    {
        const int batch = 4, classes = 6;
        var logits = GradientCheck.Random(batch * classes, 5, -3, 3);
        int[] labels = [5, 0, 3, 3];
        var p = new float[batch * classes];
        SoftmaxKernels.Forward(logits, p, batch, classes);

        var loss = new CrossEntropy();
        var dp = new float[batch * classes];
        loss.Gradient(p, labels, dp, batch, classes);
        var chained = new float[batch * classes];
        SoftmaxKernels.Backward(p, dp, chained, batch, classes);

        var fused = new float[batch * classes];
        loss.FusedSoftmaxGradient(p, labels, fused, batch, classes);
        Assert.That(fused, Is.EqualTo(chained).Within(1e-6));
    }

    [Test]
    public void FusedSoftmaxGradientMatchesFiniteDifferencesOfLossOfSoftmax()
    {
        const int batch = 3, classes = 5;
        var logits = GradientCheck.Random(batch * classes, 9, -2, 2);
        int[] labels = [1, 4, 0];
        var loss = new CrossEntropy();
        var p = new float[batch * classes];

        double LossOfLogits()
        {
            SoftmaxKernels.Forward(logits, p, batch, classes);
            return loss.Compute(p, labels, batch, classes);
        }

        LossOfLogits();
        var fused = new float[batch * classes];
        loss.FusedSoftmaxGradient(p, labels, fused, batch, classes);
        const double h = 1e-2;
        for (int i = 0; i < logits.Length; i++)
        {
            float saved = logits[i];
            logits[i] = saved + (float)h;
            double plus = LossOfLogits();
            logits[i] = saved - (float)h;
            double minus = LossOfLogits();
            logits[i] = saved;
            double numeric = (plus - minus) / ((double)(saved + (float)h) - (saved - (float)h));
            Assert.That(fused[i], Is.EqualTo(numeric).Within(2e-4), $"dLogits[{i}]");
        }
    }

    [Test]
    public void EmptyBatchIsZero()
    {
        foreach (var loss in AllLosses())
            Assert.That(loss.Compute([], [], 0, 3), Is.EqualTo(0.0), loss.Name);
    }
}
