using System.Runtime.CompilerServices;

namespace Engine.Kernels;

/// <summary>
/// The scalar microkernel: a 4×4 tile in 16 float accumulators, each updated with
/// <see cref="MathF.FusedMultiplyAdd"/> (one rounding, as the vector tiers), so it gives the same bits.
/// </summary>
internal static unsafe class GemmMicrokernelScalar
{
    /// <summary>Rows of the register tile (the Scalar tier's <see cref="GemmBlocking.MR"/>).</summary>
    public const int MR = 4;
    /// <summary>Columns of the register tile (the Scalar tier's <see cref="GemmBlocking.NR"/>).</summary>
    public const int NR = 4;

    /// <summary>
    /// C[rows×columns] = (accumulate ? C : 0) + A·B for one MR×depth A micropanel and one depth×NR B micropanel;
    /// see <see cref="GemmMicrokernels"/> for the contract.
    /// </summary>
    [SkipLocalsInit]
    public static void Run(int depth, float* a, float* b, float* c, nint ldc, int rows, int columns, bool accumulate)
    {
        float c00 = 0f; float c01 = 0f; float c02 = 0f; float c03 = 0f;
        float c10 = 0f; float c11 = 0f; float c12 = 0f; float c13 = 0f;
        float c20 = 0f; float c21 = 0f; float c22 = 0f; float c23 = 0f;
        float c30 = 0f; float c31 = 0f; float c32 = 0f; float c33 = 0f;
        for (int p = 0; p < depth; p++, a += MR, b += NR)
        {
            float b0 = b[0]; float b1 = b[1]; float b2 = b[2]; float b3 = b[3];
            float a0 = a[0];
            c00 = MathF.FusedMultiplyAdd(a0, b0, c00); c01 = MathF.FusedMultiplyAdd(a0, b1, c01); c02 = MathF.FusedMultiplyAdd(a0, b2, c02); c03 = MathF.FusedMultiplyAdd(a0, b3, c03);
            float a1 = a[1];
            c10 = MathF.FusedMultiplyAdd(a1, b0, c10); c11 = MathF.FusedMultiplyAdd(a1, b1, c11); c12 = MathF.FusedMultiplyAdd(a1, b2, c12); c13 = MathF.FusedMultiplyAdd(a1, b3, c13);
            float a2 = a[2];
            c20 = MathF.FusedMultiplyAdd(a2, b0, c20); c21 = MathF.FusedMultiplyAdd(a2, b1, c21); c22 = MathF.FusedMultiplyAdd(a2, b2, c22); c23 = MathF.FusedMultiplyAdd(a2, b3, c23);
            float a3 = a[3];
            c30 = MathF.FusedMultiplyAdd(a3, b0, c30); c31 = MathF.FusedMultiplyAdd(a3, b1, c31); c32 = MathF.FusedMultiplyAdd(a3, b2, c32); c33 = MathF.FusedMultiplyAdd(a3, b3, c33);
        }

        float* tile = stackalloc float[MR * NR];
        tile[0] = c00; tile[1] = c01; tile[2] = c02; tile[3] = c03;
        tile[4] = c10; tile[5] = c11; tile[6] = c12; tile[7] = c13;
        tile[8] = c20; tile[9] = c21; tile[10] = c22; tile[11] = c23;
        tile[12] = c30; tile[13] = c31; tile[14] = c32; tile[15] = c33;
        GemmMicrokernels.StoreEdge(tile, NR, c, ldc, rows, columns, accumulate);
    }
}
