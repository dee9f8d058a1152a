using System.Buffers;

namespace Engine;

/// <summary>
/// A dense float32 tensor in row-major (NCHW) order. Its storage is either rented from the
/// shared array pool (returned by <see cref="Dispose"/>) or an array the caller supplied.
/// </summary>
public sealed class Tensor : IDisposable
{
    private float[]? _data;
    private readonly bool _pooled;

    /// <summary>Creates a zero-filled tensor whose storage is rented from the shared array pool.</summary>
    /// <param name="shape">The tensor's shape, e.g. <c>new Shape(n, 1, 28, 28)</c>.</param>
    public Tensor(Shape shape)
    {
        if (shape.Rank == 0) throw new ArgumentException("A tensor needs a shape of rank 1 to 4.", nameof(shape));
        Shape = shape;
        _data = ArrayPool<float>.Shared.Rent(shape.Size);
        _pooled = true;
        Span.Clear();
    }

    /// <summary>Wraps <paramref name="data"/> (not copied) as a tensor of the given shape.</summary>
    /// <exception cref="ArgumentException"><paramref name="data"/> is shorter than the shape's size.</exception>
    public Tensor(Shape shape, float[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (shape.Rank == 0) throw new ArgumentException("A tensor needs a shape of rank 1 to 4.", nameof(shape));
        if (data.Length < shape.Size)
            throw new ArgumentException($"Shape {shape} needs {shape.Size} values but the array holds {data.Length}.", nameof(data));
        Shape = shape;
        _data = data;
    }

    /// <summary>The tensor's dimensions.</summary>
    public Shape Shape { get; }

    /// <summary>The number of elements, <c>Shape.Size</c>.</summary>
    public int Length => Shape.Size;

    /// <summary>The elements in row-major order.</summary>
    /// <exception cref="ObjectDisposedException">The tensor was disposed.</exception>
    public Span<float> Span => new(Data, 0, Shape.Size);

    /// <summary>The elements in row-major order, as memory that can be stored.</summary>
    public Memory<float> Memory => new(Data, 0, Shape.Size);

    /// <summary>Element at the flat row-major index <paramref name="index"/>.</summary>
    public float this[int index]
    {
        get => Span[index];
        set => Span[index] = value;
    }

    /// <summary>Element (<paramref name="row"/>, <paramref name="column"/>) of a rank-2 tensor.</summary>
    public float this[int row, int column]
    {
        get => Span[FlatIndex(row, column)];
        set => Span[FlatIndex(row, column)] = value;
    }

    /// <summary>Copies the elements into a new array.</summary>
    public float[] ToArray() => Span.ToArray();

    /// <summary>Returns rented storage to the pool. The tensor cannot be used afterwards.</summary>
    public void Dispose()
    {
        if (_pooled && _data is not null) ArrayPool<float>.Shared.Return(_data);
        _data = null;
    }

    /// <inheritdoc />
    public override string ToString() => $"Tensor {Shape}";

    private float[] Data => _data ?? throw new ObjectDisposedException(nameof(Tensor));

    private int FlatIndex(int row, int column)
    {
        if (Shape.Rank != 2) throw new InvalidOperationException($"Tensor {Shape} is not rank 2.");
        if ((uint)row >= (uint)Shape[0] || (uint)column >= (uint)Shape[1])
            throw new IndexOutOfRangeException($"({row}, {column}) is outside tensor {Shape}.");
        return row * Shape[1] + column;
    }
}
