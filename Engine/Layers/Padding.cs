namespace Engine.Layers;

/// <summary>
/// Zero padding around the input of a convolution: <see cref="Valid"/> (none), <see cref="Same"/>
/// (output size = ceil(input / stride); any odd extra row or column goes to the bottom or right,
/// as TensorFlow does), or explicit amounts per side.
/// </summary>
public readonly struct Padding : IEquatable<Padding>
{
    private Padding(PaddingMode mode, int top, int bottom, int left, int right)
    {
        if (top < 0 || bottom < 0 || left < 0 || right < 0)
            throw new ArgumentOutOfRangeException(top < 0 ? nameof(top) : bottom < 0 ? nameof(bottom) : left < 0 ? nameof(left) : nameof(right),
                $"Padding cannot be negative (top {top}, bottom {bottom}, left {left}, right {right}).");
        Mode = mode; Top = top; Bottom = bottom; Left = left; Right = right;
    }

    /// <summary>No padding: the kernel stays inside the input.</summary>
    public static Padding Valid => new(PaddingMode.Valid, 0, 0, 0, 0);

    /// <summary>Pad so that the output has ceil(input / stride) rows and columns.</summary>
    public static Padding Same => new(PaddingMode.Same, 0, 0, 0, 0);

    /// <summary>The same number of zero rows and columns on every side.</summary>
    public static Padding Explicit(int all) => new(PaddingMode.Explicit, all, all, all, all);

    /// <summary><paramref name="vertical"/> rows above and below, <paramref name="horizontal"/> columns left and right.</summary>
    public static Padding Explicit(int vertical, int horizontal) => new(PaddingMode.Explicit, vertical, vertical, horizontal, horizontal);

    /// <summary>Each side's amount given separately.</summary>
    public static Padding Explicit(int top, int bottom, int left, int right) => new(PaddingMode.Explicit, top, bottom, left, right);

    /// <summary>How the amounts are decided.</summary>
    public PaddingMode Mode { get; }

    /// <summary>Rows added above (explicit mode only; see <see cref="Resolve"/>).</summary>
    public int Top { get; }

    /// <summary>Rows added below (explicit mode only).</summary>
    public int Bottom { get; }

    /// <summary>Columns added on the left (explicit mode only).</summary>
    public int Left { get; }

    /// <summary>Columns added on the right (explicit mode only).</summary>
    public int Right { get; }

    /// <summary>
    /// The amounts (top, bottom, left, right) for an input of <paramref name="height"/>×<paramref name="width"/>,
    /// a kernel of <paramref name="kernelHeight"/>×<paramref name="kernelWidth"/> and the given strides.
    /// </summary>
    public (int Top, int Bottom, int Left, int Right) Resolve(int height, int width, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth)
    {
        switch (Mode)
        {
            case PaddingMode.Valid: return (0, 0, 0, 0);
            case PaddingMode.Explicit: return (Top, Bottom, Left, Right);
            default:
                int outH = (height + strideHeight - 1) / strideHeight, outW = (width + strideWidth - 1) / strideWidth;
                int padH = Math.Max((outH - 1) * strideHeight + kernelHeight - height, 0);
                int padW = Math.Max((outW - 1) * strideWidth + kernelWidth - width, 0);
                return (padH / 2, padH - padH / 2, padW / 2, padW - padW / 2);
        }
    }

    /// <inheritdoc />
    public bool Equals(Padding other) => Mode == other.Mode && Top == other.Top && Bottom == other.Bottom && Left == other.Left && Right == other.Right;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Padding p && Equals(p);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Mode, Top, Bottom, Left, Right);

    /// <inheritdoc />
    public override string ToString() => Mode switch
    {
        PaddingMode.Valid => "valid",
        PaddingMode.Same => "same",
        _ => $"explicit({Top},{Bottom},{Left},{Right})",
    };
}

/// <summary>How a <see cref="Padding"/> decides its amounts.</summary>
public enum PaddingMode
{
    /// <summary>No padding.</summary>
    Valid,
    /// <summary>Output size ceil(input / stride).</summary>
    Same,
    /// <summary>Amounts given per side.</summary>
    Explicit,
}
