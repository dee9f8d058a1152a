namespace Engine.Kernels;

/// <summary>
/// The sixteen canonical lanes of <see cref="FixedOrderReductions"/>: element p of a row belongs to lane
/// p mod 16 on every tier, and the lanes are combined once by <see cref="Sum"/>.
/// </summary>
internal static class Lanes16
{
    /// <summary>Lane count.</summary>
    public const int Count = 16;

    /// <summary>((l0+l8)+(l4+l12)) + ((l2+l10)+(l6+l14)) + … : pairwise halves, the same on every tier.</summary>
    public static float Sum(ReadOnlySpan<float> lanes)
    {
        Span<float> s = stackalloc float[8];
        for (int i = 0; i < 8; i++) s[i] = lanes[i] + lanes[i + 8];
        for (int i = 0; i < 4; i++) s[i] += s[i + 4];
        for (int i = 0; i < 2; i++) s[i] += s[i + 2];
        return s[0] + s[1];
    }
}
