namespace Engine.Kernels;

internal static unsafe partial class Conv2DBlocked
{
    /// <summary>
    /// One blocked spatial pass (the forward pass, or the data gradient): the planes of <see cref="Source"/> (samples
    /// <see cref="SourceSample"/> floats apart) reduced into <see cref="Lanes"/> output channels of <see cref="Plane"/> positions
    /// each, over <see cref="Taps"/> packed taps in <see cref="Phases"/> phases; the weight of tap t for output channel l is at
    /// weights[offset(t) + l·<see cref="LaneStride"/>]. <see cref="RowTiles"/> says whether (and in which direction) blocks of
    /// 16-lane registers may run on <see cref="ConvRowTile"/>s: only for a single phase in plane order whose taps come in kernel
    /// rows of three consecutive columns. <see cref="Accumulate"/>: the outputs are added to the output's values instead of
    /// replacing them (each block's planes transposed into the worker's own planes first).
    /// </summary>
    private readonly record struct Pass(int Batch, int Lanes, PaddedPlanes Source, int SourceSample, int Plane, int Taps,
        int Phases, int LaneStride, RowTileSweep RowTiles = RowTileSweep.None, bool Accumulate = false)
    {
        /// <summary>Floats of one output sample.</summary>
        public int OutputSample => Lanes * Plane;

        /// <summary>Floating-point operations of the whole pass (for the parallel split).</summary>
        public long Work => 2L * Batch * OutputSample * Taps / Phases;
    }

    /// <summary>Shared scratch: packed weights, packed bias, scale and shift (the forward epilogue), the tap table, (data gradient)
    /// each tap's weight offset, and the tile tables (six source offsets and six plane rows per tile).</summary>
    private static long SharedSize(int lanes, int taps, int plane, int phases) =>
        ChannelBlocks.PackedSize(lanes, taps) + 3 * ChannelBlocks.PackedSize(lanes, 1) + 2L * taps + 2L * ConvTile.Rows * MaxTiles(plane, phases);

    /// <summary>At most this many tiles cover a plane split into <paramref name="phases"/> classes (each class's last tile may be partial).</summary>
    private static int MaxTiles(int plane, int phases) => plane / ConvTile.Rows + phases;

    /// <summary>One worker's scratch: the padded sample and the position-major output buffer (plus a dummy row), and for a pass
    /// that accumulates the block's planes [width, plane] before they are added to the output.</summary>
    private static long SlotSize(in PaddedPlanes source, int plane, bool accumulate = false) =>
        source.Size + (long)(plane + 1) * ChannelBlocks.MaxWidth + 16 + (accumulate ? (long)plane * ChannelBlocks.MaxWidth : 0);

    private static int Workers(in Pass pass, int scratch, int threads)
    {
        long shared = SharedSize(pass.Lanes, pass.Taps, pass.Plane, pass.Phases), slot = SlotSize(pass.Source, pass.Plane, pass.Accumulate);
        return (int)Math.Clamp((scratch - shared) / slot, 1, Math.Max(1, threads));
    }

    /// <summary>Where the pass's scratch regions lie (packed data 64-byte aligned).</summary>
    private readonly struct Layout
    {
        public readonly float* Packed, Bias, Scale, Shift, Slots, Residual, Gate;
        public readonly int* Table, WeightOffsets, TileOffsets, TileRows;
        public readonly long SlotSize;
        public readonly bool Relu;

        /// <summary>The regions in <paramref name="scratch"/>; the bias, scale and shift regions are null when the pass has none;
        /// <paramref name="residual"/> (the output's shape, or null) is added to the outputs before the ReLU; the outputs are
        /// multiplied by the ReLU's derivative at <paramref name="gate"/> (the output's shape, or null).</summary>
        public Layout(in Pass pass, float* scratch, bool bias, bool scaled = false, bool relu = false, float* residual = null, float* gate = null)
        {
            Residual = residual;
            Gate = gate;
            Packed = ChannelBlocks.Align(scratch);
            float* next = scratch + ChannelBlocks.PackedSize(pass.Lanes, pass.Taps);
            long vector = ChannelBlocks.PackedSize(pass.Lanes, 1);
            Bias = bias ? ChannelBlocks.Align(next) : null;
            Scale = scaled ? ChannelBlocks.Align(next + vector) : null;
            Shift = scaled ? ChannelBlocks.Align(next + 2 * vector) : null;
            Relu = relu;
            next += 3 * vector;
            Table = (int*)next;
            WeightOffsets = Table + pass.Taps;
            TileOffsets = WeightOffsets + pass.Taps;
            TileRows = TileOffsets + ConvTile.Rows * MaxTiles(pass.Plane, pass.Phases);
            Slots = next + 2L * pass.Taps + 2L * ConvTile.Rows * MaxTiles(pass.Plane, pass.Phases);
            SlotSize = Conv2DBlocked.SlotSize(pass.Source, pass.Plane, pass.Accumulate);
        }
    }

    /// <summary>Numbers the phases' tiles and writes the tile tables (phases without taps have none: they only write zeros).</summary>
    private static void WriteTiles(Span<ConvPhase> phases, in Layout layout, int plane)
    {
        for (int p = 0, first = 0; p < phases.Length; p++)
        {
            phases[p] = phases[p] with { FirstTile = first };
            if (phases[p].Taps == 0) continue;
            phases[p].WriteTiles(layout.TileOffsets, layout.TileRows, plane);
            first += phases[p].Tiles;
        }
    }

    /// <summary>Packs the weights (and bias) for the tier's width, then runs the pass's units in parallel.</summary>
    private readonly ref struct PassKernel(in Pass pass, in Layout layout, ConvPhase* phases, float* input, float* weights, float* bias,
        float* output, int workers, bool forward, float* scale = null, float* shift = null) : IWidthKernel
    {
        private readonly Pass _pass = pass;
        private readonly Layout _layout = layout;

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            var p = _pass;
            int count = TWidth.Count, blocks = ChannelBlocks.Count(p.Lanes, count);
            for (int b = 0; b < blocks; b++)
            {
                var (first, n, width) = ChannelBlocks.Block(p.Lanes, count, b);
                float* packed = _layout.Packed + (long)first * p.Taps;
                if (n < width) new Span<float>(packed, p.Taps * width).Clear();
                if (forward)
                {
                    // packed[t·width + l] = w[first + l, t]: the block's filter rows written down its tap rows.
                    GemmPacking.TransposeRows<TWidth, TVector>(weights + (long)first * p.LaneStride, p.LaneStride, n, p.Taps, packed, width);
                    // The per-channel vectors of the epilogue, the lanes past the block's channels zero.
                    if (_layout.Bias != null) PackLanes(bias, _layout.Bias, first, n, width);
                    if (_layout.Scale != null)
                    {
                        PackLanes(scale, _layout.Scale, first, n, width);
                        PackLanes(shift, _layout.Shift, first, n, width);
                    }
                }
                else
                {
                    for (int t = 0; t < p.Taps; t++)
                    {
                        float* row = packed + (long)t * width, source = weights + _layout.WeightOffsets[t] + (long)first * p.LaneStride;
                        for (int l = 0; l < n; l++) row[l] = source[(long)l * p.LaneStride];
                    }
                }
            }
            var body = new Units<TWidth, TVector>(p, _layout, phases, input, output, blocks);
            int parts = ParallelFor.PartsFor(p.Work, p.Batch * blocks, workers);
            body.Parts = parts;
            ParallelFor.Run(ref body, parts, workers);
        }
    }

    /// <summary>packed[first + l] = values[first + l] for the block's <paramref name="n"/> channels, 0 for its other lanes up to <paramref name="width"/>.</summary>
    private static void PackLanes(float* values, float* packed, int first, int n, int width)
    {
        for (int l = 0; l < width; l++) packed[first + l] = l < n ? values[first + l] : 0f;
    }

    /// <summary>A contiguous range of the (sample, channel block) units, in the running worker's slot.</summary>
    private ref struct Units<TWidth, TVector>(in Pass pass, in Layout layout, ConvPhase* phases, float* input, float* output, int blocks)
        : IParallelBody where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        private readonly Pass _pass = pass;
        private readonly Layout _layout = layout;

        public int Parts { get; set; } = 1;

        public readonly void Execute(int part, int worker)
        {
            var p = _pass;
            long units = (long)p.Batch * blocks;
            int start = (int)(units * part / Parts), end = (int)(units * (part + 1) / Parts);
            float* padded = _layout.Slots + worker * _layout.SlotSize;
            float* buffer = ChannelBlocks.Align(padded + p.Source.Size);
            float* planes = p.Accumulate ? buffer + (long)(p.Plane + 1) * ChannelBlocks.MaxWidth : null;
            if (p.Source.IsCopy) new Span<float>(padded, p.Source.Size).Clear();
            int current = -1;
            for (int u = start; u < end; u++)
            {
                int n = u / blocks, b = u % blocks;
                float* sample = input + (long)n * p.SourceSample, source = sample;
                if (p.Source.IsCopy)
                {
                    // One sequential read of the sample (the hardware prefetcher follows it best), then every block reads the copy.
                    if (n != current) p.Source.CopyIn<TWidth, TVector>(sample, padded, 0, p.Source.Planes);
                    source = padded;
                }
                current = n;
                var (first, count, width) = ChannelBlocks.Block(p.Lanes, TWidth.Count, b);
                float* packed = _layout.Packed + (long)first * p.Taps;
                // The tile's part of the epilogue; with a residual the ReLU waits for the add, after the planes are written.
                var epilogue = new TileEpilogue(_layout.Bias, _layout.Scale, _layout.Shift, _layout.Relu && _layout.Residual == null).At(first);
                long at = (long)n * p.OutputSample + (long)first * p.Plane;
                var target = new Target(buffer, width, count, p.Accumulate ? planes : output + at, p.Plane, _layout.Residual == null ? null : _layout.Residual + at,
                    _layout.Relu, _layout.Gate == null ? null : _layout.Gate + at, p.Accumulate ? output + at : null);
                if (width > TWidth.Count) RunBlock<Two>(source, packed, in epilogue, target);
                else RunBlock<One>(source, packed, in epilogue, target);
            }
        }

        /// <summary>Every phase's tiles into the buffer's rows (a tail tile's copies of its last position go to the spare row after
        /// the plane); a phase without taps only writes zero rows. A single phase in plane order (the forward pass, the stride-1
        /// data gradient) hands each 48 finished rows to the transposition while they are in L1; several phases fill the whole
        /// plane first.</summary>
        private readonly void RunBlock<TVectors>(float* source, float* packed, in TileEpilogue epilogue, in Target target) where TVectors : struct, ITwoOrOne
        {
            if (TWidth.Count == ConvRowTile.Lanes && _pass.RowTiles != RowTileSweep.None && phases[0].Columns >= ConvRowTile.Positions<TVectors>())
            {
                if (_pass.RowTiles == RowTileSweep.Ascending) RunRows<TVectors, AscendingSweep>(source, packed, in epilogue, target);
                else RunRows<TVectors, DescendingSweep>(source, packed, in epilogue, target);
                return;
            }
            int width = target.Width;
            float* buffer = target.Buffer;
            bool inOrder = _pass.Phases == 1 && phases[0].Output == 0 && phases[0].OutputRowStep == phases[0].Columns && phases[0].OutputColumnStep == 1;
            for (int ph = 0; ph < _pass.Phases; ph++)
            {
                var phase = phases[ph];
                if (phase.Taps == 0)
                {
                    for (int u = 0; u < phase.Rows; u++)
                        for (int v = 0; v < phase.Columns; v++)
                            new Span<float>(buffer + (long)(phase.Output + u * phase.OutputRowStep + v * phase.OutputColumnStep) * width, width).Clear();
                    continue;
                }
                int tiles = phase.Tiles, chunk = inOrder ? TransposeChunk / ConvTile.Rows : tiles;
                for (int t = 0; t < tiles; t += chunk)
                {
                    int count = Math.Min(chunk, tiles - t), first = ConvTile.Rows * (phase.FirstTile + t);
                    ConvTile.Run<TWidth, TVector, TVectors>(count, phase.Taps, _layout.Table + phase.FirstTap, source, _layout.TileOffsets + first,
                        packed + (long)phase.FirstTap * width, buffer, _layout.TileRows + first, in epilogue, accumulate: false);
                    if (inOrder)
                    {
                        int done = ConvTile.Rows * t;
                        target.Transpose<TWidth, TVector>(done, Math.Min(ConvTile.Rows * (t + count), phase.Positions) - done);
                    }
                }
            }
            if (!inOrder) target.Transpose<TWidth, TVector>(0, _pass.Plane);
            target.Finish<TWidth, TVector>();
        }

        /// <summary>The single phase's output rows on <see cref="ConvRowTile"/>s: each row in tiles of 16 (one register) or 8 (two)
        /// positions, the last one overlapping its neighbour when the row is not a whole number of tiles long (those positions are
        /// computed again, to the same bits); finished rows go to the transposition once at least <see cref="TransposeChunk"/>
        /// positions wait.</summary>
        private readonly void RunRows<TVectors, TSweep>(float* source, float* packed, in TileEpilogue epilogue, in Target target)
            where TVectors : struct, ITwoOrOne where TSweep : struct, ISweep
        {
            var phase = phases[0];
            int width = target.Width, groups = phase.Taps / ConvRowTile.KernelWidth, positions = ConvRowTile.Positions<TVectors>();
            int last = phase.Columns - positions, done = 0;
            int* table = _layout.Table + phase.FirstTap;
            float* weights = packed + (long)phase.FirstTap * width;
            for (int u = 0; u < phase.Rows; u++)
            {
                float* row = source + phase.Base + (long)u * phase.BaseRowStep;
                float* output = target.Buffer + (long)(phase.Output + u * phase.OutputRowStep) * width;
                for (int v = 0; ; v = Math.Min(v + positions, last))
                {
                    // Position v's window starts at row + v (unit column stride): the descending sweep reads left of it.
                    ConvRowTile.Run<TWidth, TVector, TVectors, TSweep>(groups, table, row + v, weights, output + (long)v * width, in epilogue);
                    if (v == last) break;
                }
                int end = (u + 1) * phase.Columns;
                if (end - done >= TransposeChunk || u == phase.Rows - 1)
                {
                    target.Transpose<TWidth, TVector>(done, end - done);
                    done = end;
                }
            }
            target.Finish<TWidth, TVector>();
        }
    }

    /// <summary>Rows the single-phase passes transpose at a time (eight tiles of six; a multiple of the 8×8 register transposes).</summary>
    private const int TransposeChunk = 48;

    /// <summary>A block's position-major buffer [plane, width], where its <see cref="Channels"/> planes go in the output, and the
    /// residual planes added to them once written (then the ReLU when <paramref name="relu"/>), or null; the gate planes whose
    /// ReLU derivative multiplies them once written, or null; the planes they are finally added to (when the pass accumulates,
    /// <paramref name="output"/> being then the worker's own planes), or null.</summary>
    private readonly struct Target(float* buffer, int width, int channels, float* output, int plane, float* residual = null, bool relu = false,
        float* gate = null, float* sum = null)
    {
        public float* Buffer => buffer;
        public int Width => width;
        public int Channels => channels;

        /// <summary>Positions [first, +count) of the buffer → output[l, position] for the block's channels l, eight planes at a time
        /// (the planes of a 32×32 output are 4 KiB apart, so sixteen at once would fight over the same L1 sets).</summary>
        public void Transpose<TWidth, TVector>(int first, int count) where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            for (int l = 0; l < channels; l += 8)
            {
                int planes = Math.Min(8, channels - l);
                GemmPacking.TransposeRows<TWidth, TVector>(buffer + (long)first * width + l, width, count, planes, output + (long)l * plane + first, plane);
            }
        }

        /// <summary>After the block's planes are written (still in L2), plane by plane in order so that the other operand streams in
        /// sequentially: y = y + residual, then the ReLU (the add stage's operations); or y = y · f'(gate) for the ReLU f (the ReLU
        /// layer's backward operation); then, accumulating, sum = sum + y (the operations of a gradient added to a value's total).</summary>
        public void Finish<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            if (residual != null)
                for (int k = 0; k < channels; k++) AddPlane<TWidth, TVector>(output + (long)k * plane, residual + (long)k * plane, plane);
            if (gate != null)
                for (int k = 0; k < channels; k++) GatePlane<TWidth, TVector>(output + (long)k * plane, gate + (long)k * plane, plane);
            if (sum != null)
                for (int k = 0; k < channels; k++) AddPlane<TWidth, TVector>(sum + (long)k * plane, output + (long)k * plane, plane);
        }

        /// <summary>y[i] = y[i] · f'(g[i]) for the ReLU f (1 where g[i] &gt; 0, else 0), for i &lt; <paramref name="count"/>.</summary>
        private static void GatePlane<TWidth, TVector>(float* y, float* g, int count) where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            var relu = new ReluOperator();
            int i = 0;
            for (; i + TWidth.Count <= count; i += TWidth.Count)
            {
                TVector gi = TWidth.Load(ref g[i]);
                TWidth.Store(TWidth.Multiply(TWidth.Load(ref y[i]), relu.Derivative<TWidth, TVector>(gi, gi)), ref y[i]);
            }
            for (; i < count; i++) y[i] *= relu.Derivative<Width1, float>(g[i], g[i]);
        }

        /// <summary>y[i] = y[i] + r[i], then y[i] &lt; 0 ? 0 : y[i] when the target has a ReLU, for i &lt; <paramref name="count"/>.</summary>
        private void AddPlane<TWidth, TVector>(float* y, float* r, int count) where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            int i = 0;
            for (; i + TWidth.Count <= count; i += TWidth.Count)
            {
                TVector v = TWidth.Add(TWidth.Load(ref y[i]), TWidth.Load(ref r[i]));
                TWidth.Store(relu ? new ReluOperator().Forward<TWidth, TVector>(v) : v, ref y[i]);
            }
            for (; i < count; i++)
            {
                float v = y[i] + r[i];
                y[i] = relu ? new ReluOperator().Forward<Width1, float>(v) : v;
            }
        }
    }
}

/// <summary>Whether a blocked spatial pass may use <see cref="ConvRowTile"/>s, and which sweep its tap rows need.</summary>
internal enum RowTileSweep
{
    /// <summary>Only <see cref="ConvTile"/>s.</summary>
    None,

    /// <summary>Tap j of a kernel row lies j columns right of tap 0 (the forward pass).</summary>
    Ascending,

    /// <summary>Tap j of a kernel row lies j columns left of tap 0 (the stride-1 data gradient).</summary>
    Descending,
}
