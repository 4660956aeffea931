using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CrossEntropy;

/// <summary>
/// The last steps of the fixed reduction tree shared by every block: each step combines the lower half of
/// the lanes with the upper half. The maximum of two values is <c>a &gt; b ? a : b</c> everywhere, so NaN
/// and signed zeros resolve the same way on every path; on x86 that is what the max instruction computes (its second
/// operand unless the first is greater), one instruction where a comparison and a blend are two.
/// </summary>
internal static class LaneTree
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Max<T>(T left, T right)
        where T : IFloatingPointIeee754<T> => left > right ? left : right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Max<T>(Vector256<T> left, Vector256<T> right) =>
        X86Base.IsSupported ? Vector256.MaxNative(left, right) : Vector256.ConditionalSelect(Vector256.GreaterThan(left, right), left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Max<T>(Vector128<T> left, Vector128<T> right) =>
        X86Base.IsSupported ? Vector128.MaxNative(left, right) : Vector128.ConditionalSelect(Vector128.GreaterThan(left, right), left, right);

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

    /// <summary>
    /// The last steps of the tree for the maximum, on vectors: a scalar <c>a &gt; b ? a : b</c> compiles to a branch, which
    /// mispredicts on data.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Max<T>(Vector128<T> value)
        where T : IFloatingPointIeee754<T>
    {
        if (Vector128<T>.Count == 2)
        {
            return Max(value, Vector128.Shuffle(value.AsInt64(), Vector128.Create(1L, 0L)).As<long, T>()).ToScalar();
        }

        // Lanes 0 and 1 take Max(e0, e2) and Max(e1, e3), then lane 0 the larger of those two.
        Vector128<T> pairs = Max(value, Vector128.Shuffle(value.AsInt32(), Vector128.Create(2, 3, 0, 1)).As<int, T>());
        return Max(pairs, Vector128.Shuffle(pairs.AsInt32(), Vector128.Create(1, 0, 3, 2)).As<int, T>()).ToScalar();
    }
}
