using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels;

/// <summary>
/// One SIMD width as a type, so a kernel is written once as a generic method and the JIT specialises it per
/// width (<see cref="Width512"/>, <see cref="Width256"/>, <see cref="Width128"/>, <see cref="Width1"/> for the
/// scalar tier). Every width uses the same fused multiply-add (single rounding; exact in software when the
/// hardware has none), so a kernel gives the same bits on every tier.
/// </summary>
/// <typeparam name="TVector">The register type: Vector512/256/128 of float, or float.</typeparam>
internal interface IVectorWidth<TVector> where TVector : struct
{
    /// <summary>Floats per register.</summary>
    static abstract int Count { get; }

    /// <summary>All lanes zero.</summary>
    static abstract TVector Zero { get; }

    /// <summary>All lanes <paramref name="value"/>.</summary>
    static abstract TVector Broadcast(float value);

    /// <summary>Count floats from <paramref name="source"/> (unaligned).</summary>
    static abstract TVector Load(ref float source);

    /// <summary>Writes all lanes to <paramref name="destination"/> (unaligned).</summary>
    static abstract void Store(TVector value, ref float destination);

    /// <summary>Writes the first <paramref name="lanes"/> lanes (1 ≤ lanes ≤ Count) to <paramref name="destination"/>.</summary>
    static abstract void StorePartial(TVector value, ref float destination, int lanes);

    /// <summary>a·b + c with one rounding.</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector c);

    /// <summary>a + b.</summary>
    static abstract TVector Add(TVector a, TVector b);

    /// <summary>a · b.</summary>
    static abstract TVector Multiply(TVector a, TVector b);

    /// <summary>a − b.</summary>
    static abstract TVector Subtract(TVector a, TVector b);

    /// <summary>All bits set in the lanes where a &lt; b, else zero (false when either is NaN).</summary>
    static abstract TVector LessThan(TVector a, TVector b);

    /// <summary>All bits set in the lanes where a &gt; b, else zero (false when either is NaN).</summary>
    static abstract TVector GreaterThan(TVector a, TVector b);

    /// <summary>All bits set in the lanes where a = b, else zero (false when either is NaN, so <c>EqualTo(v, v)</c> marks the numbers).</summary>
    static abstract TVector EqualTo(TVector a, TVector b);

    /// <summary>Bitwise: the bits of <paramref name="whenTrue"/> where <paramref name="mask"/> has them set, else those of <paramref name="whenFalse"/>.</summary>
    static abstract TVector ConditionalSelect(TVector mask, TVector whenTrue, TVector whenFalse);

    /// <summary>Bitwise a &amp; b.</summary>
    static abstract TVector And(TVector a, TVector b);

    /// <summary>Bitwise a | b.</summary>
    static abstract TVector Or(TVector a, TVector b);

    /// <summary>Bitwise a &amp; ~b.</summary>
    static abstract TVector AndNot(TVector a, TVector b);

    // The lanes read as 32-bit integers (the register's bits unchanged), for exponent arithmetic and indices.

    /// <summary>All lanes hold the integer <paramref name="value"/> (as bits).</summary>
    static abstract TVector BroadcastInt32(int value);

    /// <summary>The integer lanes 0, 1, 2, … (as bits).</summary>
    static abstract TVector IndicesInt32 { get; }

    /// <summary>a + b on the integer lanes (wrapping).</summary>
    static abstract TVector AddInt32(TVector a, TVector b);

    /// <summary>a − b on the integer lanes (wrapping).</summary>
    static abstract TVector SubtractInt32(TVector a, TVector b);

    /// <summary>a &lt;&lt; <paramref name="count"/> on the integer lanes.</summary>
    static abstract TVector ShiftLeftInt32(TVector a, int count);

    /// <summary>a &gt;&gt; <paramref name="count"/> on the integer lanes, sign bit copied in.</summary>
    static abstract TVector ShiftRightArithmeticInt32(TVector a, int count);

    /// <summary>Bitwise a ^ b.</summary>
    static abstract TVector Xor(TVector a, TVector b);

    // The lanes read as Count / 2 unsigned 64-bit integers (the register's bits unchanged), for counter-based hashing (the
    // dropout mask). Width1's one float holds no 64-bit lane: it throws, and a kernel runs its scalar formula when Count is 1.

    /// <summary>All 64-bit lanes hold <paramref name="value"/> (as bits).</summary>
    static abstract TVector BroadcastUInt64(ulong value);

    /// <summary>a + b on the 64-bit lanes (wrapping).</summary>
    static abstract TVector AddUInt64(TVector a, TVector b);

    /// <summary>a · b on the 64-bit lanes (the low 64 bits of the product).</summary>
    static abstract TVector MultiplyUInt64(TVector a, TVector b);

    /// <summary>a &gt;&gt; <paramref name="count"/> on the 64-bit lanes, zeros shifted in.</summary>
    static abstract TVector ShiftRightLogicalUInt64(TVector a, int count);

    // Division and square root (the optimizer update rules), both correctly rounded on every width.

    /// <summary>a ÷ b, correctly rounded.</summary>
    static abstract TVector Divide(TVector a, TVector b);

    /// <summary>√a, correctly rounded (NaN for a &lt; 0).</summary>
    static abstract TVector Sqrt(TVector a);

    // Elementwise activations (one body per operator) and GEMM packing.

    /// <summary>|a| (the sign bit cleared).</summary>
    static abstract TVector Abs(TVector a);

    /// <summary>−a.</summary>
    static abstract TVector Negate(TVector a);

    /// <summary>All bits set in the lanes where a ≥ b, else zero (false when either is NaN).</summary>
    static abstract TVector GreaterThanOrEqual(TVector a, TVector b);
}

/// <summary>512-bit registers (AVX-512 tier).</summary>
internal readonly struct Width512 : IVectorWidth<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(ref float source) => Vector512.LoadUnsafe(ref source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<float> value, ref float destination) => value.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StorePartial(Vector512<float> value, ref float destination, int lanes)
    {
        var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(lanes)).AsSingle();
        fixed (float* p = &destination) Avx512F.MaskStore(p, mask, value);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> LessThan(Vector512<float> a, Vector512<float> b) => Vector512.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> GreaterThan(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> EqualTo(Vector512<float> a, Vector512<float> b) => Vector512.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> ConditionalSelect(Vector512<float> mask, Vector512<float> whenTrue, Vector512<float> whenFalse) => Vector512.ConditionalSelect(mask, whenTrue, whenFalse);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> And(Vector512<float> a, Vector512<float> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Or(Vector512<float> a, Vector512<float> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> AndNot(Vector512<float> a, Vector512<float> b) => Vector512.AndNot(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> BroadcastInt32(int value) => Vector512.Create(value).AsSingle();
    public static Vector512<float> IndicesInt32 => Vector512<int>.Indices.AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> AddInt32(Vector512<float> a, Vector512<float> b) => (a.AsInt32() + b.AsInt32()).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> SubtractInt32(Vector512<float> a, Vector512<float> b) => (a.AsInt32() - b.AsInt32()).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> ShiftLeftInt32(Vector512<float> a, int count) => Vector512.ShiftLeft(a.AsInt32(), count).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> ShiftRightArithmeticInt32(Vector512<float> a, int count) => Vector512.ShiftRightArithmetic(a.AsInt32(), count).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Xor(Vector512<float> a, Vector512<float> b) => a ^ b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> BroadcastUInt64(ulong value) => Vector512.Create(value).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> AddUInt64(Vector512<float> a, Vector512<float> b) => (a.AsUInt64() + b.AsUInt64()).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MultiplyUInt64(Vector512<float> a, Vector512<float> b) => (a.AsUInt64() * b.AsUInt64()).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> ShiftRightLogicalUInt64(Vector512<float> a, int count) => Vector512.ShiftRightLogical(a.AsUInt64(), count).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sqrt(Vector512<float> a) => Vector512.Sqrt(a);

    // Elementwise activations (one body per operator) and GEMM packing.
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Abs(Vector512<float> a) => Vector512.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Negate(Vector512<float> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> GreaterThanOrEqual(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThanOrEqual(a, b);
}

/// <summary>256-bit registers (AVX2 + FMA tier).</summary>
internal readonly struct Width256 : IVectorWidth<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(ref float source) => Vector256.LoadUnsafe(ref source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<float> value, ref float destination) => value.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StorePartial(Vector256<float> value, ref float destination, int lanes)
    {
        var mask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(lanes)).AsSingle();
        fixed (float* p = &destination) Avx.MaskStore(p, mask, value);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> LessThan(Vector256<float> a, Vector256<float> b) => Vector256.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> GreaterThan(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> EqualTo(Vector256<float> a, Vector256<float> b) => Vector256.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> ConditionalSelect(Vector256<float> mask, Vector256<float> whenTrue, Vector256<float> whenFalse) => Vector256.ConditionalSelect(mask, whenTrue, whenFalse);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> And(Vector256<float> a, Vector256<float> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Or(Vector256<float> a, Vector256<float> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> AndNot(Vector256<float> a, Vector256<float> b) => Vector256.AndNot(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> BroadcastInt32(int value) => Vector256.Create(value).AsSingle();
    public static Vector256<float> IndicesInt32 => Vector256<int>.Indices.AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> AddInt32(Vector256<float> a, Vector256<float> b) => (a.AsInt32() + b.AsInt32()).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> SubtractInt32(Vector256<float> a, Vector256<float> b) => (a.AsInt32() - b.AsInt32()).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> ShiftLeftInt32(Vector256<float> a, int count) => Vector256.ShiftLeft(a.AsInt32(), count).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> ShiftRightArithmeticInt32(Vector256<float> a, int count) => Vector256.ShiftRightArithmetic(a.AsInt32(), count).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Xor(Vector256<float> a, Vector256<float> b) => a ^ b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> BroadcastUInt64(ulong value) => Vector256.Create(value).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> AddUInt64(Vector256<float> a, Vector256<float> b) => (a.AsUInt64() + b.AsUInt64()).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MultiplyUInt64(Vector256<float> a, Vector256<float> b) => (a.AsUInt64() * b.AsUInt64()).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> ShiftRightLogicalUInt64(Vector256<float> a, int count) => Vector256.ShiftRightLogical(a.AsUInt64(), count).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sqrt(Vector256<float> a) => Vector256.Sqrt(a);

    // Elementwise activations (one body per operator) and GEMM packing.
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Abs(Vector256<float> a) => Vector256.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Negate(Vector256<float> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> GreaterThanOrEqual(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThanOrEqual(a, b);

    /// <summary>
    /// Transposes the 8×8 block at <paramref name="source"/> (row stride <paramref name="sourceStride"/>) into
    /// <paramref name="target"/> (row stride <paramref name="targetStride"/>) in registers: pure data movement.
    /// AVX, so for the Avx2 and Avx512 tiers only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Transpose8x8(float* source, nint sourceStride, float* target, nint targetStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(source), r1 = Avx.LoadVector256(source + sourceStride);
        Vector256<float> r2 = Avx.LoadVector256(source + 2 * sourceStride), r3 = Avx.LoadVector256(source + 3 * sourceStride);
        Vector256<float> r4 = Avx.LoadVector256(source + 4 * sourceStride), r5 = Avx.LoadVector256(source + 5 * sourceStride);
        Vector256<float> r6 = Avx.LoadVector256(source + 6 * sourceStride), r7 = Avx.LoadVector256(source + 7 * sourceStride);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(target, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(target + targetStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(target + 2 * targetStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(target + 3 * targetStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(target + 4 * targetStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(target + 5 * targetStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(target + 6 * targetStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(target + 7 * targetStride, Avx.Permute2x128(u3, u7, 0x31));
    }
}

/// <summary>128-bit registers (Vector128 tier).</summary>
internal readonly struct Width128 : IVectorWidth<Vector128<float>>
{
    public static int Count => Vector128<float>.Count;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Broadcast(float value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(ref float source) => Vector128.LoadUnsafe(ref source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector128<float> value, ref float destination) => value.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StorePartial(Vector128<float> value, ref float destination, int lanes)
    {
        for (int i = 0; i < lanes; i++) Unsafe.Add(ref destination, i) = value.GetElement(i);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> LessThan(Vector128<float> a, Vector128<float> b) => Vector128.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> GreaterThan(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> EqualTo(Vector128<float> a, Vector128<float> b) => Vector128.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> ConditionalSelect(Vector128<float> mask, Vector128<float> whenTrue, Vector128<float> whenFalse) => Vector128.ConditionalSelect(mask, whenTrue, whenFalse);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> And(Vector128<float> a, Vector128<float> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Or(Vector128<float> a, Vector128<float> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> AndNot(Vector128<float> a, Vector128<float> b) => Vector128.AndNot(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> BroadcastInt32(int value) => Vector128.Create(value).AsSingle();
    public static Vector128<float> IndicesInt32 => Vector128<int>.Indices.AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> AddInt32(Vector128<float> a, Vector128<float> b) => (a.AsInt32() + b.AsInt32()).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> SubtractInt32(Vector128<float> a, Vector128<float> b) => (a.AsInt32() - b.AsInt32()).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> ShiftLeftInt32(Vector128<float> a, int count) => Vector128.ShiftLeft(a.AsInt32(), count).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> ShiftRightArithmeticInt32(Vector128<float> a, int count) => Vector128.ShiftRightArithmetic(a.AsInt32(), count).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Xor(Vector128<float> a, Vector128<float> b) => a ^ b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> BroadcastUInt64(ulong value) => Vector128.Create(value).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> AddUInt64(Vector128<float> a, Vector128<float> b) => (a.AsUInt64() + b.AsUInt64()).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> MultiplyUInt64(Vector128<float> a, Vector128<float> b) => (a.AsUInt64() * b.AsUInt64()).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> ShiftRightLogicalUInt64(Vector128<float> a, int count) => Vector128.ShiftRightLogical(a.AsUInt64(), count).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sqrt(Vector128<float> a) => Vector128.Sqrt(a);

    // Elementwise activations (one body per operator) and GEMM packing.
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Abs(Vector128<float> a) => Vector128.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Negate(Vector128<float> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> GreaterThanOrEqual(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThanOrEqual(a, b);

    /// <summary>
    /// Transposes the 4×4 block at <paramref name="source"/> (row stride <paramref name="sourceStride"/>) into
    /// <paramref name="target"/> (row stride <paramref name="targetStride"/>): in SSE registers on x86, element by
    /// element elsewhere (pure data movement either way).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Transpose4x4(float* source, nint sourceStride, float* target, nint targetStride)
    {
        if (!Sse.IsSupported)
        {
            for (int p = 0; p < 4; p++)
                for (int r = 0; r < 4; r++) target[p * targetStride + r] = source[r * sourceStride + p];
            return;
        }
        Vector128<float> r0 = Sse.LoadVector128(source), r1 = Sse.LoadVector128(source + sourceStride);
        Vector128<float> r2 = Sse.LoadVector128(source + 2 * sourceStride), r3 = Sse.LoadVector128(source + 3 * sourceStride);
        Vector128<float> t0 = Sse.UnpackLow(r0, r1), t1 = Sse.UnpackHigh(r0, r1), t2 = Sse.UnpackLow(r2, r3), t3 = Sse.UnpackHigh(r2, r3);
        Sse.Store(target, Sse.MoveLowToHigh(t0, t2));
        Sse.Store(target + targetStride, Sse.MoveHighToLow(t2, t0));
        Sse.Store(target + 2 * targetStride, Sse.MoveLowToHigh(t1, t3));
        Sse.Store(target + 3 * targetStride, Sse.MoveHighToLow(t3, t1));
    }
}

/// <summary>One float at a time (scalar tier), with the same fused multiply-add.</summary>
internal readonly struct Width1 : IVectorWidth<float>
{
    public static int Count => 1;
    public static float Zero => 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Broadcast(float value) => value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(ref float source) => source;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float value, ref float destination) => destination = value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StorePartial(float value, ref float destination, int lanes) => destination = value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MultiplyAdd(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Multiply(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Subtract(float a, float b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float LessThan(float a, float b) => Mask(a < b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float GreaterThan(float a, float b) => Mask(a > b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float EqualTo(float a, float b) => Mask(a == b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float ConditionalSelect(float mask, float whenTrue, float whenFalse) => Or(And(mask, whenTrue), AndNot(whenFalse, mask));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float And(float a, float b) => Bits(Int(a) & Int(b));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Or(float a, float b) => Bits(Int(a) | Int(b));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float AndNot(float a, float b) => Bits(Int(a) & ~Int(b));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float BroadcastInt32(int value) => Bits(value);
    public static float IndicesInt32 => 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float AddInt32(float a, float b) => Bits(Int(a) + Int(b));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float SubtractInt32(float a, float b) => Bits(Int(a) - Int(b));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float ShiftLeftInt32(float a, int count) => Bits(Int(a) << count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float ShiftRightArithmeticInt32(float a, int count) => Bits(Int(a) >> count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Xor(float a, float b) => Bits(Int(a) ^ Int(b));
    public static float BroadcastUInt64(ulong value) => throw NoUInt64Lanes();
    public static float AddUInt64(float a, float b) => throw NoUInt64Lanes();
    public static float MultiplyUInt64(float a, float b) => throw NoUInt64Lanes();
    public static float ShiftRightLogicalUInt64(float a, int count) => throw NoUInt64Lanes();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Divide(float a, float b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sqrt(float a) => MathF.Sqrt(a);

    // Elementwise activations (one body per operator) and GEMM packing.
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Abs(float a) => MathF.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Negate(float a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float GreaterThanOrEqual(float a, float b) => Mask(a >= b);
    private static NotSupportedException NoUInt64Lanes() => new("Width1's register is one 32-bit float: it has no 64-bit lane.");
    private static float Mask(bool condition) => Bits(condition ? -1 : 0);
    private static int Int(float value) => BitConverter.SingleToInt32Bits(value);
    private static float Bits(int value) => BitConverter.Int32BitsToSingle(value);
}
