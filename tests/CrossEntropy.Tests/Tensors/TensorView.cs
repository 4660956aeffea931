using System;
using System.Linq;
using System.Numerics;
using System.Numerics.Tensors;

namespace CrossEntropy.Tests.Tensors;

/// <summary>
/// A tensor of logical <see cref="Lengths"/> over its own memory: row-major, or with its dimensions stored in another order
/// (a transposed view) and every element <c>step</c> apart (a view with gaps, the gaps holding a sentinel).
/// </summary>
internal sealed class TensorView<T>
    where T : IFloatingPointIeee754<T>
{
    private TensorView(T[] memory, nint[] lengths, nint[] strides)
    {
        Memory = memory;
        Lengths = lengths;
        Strides = strides;
    }

    public T[] Memory { get; }

    public nint[] Lengths { get; }

    public nint[] Strides { get; }

    public int Length => (int)Lengths.Aggregate((nint)1, (a, b) => a * b);

    public ReadOnlyTensorSpan<T> Read => new(Memory, 0, Lengths, Strides);

    public TensorSpan<T> Write => new(Memory, 0, Lengths, Strides);

    /// <summary>A row-major tensor holding <paramref name="values"/>.</summary>
    public static TensorView<T> Dense(double[] values, params int[] lengths) => Strided(values, lengths, [.. Enumerable.Range(0, lengths.Length)], 1, T.Zero);

    /// <summary>
    /// A tensor of <paramref name="lengths"/> holding the row-major <paramref name="values"/>, its dimensions stored in the order
    /// <paramref name="order"/> (outermost first), elements <paramref name="step"/> apart, the rest of its memory <paramref name="fill"/>.
    /// </summary>
    public static TensorView<T> Strided(double[] values, int[] lengths, int[] order, int step, T fill)
    {
        nint[] strides = new nint[lengths.Length];
        nint stride = step;
        for (int k = order.Length - 1; k >= 0; k--)
        {
            // A dimension of length 1 gets stride 0, as System.Numerics.Tensors gives it.
            strides[order[k]] = lengths[order[k]] == 1 ? 0 : stride;
            stride *= lengths[order[k]];
        }

        var view = new TensorView<T>(Enumerable.Repeat(fill, Math.Max(1, (int)stride)).ToArray(), [.. lengths.Select(n => (nint)n)], strides);
        for (int i = 0; i < values.Length; i++)
        {
            view.Memory[view.Offset(i)] = T.CreateTruncating(values[i]);
        }

        return view;
    }

    /// <summary>The elements in row-major order.</summary>
    public double[] Values() => [.. Enumerable.Range(0, Length).Select(i => double.CreateTruncating(Memory[Offset(i)]))];

    /// <summary>The memory offset of the element at row-major index <paramref name="index"/>.</summary>
    public int Offset(int index)
    {
        nint offset = 0;
        for (int k = Lengths.Length - 1; k >= 0; k--)
        {
            offset += index % Lengths[k] * Strides[k];
            index = (int)(index / Lengths[k]);
        }

        return (int)offset;
    }
}

/// <summary>The <c>[outer, classes, inner]</c> view of a shape along one dimension, and moves between it and rows of classes.</summary>
internal readonly record struct Split(int Outer, int Classes, int Inner)
{
    public int Positions => Outer * Inner;

    public static Split Of(int[] lengths, int dimension)
    {
        int d = dimension < 0 ? dimension + lengths.Length : dimension;
        return new Split(lengths[..d].Aggregate(1, (a, b) => a * b), lengths[d], lengths[(d + 1)..].Aggregate(1, (a, b) => a * b));
    }

    /// <summary>Row-major tensor values from rows of classes, one row per position in order.</summary>
    public double[] FromRows(double[] rows)
    {
        double[] values = new double[rows.Length];
        for (int p = 0; p < Positions; p++)
        {
            for (int c = 0; c < Classes; c++)
            {
                values[Index(p, c)] = rows[p * Classes + c];
            }
        }

        return values;
    }

    /// <summary>Rows of classes, one per position, from row-major tensor values.</summary>
    public double[] ToRows(double[] values)
    {
        double[] rows = new double[values.Length];
        for (int p = 0; p < Positions; p++)
        {
            for (int c = 0; c < Classes; c++)
            {
                rows[p * Classes + c] = values[Index(p, c)];
            }
        }

        return rows;
    }

    /// <summary>The row-major index of class <paramref name="c"/> of position <paramref name="p"/>.</summary>
    public int Index(int p, int c) => (p / Inner * Classes + c) * Inner + p % Inner;
}
