using Engine.Kernels;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

public class SoftmaxKernelsTests
{
    /// <summary>Softmax of one row in double, with the maximum subtracted.</summary>
    private static double[] ReferenceRow(ReadOnlySpan<float> x)
    {
        double max = double.NegativeInfinity;
        foreach (var v in x) max = Math.Max(max, v);
        var e = new double[x.Length];
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += e[i] = Math.Exp(x[i] - max);
        for (int i = 0; i < x.Length; i++) e[i] /= sum;
        return e;
    }

    [Test]
    public void HandComputedRows()
    {
        // e^0 : e^(ln 3) = 1 : 3
        var y2 = new float[2];
        SoftmaxKernels.Forward([0f, MathF.Log(3f)], y2, 1, 2);
        Assert.That(y2[0], Is.EqualTo(0.25f).Within(1e-7));
        Assert.That(y2[1], Is.EqualTo(0.75f).Within(1e-7));
        // equal logits: uniform
        var y4 = new float[4];
        SoftmaxKernels.Forward([1f, 1f, 1f, 1f], y4, 1, 4);
        Assert.That(y4, Is.All.EqualTo(0.25f));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(7)]
    [TestCase(10)]
    [TestCase(17)]
    public void RowsArePositiveSumToOneAndMatchTheFormula(int classes)
    {
        const int batch = 5;
        var x = GradientCheck.Random(batch * classes, classes, -8, 8);
        var y = new float[batch * classes + 2];
        y[^1] = y[^2] = -7f;
        SoftmaxKernels.Forward(x, y, batch, classes);
        for (int n = 0; n < batch; n++)
        {
            var row = y.AsSpan(n * classes, classes).ToArray();
            var expected = ReferenceRow(x.AsSpan(n * classes, classes));
            Assert.That(row.Sum(v => (double)v), Is.EqualTo(1.0).Within(1e-6), $"row {n}");
            Assert.That(row, Is.All.GreaterThan(0f));
            for (int i = 0; i < classes; i++)
                Assert.That(row[i], Is.EqualTo(expected[i]).Within(1e-6 * expected[i] + 1e-9), $"y[{n},{i}]");
        }
        Assert.That(y[^2..], Is.All.EqualTo(-7f), "elements past the batch were written");
    }

    [Test]
    public void LargeLogitsDoNotOverflow()
    {
        float[] x = [1000, 999, 998, -1000, -999, -998, 1000, 1000, 1000];
        var y = new float[9];
        SoftmaxKernels.Forward(x, y, 3, 3);
        var shifted = new float[9];
        SoftmaxKernels.Forward([2, 1, 0, 0, 1, 2, 0, 0, 0], shifted, 3, 3);
        Assert.That(y, Has.None.NaN);
        Assert.That(y, Is.EqualTo(shifted).Within(1e-7));
        Assert.That(y[6], Is.EqualTo(1f / 3).Within(1e-7));
        // e^2 : e^1 : e^0, normalised
        double s = Math.Exp(2) + Math.Exp(1) + 1;
        Assert.That(y[0], Is.EqualTo(Math.Exp(2) / s).Within(1e-6));
    }

    [Test]
    public void NaNMakesTheRowNaN()
    {
        var y = new float[6];
        SoftmaxKernels.Forward([1, float.NaN, 2, 1, 2, 3], y, 2, 3);
        Assert.That(y[..3], Is.All.NaN);
        Assert.That(y[3..], Has.None.NaN);
    }

    [TestCase(1)]
    [TestCase(4)]
    [TestCase(9)]
    public void BackwardIsTheJacobianTransposeTimesDy(int classes)
    {
        const int batch = 3;
        var x = GradientCheck.Random(batch * classes, 11, -3, 3);
        var dy = GradientCheck.Random(batch * classes, 12, -1, 1);
        var y = new float[batch * classes];
        SoftmaxKernels.Forward(x, y, batch, classes);
        var dx = Enumerable.Repeat(99f, batch * classes).ToArray();
        SoftmaxKernels.Backward(y, dy, dx, batch, classes);
        for (int n = 0; n < batch; n++)
            for (int j = 0; j < classes; j++)
            {
                // dx_j = Σ_i dy_i ∂y_i/∂x_j, with ∂y_i/∂x_j = y_i(δ_ij − y_j)
                double expected = 0;
                for (int i = 0; i < classes; i++)
                {
                    double yi = y[n * classes + i], yj = y[n * classes + j];
                    expected += dy[n * classes + i] * yi * ((i == j ? 1 : 0) - yj);
                }
                Assert.That(dx[n * classes + j], Is.EqualTo(expected).Within(1e-6), $"dx[{n},{j}]");
            }
    }

    [Test]
    public void FusedCrossEntropyGradientHandCase()
    {
        var d = new float[4];
        SoftmaxKernels.FusedCrossEntropyGradient([0.25f, 0.75f, 0.5f, 0.5f], [1, 0], d, 2, 2);
        Assert.That(d, Is.EqualTo(new[] { 0.125f, -0.125f, -0.25f, 0.25f }));
    }

    [TestCase(-1)]
    [TestCase(3)]
    public void FusedGradientRejectsLabelsOutOfRange(int bad)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            SoftmaxKernels.FusedCrossEntropyGradient(new float[6], [0, bad], new float[6], 2, 3));
        Assert.That(ex!.Message, Does.Contain("labels[1]"));
    }

    [Test]
    public void ShortSpansThrow()
    {
        Assert.Throws<ArgumentException>(() => SoftmaxKernels.Forward(new float[5], new float[6], 2, 3));
        Assert.Throws<ArgumentException>(() => SoftmaxKernels.Forward(new float[6], new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => SoftmaxKernels.Backward(new float[6], new float[6], new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => SoftmaxKernels.FusedCrossEntropyGradient(new float[6], [0], new float[6], 2, 3));
    }
}
