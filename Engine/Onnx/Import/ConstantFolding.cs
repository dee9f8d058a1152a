using Engine.Onnx.Protobuf;

namespace Engine.Onnx.Import;

/// <summary>
/// Computes, at import, the nodes whose inputs are all constants, so that weights written as an expression of initializers
/// (a Transpose of a MatMul's matrix, a Constant node, an Identity, a Reshape of a bias) become plain constants:
/// <code>
/// Constant    value (TENSOR), or from opset 12 value_float / value_floats / value_int / value_ints
/// Identity    the input
/// Transpose   perm (default: reversed axes), float or integer tensors
/// Reshape     shape input (0 copies a dim unless allowzero = 1, −1 infers one dim)
/// </code>
/// Every array allocated is charged to the decode's budget.
/// </summary>
internal static class ConstantFolding
{
    private delegate TensorProto Fold(NodeScope node, TensorProto[] inputs);

    private static readonly Dictionary<string, Fold> Folds = new(StringComparer.Ordinal)
    {
        ["Identity"] = (_, inputs) => inputs[0],
        ["Transpose"] = Transpose,
        ["Reshape"] = Reshape,
    };

    /// <summary>Folds <paramref name="node"/> into <paramref name="constants"/> when it can; false when it stays a node.</summary>
    public static bool TryFold(NodeProto node, int opset, Dictionary<string, TensorProto> constants, DecodeLimits limits)
    {
        if (node.Domain is not ("" or "ai.onnx") || node.Outputs.Count == 0 || node.Outputs[0].Length == 0) return false;
        var scope = new NodeScope(node, opset, limits, constants);
        TensorProto result;
        if (node.OpType == "Constant")
        {
            if (node.Inputs.Count > 0) throw scope.Refuse("has inputs; a Constant takes none");
            result = ConstantValue(scope);
        }
        else
        {
            if (!Folds.TryGetValue(node.OpType, out var fold)) return false;
            var inputs = node.Inputs.Where(i => i.Length > 0).ToArray();
            if (inputs.Length == 0 || !inputs.All(constants.ContainsKey)) return false;
            result = fold(scope, inputs.Select(i => constants[i]).ToArray());
        }
        constants[node.Outputs[0]] = Renamed(result, node.Outputs[0]);
        return true;
    }

    private static TensorProto ConstantValue(NodeScope node)
    {
        if (node.Node.Attributes.Count != 1) throw node.Refuse("needs exactly one value attribute");
        var a = node.Node.Attributes[0];
        return (a.Name, a.Type) switch
        {
            ("value", AttributeType.Tensor) when a.T is not null => a.T,
            ("value_float", AttributeType.Float) when node.Opset >= 12 => new TensorProto { DataType = OnnxDataType.Float, Floats = [a.F] },
            ("value_floats", AttributeType.Floats) when node.Opset >= 12 => new TensorProto { DataType = OnnxDataType.Float, Dims = [a.Floats.Length], Floats = a.Floats },
            ("value_int", AttributeType.Int) when node.Opset >= 12 => new TensorProto { DataType = OnnxDataType.Int64, Ints = [a.I] },
            ("value_ints", AttributeType.Ints) when node.Opset >= 12 => new TensorProto { DataType = OnnxDataType.Int64, Dims = [a.Ints.Length], Ints = a.Ints },
            _ => throw node.Refuse(a.Name, "is not a constant value the engine reads (value, value_float(s), value_int(s))"),
        };
    }

    private static TensorProto Transpose(NodeScope node, TensorProto[] inputs)
    {
        node.Allow("perm");
        var t = inputs[0];
        int rank = t.Dims.Length;
        var perm = node.Ints("perm") ?? Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
        if (perm.Length != rank || perm.Distinct().Count() != rank || perm.Any(p => p < 0 || p >= rank))
            throw node.Refuse("perm", $"is not a permutation of the {rank} axes of {GraphChain.Quote(t.Name)}");
        var dims = perm.Select(p => t.Dims[p]).ToArray();
        var result = new TensorProto { DataType = t.DataType, Dims = dims };
        if (t.Floats is not null) result.Floats = Permute(node, t.Floats, t.Dims, perm);
        else if (t.Ints is not null) result.Ints = Permute(node, t.Ints, t.Dims, perm);
        else throw node.Refuse($"transposes a {OnnxDataType.Name(t.DataType)} tensor; the engine folds float and integer tensors only");
        return result;
    }

    /// <summary>y[i_perm[0], …] = x[i_0, …]: the source walked in order, each element stored at its permuted position.</summary>
    private static T[] Permute<T>(NodeScope node, T[] source, long[] dims, long[] perm)
    {
        node.Limits.Charge((long)source.Length * 8, -1);
        int rank = dims.Length;
        var result = new T[source.Length];
        if (source.Length == 0) return result;
        var outStrides = new long[rank];
        long stride = 1;
        for (int k = rank - 1; k >= 0; k--) { outStrides[k] = stride; stride *= dims[perm[k]]; }
        var strideOfInputAxis = new long[rank];
        for (int k = 0; k < rank; k++) strideOfInputAxis[perm[k]] = outStrides[k];
        var index = new long[rank];
        for (int i = 0; i < source.Length; i++)
        {
            long target = 0;
            for (int a = 0; a < rank; a++) target += index[a] * strideOfInputAxis[a];
            result[target] = source[i];
            for (int a = rank - 1; a >= 0 && ++index[a] == dims[a]; a--) index[a] = 0;
        }
        return result;
    }

    private static TensorProto Reshape(NodeScope node, TensorProto[] inputs)
    {
        node.Allow("allowzero");
        if (inputs.Length != 2) throw node.Refuse("needs a data and a shape input");
        var t = inputs[0];
        var shape = inputs[1].Ints ?? throw node.Refuse($"its shape {GraphChain.Quote(inputs[1].Name)} is not INT64");
        bool allowZero = node.Opset >= 14 && node.Int("allowzero", 0) != 0;
        var dims = new long[shape.Length];
        int inferred = -1;
        long known = 1, count = t.ElementCount;
        for (int i = 0; i < shape.Length; i++)
        {
            long d = shape[i];
            if (d == 0 && !allowZero)
                d = i < t.Dims.Length ? t.Dims[i] : throw node.Refuse($"shape {NodeScope.Dims(shape)} copies dim {i} of a rank-{t.Dims.Length} tensor");
            if (d == -1)
            {
                if (inferred >= 0) throw node.Refuse($"shape {NodeScope.Dims(shape)} has two -1 dims");
                inferred = i;
                continue;
            }
            if (d < 0 || (d > 0 && known > count / d)) throw node.Refuse($"shape {NodeScope.Dims(shape)} does not fit {count} elements");
            dims[i] = d;
            known *= d;
        }
        if (inferred >= 0)
        {
            if (known == 0 || count % known != 0) throw node.Refuse($"shape {NodeScope.Dims(shape)} does not fit {count} elements");
            dims[inferred] = count / known;
        }
        else if (known != count) throw node.Refuse($"shape {NodeScope.Dims(shape)} holds {known} elements, the tensor {count}");
        return new TensorProto { DataType = t.DataType, Dims = dims, Floats = t.Floats, Ints = t.Ints };
    }

    private static TensorProto Renamed(TensorProto t, string name) =>
        new() { Name = name, DataType = t.DataType, Dims = t.Dims, Floats = t.Floats, Ints = t.Ints };
}
