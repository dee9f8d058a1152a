using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;

namespace Engine.Kernels;

/// <summary>
/// Small element-wise passes the execution plan needs between layers: sums of two tensors (residual adds, gradients of a
/// value read twice), the ReLU mask of a fused batch norm and the fused residual add + ReLU. The same IEEE operations per element
/// on every width, so every tier gives the same bits.
/// </summary>
internal static class VectorOps
{
    /// <summary>y[i] = a[i] + b[i] (y may be a or b), on up to <paramref name="threads"/> threads.</summary>
    public static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, int threads = 1) =>
        Run(a, b, y, Operation.Add, threads);

    /// <summary>
    /// y[i] = max(0, a[i] + b[i]), exactly the sum then <see cref="ReluOperator"/> (NaN propagates, −0 stays −0; y may be a or b),
    /// on up to <paramref name="threads"/> threads.
    /// </summary>
    public static void AddRelu(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, int threads = 1) =>
        Run(a, b, y, Operation.AddRelu, threads);

    /// <summary>values[i] *= factor.</summary>
    public static void Scale(Span<float> values, float factor)
    {
        var kernel = new ScaleKernel(values, factor);
        TierDispatch.Run(ref kernel);
    }

    private readonly ref struct ScaleKernel(Span<float> values, float factor) : IWidthKernel
    {
        private readonly Span<float> _values = values;

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            ref float v = ref MemoryMarshal.GetReference(_values);
            var f = TWidth.Broadcast(factor);
            int i = 0;
            for (; i + TWidth.Count <= _values.Length; i += TWidth.Count)
                TWidth.Store(TWidth.Multiply(TWidth.Load(ref Unsafe.Add(ref v, i)), f), ref Unsafe.Add(ref v, i));
            for (; i < _values.Length; i++) Unsafe.Add(ref v, i) *= factor;
        }
    }

    /// <summary>
    /// y[i] = b[i] &gt; 0 ? a[i] : 0 — the gradient a through a ReLU whose output was b (NaN outputs pass no gradient), on up to
    /// <paramref name="threads"/> threads.
    /// </summary>
    public static void MaskByPositive(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, int threads = 1) =>
        Run(a, b, y, Operation.MaskByPositive, threads);

    private enum Operation { Add, MaskByPositive, AddRelu }

    private static void Run(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, Operation operation, int threads)
    {
        if (a.Length != b.Length || y.Length < a.Length)
            throw new ArgumentException($"{operation} needs equal lengths ({a.Length}, {b.Length}) and room for them ({y.Length}).");
        var body = new Slices(a, b, y, operation);
        ElementwiseParts.Run(ref body, a.Length, threads);
    }

    /// <summary>The operation on elements [start, +count) of a, b and y.</summary>
    private readonly ref struct Slices(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, Operation operation) : ISliceBody
    {
        private readonly ReadOnlySpan<float> _a = a, _b = b;
        private readonly Span<float> _y = y;

        public void Execute(int start, int count)
        {
            var kernel = new Kernel(_a.Slice(start, count), _b.Slice(start, count), _y.Slice(start, count), operation);
            TierDispatch.Run(ref kernel);
        }
    }

    private readonly ref struct Kernel(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, Operation operation) : IWidthKernel
    {
        private readonly ReadOnlySpan<float> _a = a, _b = b;
        private readonly Span<float> _y = y;

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            ref float pa = ref MemoryMarshal.GetReference(_a);
            ref float pb = ref MemoryMarshal.GetReference(_b);
            ref float py = ref MemoryMarshal.GetReference(_y);
            int n = _a.Length, i = 0;
            for (; i + TWidth.Count <= n; i += TWidth.Count)
                TWidth.Store(Op<TWidth, TVector>(TWidth.Load(ref Unsafe.Add(ref pa, i)), TWidth.Load(ref Unsafe.Add(ref pb, i))), ref Unsafe.Add(ref py, i));
            for (; i < n; i++)
                Unsafe.Add(ref py, i) = Op<Width1, float>(Unsafe.Add(ref pa, i), Unsafe.Add(ref pb, i));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private TV Op<TW, TV>(TV a, TV b) where TW : struct, IVectorWidth<TV> where TV : struct =>
            operation switch
            {
                Operation.MaskByPositive => TW.And(a, TW.GreaterThan(b, TW.Zero)),
                Operation.AddRelu => new ReluOperator().Forward<TW, TV>(TW.Add(a, b)),
                _ => TW.Add(a, b),
            };
    }
}
