using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels;

/// <summary>
/// Direct convolution for layers with few input channels and stride 1 (the report's first layers: 1×28×28
/// with 3×3 kernels, 3×32×32 with 4×4, LeNet's 1×28×28 with 5×5 and padding 2), where im2col + GEMM spends
/// most of its time copying. Vectorised over output columns, two vectors of columns × four filters at a time (eight
/// independent accumulators, each input load shared by four filters, each weight broadcast by two vectors).
/// </summary>
/// <remarks>
/// Each output is <c>acc = 0; acc = fma(w[f,c,i,j], x[c,oh+i,ow+j], acc)</c> over (c, i, j) in increasing
/// order, then <c>acc + bias[f]</c> — the same operations in the same order as the packed GEMM path for a
/// reduction of one K block, so both give the same bits on every tier (<see cref="Supports"/> keeps the
/// reduction within one block).
/// </remarks>
internal static class Conv2DDirect
{
    /// <summary>The largest C·KH·KW handled: one K block of the packed GEMM (<see cref="GemmBlocking.KC"/>), which sums
    /// it in the same order.</summary>
    public const int MaxReduction = GemmBlocking.KC;

    /// <summary>Filters computed together, sharing each input load.</summary>
    internal const int FilterBlock = 4;

    /// <summary>Whether the direct kernel handles geometry <paramref name="g"/> (stride 1, small reduction).</summary>
    public static bool Supports(in ConvGeometry g) =>
        g.StrideHeight == 1 && g.StrideWidth == 1 && g.ColumnRows <= MaxReduction;

    /// <summary>
    /// Floats of scratch <see cref="Forward"/> needs: one zero-padded sample plus slack for the over-reads of a
    /// pair of vectors' tail (32, two AVX-512 registers) and, in the weight gradient, of a window row (KW).
    /// </summary>
    public static int ScratchSize(in ConvGeometry g) =>
        g.Channels * (g.Height + g.PadTop + g.PadBottom) * (g.Width + g.PadLeft + g.PadRight) + Slack(g);

    private static int Slack(in ConvGeometry g) => 32 + g.KernelWidth;

    /// <summary>y = conv(x, w) + bias for <paramref name="batch"/> samples.</summary>
    /// <param name="g">The geometry; must satisfy <see cref="Supports"/>.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="filters">Output channels F.</param>
    /// <param name="x">Input, [N, C, H, W].</param>
    /// <param name="weights">Kernels, [F, C, KH, KW].</param>
    /// <param name="bias">Per-filter bias, [F], or empty for none.</param>
    /// <param name="y">Output, [N, F, OH, OW] (overwritten).</param>
    /// <param name="scratch">At least <see cref="ScratchSize"/> floats (one zero-padded sample); k times that lets k workers share the batch.</param>
    /// <param name="threads">Threads the batch may be split over (samples are independent; each part pads its own samples).</param>
    public static void Forward(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, int threads)
    {
        if (!Supports(g)) throw new ArgumentException($"Direct convolution needs stride 1 and C·KH·KW ≤ {MaxReduction}.", nameof(g));
        int outSize = g.OutputHeight * g.OutputWidth, slot = ScratchSize(g);
        if (x.Length < batch * g.InputSize) throw new ArgumentException($"x needs {batch}×{g.InputSize} values.", nameof(x));
        if (weights.Length < filters * g.ColumnRows) throw new ArgumentException($"weights needs {filters}×{g.ColumnRows} values.", nameof(weights));
        if (!bias.IsEmpty && bias.Length < filters) throw new ArgumentException($"bias needs {filters} values (or none).", nameof(bias));
        if (y.Length < batch * filters * outSize) throw new ArgumentException($"y needs {batch}×{filters}×{outSize} values.", nameof(y));
        if (scratch.Length < slot) throw new ArgumentException($"scratch needs {slot} values.", nameof(scratch));
        var body = new ForwardParts(g, batch, filters, x, weights, bias, y, scratch);
        int workers = Math.Min(threads, scratch.Length / slot);
        body.Parts = ParallelFor.PartsFor(2L * batch * filters * outSize * g.ColumnRows, batch, workers);
        ParallelFor.Run(ref body, body.Parts, workers);
    }

    /// <summary>A range of samples of the batch, padded into the running worker's slot of the scratch.</summary>
    private ref struct ForwardParts(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch) : IParallelBody
    {
        private readonly ConvGeometry _g = g;
        private readonly ReadOnlySpan<float> _x = x, _weights = weights, _bias = bias;
        private readonly Span<float> _y = y, _scratch = scratch;

        public int Parts { get; set; } = 1;

        public readonly void Execute(int part, int worker)
        {
            int start = (int)((long)batch * part / Parts), end = (int)((long)batch * (part + 1) / Parts);
            int inSize = _g.InputSize, outSize = filters * _g.OutputHeight * _g.OutputWidth, slot = ScratchSize(_g);
            var kernel = new ForwardKernel(_g, end - start, filters, _x.Slice(start * inSize, (end - start) * inSize), _weights, _bias,
                _y.Slice(start * outSize, (end - start) * outSize), _scratch.Slice(worker * slot, slot));
            TierDispatch.Run(ref kernel);
        }
    }

    /// <summary>The forward pass of <c>batch</c> samples on one thread, written once over the vector width.</summary>
    private readonly ref struct ForwardKernel(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, Span<float> y, Span<float> padded) : IWidthKernel
    {
        private readonly ConvGeometry _g = g;
        private readonly ReadOnlySpan<float> _x = x, _weights = weights, _bias = bias;
        private readonly Span<float> _y = y, _padded = padded;

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct =>
            Forward<TWidth, TVector>(_g, batch, filters, _x, _weights, _bias, _y, _padded);
    }

    private static void Forward<TWidth, TVector>(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x,
        ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> y, Span<float> padded)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        int ph = g.Height + g.PadTop + g.PadBottom, pw = g.Width + g.PadLeft + g.PadRight;
        int oh = g.OutputHeight, ow = g.OutputWidth, kh = g.KernelHeight, kw = g.KernelWidth, k = g.ColumnRows;
        int outSize = oh * ow;
        // taps[t] = where tap t = (c, i, j) of a window lies from the window's corner in the padded sample, in the order of the sum.
        Span<int> taps = stackalloc int[k];
        for (int c = 0, t = 0; c < g.Channels; c++)
            for (int i = 0; i < kh; i++)
                for (int j = 0; j < kw; j++, t++)
                    taps[t] = (c * ph + i) * pw + j;
        ref float xp = ref MemoryMarshal.GetReference(padded);
        ref float w = ref MemoryMarshal.GetReference(weights);
        for (int n = 0; n < batch; n++)
        {
            Pad(g, x.Slice(n * g.InputSize, g.InputSize), padded, ph, pw);
            ref float yn = ref MemoryMarshal.GetReference(y.Slice(n * filters * outSize));
            for (int f0 = 0; f0 < filters; f0 += FilterBlock)
            {
                int count = Math.Min(FilterBlock, filters - f0);
                // Missing filters of the last block reuse the block's first row; their results are not stored.
                ref float w0 = ref Unsafe.Add(ref w, f0 * k);
                ref float w1 = ref Unsafe.Add(ref w, (count > 1 ? f0 + 1 : f0) * k);
                ref float w2 = ref Unsafe.Add(ref w, (count > 2 ? f0 + 2 : f0) * k);
                ref float w3 = ref Unsafe.Add(ref w, (count > 3 ? f0 + 3 : f0) * k);
                TVector b0 = TWidth.Broadcast(bias.IsEmpty ? 0f : bias[f0]);
                TVector b1 = TWidth.Broadcast(bias.IsEmpty || count < 2 ? 0f : bias[f0 + 1]);
                TVector b2 = TWidth.Broadcast(bias.IsEmpty || count < 3 ? 0f : bias[f0 + 2]);
                TVector b3 = TWidth.Broadcast(bias.IsEmpty || count < 4 ? 0f : bias[f0 + 3]);
                for (int r = 0; r < oh; r++)
                {
                    // Two column vectors × four filters: eight independent chains (two FMA pipes of latency 4), six loads per
                    // eight FMAs. A second vector wholly past the row computes over-read values that are never stored.
                    for (int col = 0; col < ow; col += 2 * TWidth.Count)
                    {
                        TVector a0 = TWidth.Zero, a1 = TWidth.Zero, a2 = TWidth.Zero, a3 = TWidth.Zero;
                        TVector e0 = TWidth.Zero, e1 = TWidth.Zero, e2 = TWidth.Zero, e3 = TWidth.Zero;
                        ref float window = ref Unsafe.Add(ref xp, r * pw + col);
                        for (int tap = 0; tap < k; tap++)
                        {
                            ref float source = ref Unsafe.Add(ref window, taps[tap]);
                            TVector v = TWidth.Load(ref source);
                            TVector u = TWidth.Load(ref Unsafe.Add(ref source, TWidth.Count));
                            TVector k0 = TWidth.Broadcast(Unsafe.Add(ref w0, tap));
                            a0 = TWidth.MultiplyAdd(k0, v, a0); e0 = TWidth.MultiplyAdd(k0, u, e0);
                            TVector k1 = TWidth.Broadcast(Unsafe.Add(ref w1, tap));
                            a1 = TWidth.MultiplyAdd(k1, v, a1); e1 = TWidth.MultiplyAdd(k1, u, e1);
                            TVector k2 = TWidth.Broadcast(Unsafe.Add(ref w2, tap));
                            a2 = TWidth.MultiplyAdd(k2, v, a2); e2 = TWidth.MultiplyAdd(k2, u, e2);
                            TVector k3 = TWidth.Broadcast(Unsafe.Add(ref w3, tap));
                            a3 = TWidth.MultiplyAdd(k3, v, a3); e3 = TWidth.MultiplyAdd(k3, u, e3);
                        }
                        int first = Math.Min(TWidth.Count, ow - col), second = Math.Min(TWidth.Count, ow - col - TWidth.Count);
                        ref float at = ref Unsafe.Add(ref yn, f0 * outSize + r * ow + col);
                        StoreLanes<TWidth, TVector>(TWidth.Add(a0, b0), TWidth.Add(e0, b0), ref at, first, second);
                        if (count > 1) StoreLanes<TWidth, TVector>(TWidth.Add(a1, b1), TWidth.Add(e1, b1), ref Unsafe.Add(ref at, outSize), first, second);
                        if (count > 2) StoreLanes<TWidth, TVector>(TWidth.Add(a2, b2), TWidth.Add(e2, b2), ref Unsafe.Add(ref at, 2 * outSize), first, second);
                        if (count > 3) StoreLanes<TWidth, TVector>(TWidth.Add(a3, b3), TWidth.Add(e3, b3), ref Unsafe.Add(ref at, 3 * outSize), first, second);
                    }
                }
            }
        }
    }

    /// <summary>Stores the first <paramref name="first"/> lanes of <paramref name="low"/> at <paramref name="destination"/> and the first
    /// <paramref name="second"/> (possibly none) of <paramref name="high"/> one vector later; full vectors take a plain store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLanes<TWidth, TVector>(TVector low, TVector high, ref float destination, int first, int second)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        if (first == TWidth.Count) TWidth.Store(low, ref destination);
        else TWidth.StorePartial(low, ref destination, first);
        if (second == TWidth.Count) TWidth.Store(high, ref Unsafe.Add(ref destination, TWidth.Count));
        else if (second > 0) TWidth.StorePartial(high, ref Unsafe.Add(ref destination, TWidth.Count), second);
    }

    /// <summary>Copies one sample [C, H, W] into the zero-padded [C, PH, PW] scratch (slack after it zeroed too).</summary>
    internal static void Pad(in ConvGeometry g, ReadOnlySpan<float> sample, Span<float> padded, int ph, int pw)
    {
        bool anyPadding = g.PadTop + g.PadBottom + g.PadLeft + g.PadRight > 0;
        if (anyPadding) padded[..(g.Channels * ph * pw)].Clear();
        padded.Slice(g.Channels * ph * pw, Slack(g)).Clear();
        for (int c = 0; c < g.Channels; c++)
            for (int r = 0; r < g.Height; r++)
                sample.Slice((c * g.Height + r) * g.Width, g.Width)
                      .CopyTo(padded.Slice((c * ph + r + g.PadTop) * pw + g.PadLeft, g.Width));
    }
}
