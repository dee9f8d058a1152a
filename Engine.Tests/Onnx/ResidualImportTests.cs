using Engine.Layers;
using Engine.Onnx.Protobuf;
using static Engine.Onnx.Protobuf.AttributeProto;
using static Engine.Tests.Onnx.OnnxGraphs;

namespace Engine.Tests.Onnx;

/// <summary>
/// A value read by two branches that one Add sums imports as a <see cref="Residual"/>: the identity or the engine's projection
/// (1×1 Conv without bias, BatchNormalization) as the shortcut, in either order of the Add's inputs, nested, at the end of the
/// graph; every other fork or join is refused naming the node.
/// </summary>
public class ResidualImportTests
{
    private static readonly float[] W1 = Random(4 * 4 * 3 * 3, 1), W2 = Random(4 * 4 * 3 * 3, 2), P = Random(4 * 2, 3);

    /// <summary>BatchNormalization of <paramref name="x"/> into <paramref name="y"/> with statistics named after <paramref name="k"/>.</summary>
    private static NodeProto Norm(string x, string y, string k, params AttributeProto[] attributes) =>
        Node("BatchNormalization", [x, k + "s", k + "b", k + "m", k + "v"], [y], attributes);

    private static TensorProto[] Statistics(string k, int c, int seed) =>
        [Floats(k + "s", [c], Random(c, seed)), Floats(k + "b", [c], Random(c, seed + 1)), Floats(k + "m", [c], Random(c, seed + 2)), Floats(k + "v", [c], Positive(c, seed + 3))];

    private static float[] Gammas(int c, int seed) => [.. Random(c, seed), .. Random(c, seed + 1)];

    private static float[] Stats(int c, int seed) => [.. Random(c, seed + 2), .. Positive(c, seed + 3)];

    private static AttributeProto Pad1 => IntList("pads", 1, 1, 1, 1);

    [Test]
    public void AnIdentityShortcutIsAResidualBlock()
    {
        // x → Conv → BN → Relu → Conv → BN → (+ x) → Relu: the basic block of a ResNet.
        var bytes = Model([4, 5, 6],
            [Node("Conv", ["x", "w1"], ["c1"], Pad1), Norm("c1", "n1", "a"), Node("Relu", ["n1"], ["r"]),
             Node("Conv", ["r", "w2"], ["c2"], Pad1), Norm("c2", "n2", "b"), Node("Add", ["n2", "x"], ["sum"]), Node("Relu", ["sum"], ["y"])],
            [Floats("w1", [4, 4, 3, 3], W1), Floats("w2", [4, 4, 3, 3], W2), .. Statistics("a", 4, 10), .. Statistics("b", 4, 20)]);
        var net = Import(bytes);
        var direct = Built(new Shape(4, 5, 6),
            [new Residual(new Conv2D(4, 3, padding: Padding.Explicit(1), bias: false), new BatchNorm2D(), new ReLU(), new Conv2D(4, 3, padding: Padding.Explicit(1), bias: false), new BatchNorm2D()), new ReLU()],
            [.. W1, .. W2, .. Gammas(4, 10), .. Gammas(4, 20)], [.. Stats(4, 10), .. Stats(4, 20)]);
        Assert.That(net.Layers.Select(l => l.ToString()), Is.EqualTo(direct.Layers.Select(l => l.ToString())));
        Assert.That(net.Leaves.Select(l => l.Name), Is.EqualTo(new[] { "layer 1.1 (Conv2D)", "layer 1.2 (BatchNorm2D)", "layer 1.3 (ReLU)", "layer 1.4 (Conv2D)", "layer 1.5 (BatchNorm2D)", "layer 2 (ReLU)" }));
        AssertSamePredictions(direct, net);
    }

    [TestCase(true, TestName = "A projection shortcut read second by the Add")]
    [TestCase(false, TestName = "A projection shortcut read first by the Add")]
    public void AProjectionShortcutIsTheBlocksOwn(bool shortcutSecond)
    {
        // 2 → 4 channels at stride 2: the body's Conv 3×3 s2 + BN, the shortcut a 1×1 Conv s2 without bias + BN.
        var w = Random(4 * 2 * 3 * 3, 4);
        var add = shortcutSecond ? Node("Add", ["body", "short"], ["y"]) : Node("Add", ["short", "body"], ["y"]);
        var bytes = Model([2, 6, 5],
            [Node("Conv", ["x", "w"], ["c"], Pad1, IntList("strides", 2, 2)), Norm("c", "body", "a"),
             Node("Conv", ["x", "p"], ["pc"], IntList("strides", 2, 2)), Norm("pc", "short", "b"), add],
            [Floats("w", [4, 2, 3, 3], w), Floats("p", [4, 2, 1, 1], P), .. Statistics("a", 4, 30), .. Statistics("b", 4, 40)]);
        var net = Import(bytes);
        var block = (Residual)net.Layers.Single();
        Assert.That(block.Projects, Is.True);
        var direct = Built(new Shape(2, 6, 5), [new Residual(new Conv2D(4, 3, 2, Padding.Explicit(1), bias: false), new BatchNorm2D())],
            [.. w, .. P, .. Gammas(4, 30), .. Gammas(4, 40)], [.. Stats(4, 30), .. Stats(4, 40)]);
        Assert.That(net.GetParameters(), Is.EqualTo(direct.GetParameters()).AsCollection);
        Assert.That(net.State.ToArray(), Is.EqualTo(direct.State.ToArray()).AsCollection);
        AssertSamePredictions(direct, net);
    }

    [Test]
    public void BlocksNestAndOneMayEndTheGraph()
    {
        // x → Relu → [Sigmoid → [Tanh] + .] + . : a block whose body holds a block, the outer Add the graph's output.
        var net = Import(Model([3],
            [Node("Relu", ["x"], ["r"]), Node("Sigmoid", ["r"], ["s"]), Node("Tanh", ["s"], ["t"]), Node("Add", ["t", "s"], ["inner"]), Node("Add", ["inner", "r"], ["y"])]));
        Assert.That(net.Layers.Select(l => l.ToString()), Is.EqualTo(new[] { "ReLU: 3 → 3", "Residual(Sigmoid, Residual(Tanh)): 3 → 3" }));
        Assert.That(net.Leaves.Select(l => l.Name), Is.EqualTo(new[] { "layer 1 (ReLU)", "layer 2.1 (Sigmoid)", "layer 2.2.1 (Tanh)" }));
        AssertSamePredictions(Built(new Shape(3), [new ReLU(), new Residual(new Sigmoid(), new Residual(new Tanh()))], []), net);
    }

    [Test]
    public void IdentityNodesInAShortcutAreTheIdentity() =>
        Assert.That(Import(Model([3], [Node("Relu", ["x"], ["r"]), Node("Identity", ["x"], ["i"]), Node("Add", ["i", "r"], ["y"])])).Layers.Single().ToString(),
            Is.EqualTo("Residual(ReLU): 3 → 3"));

    [Test]
    public void AValueReadByThreeNodesIsRefused() =>
        Assert.That(Refusal(Model([3], [Node("Relu", ["x"], ["a"]), Node("Tanh", ["x"], ["b"]), Node("Sigmoid", ["x"], ["c"]), Node("Add", ["a", "b"], ["y"])])),
            Does.Contain("node 2 (Sigmoid) reads \"x\", which node 0 (Relu) and node 1 (Tanh) read too"));

    [Test]
    public void ABranchThatNeverRejoinsIsRefused() =>
        Assert.That(Refusal(Model([3], [Node("Relu", ["x"], ["y"]), Node("Tanh", ["x"], ["b"])])),
            Does.Contain("node 0 (Relu) reads \"x\", which node 1 (Tanh) reads too, and its branch ends at \"y\" without rejoining"));

    [Test]
    public void BranchesMeetingAnotherValueAreRefused() =>
        // a = Relu(x) is read by both Adds: the inner fork's branches end at different joins.
        Assert.That(Refusal(Model([3], [Node("Relu", ["x"], ["a"]), Node("Tanh", ["x"], ["b"]), Node("Add", ["a", "b"], ["s"]), Node("Add", ["s", "a"], ["y"])])),
            Does.Contain("joins a branch from \"a\" with a value that is not the other branch from it"));

    [Test]
    public void AJoinByAnotherOperatorIsRefused() =>
        Assert.That(Refusal(Model([3], [Node("Relu", ["x"], ["a"]), Node("Mul", ["a", "x"], ["y"])])),
            Does.Contain("node 1 (Mul) joins the two branches from \"x\"; the engine joins branches only by Add"));

    [Test]
    public void AJoinOfValuesFromNoForkIsRefused() =>
        // z is computed from a constant alone (a Relu of an initializer), so x + z joins the input with a value from no fork of it.
        Assert.That(Refusal(Model([3], [Node("Relu", ["k"], ["z"]), Node("Add", ["x", "z"], ["y"])], [Floats("k", [3], [1f, 2f, 3f])])),
            Does.Contain("node 1 (Add) joins two computed values (\"x\", \"z\") that are not two branches from one value"));

    [TestCase("bias", "adds a shortcut of Conv2D(4, 1×1, stride 2, valid): 2×6×5 → 4×3×3, BatchNorm2D: 4×3×3 → 4×3×3", TestName = "A projection with a bias is refused")]
    [TestCase("epsilon", "BatchNorm2D(momentum 0.1, epsilon 0.001)", TestName = "A projection whose batch norm has another epsilon is refused")]
    [TestCase("3x3", "the engine's Residual has Conv2D(4, 1×1, stride 2, valid, no bias)", TestName = "A 3×3 projection is refused")]
    [TestCase("identity", "adds a shortcut of the identity to a body that turns [N, 2, 6, 5] into [N, 4, 3, 3]", TestName = "An identity shortcut to a body changing the shape is refused")]
    public void ShortcutsTheEngineCannotExpressAreRefused(string what, string words)
    {
        var w = Random(4 * 2 * 3 * 3, 4);
        NodeProto[] shortcut = what == "identity" ? [] : [
            Node("Conv", what == "bias" ? ["x", "p", "pb"] : ["x", what == "3x3" ? "p3" : "p"], ["pc"], IntList("strides", 2, 2), IntList("pads", what == "3x3" ? [1, 1, 1, 1] : [0, 0, 0, 0])),
            Norm("pc", "short", "b", Float("epsilon", what == "epsilon" ? 1e-3f : 1e-5f))];
        var bytes = Model([2, 6, 5],
            [Node("Conv", ["x", "w"], ["c"], Pad1, IntList("strides", 2, 2)), Norm("c", "body", "a"), .. shortcut, Node("Add", ["body", what == "identity" ? "x" : "short"], ["y"])],
            [Floats("w", [4, 2, 3, 3], w), Floats("p", [4, 2, 1, 1], P), Floats("p3", [4, 2, 3, 3], w), Floats("pb", [4], Random(4, 5)), .. Statistics("a", 4, 30), .. Statistics("b", 4, 40)]);
        Assert.That(Refusal(bytes), Does.Contain("(Add): adds a shortcut of").And.Contain(words));
    }

    [Test]
    public void ABodyComputingNothingIsRefused() =>
        Assert.That(Refusal(Model([3], [Node("Identity", ["x"], ["a"]), Node("Identity", ["x"], ["b"]), Node("Add", ["a", "b"], ["y"])])),
            Does.Contain("node 2 (Add): adds two branches of which the body computes nothing"));

    [Test]
    public void BlocksNestingTooDeepAreRefused()
    {
        // Nine blocks, each inside the body of the one before: x → Relu → … with an Add per level back to its fork.
        var nodes = new List<NodeProto>();
        string value = "x";
        for (int level = 0; level < 9; level++) { nodes.Add(Node("Relu", [value], [$"r{level}"])); value = $"r{level}"; }
        nodes.Add(Node("Tanh", [value], ["t"]));
        value = "t";
        for (int level = 8; level >= 0; level--) { nodes.Add(Node("Add", [value, level == 0 ? "x" : $"r{level - 1}"], [level == 0 ? "y" : $"s{level}"])); value = $"s{level}"; }
        Assert.That(Refusal(Model([3], [.. nodes])), Does.Contain("nested residual blocks; the engine nests them at most 8 deep"));
    }
}
