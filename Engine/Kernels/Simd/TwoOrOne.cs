namespace Engine.Kernels;

/// <summary>
/// A compile-time count of two or one, for kernels that process two things per pass (two registers of channels per tile row
/// in <see cref="ConvTile"/>, two source rows per pass of the fixed-order dot products) and one for a tail: generic over this,
/// the JIT compiles each variant without the other's instructions or a branch.
/// </summary>
internal interface ITwoOrOne
{
    /// <summary>Whether the pass covers two.</summary>
    static abstract bool IsTwo { get; }
}

/// <summary>Two per pass.</summary>
internal readonly struct Two : ITwoOrOne
{
    public static bool IsTwo => true;
}

/// <summary>One per pass.</summary>
internal readonly struct One : ITwoOrOne
{
    public static bool IsTwo => false;
}
