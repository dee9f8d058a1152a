namespace Engine.Kernels;

/// <summary>An element-wise pass over a range of elements: <c>Execute(start, count)</c> handles elements [start, start + count).</summary>
internal interface ISliceBody
{
    /// <summary>Runs the pass on elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>).</summary>
    void Execute(int start, int count);
}

/// <summary>
/// Splits an element-wise pass (no element depends on another) into parts of whole <see cref="Chunk"/>-float chunks for the
/// parallel-for. Every element gets the same operations wherever the cut falls, so the bits do not depend on the thread count.
/// </summary>
internal static class ElementwiseParts
{
    /// <summary>Elements per unit of the split: a multiple of every vector width, so only the last part has a tail.</summary>
    public const int Chunk = 64;

    /// <summary>
    /// Floating-point operations one element is counted as in the size policy (<see cref="ParallelFor.PartsFor"/>): the passes
    /// are bound by memory, each element moving 8–16 bytes for one or two operations, so it is worth more than its arithmetic.
    /// </summary>
    private const int WorkPerElement = 4;

    /// <summary>Runs <paramref name="body"/> over <paramref name="length"/> elements on up to <paramref name="threads"/> threads.</summary>
    public static void Run<TBody>(ref TBody body, int length, int threads) where TBody : ISliceBody, allows ref struct
    {
        int units = (length + Chunk - 1) / Chunk;
        int parts = ParallelFor.PartsFor((long)length * WorkPerElement, units, threads);
        if (parts <= 1)
        {
            body.Execute(0, length);
            return;
        }
        var split = new Split<TBody>(body, length, units, parts);
        ParallelFor.Run(ref split, parts, threads);
    }

    /// <summary>Part p: chunks [U·p/parts, U·(p + 1)/parts) of the U chunks, the last one cut at the length.</summary>
    private readonly ref struct Split<TBody>(TBody body, int length, int units, int parts) : IParallelBody where TBody : ISliceBody, allows ref struct
    {
        private readonly TBody _body = body;

        public void Execute(int part, int worker)
        {
            int start = (int)((long)units * part / parts) * Chunk;
            int end = Math.Min(length, (int)((long)units * (part + 1) / parts) * Chunk);
            _body.Execute(start, end - start);
        }
    }
}
