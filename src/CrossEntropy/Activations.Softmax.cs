using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        ThrowHelper.Rows(x.Length, classes, nameof(x));
        ThrowHelper.CheckOutput(x, destination, x.Length, nameof(destination), classes);
        var kernel = new SoftmaxKernel<T>(x, destination, classes, temperature: 1);
        Simd.Run<SoftmaxKernel<T>, T>(ref kernel, x.Length / classes, classes);
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
        ThrowHelper.Rows(x.Length, classes, nameof(x));
        if (mask.Length != x.Length && mask.Length != classes)
        {
            throw new ArgumentException(
                $"mask has {mask.Length} entries but needs one for each element of x ({x.Length}) or one for each class ({classes}).", nameof(mask));
        }

        Span<T> written = ThrowHelper.CheckOutput(x, destination, x.Length, nameof(destination), classes);
        ThrowHelper.CheckNoOverlap(mask, written, nameof(destination));
        var kernel = new MaskedSoftmaxKernel<T>(x, mask, written, classes);
        Simd.Run<MaskedSoftmaxKernel<T>, T>(ref kernel, x.Length / classes, classes);
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
        ThrowHelper.Rows(x.Length, classes, nameof(x));
        ThrowHelper.CheckTemperature<T>(temperature);
        ThrowHelper.CheckOutput(x, destination, x.Length, nameof(destination), classes);
        var kernel = new SoftmaxKernel<T>(x, destination, classes, temperature);
        Simd.Run<SoftmaxKernel<T>, T>(ref kernel, x.Length / classes, classes);
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
    /// Masked softmax, in groups of up to 64 rows that stay in the cache: the kept entries are copied to the output with
    /// -infinity for the others, the plain softmax runs in place on the group, and the rows with nothing kept above
    /// -infinity are then set to 0. <paramref name="mask"/> covers <paramref name="x"/>, or is one row's mask for every row.
    /// </summary>
    public static void MaskedSoftmax(ReadOnlySpan<TMemory> x, ReadOnlySpan<bool> mask, Span<TMemory> destination, int classes)
    {
        int groupRows = Math.Clamp(MaskedGroupElements / classes, 1, 64);
        for (int first = 0; first < x.Length; first += groupRows * classes)
        {
            int length = Math.Min(groupRows * classes, x.Length - first);
            Span<TMemory> group = destination.Slice(first, length);
            ulong empty = 0;
            for (int r = 0, start = 0; start < length; r++, start += classes)
            {
                ReadOnlySpan<bool> rowMask = mask.Length == classes ? mask : mask.Slice(first + start, classes);
                if (!MaskRow(x.Slice(first + start, classes), rowMask, group.Slice(start, classes)))
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

    /// <summary>The elements of a group of rows of the masked softmax: 32 KB of floats, a group the size of the L1 cache.</summary>
    private const int MaskedGroupElements = 8 * 1024;

    /// <summary>
    /// Writes <c>mask[i] ? x[i] : -infinity</c> to <paramref name="output"/> (which may be <paramref name="x"/>'s memory), and
    /// returns whether any kept entry is other than -infinity. Blocks whose mask is all kept or all masked out are copied or
    /// filled whole; the others take a block of the mask's lanes, and the last partial block goes entry by entry.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool MaskRow(ReadOnlySpan<TMemory> x, ReadOnlySpan<bool> mask, Span<TMemory> output)
    {
        TBlock negativeInfinity = TBlock.Create(T.NegativeInfinity);
        TBlock infinite = TBlock.Equals(negativeInfinity, negativeInfinity);
        bool live = false;
        int i = 0;
        for (; i <= x.Length - Width; i += Width)
        {
            ref byte flags = ref Unsafe.As<bool, byte>(ref Unsafe.Add(ref MemoryMarshal.GetReference(mask), i));
            bool all;
            bool none;
            if (typeof(T) == typeof(float))
            {
                Vector128<byte> sixteen = Vector128.LoadUnsafe(ref flags);
                all = Vector128.EqualsAll(sixteen, Vector128<byte>.One);
                none = Vector128.EqualsAll(sixteen, Vector128<byte>.Zero);
            }
            else
            {
                ulong eight = Unsafe.ReadUnaligned<ulong>(ref flags);
                all = eight == 0x0101010101010101;
                none = eight == 0;
            }

            if (all)
            {
                TBlock block = Load(x, i);
                Store(block, output, i);
                infinite &= TBlock.Equals(block, negativeInfinity);
            }
            else if (none)
            {
                Store(negativeInfinity, output, i);
            }
            else
            {
                TBlock block = TBlock.Select(MaskLanes(mask, i), Load(x, i), negativeInfinity);
                Store(block, output, i);
                infinite &= TBlock.Equals(block, negativeInfinity);
            }
        }

        live |= MaskEntries(x[i..], mask[i..], output[i..]);
        TBlock one = BlockMath<TBlock, T>.One;
        return live || TBlock.LessThanAny(infinite & one, one);
    }

    /// <summary>
    /// A block with all bits set in the lanes whose entry of <paramref name="mask"/>, from <paramref name="index"/> on, is true.
    /// The lanes are joined in one 64-byte vector by <c>WithUpper</c>: the JIT compiles <c>Vector512.Create</c> of two halves as
    /// inserts into a stack copy of the last block's lanes, which chains every block of a row to the one before through memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock MaskLanes(ReadOnlySpan<bool> mask, int index)
    {
        ref byte flags = ref Unsafe.As<bool, byte>(ref Unsafe.Add(ref MemoryMarshal.GetReference(mask), index));
        if (typeof(T) == typeof(float))
        {
            Vector128<sbyte> set = (~Vector128.Equals(Vector128.LoadUnsafe(ref flags), Vector128<byte>.Zero)).AsSByte();
            (Vector128<short> low, Vector128<short> high) = Vector128.Widen(set);
            (Vector128<int> first, Vector128<int> second) = Vector128.Widen(low);
            (Vector128<int> third, Vector128<int> fourth) = Vector128.Widen(high);
            Vector512<int> lanes = Vector256.Create(first, second).ToVector512Unsafe().WithUpper(Vector256.Create(third, fourth));
            return FromLanes(lanes);
        }
        else
        {
            Vector128<byte> bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref flags)).AsByte();
            Vector128<short> set = Vector128.WidenLower((~Vector128.Equals(bytes, Vector128<byte>.Zero)).AsSByte());
            (Vector128<int> low, Vector128<int> high) = Vector128.Widen(set);
            (Vector128<long> first, Vector128<long> second) = Vector128.Widen(low);
            (Vector128<long> third, Vector128<long> fourth) = Vector128.Widen(high);
            Vector512<long> lanes = Vector256.Create(first, second).ToVector512Unsafe().WithUpper(Vector256.Create(third, fourth));
            return FromLanes(lanes);
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

    /// <summary><see cref="MaskRow"/> entry by entry.</summary>
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

        public void StartLanes(int row, ReadOnlySpan<TMemory> x, int classes)
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
