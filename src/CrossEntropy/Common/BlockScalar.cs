using System;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CrossEntropy;

/// <summary>
/// A block computed one lane at a time, for hardware without SIMD. Each operation is the scalar
/// IEEE operation the vector paths perform lane by lane, so the results are the same bits.
/// </summary>
internal struct BlockScalar<T> : IBlock<BlockScalar<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private Lanes<T> _lanes;

    public static int Count => Lanes<T>.Length * sizeof(float) / Unsafe.SizeOf<T>();

    public static BlockScalar<T> Create(T value)
    {
        BlockScalar<T> result = default;
        for (int i = 0; i < Count; i++)
        {
            result._lanes[i] = value;
        }

        return result;
    }

    public static BlockScalar<T> Constant(T value, in BlockScalar<T> block) => block;

    public static BlockScalar<T> CreateBits(long bits) => Create(FromBits(bits));

    public static BlockScalar<T> Load(ref readonly T source)
    {
        BlockScalar<T> result = default;
        for (int i = 0; i < Count; i++)
        {
            result._lanes[i] = Unsafe.Add(ref Unsafe.AsRef(in source), i);
        }

        return result;
    }

    public static BlockScalar<T> LoadIntegers(ref readonly int source)
    {
        BlockScalar<T> result = default;
        for (int i = 0; i < Count; i++)
        {
            result._lanes[i] = T.CreateTruncating(Unsafe.Add(ref Unsafe.AsRef(in source), i));
        }

        return result;
    }

    public static Vector128<T> Quarter(BlockScalar<T> value, int index) => Vector128.LoadUnsafe(ref value._lanes[index * Vector128<T>.Count]);

    public static void TransposeQuarters(ref BlockScalar<T> a, ref BlockScalar<T> b, ref BlockScalar<T> c, ref BlockScalar<T> d)
    {
        Debug.Assert(typeof(T) == typeof(float), "Tiles of floats.");
        Span<BlockScalar<T>> source = [a, b, c, d];
        for (int i = 0; i < 4; i++)
        {
            ref BlockScalar<T> result = ref i == 0 ? ref a : ref i == 1 ? ref b : ref i == 2 ? ref c : ref d;
            for (int lane = 0; lane < Count; lane++)
            {
                // Lane j of quarter q takes lane i of that quarter of block j.
                result._lanes[lane] = source[lane % 4]._lanes[(lane - (lane % 4)) + i];
            }
        }
    }

    public static BlockScalar<T> FromQuarters(Vector128<T> q0, Vector128<T> q1, Vector128<T> q2, Vector128<T> q3)
    {
        BlockScalar<T> result = default;
        ref T lanes = ref result._lanes[0];
        int n = Vector128<T>.Count;
        q0.StoreUnsafe(ref lanes);
        q1.StoreUnsafe(ref lanes, (nuint)n);
        q2.StoreUnsafe(ref lanes, (nuint)(2 * n));
        q3.StoreUnsafe(ref lanes, (nuint)(3 * n));
        return result;
    }

    public static void Store(BlockScalar<T> value, ref T destination)
    {
        for (int i = 0; i < Count; i++)
        {
            Unsafe.Add(ref destination, i) = value._lanes[i];
        }
    }

    public static BlockScalar<T> LoadFirst(ref readonly T source, int count, BlockScalar<T> fill)
    {
        Debug.Assert((uint)count < (uint)Count, "A partial block has 0 to Count - 1 lanes.");
        for (int i = 0; i < count; i++)
        {
            fill._lanes[i] = Unsafe.Add(ref Unsafe.AsRef(in source), i);
        }

        return fill;
    }

    public static void StoreFirst(BlockScalar<T> value, ref T destination, int count)
    {
        Debug.Assert((uint)count < (uint)Count, "A partial block has 0 to Count - 1 lanes.");
        for (int i = 0; i < count; i++)
        {
            Unsafe.Add(ref destination, i) = value._lanes[i];
        }
    }

    public static BlockScalar<T> operator +(BlockScalar<T> left, BlockScalar<T> right)
    {
        for (int i = 0; i < Count; i++)
        {
            left._lanes[i] += right._lanes[i];
        }

        return left;
    }

    public static BlockScalar<T> operator -(BlockScalar<T> left, BlockScalar<T> right)
    {
        for (int i = 0; i < Count; i++)
        {
            left._lanes[i] -= right._lanes[i];
        }

        return left;
    }

    public static BlockScalar<T> operator *(BlockScalar<T> left, BlockScalar<T> right)
    {
        for (int i = 0; i < Count; i++)
        {
            left._lanes[i] *= right._lanes[i];
        }

        return left;
    }

    public static BlockScalar<T> operator /(BlockScalar<T> left, BlockScalar<T> right)
    {
        for (int i = 0; i < Count; i++)
        {
            left._lanes[i] /= right._lanes[i];
        }

        return left;
    }

    public static BlockScalar<T> operator &(BlockScalar<T> left, BlockScalar<T> right)
    {
        for (int i = 0; i < Count; i++)
        {
            left._lanes[i] = FromBits(ToBits(left._lanes[i]) & ToBits(right._lanes[i]));
        }

        return left;
    }

    public static BlockScalar<T> operator |(BlockScalar<T> left, BlockScalar<T> right)
    {
        for (int i = 0; i < Count; i++)
        {
            left._lanes[i] = FromBits(ToBits(left._lanes[i]) | ToBits(right._lanes[i]));
        }

        return left;
    }

    public static BlockScalar<T> FusedMultiplyAdd(BlockScalar<T> left, BlockScalar<T> right, BlockScalar<T> addend)
    {
        for (int i = 0; i < Count; i++)
        {
            left._lanes[i] = Simd.FusedMultiplyAdd
                ? T.FusedMultiplyAdd(left._lanes[i], right._lanes[i], addend._lanes[i])
                : left._lanes[i] * right._lanes[i] + addend._lanes[i];
        }

        return left;
    }

    public static BlockScalar<T> GreaterThan(BlockScalar<T> left, BlockScalar<T> right)
    {
        for (int i = 0; i < Count; i++)
        {
            left._lanes[i] = Mask(left._lanes[i] > right._lanes[i]);
        }

        return left;
    }

    public static BlockScalar<T> LessThan(BlockScalar<T> left, BlockScalar<T> right)
    {
        for (int i = 0; i < Count; i++)
        {
            left._lanes[i] = Mask(left._lanes[i] < right._lanes[i]);
        }

        return left;
    }

    public static BlockScalar<T> Equals(BlockScalar<T> left, BlockScalar<T> right)
    {
        for (int i = 0; i < Count; i++)
        {
            left._lanes[i] = Mask(left._lanes[i] == right._lanes[i]);
        }

        return left;
    }

    public static BlockScalar<T> Max(BlockScalar<T> left, BlockScalar<T> right)
    {
        for (int i = 0; i < Count; i++)
        {
            left._lanes[i] = LaneTree.Max(left._lanes[i], right._lanes[i]);
        }

        return left;
    }

    public static BlockScalar<T> Min(BlockScalar<T> left, BlockScalar<T> right)
    {
        for (int i = 0; i < Count; i++)
        {
            left._lanes[i] = left._lanes[i] < right._lanes[i] ? left._lanes[i] : right._lanes[i];
        }

        return left;
    }

    public static BlockScalar<T> Select(BlockScalar<T> mask, BlockScalar<T> left, BlockScalar<T> right)
    {
        for (int i = 0; i < Count; i++)
        {
            long m = ToBits(mask._lanes[i]);
            left._lanes[i] = FromBits((m & ToBits(left._lanes[i])) | (~m & ToBits(right._lanes[i])));
        }

        return left;
    }

    public static BlockScalar<T> SubtractBits(BlockScalar<T> left, BlockScalar<T> right)
    {
        for (int i = 0; i < Count; i++)
        {
            left._lanes[i] = FromBits(ToBits(left._lanes[i]) - ToBits(right._lanes[i]));
        }

        return left;
    }

    public static BlockScalar<T> ShiftLeftBits(BlockScalar<T> value, int count)
    {
        for (int i = 0; i < Count; i++)
        {
            value._lanes[i] = FromBits(ToBits(value._lanes[i]) << count);
        }

        return value;
    }

    public static BlockScalar<T> ShiftRightBits(BlockScalar<T> value, int count)
    {
        for (int i = 0; i < Count; i++)
        {
            value._lanes[i] = FromBits(ToBits(value._lanes[i]) >>> count);
        }

        return value;
    }

    public static bool LessThanAny(BlockScalar<T> left, BlockScalar<T> right) => AnyTrue(LessThan(left, right));

    public static bool EqualsAny(BlockScalar<T> left, BlockScalar<T> right) => AnyTrue(Equals(left, right));

    private static bool AnyTrue(BlockScalar<T> mask)
    {
        for (int i = 0; i < Count; i++)
        {
            if (ToBits(mask._lanes[i]) != 0)
            {
                return true;
            }
        }

        return false;
    }

    public static int FirstTrue(BlockScalar<T> mask)
    {
        int lane = 0;
        while (lane < Count && ToBits(mask._lanes[lane]) == 0)
        {
            lane++;
        }

        return lane;
    }

    public static T First(BlockScalar<T> value) => value._lanes[0];

    public static T Sum(BlockScalar<T> value)
    {
        for (int half = Count / 2; half > 0; half /= 2)
        {
            for (int i = 0; i < half; i++)
            {
                value._lanes[i] += value._lanes[i + half];
            }
        }

        return value._lanes[0];
    }

    public static T Max(BlockScalar<T> value)
    {
        for (int half = Count / 2; half > 0; half /= 2)
        {
            for (int i = 0; i < half; i++)
            {
                value._lanes[i] = LaneTree.Max(value._lanes[i], value._lanes[i + half]);
            }
        }

        return value._lanes[0];
    }

    private static T Mask(bool condition) => condition ? FromBits(-1) : T.Zero;

    /// <summary>The lane's bits as an integer of the lane's size, zero-extended for float.</summary>
    private static long ToBits(T value) => typeof(T) == typeof(float)
        ? (long)Unsafe.BitCast<float, uint>(Unsafe.As<T, float>(ref value))
        : Unsafe.BitCast<double, long>(Unsafe.As<T, double>(ref value));

    /// <summary>The lane whose bits are the low bits of <paramref name="bits"/>.</summary>
    private static T FromBits(long bits)
    {
        if (typeof(T) == typeof(float))
        {
            float f = Unsafe.BitCast<int, float>((int)bits);
            return Unsafe.As<float, T>(ref f);
        }

        double d = Unsafe.BitCast<long, double>(bits);
        return Unsafe.As<double, T>(ref d);
    }
}
