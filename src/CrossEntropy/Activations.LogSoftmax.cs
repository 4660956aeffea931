using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

public static partial class Activations
{
    /// <summary>Computes the log-softmax of <paramref name="x"/>, treated as one row.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="x">The logits.</param>
    /// <param name="destination">Receives the log-probabilities; may be <paramref name="x"/> itself.</param>
    /// <remarks>
    /// <para>Effectively computes <c>destination[i] = x[i] - max(x) - log(sum_j exp(x[j] - max(x)))</c>, as PyTorch's
    /// <c>torch.log_softmax(x, dim=-1)</c>. Very negative entries stay finite and exact (no log(0)); the log of the sum is taken
    /// as log1p of the terms beside the maximum, so a confident row keeps its tiny log-probabilities' relative precision.</para>
    /// <para>-infinity entries give -infinity. If the row holds a NaN or +infinity, or only -infinity, every output is NaN.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="x"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> overlaps <paramref name="x"/> without being the same memory.</exception>
    public static void LogSoftmax<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : IFloatingPointIeee754<T> =>
        LogSoftmax(x, destination, Math.Max(x.Length, 1));

    /// <summary>Computes the log-softmax of each row of <paramref name="classes"/> logits in the row-major batch <paramref name="x"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="x">The logits, <c>rows * classes</c> values.</param>
    /// <param name="destination">Receives the log-probabilities; may be <paramref name="x"/> itself.</param>
    /// <param name="classes">The length of a row.</param>
    /// <remarks>
    /// <para>Effectively computes, for each row, <c>destination[i] = x[i] - max(row) - log(sum_j exp(x[j] - max(row)))</c>,
    /// as PyTorch's <c>torch.log_softmax(x, dim=-1)</c> on a <c>[rows, classes]</c> tensor.</para>
    /// <para>-infinity entries give -infinity. A row that holds a NaN or +infinity, or only -infinity, is all NaN.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="x"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="x"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> overlaps <paramref name="x"/> without being the same memory.</exception>
    public static void LogSoftmax<T>(ReadOnlySpan<T> x, Span<T> destination, int classes)
        where T : IFloatingPointIeee754<T>
    {
        int rows = ThrowHelper.Rows(x.Length, classes, nameof(x));
        ThrowHelper.CheckOutput(x, destination, x.Length, nameof(destination), classes);
        var kernel = new LogSoftmaxKernel<T>(x, destination, classes, temperature: 1);
        Simd.Run<LogSoftmaxKernel<T>, T>(ref kernel, rows, classes);
    }

    /// <summary>Computes the log-softmax of each row of <paramref name="classes"/> logits in the row-major batch <paramref name="x"/>, divided by <paramref name="temperature"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="x">The logits, <c>rows * classes</c> values.</param>
    /// <param name="destination">Receives the log-probabilities; may be <paramref name="x"/> itself.</param>
    /// <param name="classes">The length of a row.</param>
    /// <param name="temperature">What the logits are divided by: above 1 flattens the distribution, below 1 sharpens it.</param>
    /// <remarks>
    /// <para>Effectively computes <see cref="LogSoftmax{T}(ReadOnlySpan{T}, Span{T}, int)"/> of <c>x / temperature</c>, as PyTorch's
    /// <c>torch.log_softmax(x / temperature, dim=-1)</c> on a <c>[rows, classes]</c> tensor: each quotient is rounded as that division rounds it
    /// (in float for <see cref="Half"/>), as the row is read, without a pass of its own. A temperature of 1 gives the bits of the overload without one.</para>
    /// <para>The rules for NaN and infinities are those of the quotients; a quotient that overflows is an infinity, as in PyTorch.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="x"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not positive and finite (for float and Half, also once converted to float).</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="x"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> overlaps <paramref name="x"/> without being the same memory.</exception>
    public static void LogSoftmax<T>(ReadOnlySpan<T> x, Span<T> destination, int classes, double temperature)
        where T : IFloatingPointIeee754<T>
    {
        int rows = ThrowHelper.Rows(x.Length, classes, nameof(x));
        ThrowHelper.CheckTemperature<T>(temperature);
        ThrowHelper.CheckOutput(x, destination, x.Length, nameof(destination), classes);
        var kernel = new LogSoftmaxKernel<T>(x, destination, classes, temperature);
        Simd.Run<LogSoftmaxKernel<T>, T>(ref kernel, rows, classes);
    }

    /// <summary>Computes the gradient of a loss with respect to the input of <see cref="LogSoftmax{T}(ReadOnlySpan{T}, Span{T}, int)"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="output">What the log-softmax wrote: the log-probabilities <c>y</c>.</param>
    /// <param name="outputGradient">The gradient of the loss with respect to <paramref name="output"/>, <c>g</c>.</param>
    /// <param name="inputGradient">Receives the gradient with respect to the log-softmax input; may be <paramref name="output"/> or <paramref name="outputGradient"/>.</param>
    /// <param name="classes">The length of a row.</param>
    /// <remarks>
    /// <para>Effectively computes, for each row, the vector-Jacobian product <c>inputGradient[i] = g[i] - exp(y[i]) * sum_j g[j]</c>,
    /// what PyTorch's autograd computes for <c>log_softmax</c>.</para>
    /// <para>Any y is taken, not only a log-softmax's output: <c>exp(y)</c> overflows to +infinity past the type's range (y above
    /// 88.7 for float and Half, 709.7 for double), as in PyTorch. NaN and infinities propagate through the arithmetic as IEEE 754 defines.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="output"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="outputGradient"/> and <paramref name="output"/> differ in length.</exception>
    /// <exception cref="ArgumentException"><paramref name="inputGradient"/> is shorter than <paramref name="output"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="inputGradient"/> overlaps an input without being the same memory.</exception>
    public static void LogSoftmaxBackward<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> outputGradient, Span<T> inputGradient, int classes)
        where T : IFloatingPointIeee754<T>
    {
        CheckBackward(output, outputGradient, inputGradient, classes);
        var kernel = new LogSoftmaxBackwardKernel<T>(output, outputGradient, inputGradient, classes);
        Simd.Run<LogSoftmaxBackwardKernel<T>, T>(ref kernel, output.Length / classes, classes);
    }

    /// <summary>The log-softmax of the rows of x / <c>temperature</c>; a temperature of 1 takes the operator without the division.</summary>
    private readonly ref struct LogSoftmaxKernel<T>(ReadOnlySpan<T> x, Span<T> destination, int classes, double temperature) : IKernel
        where T : IFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> _x = x;
        private readonly Span<T> _destination = destination;

        public double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute>
        {
            int offset = start * classes;
            int length = (end - start) * classes;
            if (temperature == 1)
            {
                Kernel<TBlock, TCompute, T>.LogSoftmax(_x.Slice(offset, length), _destination.Slice(offset, length), classes);
            }
            else
            {
                Kernel<TBlock, TCompute, T>.LogSoftmax(_x.Slice(offset, length), _destination.Slice(offset, length), classes, TCompute.CreateTruncating(temperature));
            }

            return 0;
        }
    }

    private readonly ref struct LogSoftmaxBackwardKernel<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> outputGradient, Span<T> inputGradient, int classes) : IKernel
        where T : IFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> _output = output;
        private readonly ReadOnlySpan<T> _outputGradient = outputGradient;
        private readonly Span<T> _inputGradient = inputGradient;

        public double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute>
        {
            int offset = start * classes;
            int length = (end - start) * classes;
            Kernel<TBlock, TCompute, T>.LogSoftmaxBackward(
                _output.Slice(offset, length), _outputGradient.Slice(offset, length), _inputGradient.Slice(offset, length), classes);
            return 0;
        }
    }
}

internal static partial class Kernel<TBlock, T, TMemory>
{
    public static void LogSoftmax(ReadOnlySpan<TMemory> x, Span<TMemory> destination, int classes)
    {
        LogSoftmaxRow<No> op = default;
        Rows(ref op, x, destination, classes);
    }

    /// <summary>LogSoftmax of x / <paramref name="temperature"/>, each block divided as the row driver reads it.</summary>
    public static void LogSoftmax(ReadOnlySpan<TMemory> x, Span<TMemory> destination, int classes, T temperature)
    {
        var op = new LogSoftmaxRow<Yes>(temperature);
        Rows(ref op, x, destination, classes);
    }

    /// <summary>
    /// Log-softmax: x - max goes to the output in the pass that sums exp(x - max) beside the maximum's term, and the last pass
    /// subtracts log1p of that sum.
    /// </summary>
    private readonly struct LogSoftmaxRow<TTemperature>(T temperature) : IRowOperator
        where TTemperature : struct, IOption
    {
        private readonly TBlock _temperature = TBlock.Create(temperature);

        public static bool BesideMax => true;

        public static bool Differences => true;

        /// <summary>Division by a positive temperature keeps the order, so the maximum is that of the row as read, divided once.</summary>
        public static bool MonotoneInput => TTemperature.IsSet;

        public static bool Reduces => false;

        public bool WritesRows => true;

        public bool KeepsInOutput => true;

        public bool WithCoefficients => false;

        public bool AcrossLanes => true;

        /// <summary>x / temperature where <typeparamref name="TTemperature"/> is set; x itself otherwise.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TBlock Input(TBlock x) => TTemperature.IsSet ? x / _temperature : x;

        public bool Skips(int row) => false;

        public T NonFinite(int row, ReadOnlySpan<TMemory> x, T max, Span<TMemory> output)
        {
            output.Fill(TMemory.NaN);
            return T.Zero;
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
            value = default;
            return BlockMath<TBlock, T>.Log1P(sums.Sum);
        }

        public bool DefersValues => false;

        public TBlock Defer(in RowSums sums, int lane) => default;

        public void StartDeferred()
        {
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TBlock Final(TBlock value, TBlock factor, int start, int index, TBlock coefficientsTail, bool withCoefficients) => value - factor;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TBlock LaneFinal(TBlock value, TBlock factor, int c) => value - factor;

        public void AfterRow(int row, Span<TMemory> output)
        {
        }

        public void Value(int row, T value)
        {
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void LogSoftmaxBackward(ReadOnlySpan<TMemory> output, ReadOnlySpan<TMemory> outputGradient, Span<TMemory> inputGradient, int classes)
    {
        for (int start = 0; start < output.Length; start += classes)
        {
            ReadOnlySpan<TMemory> y = output.Slice(start, classes);
            ReadOnlySpan<TMemory> g = outputGradient.Slice(start, classes);
            TBlock yTail = Tail(y, T.Zero);
            TBlock gTail = Tail(g, T.Zero);
            TBlock sum = BlockMath<TBlock, T>.Zero;
            for (int i = 0; (uint)i < (uint)classes; i += Width)
            {
                sum += Load(g, i, gTail);
            }

            TBlock minusSum = TBlock.Create(-TBlock.Sum(sum));
            Span<TMemory> result = inputGradient.Slice(start, classes);
            TBlock last = gTail;
            for (int i = 0; (uint)i < (uint)classes; i += Width)
            {
                TBlock r = TBlock.FusedMultiplyAdd(Exp(Load(y, i, yTail)), minusSum, Load(g, i, gTail));
                if (i <= classes - Width)
                {
                    Store(r, result, i);
                }
                else
                {
                    last = r;
                }
            }

            StoreTail(last, result, classes);
        }
    }
}
