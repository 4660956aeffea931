using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CrossEntropy;

/// <summary>Softmax, log-softmax, log-sum-exp, sigmoid and log-sigmoid, with the backward passes of the first three kinds.</summary>
/// <remarks>
/// Every method reads spans and writes spans, allocates nothing on one thread (a batch spread over threads allocates about
/// 1.7 KB for the thread pool) and is thread-safe. <see cref="float"/> and
/// <see cref="double"/> run on SIMD kernels; <see cref="Half"/> is computed in <see cref="float"/> and rounded once.
/// Results are bit-for-bit the same on every SIMD width (Vector512, Vector256, Vector128 or none) and thread count; a NaN
/// result stays NaN, its sign and payload unspecified.
/// Batches large enough to spread over threads use at most as many as the AppContext setting
/// <c>CrossEntropy.MaxDegreeOfParallelism</c> allows (every core where it is unset); where it holds anything but a positive
/// integer, such a call throws <see cref="InvalidOperationException"/>.
/// </remarks>
public static partial class Activations
{
    /// <summary>Computes the softmax of <paramref name="x"/>, treated as one row.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="x">The logits.</param>
    /// <param name="destination">Receives the probabilities; may be <paramref name="x"/> itself.</param>
    /// <remarks>
    /// <para>Effectively computes <c>destination[i] = exp(x[i] - max(x)) / sum_j exp(x[j] - max(x))</c>, as PyTorch's
    /// <c>torch.softmax(x, dim=-1)</c>. Subtracting the maximum first keeps every finite input exact: [1000, 1000] gives [0.5, 0.5].</para>
    /// <para>-infinity entries get probability 0. If the row holds a NaN or +infinity, or only -infinity, every output is NaN.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="x"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> overlaps <paramref name="x"/> without being the same memory.</exception>
    public static void Softmax<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : IFloatingPointIeee754<T> =>
        Softmax(x, destination, Math.Max(x.Length, 1));

    /// <summary>Computes the softmax of each row of <paramref name="classes"/> logits in the row-major batch <paramref name="x"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="x">The logits, <c>rows * classes</c> values.</param>
    /// <param name="destination">Receives the probabilities; may be <paramref name="x"/> itself.</param>
    /// <param name="classes">The length of a row.</param>
    /// <remarks>
    /// <para>Effectively computes, for each row, <c>destination[i] = exp(x[i] - max(row)) / sum_j exp(x[j] - max(row))</c>,
    /// as PyTorch's <c>torch.softmax(x, dim=-1)</c> on a <c>[rows, classes]</c> tensor.</para>
    /// <para>-infinity entries get probability 0. A row that holds a NaN or +infinity, or only -infinity, is all NaN.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="x"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="x"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> overlaps <paramref name="x"/> without being the same memory.</exception>
    public static void Softmax<T>(ReadOnlySpan<T> x, Span<T> destination, int classes)
        where T : IFloatingPointIeee754<T>
    {
        int rows = ThrowHelper.Rows(x.Length, classes, nameof(x));
        ThrowHelper.CheckOutput(x, destination, x.Length, nameof(destination), classes);
        var kernel = new SoftmaxKernel<T>(x, destination, classes, temperature: 1);
        Simd.Run<SoftmaxKernel<T>, T>(ref kernel, rows, classes);
    }

    /// <summary>Computes the softmax of each row of <paramref name="classes"/> logits in the row-major batch <paramref name="x"/> over the entries <paramref name="mask"/> keeps.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="x">The logits, <c>rows * classes</c> values.</param>
    /// <param name="mask">
    /// <see langword="true"/> for each entry that takes part, <see langword="false"/> for each that gets probability 0: one per
    /// element of <paramref name="x"/>, or <paramref name="classes"/> of them, one row's mask for every row.
    /// </param>
    /// <param name="destination">Receives the probabilities; may be <paramref name="x"/> itself.</param>
    /// <param name="classes">The length of a row.</param>
    /// <remarks>
    /// <para>Effectively computes, for each row, <c>destination[i] = mask[i] ? exp(x[i] - m) / sum_j (mask[j] ? exp(x[j] - m) : 0) : 0</c>
    /// with <c>m</c> the maximum over the kept entries: PyTorch's <c>torch.softmax(x.masked_fill(~mask, -inf), dim=-1)</c>,
    /// except that a row with no kept entry above -infinity is all 0 rather than NaN (a "safe" softmax). The gradient of
    /// such a row through <see cref="SoftmaxBackward{T}"/> is 0.</para>
    /// <para>Kept -infinity entries get probability 0. A kept NaN or +infinity makes its row all NaN; a masked-out one is ignored.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="x"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="mask"/> is neither that of <paramref name="x"/> nor <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="x"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> overlaps <paramref name="x"/> without being the same memory, or overlaps <paramref name="mask"/>.</exception>
    public static void Softmax<T>(ReadOnlySpan<T> x, ReadOnlySpan<bool> mask, Span<T> destination, int classes)
        where T : IFloatingPointIeee754<T>
    {
        int rows = ThrowHelper.Rows(x.Length, classes, nameof(x));
        if (mask.Length != x.Length && mask.Length != classes)
        {
            throw new ArgumentException(
                $"mask has {mask.Length} entries but needs one for each element of x ({x.Length}) or one for each class ({classes}).", nameof(mask));
        }

        Span<T> written = ThrowHelper.CheckOutput(x, destination, x.Length, nameof(destination), classes);
        ThrowHelper.CheckNoOverlap(mask, written, nameof(destination));
        var kernel = new MaskedSoftmaxKernel<T>(x, mask, written, classes);
        Simd.Run<MaskedSoftmaxKernel<T>, T>(ref kernel, rows, classes);
    }

    /// <summary>Computes the softmax of each row of <paramref name="classes"/> logits in the row-major batch <paramref name="x"/>, divided by <paramref name="temperature"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="x">The logits, <c>rows * classes</c> values.</param>
    /// <param name="destination">Receives the probabilities; may be <paramref name="x"/> itself.</param>
    /// <param name="classes">The length of a row.</param>
    /// <param name="temperature">What the logits are divided by: above 1 flattens the distribution, below 1 sharpens it.</param>
    /// <remarks>
    /// <para>Effectively computes <see cref="Softmax{T}(ReadOnlySpan{T}, Span{T}, int)"/> of <c>x / temperature</c>, as PyTorch's
    /// <c>torch.softmax(x / temperature, dim=-1)</c> on a <c>[rows, classes]</c> tensor: each quotient is rounded as that division rounds it
    /// (in float for <see cref="Half"/>), as the row is read, without a pass of its own. A temperature of 1 gives the bits of the overload without one.</para>
    /// <para>The rules for NaN and infinities are those of the quotients; a quotient that overflows is an infinity, as in PyTorch.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="x"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not positive and finite (for float and Half, also once converted to float).</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="x"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> overlaps <paramref name="x"/> without being the same memory.</exception>
    public static void Softmax<T>(ReadOnlySpan<T> x, Span<T> destination, int classes, double temperature)
        where T : IFloatingPointIeee754<T>
    {
        int rows = ThrowHelper.Rows(x.Length, classes, nameof(x));
        ThrowHelper.CheckTemperature<T>(temperature);
        ThrowHelper.CheckOutput(x, destination, x.Length, nameof(destination), classes);
        var kernel = new SoftmaxKernel<T>(x, destination, classes, temperature);
        Simd.Run<SoftmaxKernel<T>, T>(ref kernel, rows, classes);
    }

    /// <summary>Computes the gradient of a loss with respect to the input of <see cref="Softmax{T}(ReadOnlySpan{T}, Span{T}, int)"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="output">What the softmax wrote: the probabilities <c>y</c>.</param>
    /// <param name="outputGradient">The gradient of the loss with respect to <paramref name="output"/>, <c>g</c>.</param>
    /// <param name="inputGradient">Receives the gradient with respect to the softmax input; may be <paramref name="output"/> or <paramref name="outputGradient"/>.</param>
    /// <param name="classes">The length of a row.</param>
    /// <remarks>
    /// <para>Effectively computes, for each row, the vector-Jacobian product <c>inputGradient[i] = y[i] * (g[i] - sum_j g[j] y[j])</c>,
    /// what PyTorch's autograd computes for <c>softmax</c>.</para>
    /// <para>NaN and infinities propagate through the arithmetic as IEEE 754 defines.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="output"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="outputGradient"/> and <paramref name="output"/> differ in length.</exception>
    /// <exception cref="ArgumentException"><paramref name="inputGradient"/> is shorter than <paramref name="output"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="inputGradient"/> overlaps an input without being the same memory.</exception>
    public static void SoftmaxBackward<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> outputGradient, Span<T> inputGradient, int classes)
        where T : IFloatingPointIeee754<T>
    {
        CheckBackward(output, outputGradient, inputGradient, classes);
        var kernel = new SoftmaxBackwardKernel<T>(output, outputGradient, inputGradient, classes);
        Simd.Run<SoftmaxBackwardKernel<T>, T>(ref kernel, output.Length / classes, classes);
    }

    private static void CheckBackward<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> outputGradient, Span<T> inputGradient, int classes)
    {
        ThrowHelper.Rows(output.Length, classes, nameof(output));
        ThrowHelper.CheckSameLength(output.Length, outputGradient.Length, nameof(outputGradient), nameof(output));
        Span<T> written = ThrowHelper.CheckOutput(output, inputGradient, output.Length, nameof(inputGradient), classes);
        ThrowHelper.CheckNoPartialOverlap(outputGradient, written, nameof(inputGradient));
    }

    /// <summary>The softmax of the rows of x / <c>temperature</c>; a temperature of 1 takes the operator without the division.</summary>
    private readonly ref struct SoftmaxKernel<T>(ReadOnlySpan<T> x, Span<T> destination, int classes, double temperature) : IKernel
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
                Kernel<TBlock, TCompute, T>.Softmax(_x.Slice(offset, length), _destination.Slice(offset, length), classes);
            }
            else
            {
                Kernel<TBlock, TCompute, T>.Softmax(_x.Slice(offset, length), _destination.Slice(offset, length), classes, TCompute.CreateTruncating(temperature));
            }

            return 0;
        }
    }

    private readonly ref struct MaskedSoftmaxKernel<T>(ReadOnlySpan<T> x, ReadOnlySpan<bool> mask, Span<T> destination, int classes) : IKernel
        where T : IFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> _x = x;
        private readonly ReadOnlySpan<bool> _mask = mask;
        private readonly Span<T> _destination = destination;

        public double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute>
        {
            int offset = start * classes;
            int length = (end - start) * classes;
            ReadOnlySpan<bool> mask = _mask.Length == classes ? _mask : _mask.Slice(offset, length);
            Kernel<TBlock, TCompute, T>.MaskedSoftmax(_x.Slice(offset, length), mask, _destination.Slice(offset, length), classes);
            return 0;
        }
    }

    private readonly ref struct SoftmaxBackwardKernel<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> outputGradient, Span<T> inputGradient, int classes) : IKernel
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
            Kernel<TBlock, TCompute, T>.SoftmaxBackward(
                _output.Slice(offset, length), _outputGradient.Slice(offset, length), _inputGradient.Slice(offset, length), classes);
            return 0;
        }
    }
}

internal static partial class Kernel<TBlock, T, TMemory>
{
    public static void Softmax(ReadOnlySpan<TMemory> x, Span<TMemory> destination, int classes)
    {
        SoftmaxRow<No> op = default;
        Rows(ref op, x, destination, classes);
    }

    /// <summary>Softmax of x / <paramref name="temperature"/>, each block divided as the row driver reads it.</summary>
    public static void Softmax(ReadOnlySpan<TMemory> x, Span<TMemory> destination, int classes, T temperature)
    {
        var op = new SoftmaxRow<Yes>(temperature);
        Rows(ref op, x, destination, classes);
    }

    /// <summary>
    /// Masked softmax: the plain softmax of each row with -infinity at the entries <paramref name="mask"/> leaves out, and 0
    /// over the rows with nothing kept above -infinity. <paramref name="mask"/> covers <paramref name="x"/>, or is one row's
    /// mask for every row. Rows longer than a block go through <see cref="MaskedRows{TAhead}"/>; rows of one block, and Half
    /// rows, whose last pass computes exp(x - max) again from the row, through <see cref="MaskedGroups"/>.
    /// </summary>
    public static void MaskedSoftmax(ReadOnlySpan<TMemory> x, ReadOnlySpan<bool> mask, Span<TMemory> destination, int classes)
    {
        if (classes <= Width || !KeepsInOutput)
        {
            MaskedGroups(x, mask, destination, classes);
        }
        else if (ReadsAhead(classes))
        {
            MaskedRows<Yes>(x, mask, destination, classes);
        }
        else
        {
            MaskedRows<No>(x, mask, destination, classes);
        }
    }

    /// <summary>The mask of the row at <paramref name="start"/>: <paramref name="mask"/> itself where it is one row's.</summary>
    private static ReadOnlySpan<bool> RowMask(ReadOnlySpan<bool> mask, int start, int classes) =>
        mask.Length == classes ? mask : mask.Slice(start, classes);

    /// <summary>
    /// In groups of up to 64 rows that stay in the cache: the rows masked into the output, the plain softmax in place on the
    /// group, and the rows with nothing kept above -infinity then set to 0. A mask of every element masks the group as one span,
    /// in whole blocks across rows (<see cref="MaskRow"/>), and then asks each row whether it kept anything above -infinity
    /// (<see cref="Live"/>); one row's mask for every row goes row by row (<see cref="MaskLiveRow"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MaskedGroups(ReadOnlySpan<TMemory> x, ReadOnlySpan<bool> mask, Span<TMemory> destination, int classes)
    {
        int groupRows = Math.Clamp(MaskedGroupElements / classes, 1, 64);
        bool perRow = mask.Length == classes;
        for (int first = 0; first < x.Length; first += groupRows * classes)
        {
            int length = Math.Min(groupRows * classes, x.Length - first);
            Span<TMemory> group = destination.Slice(first, length);
            if (!perRow)
            {
                MaskRow(x.Slice(first, length), mask.Slice(first, length), group);
            }

            ulong empty = 0;
            for (int r = 0, start = 0; start < length; r++, start += classes)
            {
                bool live = perRow
                    ? MaskLiveRow(x.Slice(first + start, classes), mask, group.Slice(start, classes))
                    : Live(group.Slice(start, classes));
                if (!live)
                {
                    empty |= 1UL << r;
                }
            }

            SoftmaxRow<No> op = default;
            Rows(ref op, group, group, classes);
            for (; empty != 0; empty &= empty - 1)
            {
                group.Slice(BitOperations.TrailingZeroCount(empty) * classes, classes).Clear();
            }
        }
    }

    /// <summary>The elements of a group of rows of <see cref="MaskedGroups"/>: 32 KB of floats, a group the size of the L1 cache.</summary>
    private const int MaskedGroupElements = 8 * 1024;

    /// <summary>
    /// Masked rows longer than a block, as <see cref="Rows{TOp, TAhead, TKeeps}"/> runs the plain softmax in place over the
    /// masked rows, so with the same bits: each row is masked into its output row as its maximum is found, and the sum pass and
    /// the last pass run there. Where <typeparamref name="TAhead"/> is set, a row is masked in the last pass of the row before,
    /// so that x is read once, where the plain softmax reads it; longer rows, which stream from memory, are masked in a pass of
    /// their own.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MaskedRows<TAhead>(ReadOnlySpan<TMemory> x, ReadOnlySpan<bool> mask, Span<TMemory> destination, int classes)
        where TAhead : struct, IOption
    {
        SoftmaxRow<No> op = default;
        T max = T.Zero;
        Spread spread = default;
        if (TAhead.IsSet && !x.IsEmpty)
        {
            max = MaskRow(x[..classes], RowMask(mask, 0, classes), destination[..classes]).Max(out spread);
        }

        for (int start = 0; start < x.Length; start += classes)
        {
            Span<TMemory> row = destination.Slice(start, classes);
            int next = start + classes;
            bool ahead = TAhead.IsSet && next < x.Length;
            if (!TAhead.IsSet)
            {
                max = MaskRow(x.Slice(start, classes), RowMask(mask, start, classes), row).Max(out spread);
            }

            if (!T.IsFinite(max))
            {
                // A kept NaN or +infinity makes the row NaN, as the plain softmax's; a row with nothing kept above -infinity is 0.
                if (Live(row))
                {
                    row.Fill(TMemory.NaN);
                }
                else
                {
                    row.Clear();
                }

                if (ahead)
                {
                    max = MaskRow(x.Slice(next, classes), RowMask(mask, next, classes), destination.Slice(next, classes)).Max(out spread);
                }

                continue;
            }

            T sum = SumPass(ref op, row, start, max, spread, row, out _, out _);
            TBlock factor = op.Finish(new RowSums(max, sum, T.Zero, T.Zero), out _);
            if (ahead)
            {
                max = LastPass(ref op, row, factor, x.Slice(next, classes), RowMask(mask, next, classes), destination.Slice(next, classes),
                    out spread, masksNext: true);
            }
            else
            {
                LastPass(ref op, row, factor, default, default, default, out _, masksNext: false);
            }
        }
    }

    /// <summary>
    /// The last pass of a masked row, in place: exp(x - max), kept by the sum pass, times 1 / sum. Where
    /// <paramref name="masksNext"/> (a constant where it is inlined), it also masks the next row into its output row and
    /// returns its maximum, as <see cref="MaskRow"/> does: the next row's partial block first, then its whole blocks beside
    /// this row's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T LastPass(ref SoftmaxRow<No> op, Span<TMemory> row, TBlock factor, ReadOnlySpan<TMemory> nextX,
        ReadOnlySpan<bool> nextMask, Span<TMemory> nextRow, out Spread spread, bool masksNext)
    {
        MaskedRange masked = masksNext ? new MaskedRange(nextX, nextMask, nextRow) : default;
        TBlock tail = Tail(row, T.Zero);
        TBlock last = tail;
        for (int i = 0; (uint)i < (uint)row.Length; i += Width)
        {
            TBlock o = op.Final(Load(row, i, tail), factor, 0, i, default, false);
            if (i <= row.Length - Width)
            {
                Store(o, row, i);
                if (masksNext)
                {
                    masked.Add(nextX, nextMask, nextRow, i);
                }
            }
            else
            {
                last = o;
            }
        }

        StoreTail(last, row, row.Length);
        spread = default;
        return masksNext ? masked.Max(out spread) : T.Zero;
    }

    /// <summary>
    /// Writes <c>mask[i] ? x[i] : -infinity</c> to <paramref name="output"/> (which may be <paramref name="x"/>'s memory), and
    /// returns the range of what it wrote.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static MaskedRange MaskRow(ReadOnlySpan<TMemory> x, ReadOnlySpan<bool> mask, Span<TMemory> output)
    {
        var masked = new MaskedRange(x, mask, output);
        for (int i = 0; i <= x.Length - Width; i += Width)
        {
            masked.Add(x, mask, output, i);
        }

        return masked;
    }

    /// <summary>
    /// Whether a masked row keeps an entry other than -infinity: only asked where its maximum is not finite, as a finite
    /// maximum is such an entry.
    /// </summary>
    private static bool Live(ReadOnlySpan<TMemory> row) => row.ContainsAnyExcept(TMemory.NegativeInfinity);

    /// <summary>
    /// Writes <c>mask[i] ? x[i] : -infinity</c> to <paramref name="output"/> (which may be <paramref name="x"/>'s memory), and
    /// returns whether any kept entry is other than -infinity.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool MaskLiveRow(ReadOnlySpan<TMemory> x, ReadOnlySpan<bool> mask, Span<TMemory> output)
    {
        int whole = x.Length - x.Length % Width;
        bool live = MaskEntries(x[whole..], mask[whole..], output[whole..]);
        TBlock negativeInfinity = TBlock.Create(T.NegativeInfinity);
        TBlock infinite = TBlock.Equals(negativeInfinity, negativeInfinity);
        for (int i = 0; i < whole; i += Width)
        {
            infinite &= TBlock.Equals(MaskBlock(x, mask, output, i), negativeInfinity);
        }

        TBlock one = BlockMath<TBlock, T>.One;
        return live || TBlock.LessThanAny(infinite & one, one);
    }

    /// <summary>Writes the whole block at <paramref name="index"/> of <c>mask[i] ? x[i] : -infinity</c> to <paramref name="output"/>, and returns it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock MaskBlock(ReadOnlySpan<TMemory> x, ReadOnlySpan<bool> mask, Span<TMemory> output, int index)
    {
        TBlock block = TBlock.Select(MaskLanes(mask, index), Load(x, index), TBlock.Create(T.NegativeInfinity));
        Store(block, output, index);
        return block;
    }

    /// <summary>
    /// A row being masked into its output row, with its maximum as <see cref="Max{TOp}"/> finds it: the partial block is masked
    /// entry by entry first, and the range starts from it, with the lanes past the row's end repeating the masked first entry;
    /// the whole blocks are then added in order. Its spread is that of the finite elements, with
    /// <see cref="Spread.MinusInfinity"/> set for the entries masked out, so that no pass reads the row again to find it.
    /// Inline throughout, so that its blocks stay in registers.
    /// </summary>
    private struct MaskedRange
    {
        private RowRange _range;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public MaskedRange(ReadOnlySpan<TMemory> x, ReadOnlySpan<bool> mask, Span<TMemory> output)
        {
            int whole = x.Length - x.Length % Width;
            MaskEntries(x[whole..], mask[whole..], output[whole..]);
            T first = mask[0] ? ToCompute(x[0]) : T.NegativeInfinity;
            _range = RowRange.FiniteFrom(Tail(output, first));
        }

        /// <summary>Masks the whole block at <paramref name="index"/> into <paramref name="output"/> and adds it to the range.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(ReadOnlySpan<TMemory> x, ReadOnlySpan<bool> mask, Span<TMemory> output, int index)
        {
            _range.AddFinite(MaskBlock(x, mask, output, index));
        }

        /// <summary>The row's maximum, as <see cref="Max{TOp}"/> finds it, and its spread.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly T Max(out Spread spread)
        {
            T max = _range.Max(out Spread finite);
            spread = new Spread(finite.Deep, finite.Narrow, minusInfinity: true);
            return max;
        }
    }

    /// <summary>
    /// A block with all bits set in the lanes whose entry of <paramref name="mask"/>, from <paramref name="index"/> on, is true:
    /// the bytes widened to the lanes, in one instruction with AVX-512, otherwise in 16-byte steps whose quarters make the block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock MaskLanes(ReadOnlySpan<bool> mask, int index)
    {
        ref byte flags = ref Unsafe.As<bool, byte>(ref Unsafe.Add(ref MemoryMarshal.GetReference(mask), index));
        if (typeof(T) == typeof(float))
        {
            Vector128<sbyte> set = (~Vector128.Equals(Vector128.LoadUnsafe(ref flags), Vector128<byte>.Zero)).AsSByte();
            if (Avx512F.IsSupported && Vector512.IsHardwareAccelerated)
            {
                return FromLanes(Avx512F.ConvertToVector512Int32(set));
            }

            (Vector128<short> low, Vector128<short> high) = Vector128.Widen(set);
            (Vector128<int> first, Vector128<int> second) = Vector128.Widen(low);
            (Vector128<int> third, Vector128<int> fourth) = Vector128.Widen(high);
            return TBlock.FromQuarters(first.As<int, T>(), second.As<int, T>(), third.As<int, T>(), fourth.As<int, T>());
        }
        else
        {
            Vector128<byte> bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref flags)).AsByte();
            Vector128<sbyte> set = (~Vector128.Equals(bytes, Vector128<byte>.Zero)).AsSByte();
            if (Avx512F.IsSupported && Vector512.IsHardwareAccelerated)
            {
                return FromLanes(Avx512F.ConvertToVector512Int64(set));
            }

            (Vector128<int> low, Vector128<int> high) = Vector128.Widen(Vector128.WidenLower(set));
            (Vector128<long> first, Vector128<long> second) = Vector128.Widen(low);
            (Vector128<long> third, Vector128<long> fourth) = Vector128.Widen(high);
            return TBlock.FromQuarters(first.As<long, T>(), second.As<long, T>(), third.As<long, T>(), fourth.As<long, T>());
        }
    }

    /// <summary>
    /// The block of the first Count lanes of <paramref name="lanes"/>: its bits where the block is 64 bytes (every type but
    /// the scalar block of double), loaded from them otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock FromLanes<TLane>(Vector512<TLane> lanes) =>
        Unsafe.SizeOf<TBlock>() == Unsafe.SizeOf<Vector512<TLane>>()
            ? Unsafe.BitCast<Vector512<TLane>, TBlock>(lanes)
            : TBlock.Load(in Unsafe.As<Vector512<TLane>, T>(ref lanes));

    /// <summary>Writes <c>mask[i] ? x[i] : -infinity</c> entry by entry, and returns whether any is other than -infinity.</summary>
    private static bool MaskEntries(ReadOnlySpan<TMemory> x, ReadOnlySpan<bool> mask, Span<TMemory> output)
    {
        bool live = false;
        for (int i = 0; i < x.Length; i++)
        {
            TMemory value = mask[i] ? x[i] : TMemory.NegativeInfinity;
            output[i] = value;
            live |= !(value == TMemory.NegativeInfinity);
        }

        return live;
    }

    /// <summary>Softmax: exp(x - max) goes to the output in the pass that sums it, and the last pass scales it by 1 / sum.</summary>
    private readonly struct SoftmaxRow<TTemperature>(T temperature) : IRowOperator
        where TTemperature : struct, IOption
    {
        private readonly TBlock _temperature = TBlock.Create(temperature);

        public static bool BesideMax => false;

        public static bool Differences => false;

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

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TBlock Finish(in RowSums sums, out TBlock value)
        {
            value = default;
            return BlockMath<TBlock, T>.One / sums.Sum;
        }

        public bool DefersValues => false;

        public TBlock Defer(in RowSums sums, int lane) => default;

        public void StartDeferred()
        {
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TBlock Final(TBlock value, TBlock factor, int start, int index, TBlock coefficientsTail, bool withCoefficients) => value * factor;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TBlock LaneFinal(TBlock value, TBlock factor, int c) => value * factor;

        public void AfterRow(int row, Span<TMemory> output)
        {
        }

        public void Value(int row, T value)
        {
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void SoftmaxBackward(ReadOnlySpan<TMemory> output, ReadOnlySpan<TMemory> outputGradient, Span<TMemory> inputGradient, int classes)
    {
        for (int start = 0; start < output.Length; start += classes)
        {
            ReadOnlySpan<TMemory> y = output.Slice(start, classes);
            ReadOnlySpan<TMemory> g = outputGradient.Slice(start, classes);
            TBlock yTail = Tail(y, T.Zero);
            TBlock gTail = Tail(g, T.Zero);
            TBlock dot = BlockMath<TBlock, T>.Zero;
            for (int i = 0; (uint)i < (uint)classes; i += Width)
            {
                dot = TBlock.FusedMultiplyAdd(Load(g, i, gTail), Load(y, i, yTail), dot);
            }

            TBlock d = TBlock.Create(TBlock.Sum(dot));
            Span<TMemory> result = inputGradient.Slice(start, classes);
            TBlock last = yTail;
            for (int i = 0; (uint)i < (uint)classes; i += Width)
            {
                TBlock r = Load(y, i, yTail) * (Load(g, i, gTail) - d);
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
