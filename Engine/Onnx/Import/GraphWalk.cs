using Engine.Onnx.Protobuf;
using static Engine.Onnx.Import.GraphChain;

namespace Engine.Onnx.Import;

/// <summary>One step of an imported graph, in the order a network runs them: a node, or a residual block.</summary>
internal abstract record GraphStep;

/// <summary>A node of the chain: it reads the value the step before it wrote, plus constants.</summary>
/// <param name="Node">The node.</param>
internal sealed record NodeStep(NodeProto Node) : GraphStep;

/// <summary>A residual block: a value read by two branches that one Add sums.</summary>
/// <param name="Fork">The value both branches read (the block's input).</param>
/// <param name="Body">The body's steps (at least one).</param>
/// <param name="Shortcut">The shortcut's steps: none for the identity, else the projection's nodes.</param>
/// <param name="Join">The Add of the two branches' last values (the block's output).</param>
internal sealed record BlockStep(string Fork, IReadOnlyList<GraphStep> Body, IReadOnlyList<GraphStep> Shortcut, NodeProto Join) : GraphStep;

/// <summary>
/// Orders the computed nodes of a checked graph as the steps of a sequential network. From the input, a value read by one node
/// continues the chain; a value read by two nodes forks two branches, which must meet again at one <c>Add</c> of their last
/// values — a residual block (blocks may nest, up to <see cref="MaxNesting"/> deep). The branch with no node but Identity (the
/// identity) or with only a <c>Conv</c> and a <c>BatchNormalization</c> (a projection; one with a 1×1 kernel and no bias first) is
/// the shortcut, the other the body; when both fit alike, the one the Add reads second is the shortcut (PyTorch's
/// <c>out + identity</c>). Everything else — a value read by
/// three nodes, branches that never meet or meet another value, a join by another operator, a sum of two computed values
/// that are not two branches of one value — is refused naming the node.
/// </summary>
internal sealed class GraphWalk
{
    /// <summary>How deep residual blocks may nest (as in model files); bounds the recursion a file can cause.</summary>
    public const int MaxNesting = Serialization.LayerCodec.MaxNesting;

    private readonly Dictionary<string, List<NodeProto>> _readers = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, TensorProto> _constants;
    private readonly HashSet<NodeProto> _visited = new();
    private readonly string _output, _file;

    private GraphWalk(List<NodeProto> nodes, IReadOnlyDictionary<string, TensorProto> constants, string output, string file)
    {
        _constants = constants;
        _output = output;
        _file = file;
        foreach (var node in nodes)
            foreach (string value in Computed(node).Distinct())
            {
                if (!_readers.TryGetValue(value, out var list)) _readers[value] = list = new List<NodeProto>();
                list.Add(node);
            }
    }

    /// <summary>The steps from <paramref name="input"/> to <paramref name="output"/>, covering every node of <paramref name="nodes"/>.</summary>
    /// <exception cref="OnnxFormatException">The nodes are not a chain of nodes and residual blocks from the input to the output.</exception>
    public static List<GraphStep> Steps(List<NodeProto> nodes, ValueInfoProto input, ValueInfoProto output,
        IReadOnlyDictionary<string, TensorProto> constants, string file)
    {
        var walk = new GraphWalk(nodes, constants, output.Name, file);
        var steps = walk.Chain(input.Name, null, 0, out string end, out var join);
        if (join is not null)
        {
            var computed = walk.Computed(join).Distinct().Select(Quote);
            throw Fail(file, join, $"joins two computed values ({string.Join(", ", computed)}) that are not two branches from one value: " +
                "the engine joins values only as a residual block (a value read by two branches, which one Add sums)");
        }
        if (end != output.Name)
            throw new OnnxFormatException(file, steps.Count == 0 && constants.ContainsKey(output.Name)
                ? $"the graph's output {Quote(output.Name)} is a constant; it does not depend on the input"
                : $"the chain of nodes from the input {Quote(input.Name)} ends at {Quote(end)}, not at the graph's output {Quote(output.Name)}");
        if (steps.Count == 0)
            throw new OnnxFormatException(file, "the graph's output is its input: there is nothing to compute");
        var off = nodes.FirstOrDefault(n => !walk._visited.Contains(n));
        if (off is not null)
            throw Fail(file, off, "is not on the path from the graph's input to its output");
        return steps;
    }

    /// <summary>
    /// Walks from <paramref name="value"/> (through <paramref name="first"/>, one of its readers, when given) until a value
    /// nothing reads, the graph's output, or a node joining two computed values — returned in <paramref name="join"/>, not
    /// taken; <paramref name="end"/> is the last value reached.
    /// </summary>
    private List<GraphStep> Chain(string value, NodeProto? first, int depth, out string end, out NodeProto? join)
    {
        var steps = new List<GraphStep>();
        string current = value;
        var next = first;
        while (true)
        {
            if (next is null)
            {
                if (!_readers.TryGetValue(current, out var readers)) break;
                if (current == _output)
                    throw new OnnxFormatException(_file, $"the graph's output {Quote(current)} is also read by {Describe(readers[0])}; a network ends at its output");
                if (readers.Count > 2)
                    throw Fail(_file, readers[2], $"reads {Quote(current)}, which {Describe(readers[0])} and {Describe(readers[1])} read too: the engine follows two branches from one value (a residual block), not more");
                if (readers.Count == 2)
                {
                    var block = Block(current, readers[0], readers[1], depth);
                    steps.Add(block);
                    current = block.Join.Outputs[0];
                    continue;
                }
                next = readers[0];
            }
            var node = next;
            next = null;
            var computed = Computed(node);
            if (computed.Count > 1)
            {
                if (computed.Distinct().Count() == 1)
                    throw Fail(_file, node, $"reads {Quote(current)} twice: a network reads each value once (a residual block adds two different branches)");
                (end, join) = (current, node);
                return steps;
            }
            Take(node);
            steps.Add(new NodeStep(node));
            current = node.Outputs[0];
        }
        (end, join) = (current, null);
        return steps;
    }

    /// <summary>The block of the two branches from <paramref name="fork"/> that start at <paramref name="a"/> and <paramref name="b"/>.</summary>
    private BlockStep Block(string fork, NodeProto a, NodeProto b, int depth)
    {
        if (depth >= MaxNesting)
            throw Fail(_file, a, $"forks {Quote(fork)} inside {MaxNesting} nested residual blocks; the engine nests them at most {MaxNesting} deep");
        var first = Chain(fork, a, depth + 1, out string endA, out var joinA);
        var second = Chain(fork, b, depth + 1, out string endB, out var joinB);
        if (joinA is null || joinB is null)
            throw Fail(_file, joinA is null ? a : b, $"reads {Quote(fork)}, which {Describe(joinA is null ? b : a)} reads too, and its branch ends at {Quote(joinA is null ? endA : endB)} without rejoining: " +
                "the engine takes a value read by two nodes only as a residual block (two branches that one Add sums)");
        var computed = Computed(joinA);
        if (joinA != joinB || computed.Count != 2 || endA == endB || !computed.Contains(endA) || !computed.Contains(endB))
        {
            var stray = joinA != joinB ? joinB : joinA;
            throw Fail(_file, stray, $"joins a branch from {Quote(fork)} with a value that is not the other branch from it ({Describe(joinA == stray ? b : a)} starts that one): " +
                "the engine takes a value read by two nodes only as a residual block (two branches that one Add sums)");
        }
        var join = joinA;
        if (join.OpType != "Add" || join.Domain is not ("" or "ai.onnx"))
            throw Fail(_file, join, $"joins the two branches from {Quote(fork)}; the engine joins branches only by Add (a residual block: body plus shortcut)");
        Take(join);
        var (left, right) = computed[0] == endA ? (first, second) : (second, first);
        int leftFit = ShortcutFit(left), rightFit = ShortcutFit(right);
        if (Math.Max(leftFit, rightFit) == 0)
            throw Fail(_file, join, $"adds two computed branches from {Quote(fork)}, neither of which is a residual shortcut: the engine's Residual adds its body to the identity or to a projection (a Conv, then a BatchNormalization)");
        return rightFit >= leftFit ? new BlockStep(fork, left, right, join) : new BlockStep(fork, right, left, join);
    }

    /// <summary>
    /// How well a branch fits as the shortcut: 3 the identity (no node but Identity), 2 the engine's projection (a Conv of a 1×1
    /// constant kernel without bias, then a BatchNormalization), 1 another Conv then BatchNormalization (refused later, with the
    /// projection the block needs), 0 nothing a shortcut can be.
    /// </summary>
    private int ShortcutFit(List<GraphStep> steps)
    {
        var nodes = new List<NodeProto>();
        foreach (var step in steps)
        {
            if (step is not NodeStep { Node: var node }) return 0;
            if (node.OpType != "Identity") nodes.Add(node);
        }
        if (nodes.Count == 0) return 3;
        if (nodes is not [{ OpType: "Conv" } conv, { OpType: "BatchNormalization" }]) return 0;
        bool pointwise = conv.Inputs.Count > 1 && _constants.TryGetValue(conv.Inputs[1], out var w) && w.Dims is [_, _, 1, 1];
        bool biased = conv.Inputs.Count > 2 && conv.Inputs[2].Length > 0;
        return pointwise && !biased ? 2 : 1;
    }

    /// <summary>Marks <paramref name="node"/> as on the path, after checking it writes an output and leaves its extra outputs unused.</summary>
    private void Take(NodeProto node)
    {
        if (node.Outputs.Count == 0 || node.Outputs[0].Length == 0)
            throw Fail(_file, node, "writes no output");
        foreach (string extra in node.Outputs.Skip(1))
            if (extra.Length > 0 && (_readers.ContainsKey(extra) || extra == _output))
                throw Fail(_file, node, $"has its extra output {Quote(extra)} used; the engine computes only an operator's first output");
        if (!_visited.Add(node))
            throw Fail(_file, node, "is reached twice on the path from the graph's input (it is part of two branches)");
    }

    /// <summary>The node's inputs that are computed (given, and not constants).</summary>
    private List<string> Computed(NodeProto node) => node.Inputs.Where(v => v.Length > 0 && !_constants.ContainsKey(v)).ToList();
}
