using System.Numerics;
using System.Runtime.Intrinsics;

namespace CrossEntropy;

/// <summary>
/// 64 bytes of lanes (16 floats or 8 doubles), the unit every kernel works on. Lane <c>i</c> of a block
/// always holds element <c>i</c> of its 64-byte slice of the input, whichever hardware width implements
/// the block, and every reduction combines lanes in the same fixed tree. That is what makes results
/// bit-identical on Vector512, Vector256, Vector128 and scalar hardware.
/// </summary>
internal interface IBlock<TSelf, T>
    where TSelf : struct, IBlock<TSelf, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Lanes in a block: 64 bytes of <typeparamref name="T"/>.</summary>
    static abstract int Count { get; }

    static abstract TSelf Create(T value);

    /// <summary>
    /// A constant block: <paramref name="value"/> in every lane, which <paramref name="block"/>, a static readonly field, holds
    /// already. Block512 and Block256 broadcast the value where it is used, from 4 (8) bytes that the instruction reading it
    /// takes as its operand, under the JIT and the NativeAOT compiler alike; a block field is a constant only to the JIT, and
    /// NativeAOT code reads it whole, in every iteration of a loop. Block128 and BlockScalar return the block, which the JIT
    /// folds: broadcasting in their loops would cost more of the JIT's inlining budget than those loops have to spare, and the
    /// block comes by reference so that the call copies nothing into a local of its own.
    /// </summary>
    static abstract TSelf Constant(T value, in TSelf block);

    /// <summary>A block whose lanes hold the bit pattern <paramref name="bits"/> (a 32-bit pattern for float, 64-bit for double).</summary>
    static abstract TSelf CreateBits(long bits);

    /// <summary>Reads Count elements from <paramref name="source"/> on, which the caller guarantees lie in its memory.</summary>
    static abstract TSelf Load(ref readonly T source);

    /// <summary>Writes Count elements from <paramref name="destination"/> on, which the caller guarantees lie in its memory.</summary>
    static abstract void Store(TSelf value, ref T destination);

    /// <summary>
    /// Count 32-bit integers read from <paramref name="source"/> on, which the caller guarantees lie in its memory, each the
    /// nearest <typeparamref name="T"/>: exact up to 2^24 in magnitude for float, for every integer for double.
    /// </summary>
    static abstract TSelf LoadIntegers(ref readonly int source);

    /// <summary>
    /// The first <paramref name="count"/> lanes (0 to Count - 1) read from <paramref name="source"/>, the others taken from
    /// <paramref name="fill"/>; nothing past those lanes is read, so a row's last, partial block loads in place.
    /// </summary>
    static abstract TSelf LoadFirst(ref readonly T source, int count, TSelf fill);

    /// <summary>The block whose lanes are those of <paramref name="q0"/> to <paramref name="q3"/>, its four 16-byte quarters, in order.</summary>
    static abstract TSelf FromQuarters(Vector128<T> q0, Vector128<T> q1, Vector128<T> q2, Vector128<T> q3);

    /// <summary>
    /// Transposes, in place, the 4 by 4 tiles of floats that the same quarter of <paramref name="a"/> to <paramref name="d"/>
    /// makes: quarter q of block i then holds lane i of quarter q of each of the four blocks, in order. Only lanes move.
    /// </summary>
    static abstract void TransposeQuarters(ref TSelf a, ref TSelf b, ref TSelf c, ref TSelf d);

    /// <summary>The 16-byte quarter of <paramref name="value"/> at <paramref name="index"/> (0 to 3), a constant where inlined.</summary>
    static abstract Vector128<T> Quarter(TSelf value, int index);

    /// <summary>Stores the first <paramref name="count"/> lanes (0 to Count - 1) of <paramref name="value"/>, and writes nothing past them.</summary>
    static abstract void StoreFirst(TSelf value, ref T destination, int count);

    static abstract TSelf operator +(TSelf left, TSelf right);

    static abstract TSelf operator -(TSelf left, TSelf right);

    static abstract TSelf operator *(TSelf left, TSelf right);

    static abstract TSelf operator /(TSelf left, TSelf right);

    static abstract TSelf operator &(TSelf left, TSelf right);

    static abstract TSelf operator |(TSelf left, TSelf right);

    /// <summary>
    /// <c>left * right + addend</c> rounded once, where the hardware has the fused operation (<see cref="Simd.FusedMultiplyAdd"/>);
    /// rounded twice, the same way on every path, where it has not.
    /// </summary>
    static abstract TSelf FusedMultiplyAdd(TSelf left, TSelf right, TSelf addend);

    /// <summary>All bits set in the lanes where <c>left &gt; right</c> (false where either is NaN).</summary>
    static abstract TSelf GreaterThan(TSelf left, TSelf right);

    /// <summary>All bits set in the lanes where <c>left &lt; right</c> (false where either is NaN).</summary>
    static abstract TSelf LessThan(TSelf left, TSelf right);

    /// <summary>All bits set in the lanes where <c>left == right</c> (false where either is NaN).</summary>
    static abstract TSelf Equals(TSelf left, TSelf right);

    /// <summary>Per lane <c>left &gt; right ? left : right</c> on every platform (what the x86 max instruction computes): <paramref name="right"/> where either is NaN.</summary>
    static abstract TSelf Max(TSelf left, TSelf right);

    /// <summary>Per lane <c>left &lt; right ? left : right</c> on every platform (what the x86 min instruction computes): <paramref name="right"/> where either is NaN.</summary>
    static abstract TSelf Min(TSelf left, TSelf right);

    /// <summary>Per lane: <paramref name="left"/> where <paramref name="mask"/> is set, else <paramref name="right"/>.</summary>
    static abstract TSelf Select(TSelf mask, TSelf left, TSelf right);

    /// <summary>
    /// Each lane's bits minus the other's, read as integers of the lane's size (wrapping): for two positive floats, how many
    /// representable values lie from <paramref name="right"/> up to <paramref name="left"/>.
    /// </summary>
    static abstract TSelf SubtractBits(TSelf left, TSelf right);

    /// <summary>Shifts each lane's bits, read as an integer of the lane's size, to the left.</summary>
    static abstract TSelf ShiftLeftBits(TSelf value, int count);

    /// <summary>Shifts each lane's bits, read as an unsigned integer of the lane's size, to the right.</summary>
    static abstract TSelf ShiftRightBits(TSelf value, int count);

    /// <summary>Whether <c>left &lt; right</c> in any lane.</summary>
    static abstract bool LessThanAny(TSelf left, TSelf right);

    /// <summary>Whether <c>left == right</c> in any lane.</summary>
    static abstract bool EqualsAny(TSelf left, TSelf right);

    /// <summary>The index of the first lane set in a comparison mask; <see cref="Count"/> or more where none is.</summary>
    static abstract int FirstTrue(TSelf mask);

    /// <summary>Lane 0.</summary>
    static abstract T First(TSelf value);

    /// <summary>The sum of the lanes, adding the upper half onto the lower half until one lane is left.</summary>
    static abstract T Sum(TSelf value);

    /// <summary>The largest lane by <c>a &gt; b ? a : b</c>, combined in the same tree as <see cref="Sum"/>.</summary>
    static abstract T Max(TSelf value);
}
