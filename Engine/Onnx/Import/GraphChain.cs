using Engine.Onnx.Protobuf;

namespace Engine.Onnx.Import;

/// <summary>
/// The checked shape of an ONNX graph as a sequential network sees it: one input, one output, the constants (initializers,
/// Constant nodes and whatever <see cref="ConstantFolding"/> computes from them), and the remaining nodes as steps from the
/// input to the output (see <see cref="GraphWalk"/>): nodes each reading the value the step before it wrote, and residual
/// blocks (a value read by two branches that one Add sums).
/// </summary>
/// <remarks>
/// Checks, in order: unique initializer names; exactly one non-constant graph input and one graph output; every value written
/// once; every node input written by something (no dangling inputs); no cycle (nodes are sorted topologically, whatever their
/// file order); then, after folding constants, the steps: a value read by at most two nodes, two branches from one value meeting
/// again at one Add of the two, no other node reading two computed values, extra outputs (a Dropout mask, MaxPool indices)
/// unused, and no node off the path.
/// </remarks>
internal sealed class GraphChain
{
    private GraphChain(ValueInfoProto input, ValueInfoProto output, Dictionary<string, TensorProto> constants, List<GraphStep> steps)
    {
        Input = input;
        Output = output;
        Constants = constants;
        Steps = steps;
    }

    /// <summary>The graph's one computed input.</summary>
    public ValueInfoProto Input { get; }

    /// <summary>The graph's output.</summary>
    public ValueInfoProto Output { get; }

    /// <summary>Every constant value by name.</summary>
    public IReadOnlyDictionary<string, TensorProto> Constants { get; }

    /// <summary>The steps from input to output: nodes and residual blocks.</summary>
    public IReadOnlyList<GraphStep> Steps { get; }

    /// <summary>Checks <paramref name="graph"/> and orders it as steps.</summary>
    /// <exception cref="OnnxFormatException">The graph is malformed, or not a chain of nodes and residual blocks.</exception>
    public static GraphChain Build(GraphProto graph, int opset, DecodeLimits limits)
    {
        string file = limits.File;
        var constants = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in graph.Initializers)
        {
            if (t.Name.Length == 0) throw new OnnxFormatException(file, "an initializer has no name", t.Offset);
            if (!constants.TryAdd(t.Name, t)) throw new OnnxFormatException(file, $"two initializers are named {Quote(t.Name)}", t.Offset);
        }
        var inputs = graph.Inputs.Where(i => !constants.ContainsKey(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new OnnxFormatException(file, inputs.Count == 0
                ? "the graph has no input that is not a constant; a network needs one"
                : $"the graph has {inputs.Count} inputs ({string.Join(", ", inputs.Take(5).Select(i => Quote(i.Name)))}); a sequential network takes one");
        if (graph.Outputs.Count != 1)
            throw new OnnxFormatException(file, $"the graph has {graph.Outputs.Count} outputs; a sequential network gives one");
        var input = inputs[0];
        var output = graph.Outputs[0];

        var producer = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
            foreach (string value in node.Outputs)
            {
                if (value.Length == 0) continue;
                if (value == input.Name || constants.ContainsKey(value) || !producer.TryAdd(value, node))
                    throw Fail(file, node, $"writes {Quote(value)}, which is already written by {(producer.TryGetValue(value, out var other) ? Describe(other) : "the graph's input or an initializer")}");
            }
        foreach (var node in graph.Nodes)
            foreach (string value in node.Inputs)
                if (value.Length > 0 && value != input.Name && !constants.ContainsKey(value) && !producer.ContainsKey(value))
                    throw Fail(file, node, $"reads {Quote(value)}, which no node, graph input or initializer writes");
        if (output.Name != input.Name && !constants.ContainsKey(output.Name) && !producer.ContainsKey(output.Name))
            throw new OnnxFormatException(file, $"the graph's output {Quote(output.Name)} is written by no node");

        var sorted = TopologicalOrder(graph.Nodes, producer, file);
        var remaining = new List<NodeProto>();
        foreach (var node in sorted)
            if (!ConstantFolding.TryFold(node, opset, constants, limits)) remaining.Add(node);
        return new GraphChain(input, output, constants, GraphWalk.Steps(remaining, input, output, constants, file));
    }

    /// <summary>A node's description in messages: <c>node 3 "conv1" (Conv)</c>, or <c>node 3 (Conv)</c> when unnamed (0-based index).</summary>
    public static string Describe(NodeProto node) =>
        node.Name.Length > 0 ? $"node {node.Index} {Quote(node.Name)} ({Sanitize(node.OpType)})" : $"node {node.Index} ({Sanitize(node.OpType)})";

    /// <summary>An error about <paramref name="node"/>.</summary>
    public static OnnxFormatException Fail(string file, NodeProto node, string problem) => new(file, $"{Describe(node)} {problem}");

    /// <summary>A name from the file, quoted and shortened for messages, control characters escaped.</summary>
    public static string Quote(string name) => "\"" + Sanitize(name) + "\"";

    private static string Sanitize(string text)
    {
        const int Max = 80;
        var shown = text.Length > Max ? text[..Max] + "…" : text;
        return string.Concat(shown.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }

    /// <summary>Kahn's algorithm, keeping file order among ready nodes; a node left over sits on a cycle.</summary>
    private static List<NodeProto> TopologicalOrder(List<NodeProto> nodes, Dictionary<string, NodeProto> producer, string file)
    {
        var waiting = new Dictionary<NodeProto, int>();
        var dependents = new Dictionary<NodeProto, List<NodeProto>>();
        foreach (var node in nodes)
        {
            int count = 0;
            foreach (string value in node.Inputs.Distinct())
            {
                if (value.Length == 0 || !producer.TryGetValue(value, out var source)) continue;
                if (source == node) throw Fail(file, node, $"reads its own output {Quote(value)} (a cycle)");
                count++;
                if (!dependents.TryGetValue(source, out var list)) dependents[source] = list = new List<NodeProto>();
                list.Add(node);
            }
            waiting[node] = count;
        }
        var ready = new PriorityQueue<NodeProto, int>();
        foreach (var node in nodes) if (waiting[node] == 0) ready.Enqueue(node, node.Index);
        var order = new List<NodeProto>(nodes.Count);
        while (ready.TryDequeue(out var node, out _))
        {
            order.Add(node);
            if (!dependents.TryGetValue(node, out var next)) continue;
            foreach (var d in next)
                if (--waiting[d] == 0) ready.Enqueue(d, d.Index);
        }
        if (order.Count != nodes.Count)
        {
            var stuck = nodes.First(n => waiting[n] > 0);
            throw Fail(file, stuck, "sits on a cycle: its inputs depend on its own outputs");
        }
        return order;
    }
}
