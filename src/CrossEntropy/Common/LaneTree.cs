using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CrossEntropy;

/// <summary>
/// The last steps of the fixed reduction tree shared by every block: each step combines the lower half of
/// the lanes with the upper half. The maximum of two values is <c>a &gt; b ? a : b</c> everywhere, so NaN
/// and signed zeros resolve the same way on every path.
/// </summary>
internal static class LaneTree
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Max<T>(T left, T right)
        where T : IFloatingPointIeee754<T> => left > right ? left : right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Max<T>(Vector256<T> left, Vector256<T> right) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(left, right), left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Max<T>(Vector128<T> left, Vector128<T> right) =>
        Vector128.ConditionalSelect(Vector128.GreaterThan(left, right), left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum<T>(Vector128<T> value)
        where T : IFloatingPointIeee754<T>
    {
        if (Vector128<T>.Count == 2)
        {
            return value.GetElement(0) + value.GetElement(1);
        }

        return (value.GetElement(0) + value.GetElement(2)) + (value.GetElement(1) + value.GetElement(3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Max<T>(Vector128<T> value)
        where T : IFloatingPointIeee754<T>
    {
        if (Vector128<T>.Count == 2)
        {
            return Max(value.GetElement(0), value.GetElement(1));
        }

        return Max(Max(value.GetElement(0), value.GetElement(2)), Max(value.GetElement(1), value.GetElement(3)));
    }
}
