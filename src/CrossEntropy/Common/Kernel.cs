using System;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CrossEntropy;

/// <summary>A compile-time option of a kernel: the JIT compiles a kernel once per option type, without the branch.</summary>
internal interface IOption
{
    static abstract bool IsSet { get; }
}

internal readonly struct Yes : IOption
{
    public static bool IsSet => true;
}

internal readonly struct No : IOption
{
    public static bool IsSet => false;
}

/// <summary>
/// What the pass that finds a row's maximum learns about how far the row spreads below it, which decides how the exponentials
/// e^(x - max) may be computed (every way gives the same bits). Its constructor is inlined even where the JIT's budget for a
/// driver is spent: a call to it in a short rows' driver would leave the driver's blocks in memory.
/// </summary>
internal readonly struct Spread
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Spread(bool deep, bool narrow, bool minusInfinity = false)
    {
        Deep = deep;
        Narrow = narrow;
        MinusInfinity = minusInfinity;
    }

    /// <summary>Some x - max may fall below <see cref="BlockMath{TBlock, T}.DeepLimit"/>: an element that far below the maximum, or -infinity.</summary>
    public bool Deep { get; }

    /// <summary>The maximum is positive and every |x| is below the next power of two above it, so x - max is split exactly in two operations.</summary>
    public bool Narrow { get; }

    /// <summary>
    /// Some x may be -infinity (a masked row). Where <see cref="Deep"/> is set as well, the other elements may still lie within
    /// <see cref="BlockMath{TBlock, T}.DeepLimit"/> of the maximum; where it is not, they do, and the exponentials of the
    /// -infinity elements are set to 0 rather than taken with the deep care.
    /// </summary>
    public bool MinusInfinity { get; }
}

/// <summary>An element-wise function of one block.</summary>
internal interface IUnaryBlockOperator
{
    /// <summary>
    /// Whether <see cref="Invoke"/> of <paramref name="x"/> takes an exponential below the normal range, whose care
    /// (<see cref="BlockMath{TBlock, T}.ExpNonPositive"/>) it compiles in, inline, only where its <c>belowNormal</c> is set:
    /// by default, for the sigmoid's e^-|x|.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static virtual bool BelowNormal<TBlock, T>(TBlock x)
        where TBlock : struct, IBlock<TBlock, T>
        where T : unmanaged, IFloatingPointIeee754<T> =>
        BlockMath<TBlock, T>.ExpBelowNormal(BlockMath<TBlock, T>.NegativeAbs(x));

    static abstract TBlock Invoke<TBlock, T>(TBlock x, bool belowNormal)
        where TBlock : struct, IBlock<TBlock, T>
        where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>An element-wise function of two blocks.</summary>
internal interface IBinaryBlockOperator
{
    static abstract TBlock Invoke<TBlock, T>(TBlock x, TBlock y)
        where TBlock : struct, IBlock<TBlock, T>
        where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>
/// The kernels, specialised by the JIT for each block type <typeparamref name="TBlock"/> (the hardware path),
/// computation type <typeparamref name="T"/> (float or double) and memory type <typeparamref name="TMemory"/>
/// (the caller's element type, converted on load and rounded once on store when it differs from T).
/// This file holds the loads, stores and passes the operations share; each operation adds its own in its file.
/// </summary>
/// <remarks>
/// A loop over a row's blocks, the last one maybe partial, runs <c>for (int i = 0; (uint)i &lt; (uint)length; i += Width)</c>:
/// unsigned, because past the last block of a row of more than 2^31 - Width elements i wraps to a negative int. The test is
/// written out rather than in a helper, which would spend the JIT's inlining budget that the Vector128 loops need. A loop
/// over whole blocks only runs <c>i &lt;= length - Width</c>, which cannot wrap.
/// </remarks>
internal static partial class Kernel<TBlock, T, TMemory>
    where TBlock : struct, IBlock<TBlock, T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TMemory : IFloatingPointIeee754<TMemory>
{
    private static int Width => TBlock.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Load(ReadOnlySpan<TMemory> source, int index)
    {
        Debug.Assert(index >= 0 && index <= source.Length - Width, "A whole block must lie within the source.");
        ref TMemory start = ref Unsafe.Add(ref MemoryMarshal.GetReference(source), index);
        if (typeof(TMemory) == typeof(T))
        {
            return TBlock.Load(in Unsafe.As<TMemory, T>(ref start));
        }

        Lanes<T> lanes = default;
        for (int i = 0; i < Width; i++)
        {
            lanes[i] = T.CreateTruncating(Unsafe.Add(ref start, i));
        }

        return TBlock.Load(in lanes[0]);
    }

    /// <summary>
    /// The last, partial block of <paramref name="source"/>, its lanes past the end set to <paramref name="fill"/> (all of them
    /// when the length is a multiple of Width). Loops take it before they start, so that no call sits inside a loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Tail(ReadOnlySpan<TMemory> source, T fill)
    {
        int count = source.Length % Width;
        ref TMemory start = ref Unsafe.Add(ref MemoryMarshal.GetReference(source), source.Length - count);
        return typeof(TMemory) == typeof(T)
            ? TBlock.LoadFirst(in Unsafe.As<TMemory, T>(ref start), count, TBlock.Create(fill))
            : ConvertedTail(source[(source.Length - count)..], fill);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TBlock ConvertedTail(ReadOnlySpan<TMemory> tail, T fill)
    {
        Lanes<T> lanes = default;
        TBlock.Store(TBlock.Create(fill), ref lanes[0]);
        for (int i = 0; i < tail.Length; i++)
        {
            lanes[i] = T.CreateTruncating(tail[i]);
        }

        return TBlock.Load(in lanes[0]);
    }

    /// <summary>The mask of the lanes of the last, partial block of a row of <paramref name="length"/> that lie in the row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock TailMask(int length) =>
        TBlock.LessThan(BlockMath<TBlock, T>.Indices, TBlock.Create(T.CreateTruncating(length % Width)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(TBlock value, Span<TMemory> destination, int index)
    {
        Debug.Assert(index >= 0 && index <= destination.Length - Width, "A whole block must lie within the destination.");
        ref TMemory start = ref Unsafe.Add(ref MemoryMarshal.GetReference(destination), index);
        if (typeof(TMemory) == typeof(T))
        {
            TBlock.Store(value, ref Unsafe.As<TMemory, T>(ref start));
            return;
        }

        Lanes<T> lanes = default;
        TBlock.Store(value, ref lanes[0]);
        for (int i = 0; i < Width; i++)
        {
            Unsafe.Add(ref start, i) = TMemory.CreateTruncating(lanes[i]);
        }
    }

    /// <summary>Stores the lanes of <paramref name="value"/> that fall within <paramref name="length"/> as the last, partial block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTail(TBlock value, Span<TMemory> destination, int length)
    {
        Debug.Assert((uint)length <= (uint)destination.Length, "The row must lie within the destination.");
        int count = length % Width;
        ref TMemory start = ref Unsafe.Add(ref MemoryMarshal.GetReference(destination), length - count);
        if (typeof(TMemory) == typeof(T))
        {
            TBlock.StoreFirst(value, ref Unsafe.As<TMemory, T>(ref start), count);
        }
        else
        {
            StoreConvertedTail(value, destination.Slice(length - count, count));
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StoreConvertedTail(TBlock value, Span<TMemory> tail)
    {
        Lanes<T> lanes = default;
        TBlock.Store(value, ref lanes[0]);
        for (int i = 0; i < tail.Length; i++)
        {
            tail[i] = TMemory.CreateTruncating(lanes[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ToCompute(TMemory value) => T.CreateTruncating(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TMemory ToMemory(T value) => TMemory.CreateTruncating(value);

    /// <summary>e^x for any x, for values the caller passes rather than x - max.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Exp(TBlock x) => BlockMath<TBlock, T>.ExpAny(x);

    /// <summary>e^(x - m) for x &lt;= m, as precise as if x - m were exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock ExpDifference(TBlock x, TBlock m) => BlockMath<TBlock, T>.ExpDifference(x, m);

    /// <summary>The block at <paramref name="index"/>, or <paramref name="tail"/> (from <see cref="Tail"/>) past the last whole block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Load(ReadOnlySpan<TMemory> source, int index, TBlock tail) =>
        index <= source.Length - Width ? Load(source, index) : tail;

    /// <summary>
    /// The block at <paramref name="index"/> of optional per-class values, such as weights: ones where <paramref name="values"/>
    /// is empty; past the last whole block of a row of <paramref name="length"/>, <paramref name="tail"/> (from
    /// <see cref="TailOrOnes"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock LoadOrOnes(ReadOnlySpan<TMemory> values, int index, int length, TBlock tail) =>
        index > length - Width ? tail : values.IsEmpty ? BlockMath<TBlock, T>.One : Load(values, index);

    /// <summary>
    /// Width labels from <paramref name="start"/> on, as numbers, -1 where a label is <paramref name="ignoreIndex"/>. The labels
    /// are checked before: each is a class, exact as a number, or ignoreIndex, whose number no class below 2^24 shares.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock LabelBlock(ReadOnlySpan<int> labels, int start, int ignoreIndex)
    {
        TBlock y = TBlock.LoadIntegers(in labels.Slice(start, Width)[0]);
        return TBlock.Select(TBlock.Equals(y, TBlock.Create(T.CreateTruncating(ignoreIndex))), TBlock.Create(T.NegativeOne), y);
    }

    /// <summary>The tail block for <see cref="LoadOrOnes"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock TailOrOnes(ReadOnlySpan<TMemory> values, int length) =>
        values.IsEmpty ? TailMask(length) & BlockMath<TBlock, T>.One : Tail(values, T.Zero);

    /// <summary>Applies <typeparamref name="TOperator"/> to every element; <paramref name="destination"/> may be <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Map<TOperator>(ReadOnlySpan<TMemory> x, Span<TMemory> destination)
        where TOperator : IUnaryBlockOperator
    {
        if (x.Length < Width)
        {
            MapPartialBlock<TOperator>(x, destination);
        }
        else
        {
            MapBlocks<TOperator, No>(x, destination, 0);
        }
    }

    /// <summary><see cref="Map{TOperator}(ReadOnlySpan{TMemory}, Span{TMemory})"/> of fewer elements than a block: one block, without the loop's frame.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MapPartialBlock<TOperator>(ReadOnlySpan<TMemory> x, Span<TMemory> destination)
        where TOperator : IUnaryBlockOperator =>
        StoreTail(TOperator.Invoke<TBlock, T>(Tail(x, T.Zero), belowNormal: true), destination, x.Length);

    /// <summary>
    /// <see cref="Map{TOperator}(ReadOnlySpan{TMemory}, Span{TMemory})"/> of a block or more, from the block at
    /// <paramref name="start"/>. Unless <typeparamref name="TBelowNormal"/>, the loop leaves the exponentials below the normal
    /// range out of its code, and hands the rest of the blocks from the first that has one on to the form that computes them
    /// inline. The loop then holds no call, which would keep its values in memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MapBlocks<TOperator, TBelowNormal>(ReadOnlySpan<TMemory> x, Span<TMemory> destination, int start)
        where TOperator : IUnaryBlockOperator
        where TBelowNormal : struct, IOption
    {
        TBlock tail = Tail(x, T.Zero);
        TBlock last = tail;
        BlockMath<TBlock, T>.BeforeLoop();
        for (int i = start; (uint)i < (uint)x.Length; i += Width)
        {
            TBlock v = Load(x, i, tail);
            if (!TBelowNormal.IsSet && TOperator.BelowNormal<TBlock, T>(v))
            {
                MapBlocks<TOperator, Yes>(x, destination, i);
                return;
            }

            TBlock y = TOperator.Invoke<TBlock, T>(v, TBelowNormal.IsSet);
            if (i <= x.Length - Width)
            {
                Store(y, destination, i);
            }
            else
            {
                last = y;
            }
        }

        StoreTail(last, destination, x.Length);
    }

    /// <summary>
    /// The row's maximum by <c>a &gt; b ? a : b</c> in the fixed lane tree (-infinity for an empty row), and its <see cref="Spread"/>.
    /// It is NaN only where a NaN comes last in its lane, the same on every platform; for a row with a NaN elsewhere, the sum of
    /// exp(x - max) is NaN.
    /// </summary>
    /// <remarks>The maximum and the spread are those of the row after the operator's <see cref="IRowOperator.Input"/>.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T Max<TOp>(ref TOp op, ReadOnlySpan<TMemory> row, out Spread spread)
        where TOp : struct, IRowOperator, allows ref struct
    {
        var range = new RowRange(RangeTail(ref op, row));
        for (int i = 0; i <= row.Length - Width; i += Width)
        {
            range.Add(RangeInput(ref op, Load(row, i), TOp.MonotoneInput));
        }

        return range.Through(ref op).Max(out spread);
    }

    /// <summary>
    /// The row's tail after the operator's input transform, its other lanes repeating the first element (which changes neither
    /// the maximum nor the minimum, transformed as that element is): where <see cref="RowRange"/> starts.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock RangeTail<TOp>(ref TOp op, ReadOnlySpan<TMemory> row)
        where TOp : struct, IRowOperator, allows ref struct =>
        RangeInput(ref op, Tail(row, row.IsEmpty ? T.NegativeInfinity : ToCompute(row[0])), TOp.MonotoneInput);

    /// <summary>
    /// A block of x as <see cref="RowRange"/> takes it: transformed, unless <paramref name="monotone"/>
    /// (<see cref="IRowOperator.MonotoneInput"/>, see <see cref="RowRange.Through{TOp}"/>). The option comes last as an argument,
    /// a constant when the JIT imports the inlined body, so that the JIT does not inline a monotone transform where it is never
    /// applied, which would spend its inlining of the loops that read ahead.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock RangeInput<TOp>(ref TOp op, TBlock x, bool monotone)
        where TOp : struct, IRowOperator, allows ref struct =>
        monotone ? x : op.Input(x);

    /// <summary>
    /// Whether a row kernel finds the next row's maximum in its last pass over a row: where a row and its output stay in the
    /// cache between passes. Longer rows stream from memory in every pass, and reading a second row in the same pass pushes
    /// the rows out of the cache sooner.
    /// </summary>
    public static bool ReadsAhead(int classes) => classes <= ReadAheadBytes / Unsafe.SizeOf<TMemory>();

    private const int ReadAheadBytes = 8 * 1024;

    /// <summary>The row after the one at <paramref name="start"/>, or that row itself where it is the last (its maximum is then found again, unused).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<TMemory> NextRow(ReadOnlySpan<TMemory> x, int start, int classes) =>
        start + classes < x.Length ? x.Slice(start + classes, classes) : x.Slice(start, classes);

    /// <summary>
    /// A row's running lane maxima and minima, for a pass that finds the row's maximum, alone or while it does other work.
    /// Inline throughout, so that the JIT keeps both blocks in registers.
    /// </summary>
    private struct RowRange
    {
        private TBlock _max;
        private TBlock _min;

        /// <summary>Starts with the row's <see cref="RangeTail"/>; add the whole blocks, transformed as it is.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public RowRange(TBlock tail)
        {
            _max = tail;
            _min = tail;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(TBlock x)
        {
            _max = TBlock.Max(_max, x);
            _min = TBlock.Min(_min, x);
        }

        /// <summary>
        /// Starts the range of a masked row from its tail, as <see cref="RowRange(TBlock)"/>, but with a minimum over the finite
        /// elements alone (<see cref="AddFinite"/>).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static RowRange FiniteFrom(TBlock tail) => new() { _max = tail, _min = FiniteMin(TBlock.Create(T.PositiveInfinity), tail) };

        /// <summary>Adds a block to the maximum, and its finite elements to the minimum (<see cref="FiniteMin"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void AddFinite(TBlock x)
        {
            _max = TBlock.Max(_max, x);
            _min = FiniteMin(_min, x);
        }

        /// <summary>The row's maximum, as <see cref="Kernel{TBlock, T, TMemory}.Max{TOp}(ref TOp, ReadOnlySpan{TMemory}, out Spread)"/> returns it.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly T Max(out Spread spread)
        {
            T result = TBlock.Max(_max);
            spread = RowSpread(result, _min);
            return result;
        }

        /// <summary>
        /// The range after the operator's input transform, where the blocks were added as stored (see <see cref="RangeInput"/>):
        /// the transform of the lane maxima and minima gives those of the transformed row, the transform being monotone.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly RowRange Through<TOp>(ref TOp op)
            where TOp : struct, IRowOperator, allows ref struct =>
            TOp.MonotoneInput ? Transformed(ref op, _max, _min) : this;

        /// <summary>
        /// The range of the transformed maxima and minima: once per row, and not inline, so that it takes none of the inlining
        /// budget of the loop that reads ahead; both blocks are its arguments, so that neither is live across the call.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static RowRange Transformed<TOp>(ref TOp op, TBlock max, TBlock min)
            where TOp : struct, IRowOperator, allows ref struct =>
            new() { _max = op.Input(max), _min = op.Input(min) };
    }

    /// <summary>The <see cref="Spread"/> of a row of maximum <paramref name="max"/> whose lanes have the minima <paramref name="min"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Spread RowSpread(T max, TBlock min)
    {
        bool deep = TBlock.LessThanAny(min - TBlock.Create(max), TBlock.Create(BlockMath<TBlock, T>.DeepLimit));
        TBlock bound = TBlock.Create(-PowerOfTwoAbove(max));
        bool narrow = max > T.Zero && !TBlock.LessThanAny(min, bound) && !TBlock.EqualsAny(min, bound);
        return new Spread(deep, narrow, deep && TBlock.EqualsAny(min, TBlock.Create(T.NegativeInfinity)));
    }

    /// <summary>
    /// 2^(ILogB(x) + 1), the power of two above |x|: for a normal x, twice its exponent bits, the same value with no call to
    /// ScaleB and ILogB, which the JIT then has no need to inline into the row drivers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T PowerOfTwoAbove(T x)
    {
        if (T.IsNormal(x))
        {
            if (typeof(T) == typeof(float))
            {
                float power = 2 * BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(Unsafe.As<T, float>(ref x)) & 0x7F80_0000);
                return Unsafe.As<float, T>(ref power);
            }

            if (typeof(T) == typeof(double))
            {
                double power = 2 * BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(Unsafe.As<T, double>(ref x)) & 0x7FF0_0000_0000_0000);
                return Unsafe.As<double, T>(ref power);
            }
        }

        return T.ScaleB(T.One, T.ILogB(x) + 1);
    }

    /// <summary>
    /// The per-class coefficients of a loss row at <paramref name="index"/>: the class weights (1 where there are none),
    /// times the smoothed targets <c>t * keep + perClass</c> where there are targets; 0 past the row's end. The tails come
    /// from <see cref="TailOrOnes"/> and <see cref="Tail"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Coefficients(ReadOnlySpan<TMemory> weights, TBlock weightsTail, ReadOnlySpan<TMemory> targets, TBlock targetsTail,
        int index, int length, T keep, T perClass)
    {
        TBlock a = LoadOrOnes(weights, index, length, weightsTail);
        if (!targets.IsEmpty)
        {
            a *= TBlock.FusedMultiplyAdd(Load(targets, index, targetsTail), TBlock.Create(keep), TBlock.Create(perClass));
        }

        return a;
    }

    /// <summary>
    /// Whether a row's exp(x - max) or x - max values are kept in the output between passes, rather than computed again.
    /// Only where the output holds the computation type: a Half output would round them twice.
    /// </summary>
    private static bool KeepsInOutput
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => typeof(TMemory) == typeof(T);
    }

    /// <summary>
    /// The last, partial block of a row after the operator's input transform, its lanes past the end set to <paramref name="fill"/>
    /// after the transform (all of them when the length is a multiple of Width).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock InputTail<TOp>(ref TOp op, ReadOnlySpan<TMemory> row, T fill)
        where TOp : struct, IRowOperator, allows ref struct =>
        TBlock.Select(TailMask(row.Length), op.Input(Tail(row, fill)), TBlock.Create(fill));

    /// <summary>
    /// The block of the row at <paramref name="index"/> after the operator's input transform, or <paramref name="tail"/>
    /// (from <see cref="InputTail"/>) past the last whole block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock LoadInput<TOp>(ref TOp op, ReadOnlySpan<TMemory> row, int index, TBlock tail)
        where TOp : struct, IRowOperator, allows ref struct =>
        index <= row.Length - Width ? op.Input(Load(row, index)) : tail;

    /// <summary>
    /// The tail block for <see cref="Kept"/>: from <paramref name="kept"/> where <paramref name="keeps"/>, from the row otherwise.
    /// The option comes last as an argument, as in <see cref="Kept"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock KeptTail<TOp>(ref TOp op, ReadOnlySpan<TMemory> row, ReadOnlySpan<TMemory> kept, T max, bool keeps)
        where TOp : struct, IRowOperator, allows ref struct =>
        keeps ? Tail(kept, T.Zero) : OutOfLineInputTail(ref op, row, max);

    /// <summary>
    /// <see cref="InputTail"/>, once per row and not inline: an input transform such as the soft cap's would otherwise spend the
    /// JIT's inlining of the loop that follows it (the sum pass's, or the last pass's where nothing was kept).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TBlock OutOfLineInputTail<TOp>(ref TOp op, ReadOnlySpan<TMemory> row, T fill)
        where TOp : struct, IRowOperator, allows ref struct =>
        InputTail(ref op, row, fill);

    /// <summary>
    /// The block at <paramref name="index"/> that the last pass takes: x - max where <paramref name="differences"/>
    /// (<see cref="IRowOperator.Differences"/>), exp(x - max) otherwise, x after the operator's input transform; read from
    /// <paramref name="kept"/> where <paramref name="keeps"/> (the sum pass kept them there), computed again from the row otherwise.
    /// The options come last as arguments, constants when the JIT imports the inlined body, so that the JIT does not inline a
    /// way not taken, which would spend its inlining of the last pass on an input transform and an exponential that never run.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Kept<TOp>(ref TOp op, ReadOnlySpan<TMemory> row, ReadOnlySpan<TMemory> kept, int index, TBlock tail, TBlock m,
        bool differences, bool keeps)
        where TOp : struct, IRowOperator, allows ref struct =>
        keeps ? Load(kept, index, tail)
        : differences ? InputDifference(ref op, row, index, tail, m)
        : ExpDifference(LoadInput(ref op, row, index, tail), m);

    /// <summary>
    /// x - max computed again from the row, where nothing was kept. Not inline: an input transform such as the soft cap's
    /// would otherwise spend the JIT's inlining budget of the last pass, which the kept path needs.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TBlock InputDifference<TOp>(ref TOp op, ReadOnlySpan<TMemory> row, int index, TBlock tail, TBlock m)
        where TOp : struct, IRowOperator, allows ref struct =>
        LoadInput(ref op, row, index, tail) - m;

    /// <summary>
    /// A sum of blocks that loses no precision to long rows: eight blocks are added plainly, then their partial sum is added
    /// to the total with Kahan compensation in each lane.
    /// </summary>
    private struct CompensatedSum
    {
        private TBlock _partial;
        private TBlock _sum;
        private TBlock _compensation;

        /// <summary>Adds the block at <paramref name="index"/> (elements), the blocks added in order from index 0.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(TBlock value, int index)
        {
            _partial += value;
            if ((index / Width & 7) == 7)
            {
                Flush();
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Flush()
        {
            TBlock term = _partial - _compensation;
            TBlock next = _sum + term;
            TBlock compensation = (next - _sum) - term;

            // An infinite sum has no rounding error to carry; its compensation would be NaN.
            _compensation = TBlock.Select(TBlock.Equals(compensation, compensation), compensation, default);
            _sum = next;
            _partial = default;
        }

        /// <summary>
        /// The <see cref="Total"/> of one block added alone: the sum of its lanes after adding 0, which only turns -0 into +0.
        /// Its compensation is 0, or NaN (taken as 0) where the block holds an infinity or NaN.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T OfOne(TBlock value) => TBlock.Sum(BlockMath<TBlock, T>.Zero + value);

        public T Total
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get
            {
                Flush();
                T sum = TBlock.Sum(_sum);
                return T.IsFinite(sum) ? sum - TBlock.Sum(_compensation) : sum;
            }
        }

        /// <summary>Each lane's own sum, where each lane is a sum of its own (the inner layout's positions).</summary>
        public TBlock LaneTotals
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get
            {
                Flush();
                return TBlock.Select(IsFinite(_sum), _sum - _compensation, _sum);
            }
        }
    }

    // Scalar functions of one value go through the block functions, on a block of copies of the value whose lanes all give
    // the same result: the runtime's Math.Log and Math.Exp call the platform's C library, whose last bits differ between
    // operating systems.

    /// <summary>ln x for x &gt;= 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Log(T x) => TBlock.Max(BlockMath<TBlock, T>.Log(TBlock.Create(x)));

    /// <summary>e^(x - m) for x &lt;= m, as <see cref="ExpDifference(TBlock, TBlock)"/> gives it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ExpDifference(T x, T m) => TBlock.Max(ExpDifference(TBlock.Create(x), TBlock.Create(m)));

    /// <summary>
    /// Applies <typeparamref name="TOperator"/> to every pair of elements of <paramref name="x"/> and <paramref name="y"/>, which
    /// have the same length; <paramref name="destination"/> may be either of them.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Map<TOperator>(ReadOnlySpan<TMemory> x, ReadOnlySpan<TMemory> y, Span<TMemory> destination)
        where TOperator : IBinaryBlockOperator
    {
        Debug.Assert(x.Length == y.Length, "Both inputs must have the same length.");
        TBlock xTail = Tail(x, T.Zero);
        TBlock yTail = Tail(y, T.Zero);
        TBlock last = xTail;
        BlockMath<TBlock, T>.BeforeLoop();
        for (int i = 0; (uint)i < (uint)x.Length; i += Width)
        {
            TBlock result = TOperator.Invoke<TBlock, T>(Load(x, i, xTail), Load(y, i, yTail));
            if (i <= x.Length - Width)
            {
                Store(result, destination, i);
            }
            else
            {
                last = result;
            }
        }

        StoreTail(last, destination, x.Length);
    }
}
