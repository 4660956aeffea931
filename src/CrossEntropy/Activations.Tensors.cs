using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace CrossEntropy;

public static partial class Activations
{
    /// <summary>Computes the softmax of a tensor of any rank along the class dimension <paramref name="dimension"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="x">The logits; may be a strided view.</param>
    /// <param name="destination">Receives the probabilities, written through its own strides; the lengths of <paramref name="x"/>. May be <paramref name="x"/> itself.</param>
    /// <param name="dimension">The class dimension, in <c>[-rank, rank)</c>; negative counts from the end.</param>
    /// <remarks>
    /// <para>Effectively computes, for each position along the other dimensions, <c>destination[c] = exp(x[c] - max) / sum_j exp(x[j] - max)</c>
    /// over the classes, as PyTorch's <c>torch.softmax(x, dim=dimension)</c>.</para>
    /// <para>-infinity entries get probability 0. A position whose classes hold a NaN or +infinity, or only -infinity, is all NaN.</para>
    /// <para>A row-major tensor whose class dimension is the last (or followed only by dimensions of length 1) gives the bits of
    /// <see cref="Softmax{T}(ReadOnlySpan{T}, Span{T}, int)"/>; otherwise the positions side by side are computed in SIMD lanes,
    /// with the same bits on every SIMD width and thread count. A view that is not row-major is computed in a pooled buffer.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimension"/> is outside <c>[-rank, rank)</c>.</exception>
    /// <exception cref="ArgumentException"><paramref name="x"/> has more than <see cref="int.MaxValue"/> elements.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> does not have the lengths of <paramref name="x"/>, or repeats elements (a zero stride).</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> overlaps <paramref name="x"/> without being the same elements.</exception>
    public static void Softmax<T>(in ReadOnlyTensorSpan<T> x, in TensorSpan<T> destination, int dimension)
        where T : IFloatingPointIeee754<T> =>
        Normalize<T, No>(x, destination, dimension);

    /// <summary>Computes the log-softmax of a tensor of any rank along the class dimension <paramref name="dimension"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="x">The logits; may be a strided view.</param>
    /// <param name="destination">Receives the log-probabilities, written through its own strides; the lengths of <paramref name="x"/>. May be <paramref name="x"/> itself.</param>
    /// <param name="dimension">The class dimension, in <c>[-rank, rank)</c>; negative counts from the end.</param>
    /// <remarks>
    /// <para>Effectively computes, for each position along the other dimensions, <c>destination[c] = x[c] - max - log(sum_j exp(x[j] - max))</c>
    /// over the classes, as PyTorch's <c>torch.log_softmax(x, dim=dimension)</c>; the log of the sum is taken as log1p of the
    /// terms beside the maximum.</para>
    /// <para>-infinity entries give -infinity. A position whose classes hold a NaN or +infinity, or only -infinity, is all NaN.</para>
    /// <para>A row-major tensor whose class dimension is the last gives the bits of
    /// <see cref="LogSoftmax{T}(ReadOnlySpan{T}, Span{T}, int)"/>; other layouts have the same bits on every SIMD width and thread count.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimension"/> is outside <c>[-rank, rank)</c>.</exception>
    /// <exception cref="ArgumentException"><paramref name="x"/> has more than <see cref="int.MaxValue"/> elements.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> does not have the lengths of <paramref name="x"/>, or repeats elements (a zero stride).</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> overlaps <paramref name="x"/> without being the same elements.</exception>
    public static void LogSoftmax<T>(in ReadOnlyTensorSpan<T> x, in TensorSpan<T> destination, int dimension)
        where T : IFloatingPointIeee754<T> =>
        Normalize<T, Yes>(x, destination, dimension);

    /// <summary>Computes the log-sum-exp of a tensor of any rank along the class dimension <paramref name="dimension"/>, which the result drops.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="x">The values; may be a strided view.</param>
    /// <param name="destination">
    /// Receives one value per position, written through its own strides: the lengths of <paramref name="x"/> without
    /// <paramref name="dimension"/> (<c>[1]</c> for a tensor of rank 1). Shares no memory with <paramref name="x"/>.
    /// </param>
    /// <param name="dimension">The dimension to reduce, in <c>[-rank, rank)</c>; negative counts from the end.</param>
    /// <remarks>
    /// <para>Effectively computes, for each position, <c>max + log(sum_c exp(x[c] - max))</c>, as PyTorch's
    /// <c>torch.logsumexp(x, dim=dimension)</c>. A dimension of length 0 gives -infinity.</para>
    /// <para>A position with a NaN gives NaN; otherwise one with +infinity gives +infinity, and one of only -infinity gives -infinity.</para>
    /// <para>A row-major tensor whose dimension is the last gives the bits of <see cref="LogSumExp{T}(ReadOnlySpan{T}, Span{T}, int)"/>.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimension"/> is outside <c>[-rank, rank)</c>.</exception>
    /// <exception cref="ArgumentException"><paramref name="x"/> has more than <see cref="int.MaxValue"/> elements or positions.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> does not have the lengths of <paramref name="x"/> without <paramref name="dimension"/>, or repeats elements.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> shares memory with <paramref name="x"/>.</exception>
    public static void LogSumExp<T>(in ReadOnlyTensorSpan<T> x, in TensorSpan<T> destination, int dimension)
        where T : IFloatingPointIeee754<T>
    {
        int d = TensorLayout.Dimension(dimension, x.Rank);
        ClassLayout layout = TensorLayout.Layout(x.Lengths, d, nameof(x));
        TensorLayout.CheckReducedLengths(x.Lengths, d, destination.Lengths, nameof(destination), nameof(x));
        TensorLayout.CheckOutput(x, destination, nameof(destination), mayBeInput: false);
        if (layout.Positions == 0)
        {
            return;
        }

        if (layout.Classes == 0)
        {
            destination.Fill(T.NegativeInfinity);
            return;
        }

        T[]? input = null;
        T[]? output = null;
        try
        {
            ReadOnlySpan<T> values = TensorLayout.RowMajor(x, ref input);
            Span<T> results = TensorLayout.RowMajor(destination, ref output);
            if (layout.Inner == 1)
            {
                LogSumExp(values, results, layout.Classes);
            }
            else
            {
                var kernel = new InnerLogSumExpKernel<T>(values, results, layout);
                Simd.Run<InnerLogSumExpKernel<T>, T>(ref kernel, layout.Items, layout.ItemLength);
            }

            TensorLayout.CopyOut(results, output, destination);
        }
        finally
        {
            TensorLayout.Return(input);
            TensorLayout.Return(output);
        }
    }

    /// <summary>Finds the index of the largest value of a tensor of any rank along the class dimension <paramref name="dimension"/>, which the result drops.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="x">The values; may be a strided view.</param>
    /// <param name="destination">
    /// Receives one class index per position, written through its own strides: the lengths of <paramref name="x"/> without
    /// <paramref name="dimension"/> (<c>[1]</c> for a tensor of rank 1).
    /// </param>
    /// <param name="dimension">The class dimension, in <c>[-rank, rank)</c>; negative counts from the end.</param>
    /// <remarks>
    /// <para>Effectively computes, for each position, the first <c>c</c> with <c>x[c] == max_j x[j]</c>, as PyTorch's
    /// <c>torch.argmax(x, dim=dimension)</c>. A position whose classes hold a NaN gets the index of its first NaN.</para>
    /// <para>A row-major tensor whose class dimension is the last runs <see cref="ArgMax{T}(ReadOnlySpan{T}, Span{int}, int)"/>.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimension"/> is outside <c>[-rank, rank)</c>.</exception>
    /// <exception cref="ArgumentException"><paramref name="x"/> has more than <see cref="int.MaxValue"/> elements or positions, or positions but no classes.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> does not have the lengths of <paramref name="x"/> without <paramref name="dimension"/>, or repeats elements.</exception>
    public static void ArgMax<T>(in ReadOnlyTensorSpan<T> x, in TensorSpan<int> destination, int dimension)
        where T : IFloatingPointIeee754<T>
    {
        int d = TensorLayout.Dimension(dimension, x.Rank);
        ClassLayout layout = TensorLayout.Layout(x.Lengths, d, nameof(x));
        TensorLayout.CheckReducedLengths(x.Lengths, d, destination.Lengths, nameof(destination), nameof(x));
        TensorLayout.CheckDistinct(destination.Lengths, destination.Strides, nameof(destination));
        if (layout.Positions == 0)
        {
            return;
        }

        if (layout.Classes == 0)
        {
            throw new ArgumentException($"x has no classes along dimension {d}: the maximum of no values has no index.", nameof(x));
        }

        T[]? input = null;
        int[]? output = null;
        try
        {
            ReadOnlySpan<T> values = TensorLayout.RowMajor(x, ref input);
            Span<int> results = TensorLayout.RowMajor(destination, ref output);
            if (layout.Inner == 1)
            {
                ArgMax(values, results, layout.Classes);
            }
            else if (layout.Classes > MaxLaneClasses)
            {
                ArgMaxScalar(values, results, layout);
            }
            else
            {
                var kernel = new InnerArgMaxKernel<T>(values, results, layout);
                Simd.Run<InnerArgMaxKernel<T>, T>(ref kernel, layout.Items, layout.ItemLength);
            }

            TensorLayout.CopyOut(results, output, destination);
        }
        finally
        {
            TensorLayout.Return(input);
            TensorLayout.Return(output);
        }
    }

    /// <summary>The most classes whose indices the lanes of the inner layout carry exactly as float (2^24); more go one position at a time.</summary>
    private const int MaxLaneClasses = 1 << 24;

    /// <summary>ArgMax one position at a time, for more classes than <see cref="MaxLaneClasses"/>.</summary>
    private static void ArgMaxScalar<T>(ReadOnlySpan<T> x, Span<int> destination, ClassLayout layout)
        where T : IFloatingPointIeee754<T>
    {
        for (int o = 0; o < layout.Outer; o++)
        {
            for (int j = 0; j < layout.Inner; j++)
            {
                int first = o * layout.Classes * layout.Inner + j;
                T best = x[first];
                int index = 0;
                for (int c = 1; c < layout.Classes; c++)
                {
                    T value = x[first + c * layout.Inner];
                    if (value > best || (T.IsNaN(value) && !T.IsNaN(best)))
                    {
                        best = value;
                        index = c;
                    }
                }

                destination[o * layout.Inner + j] = index;
            }
        }
    }

    /// <summary>Softmax, or log-softmax where <typeparamref name="TLog"/> is set, of a tensor along a dimension: every check, then one kernel.</summary>
    private static void Normalize<T, TLog>(in ReadOnlyTensorSpan<T> x, in TensorSpan<T> destination, int dimension)
        where T : IFloatingPointIeee754<T>
        where TLog : struct, IOption
    {
        // Dense tensors with the classes last, the common case, go straight to the span overloads, whose checks of the memory
        // are then the same; reading a tensor's lengths and strides costs more than a short row's softmax.
        ReadOnlySpan<nint> lengths = x.Lengths;
        if (lengths.Length > 0 && (dimension is -1 || dimension == lengths.Length - 1))
        {
            if (x.IsDense && destination.IsDense && x.FlattenedLength <= int.MaxValue && lengths.SequenceEqual(destination.Lengths))
            {
                if (!x.IsEmpty)
                {
                    ReadOnlySpan<T> values = MemoryMarshal.CreateReadOnlySpan(in x.GetPinnableReference(), (int)x.FlattenedLength);
                    Span<T> results = MemoryMarshal.CreateSpan(ref destination.GetPinnableReference(), values.Length);
                    NormalizeRows<T, TLog>(values, results, (int)lengths[^1]);
                }

                return;
            }
        }

        ClassLayout layout = TensorLayout.Layout(x.Lengths, TensorLayout.Dimension(dimension, x.Rank), nameof(x));
        TensorLayout.CheckLengths(x.Lengths, destination.Lengths, nameof(destination), nameof(x));
        TensorLayout.CheckOutput(x, destination, nameof(destination), mayBeInput: true);
        if (layout.Length == 0)
        {
            return;
        }

        T[]? input = null;
        T[]? output = null;
        try
        {
            ReadOnlySpan<T> values = TensorLayout.RowMajor(x, ref input);
            Span<T> results = TensorLayout.RowMajor(destination, ref output);
            if (layout.Inner == 1)
            {
                NormalizeRows<T, TLog>(values, results, layout.Classes);
            }
            else
            {
                var kernel = new InnerSoftmaxKernel<T, TLog>(values, results, layout);
                Simd.Run<InnerSoftmaxKernel<T, TLog>, T>(ref kernel, layout.Items, layout.ItemLength);
            }

            TensorLayout.CopyOut(results, output, destination);
        }
        finally
        {
            TensorLayout.Return(input);
            TensorLayout.Return(output);
        }
    }

    /// <summary>The span overload of softmax, or of log-softmax where <typeparamref name="TLog"/>, over rows of <paramref name="classes"/>.</summary>
    private static void NormalizeRows<T, TLog>(ReadOnlySpan<T> x, Span<T> destination, int classes)
        where T : IFloatingPointIeee754<T>
        where TLog : struct, IOption
    {
        if (TLog.IsSet)
        {
            LogSoftmax(x, destination, classes);
        }
        else
        {
            Softmax(x, destination, classes);
        }
    }

    private readonly ref struct InnerSoftmaxKernel<T, TLog>(ReadOnlySpan<T> x, Span<T> destination, ClassLayout layout) : IKernel
        where T : IFloatingPointIeee754<T>
        where TLog : struct, IOption
    {
        private readonly ReadOnlySpan<T> _x = x;
        private readonly Span<T> _destination = destination;

        public double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute>
        {
            Kernel<TBlock, TCompute, T>.InnerSoftmax<TLog>(_x, _destination, layout, start, end);
            return 0;
        }
    }

    private readonly ref struct InnerLogSumExpKernel<T>(ReadOnlySpan<T> x, Span<T> destination, ClassLayout layout) : IKernel
        where T : IFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> _x = x;
        private readonly Span<T> _destination = destination;

        public double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute>
        {
            Kernel<TBlock, TCompute, T>.InnerLogSumExp(_x, _destination, layout, start, end);
            return 0;
        }
    }

    private readonly ref struct InnerArgMaxKernel<T>(ReadOnlySpan<T> x, Span<int> destination, ClassLayout layout) : IKernel
        where T : IFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> _x = x;
        private readonly Span<int> _destination = destination;

        public double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute>
        {
            Kernel<TBlock, TCompute, T>.InnerArgMax(_x, _destination, layout, start, end);
            return 0;
        }
    }
}
