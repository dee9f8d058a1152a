namespace Cnn.Tests;

/// <summary>Parsing of <c>--grid</c> values and the cartesian order of cells.</summary>
public class GridTests
{
    [Test]
    public void LogGridIncludesBothEndsAndIsEvenInLogSpace()
    {
        var axis = GridAxis.Parse("eta=1e-4:1:5");
        Assert.That(axis.Name, Is.EqualTo("eta"));
        Assert.That(axis.Values, Is.EqualTo(new[] { "0.0001", "0.001", "0.01", "0.1", "1" }));
    }

    [Test]
    public void LogGridOfTwoIsTheEnds() =>
        Assert.That(GridAxis.Parse("lambda=0.5:2:2").Values, Is.EqualTo(new[] { "0.5", "2" }));

    [Test]
    public void LogGridOfOneNeedsEqualEnds()
    {
        Assert.That(GridAxis.Parse("eta=0.1:0.1:1").Values, Is.EqualTo(new[] { "0.1" }));
        Assert.That(() => GridAxis.Parse("eta=0.1:1:1"), Throws.InstanceOf<ArgumentException>().With.Message.Contains("from = to"));
    }

    [TestCase("filters=1,2,3,4,5", "filters", new[] { "1", "2", "3", "4", "5" })]
    [TestCase("hidden= 10 , 20,30", "hidden", new[] { "10", "20", "30" })]
    [TestCase("lambda=0,1e-3", "lambda", new[] { "0", "0.001" })]
    [TestCase("activation=ReLU,lrelu,sigmoid", "activation", new[] { "relu", "lrelu", "sigmoid" })]
    [TestCase("pool=avg", "pool", new[] { "avg" })]
    public void ListsKeepTheirOrderInCanonicalForm(string spec, string name, string[] values)
    {
        var axis = GridAxis.Parse(spec);
        Assert.That(axis.Name, Is.EqualTo(name));
        Assert.That(axis.Values, Is.EqualTo(values));
    }

    [TestCase("eta", "expected name=from:to:count")]
    [TestCase("=1,2", "expected name=from:to:count")]
    [TestCase("speed=1,2", "unknown axis 'speed'")]
    [TestCase("eta=abc", "'abc' is not a number")]
    [TestCase("eta=0,0.1", "eta must be a positive number, not 0")]
    [TestCase("lambda=-1", "lambda must be ≥ 0")]
    [TestCase("eta=1e-4:1", "from:to:count")]
    [TestCase("eta=0:1:3", "'from' must be a positive number")]
    [TestCase("eta=1e-4:x:3", "'to' must be a positive number")]
    [TestCase("eta=1e-4:1:0", "'count' must be a whole number")]
    [TestCase("filters=1:5:5", "only for real-valued options")]
    [TestCase("filters=0,1", "filters must be at least 1")]
    [TestCase("hidden=1.5", "'1.5' is not a whole number")]
    [TestCase("filters=1,,2", "empty value")]
    [TestCase("filters=2,2", "value 2 appears more than once")]
    [TestCase("activation=tanh", "--activation: 'tanh' is not one of sigmoid, relu, lrelu")]
    [TestCase("pool=min", "--pool: 'min' is not one of max, avg")]
    public void BadSpecsNameTheSpecAndTheProblem(string spec, string problem)
    {
        Assert.That(() => GridAxis.Parse(spec), Throws.InstanceOf<ArgumentException>()
            .With.Message.Contains($"--grid '{spec}'").And.Message.Contains(problem));
    }

    [Test]
    public void CellsAreTheCartesianProductWithTheLastAxisFastest()
    {
        var grid = new Grid([new GridAxis("eta", ["1", "2"]), new GridAxis("hidden", ["10", "20", "30"])]);
        Assert.That(grid.Count, Is.EqualTo(6));
        Assert.That(grid.Cell(0), Is.EqualTo(new[] { "1", "10" }));
        Assert.That(grid.Cell(2), Is.EqualTo(new[] { "1", "30" }));
        Assert.That(grid.Cell(4), Is.EqualTo(new[] { "2", "20" }));
        Assert.That(grid.Describe(5), Is.EqualTo("eta=2 hidden=30"));
        Assert.That(() => grid.Cell(6), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void ThreeAxesMultiply()
    {
        var grid = new Grid([new GridAxis("eta", ["1", "2"]), new GridAxis("lambda", ["0", "1", "2"]), new GridAxis("pool", ["max", "avg"])]);
        Assert.That(grid.Count, Is.EqualTo(12));
        Assert.That(grid.Cell(7), Is.EqualTo(new[] { "2", "0", "avg" }));
    }

    [Test]
    public void AnAxisTwiceIsAnError() =>
        Assert.That(() => new Grid([new GridAxis("eta", ["1"]), new GridAxis("eta", ["2"])]),
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("--grid eta is given more than once"));

    [TestCase("0/2", 0, 2)]
    [TestCase("3/4", 3, 4)]
    public void ShardSpecs(string text, int index, int count) =>
        Assert.That(SweepCommand.ParseShard(text), Is.EqualTo((index, count)));

    [TestCase("2/2")]
    [TestCase("1")]
    [TestCase("-1/2")]
    [TestCase("0/0")]
    [TestCase("a/b")]
    public void BadShardSpecsAreRejected(string text) =>
        Assert.That(() => SweepCommand.ParseShard(text), Throws.InstanceOf<ArgumentException>().With.Message.Contains($"--shard '{text}'"));
}
