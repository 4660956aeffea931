using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

public static partial class Activations
{
    /// <summary>Computes the log of the sum of the exponentials of <paramref name="x"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="x">The values.</param>
    /// <returns><c>log(sum_i exp(x[i]))</c>; -infinity when <paramref name="x"/> is empty.</returns>
    /// <remarks>
    /// <para>Effectively computes <c>max(x) + log(sum_i exp(x[i] - max(x)))</c>, as PyTorch's <c>torch.logsumexp(x, dim=-1)</c>,
    /// exact for any finite input.</para>
    /// <para>NaN anywhere gives NaN; otherwise +infinity anywhere gives +infinity, and only -infinity gives -infinity.</para>
    /// </remarks>
    public static T LogSumExp<T>(ReadOnlySpan<T> x)
        where T : IFloatingPointIeee754<T>
    {
        T result = T.NegativeInfinity;
        LogSumExp(x, new Span<T>(ref result), Math.Max(x.Length, 1));
        return result;
    }

    /// <summary>Computes the log-sum-exp of each row of <paramref name="classes"/> values in the row-major batch <paramref name="x"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="x">The values, <c>rows * classes</c> of them.</param>
    /// <param name="destination">
    /// Receives one value per row; may start at <paramref name="x"/>'s first element, the results then overwriting the start of
    /// <paramref name="x"/> (the rest is left as it was). As row r's result lands on a value of row r / classes, such a call
    /// computes its rows in order on the calling thread; it gives the same bits as a separate destination.
    /// </param>
    /// <param name="classes">The length of a row.</param>
    /// <remarks>
    /// <para>Effectively computes, for each row, <c>max(row) + log(sum_i exp(row[i] - max(row)))</c>, as PyTorch's
    /// <c>torch.logsumexp(x, dim=-1)</c> on a <c>[rows, classes]</c> tensor.</para>
    /// <para>A row with a NaN gives NaN; otherwise a row with +infinity gives +infinity, and a row of only -infinity gives -infinity.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="x"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the number of rows.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> overlaps <paramref name="x"/> without starting at its first element.</exception>
    public static void LogSumExp<T>(ReadOnlySpan<T> x, Span<T> destination, int classes)
        where T : IFloatingPointIeee754<T>
    {
        int rows = ThrowHelper.Rows(x.Length, classes, nameof(x));
        Span<T> output = ThrowHelper.CheckOutput(x, destination, rows, nameof(destination), classes);
        var kernel = new LogSumExpKernel<T>(x, output, classes);
        Simd.Run<LogSumExpKernel<T>, T>(ref kernel, rows, classes, inOrder: x.Overlaps(output));
    }

    private readonly ref struct LogSumExpKernel<T>(ReadOnlySpan<T> x, Span<T> destination, int classes) : IKernel
        where T : IFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> _x = x;
        private readonly Span<T> _destination = destination;

        public double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute>
        {
            Kernel<TBlock, TCompute, T>.LogSumExp(_x.Slice(start * classes, (end - start) * classes), _destination[start..end], classes);
            return 0;
        }
    }
}

internal static partial class Kernel<TBlock, T, TMemory>
{
    public static void LogSumExp(ReadOnlySpan<TMemory> x, Span<TMemory> destination, int classes)
    {
        var op = new LogSumExpRow(destination);
        Rows(ref op, x, default, classes);
    }

    /// <summary>Log-sum-exp: max + log1p of the sum of exp(x - max) beside the maximum's term, with PyTorch's rules for NaN and infinities.</summary>
    private readonly ref struct LogSumExpRow(Span<TMemory> destination) : IRowOperator
    {
        private readonly Span<TMemory> _destination = destination;

        public static bool BesideMax => true;

        public static bool Differences => false;

        public static bool Reduces => true;

        public bool WritesRows => false;

        public bool KeepsInOutput => false;

        public bool WithCoefficients => false;

        public bool AcrossLanes => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TBlock Input(TBlock x) => x;

        public bool Skips(int row) => false;

        /// <summary>NaN where the row holds one; otherwise the maximum, +infinity or -infinity (a row of only -infinity).</summary>
        public T NonFinite(int row, ReadOnlySpan<TMemory> x, T max, Span<TMemory> output)
        {
            foreach (TMemory value in x)
            {
                if (TMemory.IsNaN(value))
                {
                    return T.NaN;
                }
            }

            return max;
        }

        public void Start(int row, ReadOnlySpan<TMemory> x)
        {
        }

        public void StartLanes(int row, ref LaneBlocks<TBlock> values, int classes)
        {
        }

        public TBlock CoefficientsTail(int start) => default;

        public TBlock Coefficients(int start, int index, TBlock tail) => default;

        public TBlock LaneCoefficients(int c) => default;

        /// <summary>Not inline: log1p would leave the JIT no room to inline the drivers' loops on narrow hardware.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public TBlock Finish(in RowSums sums, out TBlock value)
        {
            value = sums.Max + BlockMath<TBlock, T>.Log1P(sums.Sum);
            return default;
        }

        /// <summary>A row's value needs nothing beside its sums.</summary>
        public bool DefersValues => true;

        public TBlock Defer(in RowSums sums, int lane) => default;

        public void StartDeferred()
        {
        }

        public TBlock Final(TBlock value, TBlock factor, int start, int index, TBlock coefficientsTail, bool withCoefficients) => value;

        public TBlock LaneFinal(TBlock value, TBlock factor, int c) => value;

        public void AfterRow(int row, Span<TMemory> output)
        {
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Value(int row, T value) => _destination[row] = ToMemory(value);
    }
}
