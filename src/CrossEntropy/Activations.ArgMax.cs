using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

public static partial class Activations
{
    /// <summary>Finds the index of the largest value of each row of <paramref name="classes"/> values in the row-major batch <paramref name="x"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="x">The values, <c>rows * classes</c> of them.</param>
    /// <param name="destination">Receives one index per row, in <c>[0, classes)</c>.</param>
    /// <param name="classes">The length of a row.</param>
    /// <remarks>
    /// <para>Effectively computes, for each row, the smallest <c>i</c> with <c>row[i] == max(row)</c>, as PyTorch's
    /// <c>torch.argmax(x, dim=-1)</c> on a <c>[rows, classes]</c> tensor: among equal maxima the first wins, and -0 equals +0.</para>
    /// <para>A row that holds a NaN gives the index of its first NaN.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="x"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the number of rows.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> shares memory with <paramref name="x"/>.</exception>
    public static void ArgMax<T>(ReadOnlySpan<T> x, Span<int> destination, int classes)
        where T : IFloatingPointIeee754<T>
    {
        int rows = ThrowHelper.Rows(x.Length, classes, nameof(x));
        Span<int> output = ThrowHelper.CheckSeparateOutput(x, destination, rows, nameof(destination), classes);
        var kernel = new ArgMaxKernel<T>(x, output, classes);
        Simd.Run<ArgMaxKernel<T>, T>(ref kernel, rows, classes);
    }

    private readonly ref struct ArgMaxKernel<T>(ReadOnlySpan<T> x, Span<int> destination, int classes) : IKernel
        where T : IFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> _x = x;
        private readonly Span<int> _destination = destination;

        public double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute>
        {
            ReadOnlySpan<T> x = _x.Slice(start * classes, (end - start) * classes);
            Span<int> destination = _destination[start..end];
            for (int r = 0; r < destination.Length; r++)
            {
                destination[r] = Kernel<TBlock, TCompute, T>.ArgMax(x.Slice(r * classes, classes));
            }

            return 0;
        }
    }
}

internal static partial class Kernel<TBlock, T, TMemory>
{
    /// <summary>
    /// The index of the first maximum of a row, or of its first NaN: one pass finds the maximum (in two running blocks, as the
    /// maximum is exact in any order) and whether a NaN is there, a second pass stops at the first element equal to it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int ArgMax(ReadOnlySpan<TMemory> row)
    {
        // The lanes past the row repeat its first element, which changes neither the maximum nor whether a NaN is there.
        TBlock tail = Tail(row, ToCompute(row[0]));
        TBlock max = tail;
        TBlock other = tail;
        TBlock ordered = TBlock.Equals(tail, tail);
        int i = 0;
        for (; i <= row.Length - 2 * Width; i += 2 * Width)
        {
            TBlock a = Load(row, i);
            TBlock b = Load(row, i + Width);
            max = TBlock.Max(max, a);
            other = TBlock.Max(other, b);
            ordered &= TBlock.Equals(a, a) & TBlock.Equals(b, b);
        }

        if (i <= row.Length - Width)
        {
            TBlock a = Load(row, i);
            max = TBlock.Max(max, a);
            ordered &= TBlock.Equals(a, a);
        }

        TBlock one = BlockMath<TBlock, T>.One;
        if (TBlock.LessThanAny(ordered & one, one))
        {
            return FirstNaN(row);
        }

        TBlock m = TBlock.Create(TBlock.Max(TBlock.Max(max, other)));
        for (i = 0; ; i += Width)
        {
            int lane = TBlock.FirstTrue(TBlock.Equals(Load(row, i, tail), m));
            if (lane < Width)
            {
                return i + lane;
            }
        }
    }

    private static int FirstNaN(ReadOnlySpan<TMemory> row)
    {
        int i = 0;
        while (!TMemory.IsNaN(row[i]))
        {
            i++;
        }

        return i;
    }
}
