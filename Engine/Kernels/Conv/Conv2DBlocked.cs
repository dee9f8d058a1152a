namespace Engine.Kernels;

/// <summary>
/// Direct convolution for layers with many channels (forward and data gradient), on the NCHW tensors of the engine,
/// register-blocked over output channels: each <see cref="ConvTile"/> holds six output positions × two vectors of
/// output channels (AVX2: 6 × 16 in 12 ymm), broadcasting the six positions' input values against the packed weights
/// of one tap at a time. No im2col: the input is read in place, or from a zero-padded copy of one sample.
/// </summary>
/// <remarks>
/// <para><b>Forward</b>: y[n, f, p] = bias[f] + Σ_(c, i, j) w[f, c, i, j]·xpad[n, c, p_r·SH + i, p_c·SW + j], each sum one chain
/// <c>acc = fma(x, w, acc)</c> from 0 over (c, i, j) in increasing order, then <c>acc + bias</c>. Any stride and padding. An
/// optional <see cref="ConvEpilogue"/> (inference) then applies per filter <c>fma(scale, v, shift)</c> in the tile's registers,
/// and the ReLU there too — unless a residual is given: then the residual is added to each channel block's output planes once
/// they are written, and the ReLU follows the add.</para>
/// <para><b>Data gradient</b>: the transposed convolution, computed as a correlation of the zero-padded output gradient with
/// the transposed kernel. The input positions of each residue (h mod SH, w mod SW) see the same kernel subset — all of it
/// for stride 1, 1, 2, 2 or 4 of the 9 taps of a stride-2 3×3 kernel — so they form one <see cref="ConvPhase"/>:
/// dx[n, c, h, w] = Σ over f, then over the phase's i, then j, increasing, of w[f, c, i, j]·dy[n, f, (h + PT − i)/SH, (w + PL − j)/SW],
/// one chain from 0 (no bias); terms in the padding read zeros.</para>
/// <para><b>Layouts and cost</b>: the weights are packed per call into [block][tap][block width] (the channels of a block
/// contiguous per tap; F·C·KH·KW floats moved, microseconds — a few per cent of a batch-1 inference call, nothing at batch
/// 128). The tiles write position-major rows [plane position][block width] into a per-worker buffer; 8×8 (AVX-512, AVX2) or
/// 4×4 (Vector128) register transposes turn them into the output's NCHW planes, every 48 rows while they are still in L1 for
/// a single phase, eight planes at a time. Per tap a tile does 12 FMAs for 9 loads; alone it runs at about the GEMM
/// microkernel's rate. What it cannot hide is the one read of each input sample (the padding copy) and the one write of each
/// output plane: on the shared development machine these showed up at roughly 10 % each of a 16-channel pass in sampling
/// profiles (more channels, less share). Software prefetching of the next sample would overlap them with the tiles.</para>
/// <para><b>Row tiles</b>: on AVX-512 a 16-channel block is one register, and a <see cref="ConvTile"/> row then has one FMA per
/// broadcast and six accumulators; for 3-wide kernels of unit column stride (the forward pass, and the data gradient at stride 1)
/// blocks run on <see cref="ConvRowTile"/>s instead: 16 positions of one output row for a one-register block, 8 for a
/// two-register one (rows shorter than that keep <see cref="ConvTile"/>), each input value broadcast once for the three taps
/// that read it (resnet20's 16-channel layers went from about 60 % to about 80 % of the FMA peak). Same chains, same bits.</para>
/// <para><b>Shapes</b>: any geometry is correct; <see cref="ConvPlan"/> sends 3×3 and 1×1 kernels with strides 1 or 2 and at
/// least 16 channels in and out here. Channel counts off the register width cost a partly empty last block (a single-vector
/// tile when it fits one register), plane sizes off six a partly repeated last tile.</para>
/// <para><b>Threads</b>: (sample, channel block) units in contiguous ranges, dynamically handed out; each output is computed
/// by the same operations whichever worker runs it, so results are identical for every thread count and tier.</para>
/// </remarks>
internal static unsafe partial class Conv2DBlocked
{
    /// <summary>Floats of scratch <see cref="Forward"/> needs for up to <paramref name="threads"/> workers.</summary>
    public static long ForwardScratchSize(in ConvGeometry g, int filters, int threads) =>
        SharedSize(filters, g.ColumnRows, g.ColumnCols, 1) + (long)Math.Max(1, threads) * SlotSize(PaddedPlanes.ForInput(g), g.ColumnCols);

    /// <summary>Floats of scratch <see cref="BackwardData"/> needs for up to <paramref name="threads"/> workers.</summary>
    public static long DataGradientScratchSize(in ConvGeometry g, int filters, int threads) =>
        SharedSize(g.Channels, filters * g.KernelHeight * g.KernelWidth, g.Height * g.Width, g.StrideHeight * g.StrideWidth)
        + (long)Math.Max(1, threads) * SlotSize(GradientPadding(g, filters), g.Height * g.Width, accumulate: true);

    /// <summary>y = epilogue(W ⊛ x + b) for <paramref name="batch"/> samples, the epilogue applied in registers before the
    /// outputs are stored (y overwritten; an empty bias adds nothing).</summary>
    /// <exception cref="ArgumentException">A span is shorter than the shapes need.</exception>
    public static void Forward(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, int threads, in ConvEpilogue epilogue = default)
    {
        // x: [N, C, H, W]   weights: [F, C, KH, KW]   bias: [F] or empty   y: [N, F, OH, OW]
        Check(x.Length, (long)batch * g.InputSize, "x");
        Check(weights.Length, (long)filters * g.ColumnRows, "weights");
        if (!bias.IsEmpty) Check(bias.Length, filters, "bias");
        Check(y.Length, (long)batch * filters * g.ColumnCols, "y");
        Check(scratch.Length, ForwardScratchSize(g, filters, 1), "scratch");
        epilogue.Check(filters, (long)batch * filters * g.ColumnCols);
        var pass = new Pass(batch, filters, PaddedPlanes.ForInput(g), g.InputSize, g.ColumnCols, g.ColumnRows, 1, g.ColumnRows,
            ConvRowTile.Fits(g.KernelWidth, g.StrideWidth) ? RowTileSweep.Ascending : RowTileSweep.None);
        int workers = Workers(pass, scratch.Length, threads);
        Span<ConvPhase> phases = [new ConvPhase(0, g.ColumnRows, g.OutputHeight, g.OutputWidth, 0,
            g.StrideHeight * pass.Source.Width, g.StrideWidth, 0, g.OutputWidth, 1)];
        fixed (float* xp = x, wp = weights, bp = bias, yp = y, sp = scratch, scale = epilogue.Scale, shift = epilogue.Shift, rp = epilogue.Residual)
        fixed (ConvPhase* phase = phases)
        {
            var layout = new Layout(pass, sp, bias: !bias.IsEmpty, scaled: !epilogue.Scale.IsEmpty, relu: epilogue.Relu,
                residual: epilogue.Residual.IsEmpty ? null : rp);
            for (int c = 0, t = 0; c < g.Channels; c++)
                for (int i = 0; i < g.KernelHeight; i++)
                    for (int j = 0; j < g.KernelWidth; j++, t++)
                        layout.Table[t] = c * pass.Source.PlaneSize + i * pass.Source.Width + j;
            WriteTiles(phases, layout, pass.Plane);
            var kernel = new PassKernel(pass, layout, phase, xp, wp, bp, yp, workers, forward: true, scale, shift);
            TierDispatch.Run(ref kernel);
        }
    }

    /// <summary>
    /// dx = Wᵀ ⊛ dy for <paramref name="batch"/> samples (dx overwritten); with a <paramref name="gate"/>, the gradient through
    /// a ReLU before the convolution instead: dx = (Wᵀ ⊛ dy) · [gate &gt; 0], gate being the ReLU's input, each plane multiplied by
    /// the ReLU's derivative (<see cref="ReluOperator"/>) while it is still in L2 — the ReLU layer's backward pass, the same bits.
    /// With <paramref name="accumulate"/>, dx += that gradient instead (dx[i] + g[i], each plane added while in L2: the bits of
    /// the gradient written elsewhere and then added).
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the shapes need.</exception>
    public static void BackwardData(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> weights, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> scratch, int threads, ReadOnlySpan<float> gate = default, bool accumulate = false)
    {
        // weights: [F, C, KH, KW]   dy: [N, F, OH, OW]   dx: [N, C, H, W] (overwritten, or += )   gate: [N, C, H, W] or empty
        int kk = g.KernelHeight * g.KernelWidth, taps = filters * kk;
        Check(weights.Length, (long)filters * g.ColumnRows, "weights");
        Check(dy.Length, (long)batch * filters * g.ColumnCols, "dy");
        Check(dx.Length, (long)batch * g.InputSize, "dx");
        if (!gate.IsEmpty) Check(gate.Length, (long)batch * g.InputSize, "gate");
        Check(scratch.Length, DataGradientScratchSize(g, filters, 1), "scratch");
        var source = GradientPadding(g, filters);
        bool rowTiles = g.StrideHeight == 1 && ConvRowTile.Fits(g.KernelWidth, g.StrideWidth);
        var pass = new Pass(batch, g.Channels, source, filters * g.ColumnCols, g.Height * g.Width, taps,
            g.StrideHeight * g.StrideWidth, kk, rowTiles ? RowTileSweep.Descending : RowTileSweep.None, accumulate);
        int workers = Workers(pass, scratch.Length, threads);
        Span<ConvPhase> phases = stackalloc ConvPhase[pass.Phases];
        fixed (float* wp = weights, yp = dy, xp = dx, sp = scratch, gp = gate)
        fixed (ConvPhase* phase = phases)
        {
            var layout = new Layout(pass, sp, bias: false, gate: gate.IsEmpty ? null : gp);
            int t = 0, p = 0;
            for (int a = 0; a < g.StrideHeight; a++)
                for (int b = 0; b < g.StrideWidth; b++, p++)
                {
                    int first = t;
                    for (int f = 0; f < filters; f++)
                        for (int i = 0; i < g.KernelHeight; i++)
                        {
                            if (Residue(a + g.PadTop - i, g.StrideHeight) != 0) continue;
                            int rs = (a + g.PadTop - i) / g.StrideHeight;
                            for (int j = 0; j < g.KernelWidth; j++)
                            {
                                if (Residue(b + g.PadLeft - j, g.StrideWidth) != 0) continue;
                                int cs = (b + g.PadLeft - j) / g.StrideWidth;
                                layout.Table[t] = f * source.PlaneSize + rs * source.Width + cs;
                                layout.WeightOffsets[t++] = f * g.ColumnRows + i * g.KernelWidth + j;
                            }
                        }
                    int rows = Count(g.Height, a, g.StrideHeight), columns = Count(g.Width, b, g.StrideWidth);
                    phases[p] = new ConvPhase(first, t - first, rows, columns, source.Top * source.Width + source.Left, source.Width, 1,
                        a * g.Width + b, g.StrideHeight * g.Width, g.StrideWidth);
                }
            WriteTiles(phases, layout, pass.Plane);
            var kernel = new PassKernel(pass, layout, phase, yp, wp, null, xp, workers, forward: false);
            TierDispatch.Run(ref kernel);
        }
    }

    /// <summary>
    /// The zero-padded output gradient the data-gradient phases read: every read (h + PT − i)/SH of a valid tap lands inside,
    /// the rows outside [0, OH) being zeros (and likewise for columns).
    /// </summary>
    private static PaddedPlanes GradientPadding(in ConvGeometry g, int filters)
    {
        var (top, bottom) = GradientPads(g.Height, g.OutputHeight, g.KernelHeight, g.StrideHeight, g.PadTop);
        var (left, right) = GradientPads(g.Width, g.OutputWidth, g.KernelWidth, g.StrideWidth, g.PadLeft);
        return new PaddedPlanes(filters, g.OutputHeight, g.OutputWidth, top, left, top + g.OutputHeight + bottom, left + g.OutputWidth + right);
    }

    /// <summary>Zero rows needed before and after the output gradient along one axis (input size n, output size o).</summary>
    private static (int Before, int After) GradientPads(int n, int o, int k, int s, int pad)
    {
        int low = 0, high = o - 1;
        for (int a = 0; a < s; a++)
        {
            int count = Count(n, a, s);
            if (count == 0) continue;
            for (int i = 0; i < k; i++)
            {
                if (Residue(a + pad - i, s) != 0) continue;
                int shift = (a + pad - i) / s;
                low = Math.Min(low, shift);
                high = Math.Max(high, count - 1 + shift);
            }
        }
        return (-low, high - (o - 1));
    }

    /// <summary>Positions a, a + s, a + 2s, … below n.</summary>
    private static int Count(int n, int a, int s) => a < n ? (n - a + s - 1) / s : 0;

    private static int Residue(int value, int modulus) => ((value % modulus) + modulus) % modulus;

    private static void Check(int length, long needed, string name)
    {
        if (length < needed) throw new ArgumentException($"Conv2D: {name} needs {needed} elements, but the span has {length}.", name);
    }
}
