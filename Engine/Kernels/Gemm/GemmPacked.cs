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

    /// <summary>
    /// Largest operand, in floats, packed once for all parts of a split product (<see cref="Run"/>): 2M floats (8 MB), so a
    /// 1024×1024 operand qualifies; a larger one is packed again by every part.
    /// </summary>
    private const long SharedPackLimit = 2L << 20;

    /// <summary>
    /// Smallest operand, in floats, packed once for all parts (<see cref="Run"/>): below 64K floats (256 KB), packing it again
    /// in each part takes a few microseconds, about what handing out the shared packing to the threads costs.
    /// </summary>
    private const long SharedPackMinimum = 64L << 10;

    [ThreadStatic] private static float[]? _packedA, _packedB, _sharedPack;

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
        // Every part needs all of the operand that is not split (all rows of A when the columns are split, all columns of B
        // otherwise) and would pack it again; with more parts than threads, pack it once here instead, when it is neither too
        // large to keep nor so small that packing it again costs less than the extra hand-out. The same panels either way, so
        // the same bits.
        var shared = call;
        long sharedLength = splitColumns ? (long)rowTiles * blocking.MR * call.K : (long)columnTiles * blocking.NR * call.K;
        if (parts > threads && sharedLength is >= SharedPackMinimum and <= SharedPackLimit)
        {
            int pad = Alignment / sizeof(float);
            float* buffer = Align(PinnedAddress(ref _sharedPack, (int)sharedLength + pad));
            // Packed in parallel too (one range of whole tiles per thread): a serial pack of a 1024×1024 operand would take
            // about a sixth of the product's time on two threads.
            int packTiles = splitColumns ? rowTiles : columnTiles, packParts = Math.Min(threads, packTiles);
            var pack = new SharedPack(call, splitColumns, buffer, packTiles, packParts);
            ParallelFor.Run(ref pack, packParts, threads);
            shared = splitColumns ? call.WithSharedA(buffer) : call.WithSharedB(buffer);
        }
        var body = new Parts(shared, splitColumns, tiles, parts);
        ParallelFor.Run(ref body, parts, threads);
    }

    /// <summary>
    /// Packs all of op(A) (<c>packA</c>) or all of op(B) into <c>destination</c>, depth block after depth block: the block of
    /// depth pc is at pc·(rows or columns rounded up to whole tiles), and within it the panels are where
    /// <see cref="Call.RunBlock"/> would put them, so a block of rows ic (columns jc) starts at ic·kc (jc·kc). Part p packs
    /// tiles [T·p/parts, T·(p + 1)/parts) of the T row (column) tiles, every depth block.
    /// </summary>
    private readonly struct SharedPack(Call call, bool packA, float* destination, int tiles, int parts) : IParallelBody
    {
        public void Execute(int part, int worker)
        {
            int tile = packA ? call.Blocking.MR : call.Blocking.NR, extent = packA ? call.M : call.N;
            int start = (int)((long)tiles * part / parts) * tile, end = Math.Min(extent, (int)((long)tiles * (part + 1) / parts) * tile);
            var range = new SharedPackRange(call, packA, destination, start, end - start);
            TierDispatch.Run(call.Tier, ref range);
        }
    }

    /// <summary>Rows (or columns) [start, +count) of the shared pack, a whole number of tiles from a tile boundary, every depth block.</summary>
    private readonly struct SharedPackRange(Call call, bool packA, float* destination, int start, int count) : IWidthKernel
    {
        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            for (int pc = 0; pc < call.K; pc += GemmBlocking.KC)
            {
                int kc = Math.Min(GemmBlocking.KC, call.K - pc);
                if (packA) call.PackBlockA<TWidth, TVector>(pc, kc, start, count, destination + (long)call.SharedRowsRounded * pc + (long)start * kc);
                else call.PackBlockB<TWidth, TVector>(pc, kc, start, count, destination + (long)call.SharedColumnsRounded * pc + (long)start * kc);
            }
        }
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
    private struct Call
    {
        private readonly delegate*<int, float*, float*, float*, nint, int, int, bool, void> _kernel;
        private float* _sharedA, _sharedB; // all of op(A) or op(B) packed once (SharedPack), or null
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

        public readonly GemmBlocking Blocking { get; }

        public readonly ComputeTier Tier => _tier;

        /// <summary>Rows of op(A) rounded up to whole MR panels (the length of one depth row of a shared packed A).</summary>
        public readonly int SharedRowsRounded => RoundUp(M, Blocking.MR);

        /// <summary>Columns of op(B) rounded up to whole NR panels (the length of one depth row of a shared packed B).</summary>
        public readonly int SharedColumnsRounded => RoundUp(N, Blocking.NR);

        /// <summary>This call, reading its A panels from <paramref name="packed"/> (see <see cref="SharedPack"/>) instead of packing them.</summary>
        public readonly Call WithSharedA(float* packed)
        {
            var copy = this;
            copy._sharedA = packed;
            return copy;
        }

        /// <summary>This call, reading its B panels from <paramref name="packed"/> (see <see cref="SharedPack"/>) instead of packing them.</summary>
        public readonly Call WithSharedB(float* packed)
        {
            var copy = this;
            copy._sharedB = packed;
            return copy;
        }

        public readonly int M { get; }

        public readonly int N { get; }

        public readonly int K { get; }

        /// <summary>The five loops over rows [rowStart, rowEnd) and columns [columnStart, columnEnd) of C, packing on the call's tier.</summary>
        public readonly void RunBlock(int rowStart, int rowEnd, int columnStart, int columnEnd)
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
        private readonly void RunBlock<TWidth, TVector>(int rowStart, int rowEnd, int columnStart, int columnEnd)
            where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            int mr = Blocking.MR, nr = Blocking.NR, kcMax = Math.Min(GemmBlocking.KC, K);
            int mcMax = Math.Min(Blocking.MC, RoundUp(rowEnd - rowStart, mr));
            int ncBlock = Blocking.NC;
            int ncMax = Math.Min(ncBlock, RoundUp(columnEnd - columnStart, nr));
            int aLength = mcMax * kcMax, bLength = kcMax * ncMax, pad = Alignment / sizeof(float);
            float* aPacked = _sharedA is null ? Align(PinnedAddress(ref _packedA, aLength + pad)) : null;
            float* bPacked = _sharedB is null ? Align(PinnedAddress(ref _packedB, bLength + pad)) : null;
            var kernel = _kernel;
            nint ldc = _ldc;
            for (int jc = columnStart; jc < columnEnd; jc += ncBlock)
            {
                int nc = Math.Min(ncBlock, columnEnd - jc);
                for (int pc = 0; pc < K; pc += GemmBlocking.KC)
                {
                    int kc = Math.Min(GemmBlocking.KC, K - pc);
                    bool accumulate = pc > 0 || !_overwrite;
                    if (_sharedB is null) PackBlockB<TWidth, TVector>(pc, kc, jc, nc, nr, bPacked);
                    else bPacked = _sharedB + (long)SharedColumnsRounded * pc + (long)jc * kc;
                    for (int ic = rowStart; ic < rowEnd; ic += Blocking.MC)
                    {
                        int mc = Math.Min(Blocking.MC, rowEnd - ic);
                        if (_sharedA is null) PackBlockA<TWidth, TVector>(pc, kc, ic, mc, aPacked);
                        else aPacked = _sharedA + (long)SharedRowsRounded * pc + (long)ic * kc;
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

        /// <summary>Packs depth [pc, +kc) and rows [row0, +rows) of op(A) into MR-row panels.</summary>
        public readonly void PackBlockA<TWidth, TVector>(int pc, int kc, int row0, int rows, float* destination)
            where TWidth : struct, IVectorWidth<TVector> where TVector : struct =>
            GemmPacking.PackA<TWidth, TVector>(_transposeA, _a, _lda, row0, rows, pc, kc, Blocking.MR, destination);

        /// <summary>Packs depth [pc, +kc) and columns [column0, +columns) of op(B) into NR-column panels.</summary>
        public readonly void PackBlockB<TWidth, TVector>(int pc, int kc, int column0, int columns, float* destination)
            where TWidth : struct, IVectorWidth<TVector> where TVector : struct =>
            PackBlockB<TWidth, TVector>(pc, kc, column0, columns, Blocking.NR, destination);

        /// <summary>Packs depth [pc, +kc) and columns [column0, +columns) of op(B), explicit or implicit im2col.</summary>
        private readonly void PackBlockB<TWidth, TVector>(int pc, int kc, int column0, int columns, int nr, float* destination)
            where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            if (_im2col)
                GemmPacking.PackBIm2Col<TWidth, TVector>(_geometry, _b, pc, kc, column0, columns, nr, destination);
            else
                GemmPacking.PackB<TWidth, TVector>(_transposeB, _b, _ldb, pc, kc, column0, columns, nr, destination);
        }

    }

    /// <summary>
    /// The address of this thread's packing buffer, grown (never shrunk) to at least <paramref name="length"/> floats. The
    /// buffers are allocated on the pinned object heap, so taking their address needs no fixed block.
    /// </summary>
    private static float* PinnedAddress(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
            buffer = GC.AllocateUninitializedArray<float>(Math.Max(length, buffer?.Length * 2 ?? 0), pinned: true);
        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static float* Align(float* pointer) => (float*)(((nint)pointer + (Alignment - 1)) & ~(nint)(Alignment - 1));
}
