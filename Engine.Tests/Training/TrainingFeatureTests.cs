using Engine.Data;
using Engine.Layers;
using Engine.Losses;
using Engine.Optimizers;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Training;

/// <summary>Schedules, label smoothing, clipping, weight decay, early stopping, augmentation, normalisation and checkpoints.</summary>
public class TrainingFeatureTests
{
    [Test]
    public void SchedulesGiveTheHandComputedFactors()
    {
        Assert.That(LearningRateSchedule.Constant().Factor(7, 10, 3), Is.EqualTo(1.0));
        var step = LearningRateSchedule.Step(everyEpochs: 2, factor: 0.5f); // 3 steps per epoch: epochs 0–1 ×1, 2–3 ×0.5, 4 ×0.25
        Assert.That(Enumerable.Range(0, 13).Select(t => step.Factor(t, 15, 3)),
            Is.EqualTo(new[] { 1, 1, 1, 1, 1, 1, .5, .5, .5, .5, .5, .5, .25 }));
        var cosine = LearningRateSchedule.Cosine(warmupFraction: 0.2f); // T = 10: warm-up steps 0, 1 → 1/2, 2/2; then cos over 7 spans
        Assert.That(cosine.Factor(0, 10, 5), Is.EqualTo(0.5).Within(1e-12));
        Assert.That(cosine.Factor(1, 10, 5), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(cosine.Factor(2, 10, 5), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(cosine.Factor(9, 10, 5), Is.EqualTo(0.0).Within(1e-12));
        Assert.That(cosine.Factor(5, 10, 5), Is.EqualTo((1 + Math.Cos(Math.PI * 3 / 7)) / 2).Within(1e-12));
        var one = LearningRateSchedule.OneCycle(warmupFraction: 0.25f, startDivisor: 10, finalDivisor: 100); // T = 9: peak at 9/4 − 1 = 1.25
        Assert.That(one.Factor(0, 9, 3), Is.EqualTo(0.1).Within(1e-12));
        Assert.That(one.Factor(1, 9, 3), Is.EqualTo(1.0 + (0.1 - 1.0) / 2 * (Math.Cos(Math.PI * 0.8) + 1)).Within(1e-12));
        Assert.That(one.Factor(8, 9, 3), Is.EqualTo(0.001).Within(1e-12));
        Assert.That(one.Factor(4, 9, 3), Is.EqualTo(0.001 + (1.0 - 0.001) / 2 * (Math.Cos(Math.PI * 2.75 / 6.75) + 1)).Within(1e-12));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Step(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.OneCycle(warmupFraction: 1f));
    }

    [Test]
    public void FitReportsAndUsesTheScheduledRate()
    {
        var data = TestData.Random(new Shape(1, 6, 6), 12, 1);
        var net = Tiny(1);
        var options = new TrainingOptions { Epochs = 3, BatchSize = 4, Optimizer = new Sgd(0.5f), Schedule = LearningRateSchedule.Step(1, 0.5f) };
        var h = net.Fit(data, null, options);
        Assert.That(h.Epochs.Select(e => e.LearningRate), Is.EqualTo(new[] { 0.5, 0.25, 0.125 }));
        // A constant schedule is exactly no schedule.
        var a = Tiny(2);
        a.Fit(data, null, new TrainingOptions { Epochs = 2, BatchSize = 4, Schedule = LearningRateSchedule.Constant() });
        var b = Tiny(2);
        b.Fit(data, null, new TrainingOptions { Epochs = 2, BatchSize = 4 });
        Assert.That(a.GetParameters(), Is.EqualTo(b.GetParameters()));
    }

    private static Network Tiny(long seed) => new Network(new Shape(1, 6, 6), seed)
        .Add(new Conv2D(3, 3)).Add(new ReLU()).Add(new Flatten()).Add(new Dense(10)).Add(new Softmax());

    [Test]
    public void LabelSmoothingPassesTheGradientCheckAndItsFusedGradientIsPMinusQ()
    {
        var p = new float[] { 0.1f, 0.6f, 0.3f, 0.25f, 0.25f, 0.5f };
        GradientCheck.CheckLoss(new CrossEntropy(0.2f), p, [1, 2], classes: 3);
        var loss = new CrossEntropy(0.2f);
        var d = new float[6];
        loss.FusedSoftmaxGradient(p, [1, 2], d, 2, 3);
        float low = 0.2f / 3, high = 0.8f + 0.2f / 3;
        Assert.That(d, Is.EqualTo(new[] { (0.1f - low) / 2, (0.6f - high) / 2, (0.3f - low) / 2, (0.25f - low) / 2, (0.25f - low) / 2, (0.5f - high) / 2 }).Within(1e-7));
        Assert.That(loss.Compute(p, [1, 2], 2, 3), Is.EqualTo(-(low * Math.Log(0.1) + high * Math.Log(0.6) + low * Math.Log(0.3)
            + low * Math.Log(0.25) * 2 + high * Math.Log(0.5)) / 2).Within(1e-6));
        Assert.That(loss.ToString(), Is.EqualTo("cross-entropy(smoothing=0.2)"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropy(1f));
    }

    [Test]
    public void ClippingBoundsTheGradientNorm()
    {
        var data = TestData.Random(new Shape(1, 6, 6), 8, 2);
        var net = Tiny(3);
        var ws = net.TrainingWorkspace(8);
        net.ComputeGradients(ws, data, Enumerable.Range(0, 8).ToArray(), new CrossEntropy(), out _);
        double norm = Math.Sqrt(net.Gradients.ToArray().Sum(g => (double)g * g));
        Assert.That(norm, Is.GreaterThan(0.05));
        // One SGD step (η = 1) with clipping at norm/4 moves the parameters by exactly the gradient scaled by 1/4.
        var before = net.GetParameters();
        var gradients = net.Gradients.ToArray();
        net.Fit(data, null, new TrainingOptions { Epochs = 1, BatchSize = 8, Optimizer = new Sgd(1f), ClipGradientNorm = (float)(norm / 4), Shuffle = ShuffleMode.None });
        var after = net.GetParameters();
        for (int i = 0; i < before.Length; i++)
            Assert.That(before[i] - after[i], Is.EqualTo(gradients[i] / 4).Within(1e-5 * (1 + Math.Abs(gradients[i]))), $"parameter {i}");
    }

    [Test]
    public void DecoupledWeightDecayShrinksWeightsOnlyNotBiasesOrBatchNorm()
    {
        var data = TestData.Random(new Shape(1, 6, 6), 8, 3);
        static Network Net() => new Network(new Shape(1, 6, 6), seed: 4).Add(new Conv2D(2, 3)).Add(new BatchNorm2D()).Add(new Flatten()).Add(new Dense(10)).Add(new Softmax());
        var options = new TrainingOptions { Epochs = 1, BatchSize = 8, Optimizer = new Sgd(0.1f), Shuffle = ShuffleMode.None };
        var plain = Net();
        var before = Net().GetParameters();
        plain.Fit(data, null, options);
        var decayed = Net();
        decayed.Fit(data, null, new TrainingOptions { Epochs = 1, BatchSize = 8, Optimizer = new Sgd(0.1f), Shuffle = ShuffleMode.None, WeightDecay = 0.5f });
        int weights = decayed.WeightCount;
        var p = plain.GetParameters();
        var d = decayed.GetParameters();
        for (int i = 0; i < weights; i++)
            Assert.That(d[i], Is.EqualTo(p[i] - 0.1f * 0.5f * before[i]).Within(1e-6), $"weight {i}: w·(1 − lr·wd) − lr·g");
        for (int i = weights; i < p.Length; i++) Assert.That(d[i], Is.EqualTo(p[i]), $"parameter {i} (bias, γ, β) is not decayed");
    }

    [Test]
    public void EarlyStoppingStopsAfterThePatienceAndRestoresTheBestEpoch()
    {
        var train = TestData.Random(new Shape(1, 6, 6), 30, 5);
        var validation = TestData.Random(new Shape(1, 6, 6), 20, 6); // random labels: validation stops improving soon
        var net = Tiny(7);
        var early = new EarlyStopping(patience: 2, restoreBest: true) { Metric = StoppingMetric.ValidationLoss };
        float[]? best = null;
        int bestEpoch = 0;
        double bestLoss = double.PositiveInfinity;
        var h = net.Fit(train, validation, new TrainingOptions { Epochs = 40, BatchSize = 10, Optimizer = new Adam(0.05f), EarlyStopping = early },
            new SyncProgress(r => { if (r.ValidationLoss < bestLoss) (bestLoss, bestEpoch, best) = (r.ValidationLoss, r.Epoch, net.GetParameters()); }));
        Assert.That(h.Status, Is.EqualTo(TrainingStatus.Stopped));
        Assert.That(h.Epochs.Count, Is.EqualTo(bestEpoch + 2), "two epochs without improvement after the best");
        Assert.That(net.GetParameters(), Is.EqualTo(best), "the best epoch's weights are back");
        Assert.Throws<ArgumentException>(() => Tiny(1).Fit(train, null, new TrainingOptions { EarlyStopping = early }));
    }

    [Test]
    public void AugmentationCropsAndFlipsByTheDrawAndOnlyTheTrainingBatches()
    {
        var shape = new Shape(2, 3, 4);
        var image = Enumerable.Range(1, 24).Select(i => (float)i).ToArray();
        var target = new float[24];
        var both = new Augmentation { PadCrop = 1, HorizontalFlip = true };
        int shifted = 0, flipped = 0;
        for (int sample = 0; sample < 200; sample++)
        {
            Augmenter.Copy(both, shape, image, target, Augmenter.EpochSeed(9, 1), sample, []);
            // Find the draw's shift and flip by brute force: the target must be exactly one of the 18 candidates.
            var matches = new List<(int Dy, int Dx, bool Flip)>();
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                    foreach (bool flip in new[] { false, true })
                        if (Candidate(image, dy, dx, flip).SequenceEqual(target)) matches.Add((dy, dx, flip));
            Assert.That(matches, Is.Not.Empty, $"sample {sample}: not a shifted (flipped) copy");
            shifted += matches[0].Dy != 0 || matches[0].Dx != 0 ? 1 : 0;
            flipped += matches[0].Flip ? 1 : 0;
        }
        Assert.That(shifted, Is.InRange(150, 200), "8 of 9 shifts move the image");
        Assert.That(flipped, Is.InRange(70, 130));
        Assert.Throws<ArgumentException>(() => new Augmentation { PadCrop = 3 }.Validate(shape));
    }

    [Test]
    public void CutoutBlanksOneClippedSquareOfTheCroppedImageInEveryChannel()
    {
        var shape = new Shape(2, 5, 6);
        var image = Enumerable.Range(1, 60).Select(i => (float)i).ToArray();
        var plain = new float[60];
        var cut = new float[60];
        float[] fill = [-1f, -2f];
        var cropFlip = new Augmentation { PadCrop = 1, HorizontalFlip = true };
        var withCutout = new Augmentation { PadCrop = 1, HorizontalFlip = true, Cutout = 3 };
        var seen = new HashSet<(int, int, int, int)>();
        for (int sample = 0; sample < 300; sample++)
        {
            ulong seed = Augmenter.EpochSeed(4, 2);
            Augmenter.Copy(cropFlip, shape, image, plain, seed, sample, []);
            Augmenter.Copy(withCutout, shape, image, cut, seed, sample, fill);
            // The blanked cells, per channel: where the cut-out copy differs from the crop-and-flip copy of the same draw
            // (the image's values are all positive, so no blanked cell can equal its crop value by chance).
            var box = (Y0: 5, Y1: -1, X0: 6, X1: -1);
            int blanked = 0;
            for (int c = 0; c < 2; c++)
                for (int y = 0; y < 5; y++)
                    for (int x = 0; x < 6; x++)
                    {
                        int i = (c * 5 + y) * 6 + x;
                        if (cut[i] == plain[i]) continue;
                        Assert.That(cut[i], Is.EqualTo(fill[c]), $"sample {sample}: a changed cell holds the channel's fill");
                        blanked++;
                        box = (Math.Min(box.Y0, y), Math.Max(box.Y1, y), Math.Min(box.X0, x), Math.Max(box.X1, x));
                    }
            int height = box.Y1 - box.Y0 + 1, width = box.X1 - box.X0 + 1;
            Assert.That(blanked, Is.EqualTo(2 * height * width), $"sample {sample}: one full rectangle, the same in both channels");
            Assert.That(height is 2 or 3 && width is 2 or 3, $"sample {sample}: a 3×3 square, cut to 2 on a side at most by the border, not {height}×{width}");
            seen.Add(box);
        }
        Assert.That(seen, Has.Count.EqualTo(5 * 6), "every centre is drawn: 30 distinct squares");
        // Without a fill (the network does not normalise its inputs) the square is zeros, in the same place.
        var zeros = new float[60];
        Augmenter.Copy(withCutout, shape, image, cut, Augmenter.EpochSeed(4, 2), 7, [-1f, -2f]);
        Augmenter.Copy(withCutout, shape, image, zeros, Augmenter.EpochSeed(4, 2), 7, []);
        for (int i = 0; i < 60; i++)
            Assert.That(zeros[i], Is.EqualTo(cut[i] < 0f ? 0f : cut[i]), $"cell {i}");
        Assert.Throws<ArgumentException>(() => new Augmentation { Cutout = 6 }.Validate(shape));
        Assert.Throws<ArgumentException>(() => new Augmentation { Cutout = -1 }.Validate(shape));
        Assert.DoesNotThrow(() => new Augmentation { Cutout = 5 }.Validate(shape));
    }

    [Test]
    public void CutMixPastesOneClippedBoxOfAnotherAugmentedTrainingImage()
    {
        // Image k holds 1000·k + its cell index, so every cell tells which image (and cell) it came from.
        var shape = new Shape(2, 6, 7);
        int cells = shape.Size, count = 12;
        var images = new float[count * cells];
        for (int k = 0; k < count; k++)
            for (int i = 0; i < cells; i++) images[k * cells + i] = 1000 * (k + 1) + i;
        var data = new Dataset("numbered", images, Enumerable.Range(0, count).Select(k => k % 10).ToArray(), shape, 10);
        var augmentation = new Augmentation { PadCrop = 1, HorizontalFlip = true, Cutout = 2, CutMix = 0.5f };
        var alone = new Augmentation { PadCrop = 1, HorizontalFlip = true, Cutout = 2 };
        var net = new Network(shape, seed: 1).Add(new Flatten()).Add(new Dense(10)).Add(new Softmax());
        var ws = net.TrainingWorkspace(count);
        int pasted = 0;
        var partners = new HashSet<int>();
        var shares = new List<float>();
        for (int epoch = 0; epoch < 20; epoch++)
        {
            ulong seed = Augmenter.EpochSeed(net.Seed, epoch);
            int[] indices = Enumerable.Range(0, count).ToArray();
            net.ComputeGradients(ws, data, indices, new CrossEntropy(), out _, augmentation, seed);
            var batch = ws.Value(0, count);
            var own = new float[cells];
            var other = new float[cells];
            for (int n = 0; n < count; n++)
            {
                // The image is its own crop, flip and cut-out, except for one rectangle (the same in both channels) that is
                // another image's crop, flip and cut-out, found here by brute force.
                Augmenter.Copy(alone, shape, data.Image(n), own, seed, n, []);
                var image = batch.Slice(n * cells, cells).ToArray();
                var changed = Enumerable.Range(0, cells).Where(i => image[i] != own[i]).ToArray();
                bool drawn = Augmenter.DrawCutMix(augmentation, shape, seed, n, count, out var box);
                if (changed.Length == 0 && (!drawn || box.Partner == n)) continue;
                Assert.That(drawn, $"epoch {epoch}, image {n}: changed without a draw");
                Augmenter.Copy(alone, shape, data.Image(box.Partner), other, seed, box.Partner, []);
                for (int c = 0; c < 2; c++)
                    for (int y = 0; y < 6; y++)
                        for (int x = 0; x < 7; x++)
                        {
                            int i = (c * 6 + y) * 7 + x;
                            bool inside = y >= box.Y0 && y < box.Y1 && x >= box.X0 && x < box.X1;
                            Assert.That(image[i], Is.EqualTo(inside ? other[i] : own[i]), $"epoch {epoch}, image {n}, cell ({c}, {y}, {x}) of box {box}");
                        }
                Assert.That(box.Y1 - box.Y0, Is.InRange(1, 6));
                Assert.That(box.X1 - box.X0, Is.InRange(1, 7));
                pasted++;
                partners.Add(box.Partner);
                shares.Add(box.Share(6, 7));
            }
        }
        Assert.That(pasted, Is.InRange(70, 170), "about half of 240 images get a box");
        Assert.That(partners, Has.Count.EqualTo(count), "the other image is drawn from the whole training set");
        Assert.That(shares.Min(), Is.LessThan(0.1f));
        Assert.That(shares.Max(), Is.GreaterThan(0.45f), "boxes of up to the whole image, clipped by the border");
        // Probability 1 pastes into (nearly) every image; the probability is checked.
        int always = Enumerable.Range(0, 100).Count(n => Augmenter.DrawCutMix(new Augmentation { CutMix = 1f }, shape, 5, n, count, out _));
        Assert.That(always, Is.GreaterThan(85), "only boxes smaller than a pixel are skipped");
        Assert.That(Enumerable.Range(0, 100).Count(n => Augmenter.DrawCutMix(new Augmentation(), shape, 5, n, count, out _)), Is.Zero);
        foreach (float bad in new[] { -0.1f, 1.5f, float.NaN })
            Assert.Throws<ArgumentException>(() => new Augmentation { CutMix = bad }.Validate(shape), $"CutMix = {bad}");
        Assert.That(augmentation.ToString(), Is.EqualTo("augment(crop=1, flip=True, cutout=2, cutmix=0.5)"));
        Assert.That(alone.ToString(), Is.EqualTo("augment(crop=1, flip=True, cutout=2)"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void CutMixMixesTheLossAndItsGradientByTheBoxsShare(bool crossEntropy)
    {
        // All images are the same, so a pasted box leaves the input as it was and only the labels mix: with batches of one
        // image, the mixed loss and parameter gradient must be (1 − s) × those of its own label + s × those of the other's.
        var shape = new Shape(1, 6, 6);
        int count = 16;
        var one = TestData.Random(shape, 1, 4).Images.ToArray();
        var images = Enumerable.Range(0, count).SelectMany(_ => one).ToArray();
        var labels = Enumerable.Range(0, count).Select(k => (k * 7) % 10).ToArray();
        var data = new Dataset("same", images, labels, shape, 10);
        var mix = new Augmentation { CutMix = 1f };
        ulong seed = Augmenter.EpochSeed(3, 0);
        Loss loss = crossEntropy ? new CrossEntropy(0.1f) : new MeanSquaredError();
        var net = new Network(shape, seed: 2).Add(new Conv2D(2, 3)).Add(new ReLU()).Add(new Flatten()).Add(new Dense(10)).Add(new Softmax());
        var ws = net.TrainingWorkspace(1, loss);
        int checkedImages = 0;
        for (int n = 0; n < count; n++)
        {
            if (!Augmenter.DrawCutMix(mix, shape, seed, n, count, out var box) || labels[box.Partner] == labels[n]) continue;
            double mixed = net.ComputeGradients(ws, data, [n], loss, out _, mix, seed);
            var gradient = net.Gradients.ToArray();
            double ownLoss = net.ComputeGradients(ws, data, [n], loss, out _);
            var ownGradient = net.Gradients.ToArray();
            var relabelled = new Dataset("relabelled", images, labels.Select((l, k) => k == n ? labels[box.Partner] : l).ToArray(), shape, 10);
            double otherLoss = net.ComputeGradients(ws, relabelled, [n], loss, out _);
            var otherGradient = net.Gradients.ToArray();
            double s = box.Share(6, 6);
            Assert.That(mixed, Is.EqualTo((1 - s) * ownLoss + s * otherLoss).Within(1e-6 * (1 + Math.Abs(mixed))), $"image {n}: loss, share {s}");
            for (int i = 0; i < gradient.Length; i++)
                Assert.That(gradient[i], Is.EqualTo((1 - s) * ownGradient[i] + s * otherGradient[i]).Within(1e-6 + 1e-5 * Math.Abs(gradient[i])), $"image {n}, parameter {i}");
            checkedImages++;
        }
        Assert.That(checkedImages, Is.GreaterThan(8));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void CutMixGradientsPassTheFiniteDifferenceCheck(bool crossEntropy)
    {
        var shape = new Shape(2, 6, 6);
        var data = TestData.Random(shape, 6, 9);
        var net = new Network(shape, seed: 5).Add(new Conv2D(2, 3)).Add(new Tanh()).Add(new Flatten()).Add(new Dense(10)).Add(new Softmax());
        Loss loss = crossEntropy ? new CrossEntropy(0.1f) : new MeanSquaredError();
        NetworkGradientCheck.Check(net, data, loss, augmentation: new Augmentation { PadCrop = 1, HorizontalFlip = true, CutMix = 1f }, augmentationSeed: 11);
    }

    private static float[] Candidate(float[] image, int dy, int dx, bool flip)
    {
        var result = new float[24];
        for (int c = 0; c < 2; c++)
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 4; x++)
                {
                    int sy = y + dy, sx = x + dx, tx = flip ? 3 - x : x;
                    result[(c * 3 + y) * 4 + tx] = sy is >= 0 and < 3 && sx is >= 0 and < 4 ? image[(c * 3 + sy) * 4 + sx] : 0f;
                }
        return result;
    }

    [Test]
    public void NormalisationIsComputedFromTheTrainingDataAndKeptWithTheModel()
    {
        var data = TestData.Random(new Shape(3, 5, 5), 20, 8);
        var norm = InputNormalization.FromData(data);
        for (int c = 0; c < 3; c++)
        {
            var values = Enumerable.Range(0, 20).SelectMany(n => data.Images.Slice((n * 3 + c) * 25, 25).ToArray()).ToArray();
            double mean = values.Average(v => (double)v);
            Assert.That(norm.Mean[c], Is.EqualTo(mean).Within(1e-6));
            Assert.That(norm.Std[c], Is.EqualTo(Math.Sqrt(values.Average(v => (v - mean) * (v - mean)))).Within(1e-6));
        }
        var net = new Network(new Shape(3, 5, 5), seed: 1).Add(new Flatten()).Add(new Dense(10)).Add(new Softmax());
        net.Fit(data, null, new TrainingOptions { Epochs = 1, BatchSize = 10, NormalizeInputs = true });
        Assert.That(net.Normalization, Is.Not.Null);
        // Predict applies it: the same as a network without normalisation fed normalised images.
        var plain = new Network(new Shape(3, 5, 5), seed: 1).Add(new Flatten()).Add(new Dense(10)).Add(new Softmax());
        plain.SetParameters(net.GetParameters());
        var normalised = data.Images[..75].ToArray();
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 25; i++)
                normalised[c * 25 + i] = MathF.FusedMultiplyAdd(1f / net.Normalization!.Std[c], normalised[c * 25 + i], -net.Normalization.Mean[c] * (1f / net.Normalization.Std[c]));
        var expected = new float[10];
        plain.Predict(normalised, expected, 1);
        var actual = new float[10];
        net.Predict(data.Images[..75], actual, 1);
        Assert.That(actual, Is.EqualTo(expected));
        string path = Path.Combine(TestContext.CurrentContext.WorkDirectory, "normalised.bin");
        net.Save(path);
        var again = Network.Load(path);
        Assert.That(again.Normalization!.Mean, Is.EqualTo(net.Normalization!.Mean));
        var reloaded = new float[10];
        again.Predict(data.Images[..75], reloaded, 1);
        Assert.That(reloaded, Is.EqualTo(actual));
    }

    private static Network Modern(long seed) => new Network(new Shape(3, 8, 8), seed)
        .Add(new Conv2D(4, 3, padding: Padding.Same, bias: false)).Add(new BatchNorm2D()).Add(new ReLU())
        .Add(new Residual(new Conv2D(4, 3, padding: Padding.Same, bias: false), new BatchNorm2D())).Add(new ReLU())
        .Add(new Dropout(0.2f)).Add(new GlobalAvgPool2D()).Add(new Dense(10)).Add(new Softmax());

    private static TrainingOptions ModernOptions(string? checkpoint, bool early = true) => new()
    {
        Epochs = 5, BatchSize = 8, Loss = new CrossEntropy(0.1f), Optimizer = new AdamW(0.01f),
        Schedule = LearningRateSchedule.OneCycle(), WeightDecay = 1e-3f, ClipGradientNorm = 5f,
        Augmentation = new Augmentation { PadCrop = 2, HorizontalFlip = true, Cutout = 3, CutMix = 0.5f }, NormalizeInputs = true,
        EarlyStopping = early ? new EarlyStopping(patience: 10) : null, CheckpointPath = checkpoint,
    };

    [Test]
    public void ACheckpointedRunResumesBitForBit()
    {
        var train = TestData.Random(new Shape(3, 8, 8), 32, 1);
        var validation = TestData.Random(new Shape(3, 8, 8), 16, 2);
        var whole = Modern(3);
        var wholeHistory = whole.Fit(train, validation, ModernOptions(null));

        string path = Path.Combine(TestContext.CurrentContext.WorkDirectory, "run.ckpt");
        if (File.Exists(path)) File.Delete(path);
        using var cancel = new CancellationTokenSource();
        var interrupted = Modern(3);
        var first = interrupted.Fit(train, validation, ModernOptions(path), new SyncProgress(r => { if (r.Epoch == 2) cancel.Cancel(); }), cancel.Token);
        Assert.That(first.Status, Is.EqualTo(TrainingStatus.Cancelled));
        Assert.That(File.Exists(path), Is.True);

        var resumed = Modern(3); // a fresh process would build the network the same way
        var second = resumed.Fit(train, validation, ModernOptions(path));
        Assert.That(second.Status, Is.EqualTo(wholeHistory.Status));
        Assert.That(resumed.GetParameters(), Is.EqualTo(whole.GetParameters()).AsCollection, "weights");
        Assert.That(resumed.State.ToArray(), Is.EqualTo(whole.State.ToArray()).AsCollection, "running statistics");
        Assert.That(second.Epochs.Select(e => (e.Epoch, e.TrainLoss, e.ValidationAccuracy, e.LearningRate)),
            Is.EqualTo(wholeHistory.Epochs.Select(e => (e.Epoch, e.TrainLoss, e.ValidationAccuracy, e.LearningRate))), "history");

        // Other options are refused, naming the difference; a damaged file is refused too.
        var mismatch = Assert.Throws<Engine.Serialization.CheckpointMismatchException>(() =>
            Modern(3).Fit(train, validation, ModernOptions(path).WithEpochs(6)));
        Assert.That(mismatch!.Message, Does.Contain("run.ckpt").And.Contain("epochs=5").And.Contain("epochs=6"));
        Assert.That(mismatch.Stored, Does.Contain("epochs=5").And.Not.Contain("epochs=6"));
        Assert.That(mismatch.Current, Does.Contain("epochs=6").And.Not.Contain("epochs=5"));
        Assert.That(mismatch.FilePath, Is.EqualTo(path));
        Engine.Serialization.ModelFileException e;
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 1;
        File.WriteAllBytes(path, bytes);
        e = Assert.Throws<Engine.Serialization.ModelFileException>(() => Modern(3).Fit(train, validation, ModernOptions(path)))!;
        Assert.That(e.Message, Does.Contain("checksum"));
        Assert.That(e, Is.Not.InstanceOf<Engine.Serialization.CheckpointMismatchException>());
    }

    [Test]
    public void ModernTrainingIsBitIdenticalOnEveryTierAndThreadCount()
    {
        var train = TestData.Random(new Shape(3, 8, 8), 24, 3);
        float[]? first = null;
        foreach (var tier in Tiers.Available())
            foreach (int threads in new[] { 1, 2, 4 })
            {
                using var forced = Tiers.Force(tier);
                using var scope = Cpu.UseThreads(threads);
                var net = Modern(5);
                net.Fit(train, null, ModernOptions(null, early: false).WithEpochs(2));
                var p = net.GetParameters();
                if (first is null) first = p;
                else Assert.That(p, Is.EqualTo(first).AsCollection, $"{tier}, {threads} threads");
            }
    }
}

internal static class TrainingOptionsTestExtensions
{
    /// <summary>A copy with other epochs (TrainingOptions has init-only properties, no with-expression).</summary>
    public static TrainingOptions WithEpochs(this TrainingOptions o, int epochs) => new()
    {
        Epochs = epochs, BatchSize = o.BatchSize, Batches = o.Batches, Loss = o.Loss, Optimizer = o.Optimizer, L2 = o.L2,
        WeightDecay = o.WeightDecay, Schedule = o.Schedule, ClipGradientNorm = o.ClipGradientNorm, EarlyStopping = o.EarlyStopping,
        CheckpointPath = o.CheckpointPath, Augmentation = o.Augmentation, NormalizeInputs = o.NormalizeInputs, Shuffle = o.Shuffle,
        ShuffleSeed = o.ShuffleSeed, EvaluateTrainingSet = o.EvaluateTrainingSet, BatchProgress = o.BatchProgress,
        EvaluationBatchSize = o.EvaluationBatchSize,
    };
}
