using System;
using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CrossEntropy;

/// <summary>
/// A tensor seen along its class dimension as <c>[Outer, Classes, Inner]</c> in row-major order: <see cref="Outer"/> is the
/// product of the lengths before the class dimension, <see cref="Inner"/> of those after it. Where <see cref="Inner"/> is 1
/// the classes are the last dimension and a dense tensor is a row-major batch of rows.
/// </summary>
internal readonly record struct ClassLayout(int Outer, int Classes, int Inner)
{
    /// <summary>The positions: one value of a reduction over the classes for each.</summary>
    public int Positions => Outer * Inner;

    public int Length => Outer * Classes * Inner;

    /// <summary>
    /// The work items of the kernels on the inner layout: for each outer index, the groups of <see cref="Simd.GroupSize"/>
    /// consecutive inner positions, a split that does not depend on the hardware's block.
    /// </summary>
    public int Items => Outer * Simd.Groups(Inner);

    /// <summary>The elements of one item, for the split of a batch over threads.</summary>
    public int ItemLength => (int)Math.Min((long)Classes * Simd.GroupSize, int.MaxValue);
}

/// <summary>
/// Checks and memory access shared by the overloads on <see cref="ReadOnlyTensorSpan{T}"/>: the class dimension, shapes,
/// overlaps, and the row-major memory the kernels run on. A tensor whose strides are not row-major (a transposed or sliced
/// view) is copied into a buffer rented from <see cref="ArrayPool{T}"/>, computed there, and its outputs copied out through
/// their own strides: a dense tensor allocates nothing.
/// </summary>
internal static class TensorLayout
{
    /// <summary>The class dimension in <c>[0, rank)</c> from a <paramref name="dimension"/> that may count from the end, or throws.</summary>
    public static int Dimension(int dimension, int rank)
    {
        if (dimension < -rank || dimension >= rank)
        {
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, $"dimension must be in [{-rank}, {rank}) for a tensor of rank {rank}.");
        }

        return dimension < 0 ? dimension + rank : dimension;
    }

    /// <summary>The layout of a tensor of <paramref name="lengths"/> along dimension <paramref name="dimension"/> (in range), or throws if it is too large for a span.</summary>
    public static ClassLayout Layout(ReadOnlySpan<nint> lengths, int dimension, string name)
    {
        long outer = 1;
        long inner = 1;
        long total = lengths[dimension];
        for (int k = 0; k < lengths.Length; k++)
        {
            if (k != dimension)
            {
                total *= lengths[k];
                if (k < dimension)
                {
                    outer *= lengths[k];
                }
                else
                {
                    inner *= lengths[k];
                }
            }

            if (total > int.MaxValue || outer * inner > int.MaxValue)
            {
                throw new ArgumentException($"{name} has more than {int.MaxValue} elements, or as many positions along a dimension.", name);
            }
        }

        return new ClassLayout((int)outer, (int)lengths[dimension], (int)inner);
    }

    /// <summary>Throws unless <paramref name="actual"/>, the lengths of <paramref name="name"/>, are <paramref name="expected"/>, those of <paramref name="inputName"/>.</summary>
    public static void CheckLengths(ReadOnlySpan<nint> expected, ReadOnlySpan<nint> actual, string name, string inputName)
    {
        if (!expected.SequenceEqual(actual))
        {
            throw new ArgumentException($"{name} has lengths [{string.Join(", ", actual.ToArray())}] but needs [{string.Join(", ", expected.ToArray())}], the lengths of {inputName}.", name);
        }
    }

    /// <summary>
    /// Throws unless <paramref name="actual"/>, the lengths of <paramref name="name"/>, are <paramref name="input"/>'s without dimension
    /// <paramref name="dimension"/>: one value per position. A tensor of rank 1 reduces to a single value, of lengths [1].
    /// </summary>
    public static void CheckReducedLengths(ReadOnlySpan<nint> input, int dimension, ReadOnlySpan<nint> actual, string name, string inputName)
    {
        bool matches = input.Length == 1
            ? actual.Length == 1 && actual[0] == 1
            : actual.Length == input.Length - 1 && input[..dimension].SequenceEqual(actual[..dimension]) && input[(dimension + 1)..].SequenceEqual(actual[dimension..]);
        if (!matches)
        {
            nint[] expected = input.Length == 1 ? [1] : [.. input[..dimension], .. input[(dimension + 1)..]];
            throw new ArgumentException(
                $"{name} has lengths [{string.Join(", ", actual.ToArray())}] but needs [{string.Join(", ", expected)}], the lengths of {inputName} without dimension {dimension}.", name);
        }
    }

    /// <summary>Whether a tensor of <paramref name="lengths"/> and <paramref name="strides"/> lies in row-major order with no gaps.</summary>
    public static bool IsRowMajor(ReadOnlySpan<nint> lengths, ReadOnlySpan<nint> strides)
    {
        nint expected = 1;
        for (int k = lengths.Length - 1; k >= 0; k--)
        {
            if (lengths[k] != 1 && strides[k] != expected)
            {
                return false;
            }

            expected *= lengths[k];
        }

        return true;
    }

    /// <summary>
    /// Throws unless the output <paramref name="output"/> has distinct elements (no zero stride over a dimension longer than 1)
    /// and either is exactly <paramref name="input"/> (same memory, same strides) where <paramref name="mayBeInput"/>, or shares
    /// no memory with it.
    /// </summary>
    public static void CheckOutput<T>(in ReadOnlyTensorSpan<T> input, in TensorSpan<T> output, string name, bool mayBeInput)
    {
        CheckDistinct(output.Lengths, output.Strides, name);
        if (input.IsEmpty || output.IsEmpty)
        {
            return;
        }

        ref T inputStart = ref Unsafe.AsRef(in input.GetPinnableReference());
        ref T outputStart = ref output.GetPinnableReference();
        if (!Overlaps(ref inputStart, Extent(input.Lengths, input.Strides), ref outputStart, Extent(output.Lengths, output.Strides)))
        {
            return;
        }

        if (!mayBeInput || !Unsafe.AreSame(ref inputStart, ref outputStart) || !SameStrides(input.Lengths, input.Strides, output.Strides))
        {
            ThrowHelper.ThrowPartialOverlap(name);
        }
    }

    /// <summary>Throws if the output <paramref name="output"/> shares memory with <paramref name="values"/>, an input no output may overlap.</summary>
    public static void CheckSeparate<T>(ReadOnlySpan<T> values, in TensorSpan<T> output, string name)
    {
        if (!values.IsEmpty && !output.IsEmpty &&
            Overlaps(ref MemoryMarshal.GetReference(values), values.Length, ref output.GetPinnableReference(), Extent(output.Lengths, output.Strides)))
        {
            throw new ArgumentException("The output shares memory with an input that no output may overlap.", name);
        }
    }

    /// <summary>Throws if the output <paramref name="name"/> repeats elements: a zero stride over a dimension longer than 1.</summary>
    public static void CheckDistinct(ReadOnlySpan<nint> lengths, ReadOnlySpan<nint> strides, string name)
    {
        for (int k = 0; k < lengths.Length; k++)
        {
            if (lengths[k] > 1 && strides[k] == 0)
            {
                throw new ArgumentException($"{name} repeats its elements along dimension {k} (stride 0); an output needs one element per value.", name);
            }
        }
    }

    /// <summary>The elements from a tensor's first element to one past its last.</summary>
    private static nint Extent(ReadOnlySpan<nint> lengths, ReadOnlySpan<nint> strides)
    {
        nint last = 0;
        for (int k = 0; k < lengths.Length; k++)
        {
            last += (lengths[k] - 1) * strides[k];
        }

        return last + 1;
    }

    private static bool Overlaps<T>(ref T first, nint firstExtent, ref T second, nint secondExtent)
    {
        nint offset = Unsafe.ByteOffset(ref first, ref second) / Unsafe.SizeOf<T>();
        return offset < firstExtent && -offset < secondExtent;
    }

    private static bool SameStrides(ReadOnlySpan<nint> lengths, ReadOnlySpan<nint> strides, ReadOnlySpan<nint> otherStrides)
    {
        for (int k = 0; k < lengths.Length; k++)
        {
            if (lengths[k] > 1 && strides[k] != otherStrides[k])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The elements of <paramref name="input"/> in row-major order: its own memory where it lies so, otherwise a copy in
    /// <paramref name="rented"/>, a buffer from the pool that the caller returns with <see cref="Return"/>.
    /// </summary>
    public static ReadOnlySpan<T> RowMajor<T>(in ReadOnlyTensorSpan<T> input, ref T[]? rented)
    {
        int length = (int)input.FlattenedLength;
        if (IsRowMajor(input.Lengths, input.Strides))
        {
            return MemoryMarshal.CreateReadOnlySpan(in input.GetPinnableReference(), length);
        }

        rented = ArrayPool<T>.Shared.Rent(length);
        Span<T> copy = rented.AsSpan(0, length);
        input.FlattenTo(copy);
        return copy;
    }

    /// <summary>
    /// Row-major memory for <paramref name="output"/>'s elements: its own where it lies so, otherwise a buffer from the pool in
    /// <paramref name="rented"/>, which <see cref="CopyOut"/> copies through the output's strides.
    /// </summary>
    public static Span<T> RowMajor<T>(in TensorSpan<T> output, ref T[]? rented)
    {
        int length = (int)output.FlattenedLength;
        if (IsRowMajor(output.Lengths, output.Strides))
        {
            return MemoryMarshal.CreateSpan(ref output.GetPinnableReference(), length);
        }

        rented = ArrayPool<T>.Shared.Rent(length);
        return rented.AsSpan(0, length);
    }

    /// <summary>Copies <paramref name="values"/> to <paramref name="output"/> where they were computed in a rented buffer.</summary>
    public static void CopyOut<T>(ReadOnlySpan<T> values, T[]? rented, in TensorSpan<T> output)
    {
        if (rented is not null)
        {
            new ReadOnlyTensorSpan<T>(values, output.Lengths).CopyTo(output);
        }
    }

    public static void Return<T>(T[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<T>.Shared.Return(rented);
        }
    }
}
