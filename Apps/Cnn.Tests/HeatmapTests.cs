using System.Reflection;
using ScottPlot;
using SkiaSharp;

namespace Cnn.Tests;

public sealed class HeatmapTests : TempFolderTest
{
    [TestCase(1e-4, "1e-4")]
    [TestCase(1e-3, "1e-3")]
    [TestCase(0.01, "1e-2")]
    [TestCase(0.1, "1e-1")]
    [TestCase(1.0, "1")]
    [TestCase(1e-5, "1e-5")]
    [TestCase(0.1 * 0.1 * 0.1, "1e-3")]      // 0.0010000000000000002
    [TestCase(0.009999999999999998, "1e-2")]
    [TestCase(5e-3, "5e-3")]
    [TestCase(2.5e-4, "2.5e-4")]
    [TestCase(20.0, "20")]
    [TestCase(3.0, "3")]
    [TestCase(1.5, "1.5")]
    public void TickLabelsFollowTheReportsStyle(double value, string expected) =>
        Assert.That(Heatmap.TickLabel(value), Is.EqualTo(expected));

    [Test]
    public void LongTitlesShrinkToFitAndShortOnesKeepTheirSize()
    {
        Heatmap.UseBundledFont();
        Assert.That(Heatmap.TitleFontSize("Fig. 12"), Is.EqualTo(14f));
        float longer = Heatmap.TitleFontSize(new string('W', 120));
        Assert.That(longer, Is.LessThan(14f).And.GreaterThanOrEqualTo(8f));
        Assert.That(Heatmap.TitleFontSize("short\n" + new string('W', 120)), Is.EqualTo(longer), "the widest line decides");
    }

    [TestCase("0.0001", "1e-4")]
    [TestCase("1E-05", "1e-5")]
    [TestCase("20", "20")]
    [TestCase("lrelu", "lrelu")]
    public void SweepValuesGetTheSameTicks(string value, string expected) =>
        Assert.That(Heatmap.TickLabel(value), Is.EqualTo(expected));

    [Test]
    public void LongColumnLabelsAreSlantedAndShortOnesStayLevel()
    {
        string[] fashion = ["T-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"];
        string[] digits = [.. Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        Assert.That(Heatmap.ColumnLabelsOverlap(fashion), Is.True);
        Assert.That(Heatmap.ColumnLabelsOverlap(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]), Is.True);
        Assert.That(Heatmap.ColumnLabelsOverlap(digits), Is.False);
        Assert.That(Heatmap.ColumnLabelsOverlap(["1e-5", "1e-4", "1e-3", "1e-2"]), Is.False);

        var values = new double?[10, 10];
        var data = new HeatmapData("confusion", "label", fashion, "predicted class", fashion, values);
        Assert.That(Heatmap.Build(data).Axes.Bottom.TickLabelStyle.Rotation, Is.Not.EqualTo(0f));
        Assert.That(Heatmap.Build(data with { ColumnLabels = digits, RowLabels = digits }).Axes.Bottom.TickLabelStyle.Rotation, Is.EqualTo(0f));
    }

    [Test]
    public void CellTextHasTwoDecimalsOrMarksDivergence()
    {
        Assert.That(Heatmap.CellText(0.854, false), Is.EqualTo("0.85"));
        Assert.That(Heatmap.CellText(1.0, false), Is.EqualTo("1.00"));
        Assert.That(Heatmap.CellText(0.5, true), Is.EqualTo("div"));
        Assert.That(Heatmap.CellText(null, false), Is.EqualTo(""));
    }

    [Test]
    public void TextIsWhiteOnDarkCellsAndBlackOnLightCells()
    {
        var viridis = new ScottPlot.Colormaps.Viridis();
        Assert.That(Heatmap.TextColorOn(viridis.GetColor(0.0)), Is.EqualTo(Colors.White));   // dark purple
        Assert.That(Heatmap.TextColorOn(viridis.GetColor(1.0)), Is.EqualTo(Colors.Black));   // yellow
    }

    [Test]
    public void TheBundledFontIsRegisteredAndIsTheDefault()
    {
        Heatmap.UseBundledFont();
        Assert.That(File.Exists(Heatmap.FontPath), Is.True, Heatmap.FontPath);
        Assert.That(Path.GetDirectoryName(Heatmap.FontPath), Is.EqualTo(Path.Combine(AppContext.BaseDirectory, "Fonts").TrimEnd('/')));
        Assert.That(Fonts.Default, Is.EqualTo(Heatmap.FontName));

        // The resolver ScottPlot consults for the default family reads our file, not a system font.
        var files = Fonts.FontResolvers
            .Where(r => r is ScottPlot.FontResolvers.FileFontResolver)
            .SelectMany(r => r.GetType().GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
                .Where(f => f.FieldType == typeof(string)).Select(f => (string?)f.GetValue(r)))
            .ToList();
        Assert.That(files, Does.Contain(Heatmap.FontPath));
        Assert.That(files, Does.Contain(Heatmap.FontName));
    }

    [Test]
    public void RenderWritesPngAndPixelatedSvg()
    {
        string png = Path.Combine(Folder, "sub", "h.png"), svg = Path.Combine(Folder, "sub", "h.svg");
        Heatmap.Render(Grid(0.5, labels: true), png, svg);

        using (var bitmap = SKBitmap.Decode(png))
        {
            Assert.That(bitmap, Is.Not.Null);
            Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((Heatmap.Width, Heatmap.Height)));
        }
        string xml = File.ReadAllText(svg);
        int images = CountOf(xml, "<image");
        Assert.That(images, Is.GreaterThanOrEqualTo(1));
        Assert.That(CountOf(xml, "image-rendering:pixelated"), Is.EqualTo(images));
        Assert.That(xml, Does.Not.Match("<image[^>]*style=[^>]*style="), "duplicate style attribute");
    }

    [Test]
    public void CellLabelsAreDrawn()
    {
        // Same grid and colours, with and without the per-cell labels: the labels must change many pixels,
        // and those pixels must be the label colours (white on the dark cells of value 0.1).
        string withLabels = Path.Combine(Folder, "with.png"), without = Path.Combine(Folder, "without.png");
        Heatmap.Render(Grid(0.1, labels: true), withLabels, Path.ChangeExtension(withLabels, "svg"));
        Heatmap.Render(Grid(0.1, labels: false), without, Path.ChangeExtension(without, "svg"));

        using var a = SKBitmap.Decode(withLabels);
        using var b = SKBitmap.Decode(without);
        int changed = 0, whiteish = 0;
        for (int y = 0; y < a.Height; y++)
        {
            for (int x = 0; x < a.Width; x++)
            {
                SKColor p = a.GetPixel(x, y), q = b.GetPixel(x, y);
                if (p == q) continue;
                changed++;
                if (p.Red > 200 && p.Green > 200 && p.Blue > 200) whiteish++;
            }
        }
        // 12 labels "0.10" at ~10 px: each has well over 20 glyph pixels.
        Assert.That(changed, Is.GreaterThan(12 * 20), "the labelled render should differ in the label areas");
        Assert.That(whiteish, Is.GreaterThan(12 * 10), "labels on dark cells should be white");
    }

    [Test]
    public void MismatchedLabelsAreRejectedWithTheirCounts()
    {
        var bad = Grid(0.5, labels: true) with { RowLabels = ["1", "2"] };
        var error = Assert.Throws<ArgumentException>(() => Heatmap.Render(bad, Path.Combine(Folder, "x.png"), Path.Combine(Folder, "x.svg")));
        Assert.That(error!.Message, Does.Contain("2 row labels for 3 rows"));
    }

    [Test]
    public void MissingAndDivergedCellsRender()
    {
        var values = new double?[3, 4];
        values[0, 0] = 0.9;
        values[1, 1] = 0.2;
        var diverged = new bool[3, 4];
        diverged[2, 3] = true;
        var data = Grid(0.5, labels: true) with { Values = values, Diverged = diverged };
        string png = Path.Combine(Folder, "m.png");
        Heatmap.Render(data, png, Path.Combine(Folder, "m.svg"));
        Assert.That(new FileInfo(png).Length, Is.GreaterThan(1000));
    }

    private static HeatmapData Grid(double value, bool labels)
    {
        var values = new double?[3, 4];
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++)
                values[r, c] = value;
        return new HeatmapData("test grid", "η", ["1", "1e-1", "1e-2"], "λ", ["1e-4", "1e-3", "1e-2", "1e-1"], values)
        {
            CellLabels = labels,
        };
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal))
            count++;
        return count;
    }
}
