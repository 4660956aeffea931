using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CrossEntropy;

/// <summary>A block held in two <see cref="Vector256{T}"/>: lanes 0 to Count/2 - 1 in the first, the rest in the second.</summary>
internal readonly struct Block256<T> : IBlock<Block256<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector256<T> _lo;
    private readonly Vector256<T> _hi;

    private Block256(Vector256<T> lo, Vector256<T> hi)
    {
        _lo = lo;
        _hi = hi;
    }

    public static int Count => 2 * Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> Create(T value) => new(Vector256.Create(value), Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> Constant(T value, in Block256<T> block) => Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> CreateBits(long bits)
    {
        Vector256<T> v = typeof(T) == typeof(float)
            ? Vector256.Create((int)bits).As<int, T>()
            : Vector256.Create(bits).As<long, T>();
        return new(v, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> Load(ref readonly T source) =>
        new(Vector256.LoadUnsafe(in source), Vector256.LoadUnsafe(in source, (nuint)Vector256<T>.Count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> LoadIntegers(ref readonly int source) => new(Integers(in source), Integers(in Unsafe.Add(ref Unsafe.AsRef(in source), Vector256<T>.Count)));

    /// <summary>The integers of one vector, converted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Integers(ref readonly int source) => typeof(T) == typeof(float)
        ? Vector256.ConvertToSingle(Vector256.LoadUnsafe(in source)).As<float, T>()
        : Avx.ConvertToVector256Double(Vector128.LoadUnsafe(in source)).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Block256<T> value, ref T destination)
    {
        value._lo.StoreUnsafe(ref destination);
        value._hi.StoreUnsafe(ref destination, (nuint)Vector256<T>.Count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> FromQuarters(Vector128<T> q0, Vector128<T> q1, Vector128<T> q2, Vector128<T> q3) =>
        new(Vector256.Create(q0, q1), Vector256.Create(q2, q3));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Quarter(Block256<T> value, int index) => index switch
    {
        0 => value._lo.GetLower(),
        1 => value._lo.GetUpper(),
        2 => value._hi.GetLower(),
        _ => value._hi.GetUpper(),
    };

    /// <remarks>Shuffles of whole vectors, which transpose two tiles at once.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TransposeQuarters(ref Block256<T> a, ref Block256<T> b, ref Block256<T> c, ref Block256<T> d)
    {
        Debug.Assert(typeof(T) == typeof(float), "Tiles of floats.");
        (Vector256<T> a0, Vector256<T> b0, Vector256<T> c0, Vector256<T> d0) = TransposeHalves(a._lo, b._lo, c._lo, d._lo);
        (Vector256<T> a1, Vector256<T> b1, Vector256<T> c1, Vector256<T> d1) = TransposeHalves(a._hi, b._hi, c._hi, d._hi);
        a = new(a0, a1);
        b = new(b0, b1);
        c = new(c0, c1);
        d = new(d0, d1);
    }

    /// <summary>The two 4 by 4 tiles of floats that the 16-byte halves of four vectors make, each transposed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<T>, Vector256<T>, Vector256<T>, Vector256<T>) TransposeHalves(Vector256<T> a, Vector256<T> b, Vector256<T> c, Vector256<T> d)
    {
        // In each half: a0 b0 a1 b1, c0 d0 c1 d1, a2 b2 a3 b3, c2 d2 c3 d3; then their 64-bit halves paired.
        Vector256<double> ab = Avx.UnpackLow(a.AsSingle(), b.AsSingle()).AsDouble();
        Vector256<double> cd = Avx.UnpackLow(c.AsSingle(), d.AsSingle()).AsDouble();
        Vector256<double> abUpper = Avx.UnpackHigh(a.AsSingle(), b.AsSingle()).AsDouble();
        Vector256<double> cdUpper = Avx.UnpackHigh(c.AsSingle(), d.AsSingle()).AsDouble();
        return (
            Avx.UnpackLow(ab, cd).As<double, T>(),
            Avx.UnpackHigh(ab, cd).As<double, T>(),
            Avx.UnpackLow(abUpper, cdUpper).As<double, T>(),
            Avx.UnpackHigh(abUpper, cdUpper).As<double, T>());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Block256<T> LoadFirst(ref readonly T source, int count, Block256<T> fill)
    {
        Debug.Assert((uint)count < (uint)Count, "A partial block has 0 to Count - 1 lanes.");
        fixed (T* pointer = &Unsafe.AsRef(in source))
        {
            return new(LoadFirst(pointer, count, fill._lo), LoadFirst(pointer + Vector256<T>.Count, count - Vector256<T>.Count, fill._hi));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StoreFirst(Block256<T> value, ref T destination, int count)
    {
        Debug.Assert((uint)count < (uint)Count, "A partial block has 0 to Count - 1 lanes.");
        fixed (T* pointer = &destination)
        {
            StoreFirst(value._lo, pointer, count);
            StoreFirst(value._hi, pointer + Vector256<T>.Count, count - Vector256<T>.Count);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<T> LoadFirst(T* source, int count, Vector256<T> fill)
    {
        Vector256<T> mask = FirstLanes(count);
        Vector256<T> loaded = typeof(T) == typeof(float)
            ? Avx.MaskLoad((float*)source, mask.AsSingle()).As<float, T>()
            : Avx.MaskLoad((double*)source, mask.AsDouble()).As<double, T>();
        return Vector256.ConditionalSelect(mask, loaded, fill);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreFirst(Vector256<T> value, T* destination, int count)
    {
        Vector256<T> mask = FirstLanes(count);
        if (typeof(T) == typeof(float))
        {
            Avx.MaskStore((float*)destination, mask.AsSingle(), value.AsSingle());
        }
        else
        {
            Avx.MaskStore((double*)destination, mask.AsDouble(), value.AsDouble());
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> FirstLanes(int count) => Vector256.LessThan(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(count)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> operator +(Block256<T> left, Block256<T> right) => new(left._lo + right._lo, left._hi + right._hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> operator -(Block256<T> left, Block256<T> right) => new(left._lo - right._lo, left._hi - right._hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> operator *(Block256<T> left, Block256<T> right) => new(left._lo * right._lo, left._hi * right._hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> operator /(Block256<T> left, Block256<T> right) => new(left._lo / right._lo, left._hi / right._hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> operator &(Block256<T> left, Block256<T> right) => new(left._lo & right._lo, left._hi & right._hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> operator |(Block256<T> left, Block256<T> right) => new(left._lo | right._lo, left._hi | right._hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> FusedMultiplyAdd(Block256<T> left, Block256<T> right, Block256<T> addend) =>
        new(Fma(left._lo, right._lo, addend._lo), Fma(left._hi, right._hi, addend._hi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma(Vector256<T> left, Vector256<T> right, Vector256<T> addend) => typeof(T) == typeof(float)
        ? Vector256.FusedMultiplyAdd(left.AsSingle(), right.AsSingle(), addend.AsSingle()).As<float, T>()
        : Vector256.FusedMultiplyAdd(left.AsDouble(), right.AsDouble(), addend.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> GreaterThan(Block256<T> left, Block256<T> right) =>
        new(Vector256.GreaterThan(left._lo, right._lo), Vector256.GreaterThan(left._hi, right._hi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> LessThan(Block256<T> left, Block256<T> right) =>
        new(Vector256.LessThan(left._lo, right._lo), Vector256.LessThan(left._hi, right._hi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> Equals(Block256<T> left, Block256<T> right) =>
        new(Vector256.Equals(left._lo, right._lo), Vector256.Equals(left._hi, right._hi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> Max(Block256<T> left, Block256<T> right) =>
        new(Vector256.MaxNative(left._lo, right._lo), Vector256.MaxNative(left._hi, right._hi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> Min(Block256<T> left, Block256<T> right) =>
        new(Vector256.MinNative(left._lo, right._lo), Vector256.MinNative(left._hi, right._hi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> Select(Block256<T> mask, Block256<T> left, Block256<T> right) =>
        new(Vector256.ConditionalSelect(mask._lo, left._lo, right._lo), Vector256.ConditionalSelect(mask._hi, left._hi, right._hi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> SubtractBits(Block256<T> left, Block256<T> right) =>
        new(SubtractBits(left._lo, right._lo), SubtractBits(left._hi, right._hi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> SubtractBits(Vector256<T> left, Vector256<T> right) => typeof(T) == typeof(float)
        ? (left.AsInt32() - right.AsInt32()).As<int, T>()
        : (left.AsInt64() - right.AsInt64()).As<long, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> ShiftLeftBits(Block256<T> value, int count) => new(ShiftLeft(value._lo, count), ShiftLeft(value._hi, count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> ShiftLeft(Vector256<T> value, int count) => typeof(T) == typeof(float)
        ? Vector256.ShiftLeft(value.AsInt32(), count).As<int, T>()
        : Vector256.ShiftLeft(value.AsInt64(), count).As<long, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256<T> ShiftRightBits(Block256<T> value, int count) => new(ShiftRight(value._lo, count), ShiftRight(value._hi, count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> ShiftRight(Vector256<T> value, int count) => typeof(T) == typeof(float)
        ? Vector256.ShiftRightLogical(value.AsUInt32(), count).As<uint, T>()
        : Vector256.ShiftRightLogical(value.AsUInt64(), count).As<ulong, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool LessThanAny(Block256<T> left, Block256<T> right) => AnyTrue(LessThan(left, right));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool EqualsAny(Block256<T> left, Block256<T> right) => AnyTrue(Equals(left, right));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool AnyTrue(Block256<T> mask) => Vector256.ExtractMostSignificantBits(mask._lo | mask._hi) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FirstTrue(Block256<T> mask) => BitOperations.TrailingZeroCount(
        Vector256.ExtractMostSignificantBits(mask._lo) | (ulong)Vector256.ExtractMostSignificantBits(mask._hi) << Vector256<T>.Count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T First(Block256<T> value) => value._lo.ToScalar();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Block256<T> value)
    {
        Vector256<T> half = value._lo + value._hi;
        return LaneTree.Sum(half.GetLower() + half.GetUpper());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Max(Block256<T> value)
    {
        Vector256<T> half = LaneTree.Max(value._lo, value._hi);
        return LaneTree.Max(LaneTree.Max(half.GetLower(), half.GetUpper()));
    }
}
