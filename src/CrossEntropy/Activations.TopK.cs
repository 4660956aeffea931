using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

public static partial class Activations
{
    /// <summary>Finds the <paramref name="k"/> largest values of each row of <paramref name="classes"/> values in the row-major batch <paramref name="x"/>, in descending order.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="x">The values, <c>rows * classes</c> of them.</param>
    /// <param name="indices">Receives <paramref name="k"/> indices per row, in <c>[0, classes)</c>, the index of the largest value first.</param>
    /// <param name="values">Receives the values at those indices, <paramref name="k"/> per row; may be empty when only the indices are wanted.</param>
    /// <param name="classes">The length of a row.</param>
    /// <param name="k">How many values to take from each row, from 1 to <paramref name="classes"/>.</param>
    /// <remarks>
    /// <para>Effectively sorts each row in descending order, ties by lower index first, and takes the first <paramref name="k"/>
    /// entries, as PyTorch's <c>torch.topk(x, k, dim=-1)</c> on a <c>[rows, classes]</c> tensor; the order is fully defined, so
    /// every run gives the same indices. -0 equals +0.</para>
    /// <para>NaN ranks above +infinity, several NaNs by lower index first.</para>
    /// <para>The outputs may not share memory with <paramref name="x"/> or with each other.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="x"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is less than 1 or greater than <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="indices"/> is shorter than <c>rows * k</c>.</exception>
    /// <exception cref="ArgumentException"><paramref name="values"/> is neither empty nor at least <c>rows * k</c> long.</exception>
    /// <exception cref="ArgumentException"><paramref name="indices"/> shares memory with <paramref name="x"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="values"/> shares memory with <paramref name="x"/> or <paramref name="indices"/>.</exception>
    public static void TopK<T>(ReadOnlySpan<T> x, Span<int> indices, Span<T> values, int classes, int k)
        where T : IFloatingPointIeee754<T>
    {
        int rows = ThrowHelper.Rows(x.Length, classes, nameof(x));
        if (k < 1 || k > classes)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be from 1 to classes ({classes}).");
        }

        int length = rows * k;
        ThrowHelper.CheckPerRowOutput(indices.Length, rows, k, classes, nameof(indices));
        ThrowHelper.CheckNoOverlap(x, indices[..length], nameof(indices));
        if (!values.IsEmpty)
        {
            ThrowHelper.CheckPerRowOutput(values.Length, rows, k, classes, nameof(values));
            values = values[..length];
            ThrowHelper.CheckNoOverlap(x, values, nameof(values));
            ThrowHelper.CheckNoOverlap(indices[..length], values, nameof(values));
        }

        var kernel = new TopKKernel<T>(x, indices[..length], values, classes, k);
        Simd.Run<TopKKernel<T>, T>(ref kernel, rows, classes);
    }

    private readonly ref struct TopKKernel<T>(ReadOnlySpan<T> x, Span<int> indices, Span<T> values, int classes, int k) : IKernel
        where T : IFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> _x = x;
        private readonly Span<int> _indices = indices;
        private readonly Span<T> _values = values;

        public double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute>
        {
            for (int r = start; r < end; r++)
            {
                ReadOnlySpan<T> row = _x.Slice(r * classes, classes);
                Span<int> indices = _indices.Slice(r * k, k);
                Kernel<TBlock, TCompute, T>.TopK(row, indices);
                if (!_values.IsEmpty)
                {
                    Span<T> values = _values.Slice(r * k, k);
                    for (int j = 0; j < k; j++)
                    {
                        values[j] = row[indices[j]];
                    }
                }
            }

            return 0;
        }
    }
}

internal static partial class Kernel<TBlock, T, TMemory>
{
    /// <summary>
    /// The indices of the <c>indices.Length</c> entries of <paramref name="row"/> that rank highest (<see cref="Above"/>), best
    /// first. They are kept in <paramref name="indices"/> as a heap with the lowest-ranked at its root, filled in row order
    /// from the entries at or above a bound, then taking each later entry that ranks above the root. The scan skips the
    /// entries below the bound (the root's value, once the heap is full: an entry equal to it has a higher index, so ranks
    /// below it) that are not NaN. Heap sort then orders the indices.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void TopK(ReadOnlySpan<TMemory> row, Span<int> indices)
    {
        int count = 0;
        TMemory threshold = TMemory.NegativeInfinity;
        T bound = LowerBound(row, indices.Length);
        int blocks = row.Length - (row.Length % Width);
        int p = 0;
        while (p < blocks && (p = Next(row, p, bound)) < blocks)
        {
            int next = p - (p % Width) + Width;
            bound = Offer(row, indices, ref count, p, next, bound, ref threshold);
            p = next;
        }

        Offer(row, indices, ref count, blocks, row.Length, bound, ref threshold);
        for (int end = indices.Length - 1; end > 0; end--)
        {
            (indices[0], indices[end]) = (indices[end], indices[0]);
            SiftDown(row, indices[..end]);
        }
    }

    /// <summary>
    /// The index of the first entry of <paramref name="row"/>, in the whole blocks from <paramref name="start"/> (a block's
    /// start) on, that is at or above <paramref name="bound"/> or NaN (none where the bound is NaN); the end of the whole
    /// blocks where there is none.
    /// </summary>
    /// <remarks>
    /// Most blocks of a long row hold no such entry; taking them in a loop of their own, with no call in it, keeps the bound
    /// in a register. <c>Min(x, t)</c> is <c>t</c> exactly in the lanes at or above t or NaN.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Next(ReadOnlySpan<TMemory> row, int start, T bound)
    {
        TBlock t = TBlock.Create(bound);
        int i = start;
        for (; i <= row.Length - Width; i += Width)
        {
            TBlock low = TBlock.Min(Load(row, i), t);
            if (TBlock.EqualsAny(low, t))
            {
                return i + TBlock.FirstTrue(TBlock.Equals(low, t));
            }
        }

        return i;
    }

    /// <summary>
    /// Offers the entries of <paramref name="row"/> from <paramref name="start"/> to <paramref name="end"/> that are at or above
    /// <paramref name="bound"/> or NaN, in order, and returns the bound raised to the root's value once the heap is full (NaN
    /// once the heap holds only NaNs, which no entry can displace).
    /// </summary>
    private static T Offer(ReadOnlySpan<TMemory> row, Span<int> heap, ref int count, int start, int end, T bound, ref TMemory threshold)
    {
        for (int p = start; p < end && !T.IsNaN(bound); p++)
        {
            if (!(ToCompute(row[p]) < bound) && Offer(row, heap, ref count, p, ref threshold))
            {
                bound = ToCompute(threshold);
            }
        }

        return bound;
    }

    /// <summary>
    /// A value that at least <paramref name="k"/> entries of <paramref name="row"/> reach, where k fits in a block and the row
    /// is long enough to pay for it: the k-th largest of the lanes' maxima, each an entry of its own. -infinity otherwise.
    /// </summary>
    /// <remarks>
    /// The maxima leave NaN out (<c>Max</c> keeps its right operand where either is NaN), so NaN needs no check: the scan takes
    /// every NaN whatever the bound. The k-th largest is the largest maximum with at most Width - k others below it, counted
    /// lane by lane in blocks, as a selection by scalar comparisons mispredicts on data.
    /// </remarks>
    private static T LowerBound(ReadOnlySpan<TMemory> row, int k)
    {
        if (k > Width || row.Length < 4 * Width)
        {
            return T.NegativeInfinity;
        }

        // Two chains of maxima: one alone waits on the latency of each max.
        TBlock none = TBlock.Create(T.NegativeInfinity);
        TBlock max = TBlock.Max(Tail(row, T.NegativeInfinity), none);
        TBlock other = none;
        int i = 0;
        for (; i <= row.Length - (2 * Width); i += 2 * Width)
        {
            max = TBlock.Max(Load(row, i), max);
            other = TBlock.Max(Load(row, i + Width), other);
        }

        if (i <= row.Length - Width)
        {
            max = TBlock.Max(Load(row, i), max);
        }

        max = TBlock.Max(max, other);

        Lanes<T> lanes = default;
        TBlock.Store(max, ref lanes[0]);
        TBlock one = BlockMath<TBlock, T>.One;
        TBlock below = BlockMath<TBlock, T>.Zero;
        for (int l = 0; l < Width; l++)
        {
            below += TBlock.LessThan(TBlock.Create(lanes[l]), max) & one;
        }

        return TBlock.Max(TBlock.Select(TBlock.LessThan(below, TBlock.Create(T.CreateTruncating(Width - k + 1))), max, none));
    }

    /// <summary>
    /// Adds index <paramref name="p"/>, past every index in the heap, while the heap has room; then puts it in the place of the
    /// root where it ranks above it. Returns whether <paramref name="threshold"/>, the root's value once the heap is full, changed.
    /// </summary>
    private static bool Offer(ReadOnlySpan<TMemory> row, Span<int> heap, ref int count, int p, ref TMemory threshold)
    {
        if (count < heap.Length)
        {
            heap[count] = p;
            SiftUp(row, heap, count);
            if (++count < heap.Length)
            {
                return false;
            }
        }
        else
        {
            TMemory value = row[p];
            if (!(TMemory.IsNaN(value) ? !TMemory.IsNaN(threshold) : value > threshold))
            {
                return false;
            }

            heap[0] = p;
            SiftDown(row, heap);
        }

        threshold = row[heap[0]];
        return true;
    }

    /// <summary>Whether entry <paramref name="a"/> ranks above entry <paramref name="b"/>: NaN above everything, then by value, then by lower index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Above(ReadOnlySpan<TMemory> row, int a, int b)
    {
        TMemory left = row[a];
        TMemory right = row[b];
        if (TMemory.IsNaN(left) || TMemory.IsNaN(right))
        {
            return TMemory.IsNaN(left) && (!TMemory.IsNaN(right) || a < b);
        }

        return left > right || (left == right && a < b);
    }

    /// <summary>Moves the entry at <paramref name="position"/> of the heap up past every parent that ranks above it.</summary>
    private static void SiftUp(ReadOnlySpan<TMemory> row, Span<int> heap, int position)
    {
        int entry = heap[position];
        while (position > 0)
        {
            int parent = (position - 1) / 2;
            if (!Above(row, heap[parent], entry))
            {
                break;
            }

            heap[position] = heap[parent];
            position = parent;
        }

        heap[position] = entry;
    }

    /// <summary>Moves the root of the heap down past every child that ranks below it.</summary>
    private static void SiftDown(ReadOnlySpan<TMemory> row, Span<int> heap)
    {
        int entry = heap[0];
        int position = 0;
        while (true)
        {
            int child = (2 * position) + 1;
            if (child >= heap.Length)
            {
                break;
            }

            if (child + 1 < heap.Length && Above(row, heap[child], heap[child + 1]))
            {
                child++;
            }

            if (!Above(row, entry, heap[child]))
            {
                break;
            }

            heap[position] = heap[child];
            position = child;
        }

        heap[position] = entry;
    }
}
