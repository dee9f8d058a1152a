using Engine.Kernels;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

/// <summary>Each tier's blocking describes the tile its microkernel really computes, and its cache blocks are whole tiles.</summary>
public unsafe class GemmBlockingTests
{
    [TestCaseSource(typeof(Tiers), nameof(Tiers.Available))]
    public void TheBlockingTileIsTheMicrokernelsTile(ComputeTier tier)
    {
        GemmBlocking blocking = GemmBlocking.For(tier);
        int mr = blocking.MR, nr = blocking.NR, ldc = nr + 5;
        Assert.That(blocking.MC % mr, Is.Zero, "MC is a whole number of MR-row panels");
        Assert.That(blocking.NC % nr, Is.Zero, "NC is a whole number of NR-column panels");
        // Depth 1, a[r] = r + 1 and b[j] = j + 1: a full tile writes C[r, j] = (r + 1)(j + 1) and nothing else.
        var a = new float[mr];
        var b = new float[nr];
        for (int r = 0; r < mr; r++) a[r] = r + 1;
        for (int j = 0; j < nr; j++) b[j] = j + 1;
        var c = new float[(mr + 1) * ldc];
        Array.Fill(c, float.NaN);
        var kernel = GemmMicrokernels.For(tier);
        fixed (float* ap = a, bp = b, cp = c) kernel(1, ap, bp, cp, ldc, mr, nr, false);
        for (int r = 0; r <= mr; r++)
            for (int j = 0; j < ldc; j++)
            {
                float expected = r < mr && j < nr ? (r + 1) * (j + 1) : float.NaN;
                Assert.That(c[r * ldc + j], Is.EqualTo(expected), $"{tier}: C[{r}, {j}] of a {mr}×{nr} tile");
            }
    }
}
