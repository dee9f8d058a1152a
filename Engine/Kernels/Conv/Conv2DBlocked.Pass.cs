namespace Engine.Kernels;

internal static unsafe partial class Conv2DBlocked
{
    /// <summary>
    /// One blocked spatial pass (the forward pass, or the data gradient): <see cref="Reduce"/> channels of
    /// <see cref="Source"/> reduced into <see cref="Lanes"/> output channels of <see cref="Plane"/> positions each, over
    /// <see cref="Taps"/> packed taps in <see cref="Phases"/> phases; the weights of tap t for output channel l are at
    /// weights[offset(t) + l·<see cref="LaneStride"/>].
    /// </summary>
    private readonly record struct Pass(int Batch, int Reduce, int Lanes, PaddedPlanes Source, int SourceSample, int Plane, int Taps,
        int Phases, int LaneStride)
    {
        /// <summary>Floats of one output sample.</summary>
        public int OutputSample => Lanes * Plane;

        /// <summary>Floating-point operations of the whole pass (for the parallel split).</summary>
        public long Work => 2L * Batch * OutputSample * Taps / Phases;
    }

    /// <summary>Shared scratch: packed weights, packed bias, the tap table and (data gradient) each tap's weight offset.</summary>
    private static long SharedSize(int lanes, int taps) => ChannelBlocks.PackedSize(lanes, taps) + ChannelBlocks.PackedSize(lanes, 1) + 2L * taps;

    /// <summary>One worker's scratch: the padded sample and the position-major output buffer (plus a dummy row).</summary>
    private static long SlotSize(in PaddedPlanes source, int plane) => source.Size + (long)(plane + 1) * ChannelBlocks.MaxWidth + 16;

    private static int Workers(in Pass pass, int scratch, int threads)
    {
        long shared = SharedSize(pass.Lanes, pass.Taps), slot = SlotSize(pass.Source, pass.Plane);
        return (int)Math.Clamp((scratch - shared) / slot, 1, Math.Max(1, threads));
    }

    /// <summary>Where the pass's scratch regions lie (packed data 64-byte aligned).</summary>
    private readonly struct Layout
    {
        public readonly float* Packed, Bias, Slots;
        public readonly int* Table, WeightOffsets;
        public readonly long SlotSize;

        public Layout(in Pass pass, float* scratch, float* bias)
        {
            Packed = ChannelBlocks.Align(scratch);
            float* next = scratch + ChannelBlocks.PackedSize(pass.Lanes, pass.Taps);
            Bias = bias == null ? null : ChannelBlocks.Align(next);
            next += ChannelBlocks.PackedSize(pass.Lanes, 1);
            Table = (int*)next;
            WeightOffsets = Table + pass.Taps;
            Slots = next + 2L * pass.Taps;
            SlotSize = Conv2DBlocked.SlotSize(pass.Source, pass.Plane);
        }
    }

    /// <summary>Packs the weights (and bias) for the tier's width, then runs the pass's units in parallel.</summary>
    private readonly ref struct PassKernel(in Pass pass, in Layout layout, ConvPhase* phases, float* input, float* weights, float* bias,
        float* output, int workers, bool forward) : IWidthKernel
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
                    if (_layout.Bias != null)
                    {
                        for (int l = 0; l < width; l++) _layout.Bias[first + l] = l < n ? bias[first + l] : 0f;
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
            if (p.Source.IsCopy) new Span<float>(padded, p.Source.Size).Clear();
            int current = -1;
            for (int u = start; u < end; u++)
            {
                int n = u / blocks, b = u % blocks;
                float* sample = input + (long)n * p.SourceSample, source = sample;
                if (p.Source.IsCopy)
                {
                    if (n != current) p.Source.CopyIn<TWidth, TVector>(sample, padded, 0, p.Source.Planes);
                    current = n;
                    source = padded;
                }
                var (first, count, width) = ChannelBlocks.Block(p.Lanes, TWidth.Count, b);
                float* packed = _layout.Packed + (long)first * p.Taps, bias = _layout.Bias == null ? null : _layout.Bias + first;
                if (width > TWidth.Count) RunBlock<TwoVectors>(source, packed, bias, buffer, width);
                else RunBlock<OneVector>(source, packed, bias, buffer, width);
                // buffer [plane, width] → output[n, first + l, position]
                GemmPacking.TransposeRows<TWidth, TVector>(buffer, width, p.Plane, count, output + (long)n * p.OutputSample + (long)first * p.Plane, p.Plane);
            }
        }

        /// <summary>Every phase's positions, six per tile, into the buffer's rows (a tail tile repeats its last position
        /// and stores the copies in the dummy row after the plane); a phase without taps only writes zero rows.</summary>
        private readonly void RunBlock<TVectors>(float* source, float* packed, float* bias, float* buffer, int width) where TVectors : struct, ITileVectors
        {
            int* a = stackalloc int[ConvTile.Rows];
            float** rows = stackalloc float*[ConvTile.Rows];
            float* dummy = buffer + (long)_pass.Plane * width;
            for (int ph = 0; ph < _pass.Phases; ph++)
            {
                var phase = phases[ph];
                int positions = phase.Rows * phase.Columns;
                if (phase.Taps == 0)
                {
                    for (int u = 0; u < phase.Rows; u++)
                        for (int v = 0; v < phase.Columns; v++)
                            new Span<float>(buffer + (long)(phase.Output + u * phase.OutputRowStep + v * phase.OutputColumnStep) * width, width).Clear();
                    continue;
                }
                // (row, column) walks the phase's positions in order, stopping at the last (which the tail tile repeats).
                int row = 0, column = 0;
                for (int q = 0; q < positions; q += ConvTile.Rows)
                {
                    for (int k = 0; k < ConvTile.Rows; k++)
                    {
                        a[k] = phase.Base + row * phase.BaseRowStep + column * phase.BaseColumnStep;
                        rows[k] = q + k < positions ? buffer + (long)(phase.Output + row * phase.OutputRowStep + column * phase.OutputColumnStep) * width : dummy;
                        if (q + k + 1 < positions && ++column == phase.Columns) { column = 0; row++; }
                    }
                    ConvTile.Run<TWidth, TVector, TVectors>(phase.Taps, _layout.Table + phase.FirstTap, source, a,
                        packed + (long)phase.FirstTap * width, rows, bias, accumulate: false);
                }
            }
        }
    }
}
