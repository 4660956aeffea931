using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CrossEntropy;

/// <summary>A block held in one <see cref="Vector512{T}"/>.</summary>
internal readonly struct Block512<T> : IBlock<Block512<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector512<T> _v;

    private Block512(Vector512<T> v) => _v = v;

    public static int Count => Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> Create(T value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> Constant(T value, in Block512<T> block) => Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> CreateBits(long bits) => new(typeof(T) == typeof(float)
        ? Vector512.Create((int)bits).As<int, T>()
        : Vector512.Create(bits).As<long, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> Load(ref readonly T source) => new(Vector512.LoadUnsafe(in source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> LoadIntegers(ref readonly int source) => new(typeof(T) == typeof(float)
        ? Vector512.ConvertToSingle(Vector512.LoadUnsafe(in source)).As<float, T>()
        : Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(in source)).As<double, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Block512<T> value, ref T destination) => value._v.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> FromQuarters(Vector128<T> q0, Vector128<T> q1, Vector128<T> q2, Vector128<T> q3) =>
        new(Vector256.Create(q0, q1).ToVector512Unsafe().WithUpper(Vector256.Create(q2, q3)));

    /// <remarks>The last quarter in one extraction, rather than the upper half's upper half.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Quarter(Block512<T> value, int index) => index switch
    {
        0 => value._v.GetLower().GetLower(),
        1 => value._v.GetLower().GetUpper(),
        2 => value._v.GetUpper().GetLower(),
        _ => Avx512F.ExtractVector128(value._v.AsSingle(), 3).As<float, T>(),
    };

    /// <remarks>Eight shuffles of whole blocks, which transpose the four tiles at once.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TransposeQuarters(ref Block512<T> a, ref Block512<T> b, ref Block512<T> c, ref Block512<T> d)
    {
        Debug.Assert(typeof(T) == typeof(float), "Tiles of floats.");

        // In each quarter: a0 b0 a1 b1, c0 d0 c1 d1, a2 b2 a3 b3, c2 d2 c3 d3; then their 64-bit halves paired.
        Vector512<double> ab = Avx512F.UnpackLow(a._v.AsSingle(), b._v.AsSingle()).AsDouble();
        Vector512<double> cd = Avx512F.UnpackLow(c._v.AsSingle(), d._v.AsSingle()).AsDouble();
        Vector512<double> abUpper = Avx512F.UnpackHigh(a._v.AsSingle(), b._v.AsSingle()).AsDouble();
        Vector512<double> cdUpper = Avx512F.UnpackHigh(c._v.AsSingle(), d._v.AsSingle()).AsDouble();
        a = new(Avx512F.UnpackLow(ab, cd).As<double, T>());
        b = new(Avx512F.UnpackHigh(ab, cd).As<double, T>());
        c = new(Avx512F.UnpackLow(abUpper, cdUpper).As<double, T>());
        d = new(Avx512F.UnpackHigh(abUpper, cdUpper).As<double, T>());
    }

    /// <remarks>
    /// A short tail is read by a 128- or 256-bit masked load: the bytes a masked load spans must not have been written just
    /// before, even in its masked-out lanes, or the load waits for the store, and a row of a few elements often lies just
    /// before the buffer the previous call wrote.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Block512<T> LoadFirst(ref readonly T source, int count, Block512<T> fill)
    {
        Debug.Assert((uint)count < (uint)Count, "A partial block has 0 to Count - 1 lanes.");
        fixed (T* pointer = &Unsafe.AsRef(in source))
        {
            if (count <= Vector128<T>.Count)
            {
                Vector128<T> mask = Vector128.LessThan(Vector128<T>.Indices, Vector128.Create(T.CreateTruncating(count)));
                Vector128<T> merge = fill._v.GetLower().GetLower();
                Vector128<T> lanes = typeof(T) == typeof(float)
                    ? Avx512F.VL.MaskLoad((float*)pointer, mask.AsSingle(), merge.AsSingle()).As<float, T>()
                    : Avx512F.VL.MaskLoad((double*)pointer, mask.AsDouble(), merge.AsDouble()).As<double, T>();
                return new(fill._v.WithLower(fill._v.GetLower().WithLower(lanes)));
            }

            if (count <= Vector256<T>.Count)
            {
                Vector256<T> mask = Vector256.LessThan(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(count)));
                Vector256<T> merge = fill._v.GetLower();
                Vector256<T> lanes = typeof(T) == typeof(float)
                    ? Avx512F.VL.MaskLoad((float*)pointer, mask.AsSingle(), merge.AsSingle()).As<float, T>()
                    : Avx512F.VL.MaskLoad((double*)pointer, mask.AsDouble(), merge.AsDouble()).As<double, T>();
                return new(fill._v.WithLower(lanes));
            }

            Vector512<T> wide = FirstLanes(count);
            return new(typeof(T) == typeof(float)
                ? Avx512F.MaskLoad((float*)pointer, wide.AsSingle(), fill._v.AsSingle()).As<float, T>()
                : Avx512F.MaskLoad((double*)pointer, wide.AsDouble(), fill._v.AsDouble()).As<double, T>());
        }
    }

    /// <remarks>A short tail is written by a 128- or 256-bit masked store, as <see cref="LoadFirst"/> reads one.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StoreFirst(Block512<T> value, ref T destination, int count)
    {
        Debug.Assert((uint)count < (uint)Count, "A partial block has 0 to Count - 1 lanes.");
        fixed (T* pointer = &destination)
        {
            if (count <= Vector128<T>.Count)
            {
                Vector128<T> mask = Vector128.LessThan(Vector128<T>.Indices, Vector128.Create(T.CreateTruncating(count)));
                Vector128<T> lanes = value._v.GetLower().GetLower();
                if (typeof(T) == typeof(float))
                {
                    Avx512F.VL.MaskStore((float*)pointer, mask.AsSingle(), lanes.AsSingle());
                }
                else
                {
                    Avx512F.VL.MaskStore((double*)pointer, mask.AsDouble(), lanes.AsDouble());
                }
            }
            else if (count <= Vector256<T>.Count)
            {
                Vector256<T> mask = Vector256.LessThan(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(count)));
                Vector256<T> lanes = value._v.GetLower();
                if (typeof(T) == typeof(float))
                {
                    Avx512F.VL.MaskStore((float*)pointer, mask.AsSingle(), lanes.AsSingle());
                }
                else
                {
                    Avx512F.VL.MaskStore((double*)pointer, mask.AsDouble(), lanes.AsDouble());
                }
            }
            else if (typeof(T) == typeof(float))
            {
                Avx512F.MaskStore((float*)pointer, FirstLanes(count).AsSingle(), value._v.AsSingle());
            }
            else
            {
                Avx512F.MaskStore((double*)pointer, FirstLanes(count).AsDouble(), value._v.AsDouble());
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> FirstLanes(int count) => Vector512.LessThan(Vector512<T>.Indices, Vector512.Create(T.CreateTruncating(count)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> operator +(Block512<T> left, Block512<T> right) => new(left._v + right._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> operator -(Block512<T> left, Block512<T> right) => new(left._v - right._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> operator *(Block512<T> left, Block512<T> right) => new(left._v * right._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> operator /(Block512<T> left, Block512<T> right) => new(left._v / right._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> operator &(Block512<T> left, Block512<T> right) => new(left._v & right._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> operator |(Block512<T> left, Block512<T> right) => new(left._v | right._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> FusedMultiplyAdd(Block512<T> left, Block512<T> right, Block512<T> addend) =>
        new(typeof(T) == typeof(float)
            ? Vector512.FusedMultiplyAdd(left._v.AsSingle(), right._v.AsSingle(), addend._v.AsSingle()).As<float, T>()
            : Vector512.FusedMultiplyAdd(left._v.AsDouble(), right._v.AsDouble(), addend._v.AsDouble()).As<double, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> GreaterThan(Block512<T> left, Block512<T> right) => new(Vector512.GreaterThan(left._v, right._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> LessThan(Block512<T> left, Block512<T> right) => new(Vector512.LessThan(left._v, right._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> Equals(Block512<T> left, Block512<T> right) => new(Vector512.Equals(left._v, right._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> Max(Block512<T> left, Block512<T> right) => new(Vector512.MaxNative(left._v, right._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> Min(Block512<T> left, Block512<T> right) => new(Vector512.MinNative(left._v, right._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> Select(Block512<T> mask, Block512<T> left, Block512<T> right) =>
        new(Vector512.ConditionalSelect(mask._v, left._v, right._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> SubtractBits(Block512<T> left, Block512<T> right) => new(typeof(T) == typeof(float)
        ? (left._v.AsInt32() - right._v.AsInt32()).As<int, T>()
        : (left._v.AsInt64() - right._v.AsInt64()).As<long, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> ShiftLeftBits(Block512<T> value, int count) => new(typeof(T) == typeof(float)
        ? Vector512.ShiftLeft(value._v.AsInt32(), count).As<int, T>()
        : Vector512.ShiftLeft(value._v.AsInt64(), count).As<long, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block512<T> ShiftRightBits(Block512<T> value, int count) => new(typeof(T) == typeof(float)
        ? Vector512.ShiftRightLogical(value._v.AsUInt32(), count).As<uint, T>()
        : Vector512.ShiftRightLogical(value._v.AsUInt64(), count).As<ulong, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool LessThanAny(Block512<T> left, Block512<T> right) => Vector512.LessThanAny(left._v, right._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool EqualsAny(Block512<T> left, Block512<T> right) => Vector512.EqualsAny(left._v, right._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FirstTrue(Block512<T> mask) => BitOperations.TrailingZeroCount(Vector512.ExtractMostSignificantBits(mask._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T First(Block512<T> value) => value._v.ToScalar();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Block512<T> value)
    {
        Vector256<T> half = value._v.GetLower() + value._v.GetUpper();
        return LaneTree.Sum(half.GetLower() + half.GetUpper());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Max(Block512<T> value)
    {
        Vector256<T> half = LaneTree.Max(value._v.GetLower(), value._v.GetUpper());
        return LaneTree.Max(LaneTree.Max(half.GetLower(), half.GetUpper()));
    }
}
