using Engine.Layers;

namespace Engine.Onnx.Import;

/// <summary>
/// The operators that keep or only re-view the data: activations, Softmax, Flatten, Reshape to [N, features], and the ones
/// that compute nothing at inference (Identity; Dropout, which becomes a <see cref="Layers.Dropout"/> for further training).
/// </summary>
internal static class ElementwiseImporters
{
    /// <summary>An operator without attributes (consumed_inputs, of opsets before 6, aside) as one layer: Relu, Sigmoid, Tanh.</summary>
    public static OperatorImporter Plain(Func<Layer> create) => (node, net) =>
    {
        node.Allow("consumed_inputs");
        net.Add(node, create());
    };

    /// <summary>LeakyRelu-1/6/16: alpha (default 0.01) → <see cref="LeakyReLU"/>, which takes 0 ≤ alpha &lt; 1.</summary>
    public static void LeakyRelu(NodeScope node, NetworkBuilder net)
    {
        node.Allow("alpha", "consumed_inputs");
        float alpha = node.Float("alpha", 0.01f);
        if (!(float.IsFinite(alpha) && alpha >= 0f && alpha < 1f))
            throw node.Refuse("alpha", "the engine's LeakyReLU takes a slope with 0 ≤ slope < 1");
        net.Add(node, new LeakyReLU(alpha));
    }

    /// <summary>
    /// Softmax-1/11 (axis default 1: the input seen as 2-D [prod(dims before axis), prod(dims from axis)]) and Softmax-13
    /// (axis default −1: along that axis alone) → <see cref="Softmax"/>, which normalises a [N, K] input over K: the axis must
    /// be 1 (or −1) and the input [N, K].
    /// </summary>
    public static void Softmax(NodeScope node, NetworkBuilder net)
    {
        node.Allow("axis");
        var input = net.Shape;
        long axis = node.Int("axis", node.Opset >= 13 ? -1 : 1);
        long rank = input.Rank + 1;
        long resolved = axis < 0 ? axis + rank : axis;
        if (input.Rank != 1)
            throw node.Refuse($"normalises a value of shape {NetworkBuilder.Describe(input)}; the engine's Softmax takes [N, K] (put a Flatten before it)");
        if (resolved != 1)
            throw node.Refuse("axis", "must be 1 (or -1): the engine's Softmax normalises each sample's K scores");
        net.Add(node, new Layers.Softmax());
    }

    /// <summary>Flatten-1/9/11/13/21 with axis 1 (default; −r+1 from opset 11) → <see cref="Flatten"/> (with a GlobalAveragePool just
    /// before it: <see cref="GlobalAvgPool2D"/>); nothing for an input that is already [N, K].</summary>
    public static void Flatten(NodeScope node, NetworkBuilder net)
    {
        node.Allow("axis");
        var input = net.Shape;
        long axis = node.Int("axis", 1);
        long resolved = axis < 0 && node.Opset >= 11 ? axis + input.Rank + 1 : axis;
        if (resolved != 1)
            throw node.Refuse("axis", $"flattens {NetworkBuilder.Describe(input)} at axis {axis}; the engine's Flatten keeps the batch and flattens the rest (axis 1)");
        if (input.Rank > 1) net.Flatten(node);
    }

    /// <summary>
    /// Reshape-5/13/14/19/21 by a constant shape that keeps the batch and flattens the rest — [0, −1], [−1, K], [N, −1] when the
    /// input's batch is fixed at N, or those with K given — → <see cref="Flatten"/>; a shape equal to the input's → nothing.
    /// 0 copies the input's dim (unless allowzero = 1), −1 is inferred.
    /// </summary>
    public static void Reshape(NodeScope node, NetworkBuilder net)
    {
        node.Allow("allowzero");
        if (node.Opset < 5) throw node.Refuse("uses the shape attribute of Reshape-1; the engine reads Reshape from opset 5 on");
        var shape = node.IntConstant(1, "target shape").Ints!;
        bool allowZero = node.Opset >= 14 && node.Int("allowzero", 0) != 0;
        var input = net.Shape;
        string target = NodeScope.Dims(shape);
        var why = $"reshapes {NetworkBuilder.Describe(input)} to {target}; the engine reshapes only to [N, features] (a Flatten), keeping the batch";
        if (shape.Length == 0) throw node.Refuse(why);
        bool keepsBatch = (shape[0] == 0 && !allowZero) || (net.FixedBatch is long n && shape[0] == n);
        if (!keepsBatch && shape[0] != -1) throw node.Refuse(why);
        var sample = new long[shape.Length - 1];
        int inferred = -1;
        long known = 1;
        for (int i = 1; i < shape.Length; i++)
        {
            long d = shape[i];
            if (d == 0 && !allowZero) d = i <= input.Rank ? input[i - 1] : throw node.Refuse(why);
            if (d == -1)
            {
                if (inferred >= 0 || !keepsBatch) throw node.Refuse(why);
                inferred = i - 1;
                continue;
            }
            if (d < 1 || d > input.Size) throw node.Refuse(why);
            known *= d;
            if (known > input.Size) throw node.Refuse(why);
            sample[i - 1] = d;
        }
        if (inferred >= 0)
        {
            if (input.Size % known != 0) throw node.Refuse(why);
            sample[inferred] = input.Size / known;
        }
        else if (known != input.Size) throw node.Refuse(why);
        bool same = sample.Length == input.Rank && Enumerable.Range(0, sample.Length).All(i => sample[i] == input[i]);
        if (same) return;
        if (sample.Length != 1) throw node.Refuse(why);
        net.Flatten(node);
    }

    /// <summary>Identity: nothing to compute.</summary>
    public static void Identity(NodeScope node, NetworkBuilder net) => node.Allow();

    /// <summary>
    /// Dropout-1/6/7/10/12/13 → <see cref="Layers.Dropout"/> of its ratio (the attribute before opset 12, the constant input from it;
    /// default 0.5), which passes values through at inference as ONNX's does; its mask output must be unused, and from opset 12 a
    /// training_mode input, if given, a constant false.
    /// </summary>
    public static void Dropout(NodeScope node, NetworkBuilder net)
    {
        node.Allow("ratio", "is_test", "seed", "consumed_inputs");
        if (node.HasInput(2))
        {
            var mode = node.Constant(2, "training_mode");
            bool training = mode?.Ints is { Length: 1 } m ? m[0] != 0 : mode?.Floats is { Length: 1 } f && f[0] != 0f;
            if (training || (mode?.Ints is null && mode?.Floats is null))
                throw node.Refuse("runs in training mode (its training_mode input is not the constant false); the engine imports graphs for inference");
        }
        float ratio = node.Float("ratio", 0.5f);
        if (node.Opset >= 12 && node.HasInput(1))
        {
            var given = node.FloatConstant(1, "ratio");
            if (given.Floats!.Length != 1) throw node.Refuse($"has a ratio of shape {NodeScope.Dims(given.Dims)}; it must be one value");
            ratio = given.Floats[0];
        }
        if (!(ratio is >= 0f and < 1f))
            throw node.Refuse($"drops values with ratio {ratio.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}; the engine's Dropout takes a rate in [0, 1)");
        net.Add(node, new Layers.Dropout(ratio));
    }
}
