using Engine.Onnx.Protobuf;

namespace Engine.Onnx.Import;

/// <summary>
/// The checked shape of an ONNX graph as a sequential network sees it: one input, one output, the constants (initializers,
/// Constant nodes and whatever <see cref="ConstantFolding"/> computes from them), and the remaining nodes as one chain from
/// the input to the output, each reading the value the one before it wrote.
/// </summary>
/// <remarks>
/// Checks, in order: unique initializer names; exactly one non-constant graph input and one graph output; every value written
/// once; every node input written by something (no dangling inputs); no cycle (nodes are sorted topologically, whatever their
/// file order); then, after folding constants, the chain: no value read by two nodes (a branch), no node reading two computed
/// values (a join, e.g. a residual Add), extra outputs (a Dropout mask, MaxPool indices) unused, and no node off the chain.
/// </remarks>
internal sealed class GraphChain
{
    private GraphChain(ValueInfoProto input, ValueInfoProto output, Dictionary<string, TensorProto> constants, List<NodeProto> chain)
    {
        Input = input;
        Output = output;
        Constants = constants;
        Nodes = chain;
    }

    /// <summary>The graph's one computed input.</summary>
    public ValueInfoProto Input { get; }

    /// <summary>The graph's output.</summary>
    public ValueInfoProto Output { get; }

    /// <summary>Every constant value by name.</summary>
    public IReadOnlyDictionary<string, TensorProto> Constants { get; }

    /// <summary>The nodes from input to output.</summary>
    public IReadOnlyList<NodeProto> Nodes { get; }

    /// <summary>Checks <paramref name="graph"/> and orders it as a chain.</summary>
    /// <exception cref="OnnxFormatException">The graph is malformed, or not a chain.</exception>
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
        return new GraphChain(input, output, constants, Chain(remaining, input, output, constants, file));
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

    /// <summary>Walks from the input through the one reader of each value to the output.</summary>
    private static List<NodeProto> Chain(List<NodeProto> nodes, ValueInfoProto input, ValueInfoProto output,
        Dictionary<string, TensorProto> constants, string file)
    {
        var readers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            foreach (string value in node.Inputs.Where(v => v.Length > 0 && !constants.ContainsKey(v)).Distinct())
            {
                if (!readers.TryGetValue(value, out var list)) readers[value] = list = new List<NodeProto>();
                list.Add(node);
            }
        }
        var chain = new List<NodeProto>();
        string current = input.Name;
        while (readers.TryGetValue(current, out var next))
        {
            if (current == output.Name)
                throw new OnnxFormatException(file, $"the graph's output {Quote(current)} is also read by {Describe(next[0])}; a sequential network ends at its output");
            if (next.Count > 1)
                throw Fail(file, next[1], $"reads {Quote(current)}, which {Describe(next[0])} reads too: branching graphs are not supported (the network is one chain of layers)");
            var node = next[0];
            var computed = node.Inputs.Where(v => v.Length > 0 && !constants.ContainsKey(v)).ToList();
            if (computed.Count > 1)
                throw Fail(file, node, computed.Distinct().Count() > 1
                    ? $"joins two computed values ({string.Join(", ", computed.Distinct().Select(Quote))}): graphs that merge branches (e.g. a residual Add) are not supported yet"
                    : $"reads {Quote(current)} twice: the network is one chain of layers, each reading its input once");
            if (node.Outputs.Count == 0 || node.Outputs[0].Length == 0)
                throw Fail(file, node, "writes no output");
            foreach (string extra in node.Outputs.Skip(1))
                if (extra.Length > 0 && (readers.ContainsKey(extra) || extra == output.Name))
                    throw Fail(file, node, $"has its extra output {Quote(extra)} used; the engine computes only an operator's first output");
            chain.Add(node);
            current = node.Outputs[0];
        }
        if (current != output.Name)
            throw new OnnxFormatException(file, chain.Count == 0 && constants.ContainsKey(output.Name)
                ? $"the graph's output {Quote(output.Name)} is a constant; it does not depend on the input"
                : $"the chain of nodes from the input {Quote(input.Name)} ends at {Quote(current)}, not at the graph's output {Quote(output.Name)}");
        if (chain.Count == 0)
            throw new OnnxFormatException(file, "the graph's output is its input: there is nothing to compute");
        var onChain = new HashSet<NodeProto>(chain);
        var off = nodes.FirstOrDefault(n => !onChain.Contains(n));
        if (off is not null)
            throw Fail(file, off, "is not on the path from the graph's input to its output");
        return chain;
    }
}
