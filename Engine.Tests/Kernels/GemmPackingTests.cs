using Engine.Kernels;

namespace Engine.Tests.Kernels;

public unsafe class GemmPackingTests
{
    [Test]
    public void TransposeRowsMovesEveryElementForEveryRowAndDepthTail()
    {
        const int sourceStride = 37, targetStride = 21;
        var source = new float[20 * sourceStride];
        for (int i = 0; i < source.Length; i++) source[i] = i + 1;
        var target = new float[20 * targetStride];
        for (int rows = 0; rows <= 20; rows++)
        for (int depth = 0; depth <= 20; depth++)
        {
            Array.Fill(target, float.NaN);
            fixed (float* s = source, t = target) GemmPacking.TransposeRows(s, sourceStride, rows, depth, t, targetStride);
            for (int p = 0; p < 20; p++)
            for (int r = 0; r < targetStride; r++)
            {
                float expected = r < rows && p < depth ? source[r * sourceStride + p] : float.NaN;
                Assert.That(target[p * targetStride + r], Is.EqualTo(expected), $"rows {rows}, depth {depth}: element (p {p}, r {r})");
            }
        }
    }
}
