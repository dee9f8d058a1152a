using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Kernels;

/// <summary>
/// The packed GEMM (BLIS layering): five loops around one register-blocked microkernel.
/// <code>
///   JC: columns of C in blocks of NC          ─ pack op(B)[pc.., jc..] into KC×NC  (L3)
///    PC: depth in blocks of KC (never split)   │
///     IC: rows of C in blocks of MC           ─ pack op(A)[ic.., pc..] into MC×KC  (L2)
///      JR: NR columns (one B micropanel, L1)
///       IR: MR rows  → microkernel on an MR×NR tile of C
/// </code>
/// Threads split only the rows (IC/IR) or only the columns (JC/JR) of C, never the depth, so every element
/// of C is computed by the same sequence of operations whatever the thread count.
/// </summary>
internal static unsafe class GemmPacked
{
    /// <summary>Alignment of the packed buffers, in bytes (one cache line, one zmm load).</summary>
    private const int Alignment = 64;

    [ThreadStatic] private static float[]? _packedA, _packedB;

    /// <summary>
    /// C = (overwrite ? 0 : C) + op(A)·op(B) on <paramref name="tier"/> with up to <paramref name="threads"/> threads.
    /// Arguments are trusted (see <see cref="Gemm"/> for the checked entry point); m, n ≥ 1.
    /// </summary>
    public static void Multiply(ComputeTier tier, int threads, bool transposeA, bool transposeB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, bool overwrite, float* c, int ldc)
    {
        if (k == 0)
        {
            if (overwrite)
                for (int i = 0; i < m; i++) new Span<float>(c + (long)i * ldc, n).Clear();
            return;
        }
        var call = new Call(tier, transposeA, transposeB, m, n, k, a, lda, b, ldb, overwrite, c, ldc, geometry: null);
        Run(call, threads);
    }

    /// <summary>
    /// C = op(A)·im2col(image) (C overwritten), with B = <see cref="Im2Col.Forward(in ConvGeometry, ReadOnlySpan{float}, Span{float})"/>'s <c>[C·KH·KW, OH·OW]</c> matrix of
    /// <paramref name="image"/> packed straight from the image (<see cref="GemmPacking.PackBIm2Col{TWidth, TVector}"/>): the same packed
    /// panels, hence the same bits, as <see cref="Multiply"/> on the explicit column matrix. Arguments are trusted.
    /// </summary>
    public static void MultiplyIm2Col(ComputeTier tier, int threads, bool transposeA, int m, float* a, int lda,
        in ConvGeometry geometry, float* image, float* c, int ldc)
    {
        int n = geometry.ColumnCols, k = geometry.ColumnRows;
        var call = new Call(tier, transposeA, false, m, n, k, a, lda, image, n, true, c, ldc, geometry);
        Run(call, threads);
    }

    /// <summary>Runs <paramref name="call"/> whole, or split into parts of whole tiles handed out to up to <paramref name="threads"/> threads.</summary>
    private static void Run(in Call call, int threads)
    {
        var blocking = call.Blocking;
        int rowTiles = (call.M + blocking.MR - 1) / blocking.MR;
        int columnTiles = (call.N + blocking.NR - 1) / blocking.NR;
        long flops = 2L * call.M * call.N * call.K;
        // Split the longer side of C, so the operand packed again by every part is the smaller one.
        bool splitColumns = columnTiles >= threads ? call.N >= call.M || rowTiles < threads : columnTiles >= rowTiles;
        int tiles = splitColumns ? columnTiles : rowTiles;
        int parts = ParallelFor.PartsFor(flops, tiles, threads);
        if (parts <= 1)
        {
            call.RunBlock(0, call.M, 0, call.N);
            return;
        }
        var body = new Parts(call, splitColumns, tiles, parts);
        ParallelFor.Run(ref body, parts, threads);
    }

    /// <summary>Part p of a split product: a contiguous range of whole MR-row or NR-column tiles of C (no tile is shared).</summary>
    private readonly struct Parts(Call call, bool splitColumns, int tiles, int parts) : IParallelBody
    {
        public void Execute(int part, int worker)
        {
            int first = (int)((long)part * tiles / parts), last = (int)((long)(part + 1) * tiles / parts);
            if (splitColumns)
                call.RunBlock(0, call.M, first * call.Blocking.NR, Math.Min(call.N, last * call.Blocking.NR));
            else
                call.RunBlock(first * call.Blocking.MR, Math.Min(call.M, last * call.Blocking.MR), 0, call.N);
        }
    }

    /// <summary>One product's arguments (explicit B, or implicit im2col of an image when a geometry is given).</summary>
    private readonly struct Call
    {
        private readonly delegate*<int, float*, float*, float*, nint, int, int, bool, void> _kernel;
        private readonly ComputeTier _tier;
        private readonly bool _transposeA, _transposeB, _overwrite, _im2col;
        private readonly ConvGeometry _geometry;
        private readonly int _lda, _ldb, _ldc;
        private readonly float* _a, _b, _c;

        public Call(ComputeTier tier, bool transposeA, bool transposeB, int m, int n, int k,
            float* a, int lda, float* b, int ldb, bool overwrite, float* c, int ldc, ConvGeometry? geometry)
        {
            _kernel = GemmMicrokernels.For(tier);
            _tier = tier;
            Blocking = GemmBlocking.For(tier);
            (_transposeA, _transposeB, M, N, K) = (transposeA, transposeB, m, n, k);
            (_lda, _ldb, _overwrite, _ldc) = (lda, ldb, overwrite, ldc);
            (_im2col, _geometry) = (geometry.HasValue, geometry.GetValueOrDefault());
            _a = a;
            _b = b;
            _c = c;
        }

        public GemmBlocking Blocking { get; }

        public int M { get; }

        public int N { get; }

        public int K { get; }

        /// <summary>The five loops over rows [rowStart, rowEnd) and columns [columnStart, columnEnd) of C, packing on the call's tier.</summary>
        public void RunBlock(int rowStart, int rowEnd, int columnStart, int columnEnd)
        {
            var block = new Block(this, rowStart, rowEnd, columnStart, columnEnd);
            TierDispatch.Run(_tier, ref block);
        }

        /// <summary>One <see cref="RunBlock"/> call, dispatched on the width of the call's tier.</summary>
        private readonly struct Block(Call call, int rowStart, int rowEnd, int columnStart, int columnEnd) : IWidthKernel
        {
            public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct =>
                call.RunBlock<TWidth, TVector>(rowStart, rowEnd, columnStart, columnEnd);
        }

        /// <summary>The five loops, packing A and B with <typeparamref name="TWidth"/>'s registers.</summary>
        private void RunBlock<TWidth, TVector>(int rowStart, int rowEnd, int columnStart, int columnEnd)
            where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            int mr = Blocking.MR, nr = Blocking.NR, kcMax = Math.Min(GemmBlocking.KC, K);
            int mcMax = Math.Min(Blocking.MC, RoundUp(rowEnd - rowStart, mr));
            int ncBlock = Blocking.NC;
            int ncMax = Math.Min(ncBlock, RoundUp(columnEnd - columnStart, nr));
            int aLength = mcMax * kcMax, bLength = kcMax * ncMax, pad = Alignment / sizeof(float);
            float[] aArray = PinnedBuffer(ref _packedA, aLength + pad), bArray = PinnedBuffer(ref _packedB, bLength + pad);
            // The buffers are allocated on the pinned object heap, so taking their address needs no fixed block.
            float* aPacked = Align((float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(aArray)));
            float* bPacked = Align((float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(bArray)));
            var kernel = _kernel;
            nint ldc = _ldc;
            for (int jc = columnStart; jc < columnEnd; jc += ncBlock)
            {
                int nc = Math.Min(ncBlock, columnEnd - jc);
                for (int pc = 0; pc < K; pc += GemmBlocking.KC)
                {
                    int kc = Math.Min(GemmBlocking.KC, K - pc);
                    bool accumulate = pc > 0 || !_overwrite;
                    PackBlockB<TWidth, TVector>(pc, kc, jc, nc, nr, bPacked);
                    for (int ic = rowStart; ic < rowEnd; ic += Blocking.MC)
                    {
                        int mc = Math.Min(Blocking.MC, rowEnd - ic);
                        GemmPacking.PackA<TWidth, TVector>(_transposeA, _a, _lda, ic, mc, pc, kc, mr, aPacked);
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            float* bPanel = bPacked + (long)jr * kc;
                            float* cColumn = _c + (long)ic * ldc + jc + jr;
                            int columns = Math.Min(nr, nc - jr);
                            for (int ir = 0; ir < mc; ir += mr)
                                kernel(kc, aPacked + (long)ir * kc, bPanel, cColumn + ir * ldc, ldc, Math.Min(mr, mc - ir), columns, accumulate);
                        }
                    }
                }
            }
        }

        /// <summary>Packs depth [pc, +kc) and columns [column0, +columns) of op(B), explicit or implicit im2col.</summary>
        private void PackBlockB<TWidth, TVector>(int pc, int kc, int column0, int columns, int nr, float* destination)
            where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            if (_im2col)
                GemmPacking.PackBIm2Col<TWidth, TVector>(_geometry, _b, pc, kc, column0, columns, nr, destination);
            else
                GemmPacking.PackB<TWidth, TVector>(_transposeB, _b, _ldb, pc, kc, column0, columns, nr, destination);
        }

        /// <summary>This thread's packing buffer, grown (never shrunk) to at least <paramref name="length"/> floats.</summary>
        private static float[] PinnedBuffer(ref float[]? buffer, int length)
        {
            if (buffer is null || buffer.Length < length)
                buffer = GC.AllocateUninitializedArray<float>(Math.Max(length, buffer?.Length * 2 ?? 0), pinned: true);
            return buffer;
        }

        private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

        private static float* Align(float* pointer) => (float*)(((nint)pointer + (Alignment - 1)) & ~(nint)(Alignment - 1));
    }
}
