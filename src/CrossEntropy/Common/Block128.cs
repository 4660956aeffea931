using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CrossEntropy;

/// <summary>A block held in four <see cref="Vector128{T}"/>, each a consecutive quarter of the lanes.</summary>
/// <remarks>
/// The quarters a, b, c and d hold the lanes in memory order, and every operation but the reductions works on each quarter
/// alone, lane by lane. <see cref="Sum(Block128{T})"/> and <see cref="Max(Block128{T})"/> pair a with c and b with d: lane i
/// with lane i + Count/2, as Block512 pairs its lower half with its upper and Block256 its two vectors. Then they pair the two
/// results (lane i with lane i + Count/4) and finish the last vector by <see cref="LaneTree"/>: the halving tree of every other
/// width, hence the same bits. This holds only while callers combine lanes through these reductions alone, never by reading
/// lanes in another order, and pass <see cref="Load"/> and <see cref="Store"/> a reference to Count elements of their memory.
/// It is also the only vector block that runs where the hardware has no FMA (x86 before AVX2); there
/// <see cref="FusedMultiplyAdd"/> rounds twice, as <see cref="BlockScalar{T}"/> does.
/// </remarks>
internal readonly struct Block128<T> : IBlock<Block128<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector128<T> _a;
    private readonly Vector128<T> _b;
    private readonly Vector128<T> _c;
    private readonly Vector128<T> _d;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Block128(Vector128<T> a, Vector128<T> b, Vector128<T> c, Vector128<T> d)
    {
        _a = a;
        _b = b;
        _c = c;
        _d = d;
    }

    public static int Count => 4 * Vector128<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> Create(T value)
    {
        Vector128<T> v = Vector128.Create(value);
        return new(v, v, v, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> Constant(T value, in Block128<T> block) => block;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> CreateBits(long bits)
    {
        Vector128<T> v = typeof(T) == typeof(float)
            ? Vector128.Create((int)bits).As<int, T>()
            : Vector128.Create(bits).As<long, T>();
        return new(v, v, v, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> FromQuarters(Vector128<T> q0, Vector128<T> q1, Vector128<T> q2, Vector128<T> q3) => new(q0, q1, q2, q3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Quarter(Block128<T> value, int index) => index switch
    {
        0 => value._a,
        1 => value._b,
        2 => value._c,
        _ => value._d,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TransposeQuarters(ref Block128<T> a, ref Block128<T> b, ref Block128<T> c, ref Block128<T> d)
    {
        Debug.Assert(typeof(T) == typeof(float), "Tiles of floats.");
        Tile<T> q0 = Tiles.Transpose(a._a, b._a, c._a, d._a);
        Tile<T> q1 = Tiles.Transpose(a._b, b._b, c._b, d._b);
        Tile<T> q2 = Tiles.Transpose(a._c, b._c, c._c, d._c);
        Tile<T> q3 = Tiles.Transpose(a._d, b._d, c._d, d._d);
        a = new(q0.A, q1.A, q2.A, q3.A);
        b = new(q0.B, q1.B, q2.B, q3.B);
        c = new(q0.C, q1.C, q2.C, q3.C);
        d = new(q0.D, q1.D, q2.D, q3.D);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> Load(ref readonly T source)
    {
        nuint n = (nuint)Vector128<T>.Count;
        return new(
            Vector128.LoadUnsafe(in source),
            Vector128.LoadUnsafe(in source, n),
            Vector128.LoadUnsafe(in source, 2 * n),
            Vector128.LoadUnsafe(in source, 3 * n));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> LoadIntegers(ref readonly int source)
    {
        int n = Vector128<T>.Count;
        ref int start = ref Unsafe.AsRef(in source);
        return new(Integers(ref start), Integers(ref Unsafe.Add(ref start, n)), Integers(ref Unsafe.Add(ref start, 2 * n)), Integers(ref Unsafe.Add(ref start, 3 * n)));
    }

    /// <summary>The integers of one vector, converted; for doubles, the two integers one by one, so that nothing past them is read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Integers(ref int source) => typeof(T) == typeof(float)
        ? Vector128.ConvertToSingle(Vector128.LoadUnsafe(ref source)).As<float, T>()
        : Vector128.Create((double)source, Unsafe.Add(ref source, 1)).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Block128<T> value, ref T destination)
    {
        nuint n = (nuint)Vector128<T>.Count;
        value._a.StoreUnsafe(ref destination);
        value._b.StoreUnsafe(ref destination, n);
        value._c.StoreUnsafe(ref destination, 2 * n);
        value._d.StoreUnsafe(ref destination, 3 * n);
    }

    /// <summary>Through memory: Vector128 hardware (SSE, Arm64) has no masked load that leaves the other lanes unread.</summary>
    public static Block128<T> LoadFirst(ref readonly T source, int count, Block128<T> fill)
    {
        Debug.Assert((uint)count < (uint)Count, "A partial block has 0 to Count - 1 lanes.");
        Lanes<T> lanes = default;
        Store(fill, ref lanes[0]);
        for (int i = 0; i < count; i++)
        {
            lanes[i] = Unsafe.Add(ref Unsafe.AsRef(in source), i);
        }

        return Load(in lanes[0]);
    }

    public static void StoreFirst(Block128<T> value, ref T destination, int count)
    {
        Debug.Assert((uint)count < (uint)Count, "A partial block has 0 to Count - 1 lanes.");
        Lanes<T> lanes = default;
        Store(value, ref lanes[0]);
        for (int i = 0; i < count; i++)
        {
            Unsafe.Add(ref destination, i) = lanes[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> operator +(Block128<T> left, Block128<T> right) =>
        new(left._a + right._a, left._b + right._b, left._c + right._c, left._d + right._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> operator -(Block128<T> left, Block128<T> right) =>
        new(left._a - right._a, left._b - right._b, left._c - right._c, left._d - right._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> operator *(Block128<T> left, Block128<T> right) =>
        new(left._a * right._a, left._b * right._b, left._c * right._c, left._d * right._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> operator /(Block128<T> left, Block128<T> right) =>
        new(left._a / right._a, left._b / right._b, left._c / right._c, left._d / right._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> operator &(Block128<T> left, Block128<T> right) =>
        new(left._a & right._a, left._b & right._b, left._c & right._c, left._d & right._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> operator |(Block128<T> left, Block128<T> right) =>
        new(left._a | right._a, left._b | right._b, left._c | right._c, left._d | right._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> FusedMultiplyAdd(Block128<T> left, Block128<T> right, Block128<T> addend) =>
        Simd.FusedMultiplyAdd
            ? new(Fma(left._a, right._a, addend._a), Fma(left._b, right._b, addend._b), Fma(left._c, right._c, addend._c), Fma(left._d, right._d, addend._d))
            : new(left._a * right._a + addend._a, left._b * right._b + addend._b, left._c * right._c + addend._c, left._d * right._d + addend._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Fma(Vector128<T> left, Vector128<T> right, Vector128<T> addend) =>
        typeof(T) == typeof(float)
            ? Vector128.FusedMultiplyAdd(left.AsSingle(), right.AsSingle(), addend.AsSingle()).As<float, T>()
            : Vector128.FusedMultiplyAdd(left.AsDouble(), right.AsDouble(), addend.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> GreaterThan(Block128<T> left, Block128<T> right) =>
        new(Vector128.GreaterThan(left._a, right._a), Vector128.GreaterThan(left._b, right._b),
            Vector128.GreaterThan(left._c, right._c), Vector128.GreaterThan(left._d, right._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> LessThan(Block128<T> left, Block128<T> right) =>
        new(Vector128.LessThan(left._a, right._a), Vector128.LessThan(left._b, right._b),
            Vector128.LessThan(left._c, right._c), Vector128.LessThan(left._d, right._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> Equals(Block128<T> left, Block128<T> right) =>
        new(Vector128.Equals(left._a, right._a), Vector128.Equals(left._b, right._b),
            Vector128.Equals(left._c, right._c), Vector128.Equals(left._d, right._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> Max(Block128<T> left, Block128<T> right) =>
        new(LaneTree.Max(left._a, right._a), LaneTree.Max(left._b, right._b), LaneTree.Max(left._c, right._c), LaneTree.Max(left._d, right._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> Min(Block128<T> left, Block128<T> right) =>
        new(Min(left._a, right._a), Min(left._b, right._b), Min(left._c, right._c), Min(left._d, right._d));

    /// <summary>
    /// <c>left &lt; right ? left : right</c> per lane: the x86 instruction; Arm64's returns NaN where either lane is NaN and
    /// -0 for +0 and -0, so there it is a comparison and a select (as <see cref="LaneTree.Max{T}(Vector128{T}, Vector128{T})"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Min(Vector128<T> left, Vector128<T> right) =>
        X86Base.IsSupported ? Vector128.MinNative(left, right) : Vector128.ConditionalSelect(Vector128.LessThan(left, right), left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> Select(Block128<T> mask, Block128<T> left, Block128<T> right) =>
        new(Vector128.ConditionalSelect(mask._a, left._a, right._a), Vector128.ConditionalSelect(mask._b, left._b, right._b),
            Vector128.ConditionalSelect(mask._c, left._c, right._c), Vector128.ConditionalSelect(mask._d, left._d, right._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> SubtractBits(Block128<T> left, Block128<T> right) =>
        new(SubtractBits(left._a, right._a), SubtractBits(left._b, right._b), SubtractBits(left._c, right._c), SubtractBits(left._d, right._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> SubtractBits(Vector128<T> left, Vector128<T> right) => typeof(T) == typeof(float)
        ? (left.AsInt32() - right.AsInt32()).As<int, T>()
        : (left.AsInt64() - right.AsInt64()).As<long, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> ShiftLeftBits(Block128<T> value, int count) =>
        new(ShiftLeft(value._a, count), ShiftLeft(value._b, count), ShiftLeft(value._c, count), ShiftLeft(value._d, count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> ShiftLeft(Vector128<T> value, int count) => typeof(T) == typeof(float)
        ? Vector128.ShiftLeft(value.AsInt32(), count).As<int, T>()
        : Vector128.ShiftLeft(value.AsInt64(), count).As<long, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128<T> ShiftRightBits(Block128<T> value, int count) =>
        new(ShiftRight(value._a, count), ShiftRight(value._b, count), ShiftRight(value._c, count), ShiftRight(value._d, count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> ShiftRight(Vector128<T> value, int count) => typeof(T) == typeof(float)
        ? Vector128.ShiftRightLogical(value.AsUInt32(), count).As<uint, T>()
        : Vector128.ShiftRightLogical(value.AsUInt64(), count).As<ulong, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool LessThanAny(Block128<T> left, Block128<T> right) => AnyTrue(LessThan(left, right));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool EqualsAny(Block128<T> left, Block128<T> right) => AnyTrue(Equals(left, right));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool AnyTrue(Block128<T> mask) =>
        Vector128.ExtractMostSignificantBits((mask._a | mask._b) | (mask._c | mask._d)) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FirstTrue(Block128<T> mask)
    {
        int n = Vector128<T>.Count;
        ulong bits = Vector128.ExtractMostSignificantBits(mask._a) | (ulong)Vector128.ExtractMostSignificantBits(mask._b) << n
            | (ulong)Vector128.ExtractMostSignificantBits(mask._c) << (2 * n) | (ulong)Vector128.ExtractMostSignificantBits(mask._d) << (3 * n);
        return BitOperations.TrailingZeroCount(bits);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T First(Block128<T> value) => value._a.ToScalar();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Block128<T> value) => LaneTree.Sum((value._a + value._c) + (value._b + value._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Max(Block128<T> value) =>
        LaneTree.Max(LaneTree.Max(LaneTree.Max(value._a, value._c), LaneTree.Max(value._b, value._d)));
}
