using System.Runtime.CompilerServices;

namespace Engine;

/// <summary>
/// The dimensions of a tensor, outermost first, with rank 1 to 4. A sample is usually
/// <c>(channels, height, width)</c> or <c>(features)</c>; a batch adds the sample count in front
/// (<c>N, C, H, W</c>). Immutable and allocation-free to copy.
/// </summary>
public readonly struct Shape : IEquatable<Shape>
{
    /// <summary>The largest rank a shape can have.</summary>
    public const int MaxRank = 4;

    private readonly int _d0, _d1, _d2, _d3;

    /// <summary>Creates a shape from its dimensions, outermost first.</summary>
    /// <param name="dimensions">Between 1 and <see cref="MaxRank"/> dimensions, each at least 1.</param>
    /// <exception cref="ArgumentException">The rank is out of range or a dimension is less than 1.</exception>
    public Shape(params ReadOnlySpan<int> dimensions)
    {
        if (dimensions.Length is < 1 or > MaxRank)
            throw new ArgumentException($"A shape has 1 to {MaxRank} dimensions, not {dimensions.Length}.", nameof(dimensions));
        long size = 1;
        for (int i = 0; i < dimensions.Length; i++)
        {
            if (dimensions[i] < 1)
                throw new ArgumentException($"Dimension {i} of a shape must be at least 1, not {dimensions[i]}.", nameof(dimensions));
            size *= dimensions[i];
            if (size > int.MaxValue)
                throw new ArgumentException("A shape may hold at most int.MaxValue elements.", nameof(dimensions));
        }
        Rank = dimensions.Length;
        _d0 = dimensions[0];
        _d1 = Rank > 1 ? dimensions[1] : 1;
        _d2 = Rank > 2 ? dimensions[2] : 1;
        _d3 = Rank > 3 ? dimensions[3] : 1;
    }

    /// <summary>The number of dimensions (0 only for <c>default(Shape)</c>).</summary>
    public int Rank { get; }

    /// <summary>The total number of elements: the product of the dimensions.</summary>
    public int Size => Rank == 0 ? 0 : _d0 * _d1 * _d2 * _d3;

    /// <summary>Dimension <paramref name="index"/>, outermost first.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not below <see cref="Rank"/>.</exception>
    public int this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((uint)index >= (uint)Rank)
                throw new ArgumentOutOfRangeException(nameof(index), $"Shape {this} has no dimension {index}.");
            return index switch { 0 => _d0, 1 => _d1, 2 => _d2, _ => _d3 };
        }
    }

    /// <summary>Returns this shape with <paramref name="count"/> put in front, e.g. a sample shape made a batch shape.</summary>
    /// <exception cref="InvalidOperationException">This shape already has rank <see cref="MaxRank"/>.</exception>
    public Shape WithBatch(int count)
    {
        if (Rank >= MaxRank)
            throw new InvalidOperationException($"Shape {this} already has rank {MaxRank}; it cannot take a batch dimension.");
        Span<int> dims = stackalloc int[Rank + 1];
        dims[0] = count;
        for (int i = 0; i < Rank; i++) dims[i + 1] = this[i];
        return new Shape(dims);
    }

    /// <summary>Returns this shape without its first dimension (a batch shape made a sample shape).</summary>
    /// <exception cref="InvalidOperationException">This shape has rank 1.</exception>
    public Shape WithoutBatch()
    {
        if (Rank < 2)
            throw new InvalidOperationException($"Shape {this} has no dimension after the batch.");
        Span<int> dims = stackalloc int[Rank - 1];
        for (int i = 1; i < Rank; i++) dims[i - 1] = this[i];
        return new Shape(dims);
    }

    /// <inheritdoc />
    public bool Equals(Shape other) =>
        Rank == other.Rank && _d0 == other._d0 && _d1 == other._d1 && _d2 == other._d2 && _d3 == other._d3;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Shape other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Rank, _d0, _d1, _d2, _d3);

    /// <summary>Whether two shapes have the same rank and dimensions.</summary>
    public static bool operator ==(Shape left, Shape right) => left.Equals(right);

    /// <summary>Whether two shapes differ in rank or in a dimension.</summary>
    public static bool operator !=(Shape left, Shape right) => !left.Equals(right);

    /// <summary>The dimensions joined by '×', e.g. <c>1×28×28</c>.</summary>
    public override string ToString() => Rank switch
    {
        0 => "()",
        1 => $"{_d0}",
        2 => $"{_d0}×{_d1}",
        3 => $"{_d0}×{_d1}×{_d2}",
        _ => $"{_d0}×{_d1}×{_d2}×{_d3}",
    };
}
