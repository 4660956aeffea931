using System;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace CrossEntropy;

internal static partial class Kernel<TBlock, T, TMemory>
{
    /// <summary>
    /// A row operation run by <see cref="Rows{TOp}"/>: what it makes of a row's maximum, of the sum of exp(x - max), and of
    /// each block of exp(x - max) or x - max. The drivers own every loop; an operator's members are small and inlined into them.
    /// An operator finishes rows in blocks: one row broadcast to every lane where the drivers go row by row, one row per lane
    /// where they go across lanes (<see cref="AcrossLanes"/>) or where the row-by-row driver defers the rows' values
    /// (<see cref="DefersValues"/>). <c>start</c> is the offset of a row's first element in the batch.
    /// </summary>
    internal interface IRowOperator
    {
        /// <summary>Whether the sum leaves out the first term of the maximum (which is 1), for log1p of the rest.</summary>
        static abstract bool BesideMax { get; }

        /// <summary>Whether the last pass takes x - max rather than exp(x - max).</summary>
        static abstract bool Differences { get; }

        /// <summary>Whether rows have values (<see cref="Value"/>), such as losses; otherwise every row's value is 0.</summary>
        static abstract bool Reduces { get; }

        /// <summary>Whether the last pass runs and writes the output row; otherwise a row only reduces to its value.</summary>
        bool WritesRows { get; }

        /// <summary>Whether the sum pass may keep its values in the output row for the last pass to read back.</summary>
        bool KeepsInOutput { get; }

        /// <summary>Whether the sum pass also sums the per-class coefficients a of <see cref="Coefficients"/>, and a (x - max) where a is not 0.</summary>
        bool WithCoefficients { get; }

        /// <summary>Whether rows of one block may run across lanes, one row per lane (<see cref="StartLanes"/>, <see cref="LaneFinal"/>).</summary>
        bool AcrossLanes { get; }

        /// <summary>
        /// The values the row operation computes on, from a block of x: the drivers apply it, lane by lane, to every block they
        /// read from x in every pass (a transform such as a temperature or a soft cap; x itself for most operators). Lanes past a
        /// row's end are filled after it. The maxima that <see cref="NonFinite"/> and <see cref="Finish"/> see are those of the
        /// transformed row; an operator that reads single elements of x (in <see cref="Start"/>) transforms them itself.
        /// </summary>
        TBlock Input(TBlock x);

        /// <summary>
        /// Whether <see cref="Input"/> never decreases: the pass that finds a row's maximum then takes x as stored, and applies
        /// the transform only to the lanes' maxima and minima, the row's maximum being the transform of x's.
        /// </summary>
        static virtual bool MonotoneInput => false;

        /// <summary>
        /// Whether a row of one block takes <see cref="Final"/> as a call: a Final that holds an exponential of its own, inlined
        /// beside the row's exponentials, would leave the JIT's inlining budget short of the row's block operations.
        /// </summary>
        static virtual bool CallsFinal => false;

        /// <summary>Whether a row takes no part: its value is 0 and its output row zeros.</summary>
        bool Skips(int row);

        /// <summary>
        /// The value of row <paramref name="row"/>, whose maximum (after <see cref="Input"/>) is NaN or infinite, having written its
        /// output row; <paramref name="x"/> is the row as stored.
        /// </summary>
        T NonFinite(int row, ReadOnlySpan<TMemory> x, T max, Span<TMemory> output);

        /// <summary>Reads what the operation needs of a row with a finite maximum before any pass writes the output row, which may be the row's memory.</summary>
        void Start(int row, ReadOnlySpan<TMemory> x);

        /// <summary>
        /// <see cref="Start"/> for the Width rows of <paramref name="classes"/> from <paramref name="row"/> on, one per lane, run across
        /// lanes, whose maxima are finite; <paramref name="values"/> holds their class blocks after <see cref="Input"/>. Rows it
        /// skips get 0 from <see cref="Finish"/> and <see cref="LaneFinal"/>.
        /// </summary>
        void StartLanes(int row, ref LaneBlocks<TBlock> values, int classes);

        /// <summary>The last, partial block that <see cref="Coefficients"/> takes for the row at <paramref name="start"/>.</summary>
        TBlock CoefficientsTail(int start);

        /// <summary>The coefficients of the block at <paramref name="index"/> of the row at <paramref name="start"/>; 0 past the row's end.</summary>
        TBlock Coefficients(int start, int index, TBlock tail);

        /// <summary>The coefficient of class <paramref name="c"/> in every lane, across lanes.</summary>
        TBlock LaneCoefficients(int c);

        /// <summary>The rows' values from their sums, and the block that the last pass takes with each block of the rows.</summary>
        TBlock Finish(in RowSums sums, out TBlock value);

        /// <summary>
        /// Whether <see cref="Rows{TOp, TAhead, TKeeps}"/> may leave a row's value to <see cref="Finish"/> across lanes, Width rows
        /// at once (<see cref="Defer"/>, <see cref="StartDeferred"/>): a row's last pass needs no part of its value, so that what
        /// its value alone needs (a log) runs once per Width rows rather than once per row.
        /// </summary>
        bool DefersValues { get; }

        /// <summary>
        /// Where <see cref="DefersValues"/>: keeps in lane <paramref name="lane"/> what <see cref="Finish"/> needs of the row in
        /// hand beside its sums, and returns the block that the last pass takes with each block of the row, as Finish does.
        /// </summary>
        TBlock Defer(in RowSums sums, int lane);

        /// <summary>
        /// Where <see cref="DefersValues"/>: <see cref="Start"/> across lanes for the rows that <see cref="Defer"/> kept, one per
        /// lane, for <see cref="Finish"/> to compute their values; a row's <see cref="Start"/> takes the operator back to one row.
        /// </summary>
        void StartDeferred();

        /// <summary>
        /// A block of the output row from the block of exp(x - max) (or x - max) at <paramref name="index"/>;
        /// <paramref name="withCoefficients"/> is <see cref="WithCoefficients"/>, which the drivers read once before their loop:
        /// read in the loop, it would be loaded again after every store to the output, which may alias the operator.
        /// </summary>
        TBlock Final(TBlock value, TBlock factor, int start, int index, TBlock coefficientsTail, bool withCoefficients);

        /// <summary><see cref="Final"/> across lanes, for the block of class <paramref name="c"/>.</summary>
        TBlock LaneFinal(TBlock value, TBlock factor, int c);

        /// <summary>
        /// What the operation writes after the last pass has written the output row: where the row's value is deferred, after
        /// <see cref="Finish"/> across lanes, which holds the row in lane <paramref name="row"/> % Width.
        /// </summary>
        void AfterRow(int row, Span<TMemory> output);

        /// <summary>Takes the value of every row, in order.</summary>
        void Value(int row, T value);
    }

    /// <summary>
    /// What the sum pass found over rows with a finite maximum: the maximum, the sum of exp(x - max) (less the maximum's term
    /// where the operator asks), and the sums of the coefficients a and of a (x - max) where it asks for them.
    /// </summary>
    internal readonly record struct RowSums(TBlock Max, TBlock Sum, TBlock CoefficientSum, TBlock ShiftedSum)
    {
        /// <summary>The sums of one row, in every lane.</summary>
        public RowSums(T max, T sum, T coefficientSum, T shiftedSum)
            : this(TBlock.Create(max), TBlock.Create(sum), TBlock.Create(coefficientSum), TBlock.Create(shiftedSum))
        {
        }
    }

    /// <summary>
    /// Runs a row operation over the rows of <paramref name="x"/> (output rows in <paramref name="output"/>, which may be
    /// <paramref name="x"/>'s memory), and returns the sum of the rows' values in row order. Rows of one block
    /// (<paramref name="classes"/> up to 16 floats or 8 doubles) take <see cref="ShortRows{TOp}"/>, longer rows
    /// <see cref="Rows{TOp, TAhead, TKeeps}"/>; both give the same bits.
    /// </summary>
    public static double Rows<TOp>(ref TOp op, ReadOnlySpan<TMemory> x, Span<TMemory> output, int classes)
        where TOp : struct, IRowOperator, allows ref struct =>
        classes <= Width ? ShortRows(ref op, x, output, classes)
        : op.WritesRows && ReadsAhead(classes)
            ? KeepsRows(ref op) ? Rows<TOp, Yes, Yes>(ref op, x, output, classes) : Rows<TOp, Yes, No>(ref op, x, output, classes)
        : KeepsRows(ref op) ? Rows<TOp, No, Yes>(ref op, x, output, classes) : Rows<TOp, No, No>(ref op, x, output, classes);

    /// <summary>Whether the sum pass keeps what the last pass takes in the output rows, for every row of the call.</summary>
    private static bool KeepsRows<TOp>(ref TOp op)
        where TOp : struct, IRowOperator, allows ref struct =>
        KeepsInOutput && op.WritesRows && op.KeepsInOutput;

    /// <summary>
    /// The rows, each in up to three passes: the maximum, a pass that sums exp(x - max) (keeping what the last pass takes in
    /// the output row where it can), and the last pass that writes the output row; where <typeparamref name="TAhead"/> is set,
    /// the last pass also finds the next row's maximum. Where <typeparamref name="TKeeps"/> is set (<see cref="KeepsRows{TOp}"/>),
    /// the last pass reads back what the sum pass kept in the output row; otherwise it computes it again from the row. Decided
    /// once per call, so that the last pass of each compiled form holds only the way it takes: a call on the way not taken
    /// would leave the loop's blocks in memory, every vector register being caller-saved. Where the operator defers the rows'
    /// values, a row keeps its sums in its lane of <see cref="RowValues"/>, and every Width rows (and the last) are finished
    /// together (<see cref="FinishValues{TOp}"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Rows<TOp, TAhead, TKeeps>(ref TOp op, ReadOnlySpan<TMemory> x, Span<TMemory> output, int classes)
        where TOp : struct, IRowOperator, allows ref struct
        where TAhead : struct, IOption
        where TKeeps : struct, IOption
    {
        Debug.Assert(!TAhead.IsSet || op.WritesRows, "Only the last pass reads ahead.");
        T max = T.Zero;
        Spread spread = default;
        if (TAhead.IsSet && !x.IsEmpty)
        {
            max = Max(ref op, x[..classes], out spread);
        }

        double total = 0;
        bool defers = TOp.Reduces && op.DefersValues;
        Unsafe.SkipInit(out RowValues values);
        values.Deferred = 0;
        for (int start = 0, r = 0; start < x.Length; start += classes, r++)
        {
            ReadOnlySpan<TMemory> row = x.Slice(start, classes);
            Span<TMemory> outRow = op.WritesRows ? output.Slice(start, classes) : default;
            ReadOnlySpan<TMemory> next = NextRow(x, start, classes);
            T value;
            if (op.Skips(r))
            {
                outRow.Clear();
                value = T.Zero;
                if (TAhead.IsSet)
                {
                    max = Max(ref op, next, out spread);
                }
            }
            else
            {
                if (!TAhead.IsSet)
                {
                    max = Max(ref op, row, out spread);
                }

                if (!T.IsFinite(max))
                {
                    value = op.NonFinite(r, row, max, outRow);
                    if (TAhead.IsSet)
                    {
                        max = Max(ref op, next, out spread);
                    }
                }
                else
                {
                    op.Start(r, row);
                    Span<TMemory> kept = TKeeps.IsSet ? outRow : default;
                    T sum = SumPass(ref op, row, start, max, spread, kept, out T coefficientSum, out T shiftedSum);
                    var sums = new RowSums(max, sum, coefficientSum, shiftedSum);
                    TBlock factor;
                    if (defers)
                    {
                        factor = op.Defer(sums, r % Width);
                        values.Defer(r % Width, max, sum, coefficientSum, shiftedSum);
                        value = T.Zero;
                    }
                    else
                    {
                        factor = op.Finish(sums, out TBlock finished);
                        value = TBlock.First(finished);
                    }

                    if (op.WritesRows)
                    {
                        TBlock m = TBlock.Create(max);
                        TBlock tail = KeptTail(ref op, row, kept, max, TKeeps.IsSet);
                        bool withCoefficients = op.WithCoefficients;
                        TBlock coefficientsTail = withCoefficients ? op.CoefficientsTail(start) : tail;
                        RowRange ahead = TAhead.IsSet ? new RowRange(RangeTail(ref op, next)) : default;
                        TBlock last = tail;
                        for (int i = 0; (uint)i < (uint)classes; i += Width)
                        {
                            TBlock v = Kept(ref op, row, kept, i, tail, m, TOp.Differences, TKeeps.IsSet);
                            TBlock o = op.Final(v, factor, start, i, coefficientsTail, withCoefficients);
                            if (i <= classes - Width)
                            {
                                Store(o, outRow, i);
                                if (TAhead.IsSet)
                                {
                                    ahead.Add(RangeInput(ref op, Load(next, i), TOp.MonotoneInput));
                                }
                            }
                            else
                            {
                                last = o;
                            }
                        }

                        if (TAhead.IsSet)
                        {
                            max = ahead.Through(ref op).Max(out spread);
                        }

                        StoreTail(last, outRow, classes);
                        if (!defers)
                        {
                            op.AfterRow(r, outRow);
                        }
                    }
                }
            }

            if (TOp.Reduces)
            {
                if (defers)
                {
                    values.Values[r % Width] = value;
                    if (r % Width == Width - 1 || start >= x.Length - classes)
                    {
                        total = FinishValues(ref op, ref values, output, classes, r - (r % Width), (r % Width) + 1, total);
                    }
                }
                else
                {
                    op.Value(r, value);
                    total += double.CreateTruncating(value);
                }
            }
        }

        return total;
    }

    /// <summary>
    /// The values of up to Width rows of <see cref="Rows{TOp, TAhead, TKeeps}"/>, one per lane: a row whose value the operator
    /// defers (<see cref="IRowOperator.DefersValues"/>) leaves its sums in its lane, any other row its value.
    /// </summary>
    private struct RowValues
    {
        public Lanes<T> Values;
        public Lanes<T> Max;
        public Lanes<T> Sum;
        public Lanes<T> CoefficientSum;
        public Lanes<T> ShiftedSum;

        /// <summary>The lanes whose rows' values are deferred, one bit each.</summary>
        public uint Deferred;

        /// <summary>Keeps the sums of a row whose value is deferred in lane <paramref name="lane"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Defer(int lane, T max, T sum, T coefficientSum, T shiftedSum)
        {
            Max[lane] = max;
            Sum[lane] = sum;
            CoefficientSum[lane] = coefficientSum;
            ShiftedSum[lane] = shiftedSum;
            Deferred |= 1u << lane;
        }
    }

    /// <summary>
    /// Finishes the deferred values of <paramref name="values"/> across lanes, in one <see cref="IRowOperator.Finish"/> (each
    /// lane's bits those of its row's own), and what the operator writes after their rows (<see cref="IRowOperator.AfterRow"/>,
    /// where it writes rows of <paramref name="classes"/> to <paramref name="output"/>); hands the values of the
    /// <paramref name="count"/> rows from <paramref name="row"/> on to the operator, and returns <paramref name="total"/>, the
    /// sum of the rows before them, with their values added in row order. Lanes past the rows, or of rows not deferred, finish
    /// whatever they hold, and are left out.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double FinishValues<TOp>(ref TOp op, ref RowValues values, Span<TMemory> output, int classes, int row, int count, double total)
        where TOp : struct, IRowOperator, allows ref struct
    {
        if (values.Deferred != 0)
        {
            op.StartDeferred();
            var sums = new RowSums(TBlock.Load(in values.Max[0]), TBlock.Load(in values.Sum[0]), TBlock.Load(in values.CoefficientSum[0]),
                TBlock.Load(in values.ShiftedSum[0]));
            op.Finish(sums, out TBlock finished);
            Unsafe.SkipInit(out Lanes<T> lanes);
            TBlock.Store(finished, ref lanes[0]);
            for (int r = 0; r < count; r++)
            {
                if ((values.Deferred & (1u << r)) != 0)
                {
                    values.Values[r] = lanes[r];
                    if (op.WritesRows)
                    {
                        op.AfterRow(row + r, output.Slice((row + r) * classes, classes));
                    }
                }
            }

            values.Deferred = 0;
        }

        for (int r = 0; r < count; r++)
        {
            op.Value(row + r, values.Values[r]);
            total += double.CreateTruncating(values.Values[r]);
        }

        return total;
    }

    /// <summary>
    /// The rows of one block: whole groups of Width rows across lanes where the operator allows (<see cref="LaneGroups{TOp}"/>),
    /// the other rows one by one (<see cref="OneBlockRows{TOp}"/>).
    /// </summary>
    private static double ShortRows<TOp>(ref TOp op, ReadOnlySpan<TMemory> x, Span<TMemory> output, int classes)
        where TOp : struct, IRowOperator, allows ref struct
    {
        Debug.Assert(classes > 0 && classes <= Width, "A row must fill one block at most.");
        int rows = x.Length / classes;
        int groups = op.AcrossLanes && typeof(TMemory) == typeof(T) ? rows / Width : 0;
        double total = groups > 0 ? LaneGroups(ref op, x, output, classes, groups) : 0;
        return OneBlockRows(ref op, x, output, classes, groups * Width, rows, total);
    }

    /// <summary>
    /// Rows <paramref name="first"/> to <paramref name="end"/> of one block, one by one (<see cref="OneBlockRow{TOp}"/>), their
    /// values added in row order to <paramref name="total"/>, the sum of the rows before them.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double OneBlockRows<TOp>(ref TOp op, ReadOnlySpan<TMemory> x, Span<TMemory> output, int classes, int first, int end, double total)
        where TOp : struct, IRowOperator, allows ref struct
    {
        TBlock inRow = InRow(classes);
        for (int r = first; r < end; r++)
        {
            T value = OneBlockRow(ref op, x, output, classes, r, inRow);
            if (TOp.Reduces)
            {
                op.Value(r, value);
                total += double.CreateTruncating(value);
            }
        }

        return total;
    }

    /// <summary>The lanes of a row of one block of <paramref name="classes"/> that lie in the row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock InRow(int classes) =>
        TBlock.LessThan(BlockMath<TBlock, T>.Indices, TBlock.Create(T.CreateTruncating(classes)));

    /// <summary>
    /// Row <paramref name="r"/> of one block, loaded once and computed in registers by the block operations that
    /// <see cref="Rows{TOp, TAhead, TKeeps}"/> applies to a row of one block, in the same order, so that the bits are the same.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T OneBlockRow<TOp>(ref TOp op, ReadOnlySpan<TMemory> x, Span<TMemory> output, int classes, int r, TBlock inRow)
        where TOp : struct, IRowOperator, allows ref struct
    {
        int start = r * classes;
        ReadOnlySpan<TMemory> row = x.Slice(start, classes);
        Span<TMemory> outRow = op.WritesRows ? output.Slice(start, classes) : default;
        if (op.Skips(r))
        {
            outRow.Clear();
            return T.Zero;
        }

        // As in RowRange: the lanes past the row repeat its first element, and a whole block is taken beside copies of it,
        // transformed as the row is: the input transform goes lane by lane, so these are copies of the first lane of xs.
        bool whole = classes == Width;
        bool pair = classes == 2;
        T first = ToCompute(row[0]);
        TBlock xs = op.Input(whole ? Load(row, 0) : Tail(row, first));
        T max = pair ? PairMax(ref op, row, xs) : TBlock.Max(whole ? TBlock.Max(TBlock.Create(TBlock.First(xs)), xs) : xs);
        if (!T.IsFinite(max))
        {
            return op.NonFinite(r, row, max, outRow);
        }

        op.Start(r, row);

        // As in the sum pass: the lanes past the row read the maximum and are masked out.
        TBlock zero = BlockMath<TBlock, T>.Zero;
        TBlock m = TBlock.Create(max);
        xs = TBlock.Select(inRow, xs, m);
        TBlock e = ExpDifference(xs, m) & inRow;
        TBlock kept = TOp.Differences ? xs - m : e;
        T coefficientSum = T.Zero;
        T shiftedSum = T.Zero;
        TBlock coefficientsTail = zero;
        if (op.WithCoefficients)
        {
            coefficientsTail = op.CoefficientsTail(start);
            TBlock a = op.Coefficients(start, 0, coefficientsTail);
            coefficientSum = CompensatedSum.OfOne(a);
            shiftedSum = CompensatedSum.OfOne(TBlock.Select(TBlock.Equals(a, zero), zero, a * (xs - m)));
        }

        if (TOp.BesideMax)
        {
            int lane = TBlock.FirstTrue(TBlock.Equals(xs, m));
            e = TBlock.Select(TBlock.Equals(BlockMath<TBlock, T>.Indices, TBlock.Create(T.CreateTruncating(lane))), zero, e);
        }

        T sum = pair ? PairSum(e) : CompensatedSum.OfOne(e);
        TBlock factor = op.Finish(new RowSums(max, sum, coefficientSum, shiftedSum), out TBlock values);
        if (op.WritesRows)
        {
            TBlock o = TOp.CallsFinal ? FinalCall(ref op, kept, factor, start, coefficientsTail)
                : op.Final(kept, factor, start, 0, coefficientsTail, op.WithCoefficients);
            if (whole)
            {
                Store(o, outRow, 0);
            }
            else
            {
                StoreTail(o, outRow, classes);
            }

            op.AfterRow(r, outRow);
        }

        return TBlock.First(values);
    }

    /// <summary>
    /// The maximum of a row of two, <paramref name="xs"/> its block: what the block's reduction tree gives where every lane
    /// past the row copies the first, <c>x1 &gt; x0 ? x1 : x0</c>, without the tree's steps.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T PairMax<TOp>(ref TOp op, ReadOnlySpan<TMemory> row, TBlock xs)
        where TOp : struct, IRowOperator, allows ref struct =>
        TBlock.First(TBlock.Max(op.Input(TBlock.Create(ToCompute(row[1]))), xs));

    /// <summary>
    /// The sum of a row of two, <paramref name="e"/> its block with 0 past the row: what the block's reduction tree gives,
    /// e0 + e1, since every other step of it adds 0 to a lane that is not -0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T PairSum(TBlock e)
    {
        Unsafe.SkipInit(out Lanes<T> lanes);
        TBlock.Store(e, ref lanes[0]);
        return lanes[0] + lanes[1];
    }

    /// <summary>The operator's <see cref="IRowOperator.Final"/> of a row of one block, as a call (<see cref="IRowOperator.CallsFinal"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TBlock FinalCall<TOp>(ref TOp op, TBlock value, TBlock factor, int start, TBlock coefficientsTail)
        where TOp : struct, IRowOperator, allows ref struct =>
        op.Final(value, factor, start, 0, coefficientsTail, op.WithCoefficients);

    /// <summary>
    /// The first <paramref name="groups"/> groups of Width rows of one block, computed across lanes: lane r of a block holds row
    /// r of the group, and the block of class c every row's element c. The maximum and the sums combine the class blocks in the
    /// halving tree in which a block's reductions combine its lanes, and every other step is the same operation lane by lane,
    /// so each row gets the bits of <see cref="OneBlockRow{TOp}"/>. A group with a row whose maximum is not finite goes row by
    /// row. Only on memory of the computation type. Each step is a method of its own, so that the JIT inlines every block
    /// operation within it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double LaneGroups<TOp>(ref TOp op, ReadOnlySpan<TMemory> x, Span<TMemory> output, int classes, int groups)
        where TOp : struct, IRowOperator, allows ref struct
    {
        Debug.Assert(typeof(TMemory) == typeof(T) && (long)groups * Width * classes <= x.Length, "Whole groups of the computation type.");
        Unsafe.SkipInit(out LaneBlocks<TBlock> values);
        double total = 0;
        for (int g = 0; g < groups; g++)
        {
            int first = g * Width * classes;
            TBlock m = LaneMax(ref op, ref values, ref Unsafe.As<TMemory, T>(ref Unsafe.Add(ref MemoryMarshal.GetReference(x), first)), classes, x.Length - first, out Spread spread);
            if (TBlock.EqualsAny(TBlock.Equals(m - m, BlockMath<TBlock, T>.Zero), BlockMath<TBlock, T>.Zero))
            {
                total = OneBlockRows(ref op, x, output, classes, g * Width, (g + 1) * Width, total);
                continue;
            }

            op.StartLanes(g * Width, ref values, classes);

            ref T destination = ref Unsafe.As<TMemory, T>(ref op.WritesRows ? ref Unsafe.Add(ref MemoryMarshal.GetReference(output), first) : ref Unsafe.NullRef<TMemory>());
            total = spread.Deep ? LaneSums<TOp, Yes, No>(ref op, ref values, in m, classes, ref destination, g * Width, total)
                : spread.Narrow ? LaneSums<TOp, No, Yes>(ref op, ref values, in m, classes, ref destination, g * Width, total)
                : LaneSums<TOp, No, No>(ref op, ref values, in m, classes, ref destination, g * Width, total);
        }

        return total;
    }

    /// <summary>
    /// Reads a group's class blocks from <paramref name="source"/> into <paramref name="values"/>, after the operator's input
    /// transform (<see cref="Columns{TOp}"/>), and returns the rows' maxima from the leaves that RowRange takes: past the row,
    /// copies of the first element; a whole block beside copies of it. <paramref name="spread"/> is the group's, over the
    /// rows' maxima and minima (<see cref="BlockSpread"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TBlock LaneMax<TOp>(ref TOp op, ref LaneBlocks<TBlock> values, ref T source, int classes, int available, out Spread spread)
        where TOp : struct, IRowOperator, allows ref struct
    {
        // The tiles of the last class read up to 3 (1) elements past a group; at the end of the batch, from a copy of it.
        int n = Vector128<T>.Count;
        Unsafe.SkipInit(out LaneBlocks<TBlock> terms);
        scoped ref T from = ref source;
        if (available < ((Width - 1) * classes) + ((classes + n - 1) / n * n))
        {
            from = ref Unsafe.As<LaneBlocks<TBlock>, T>(ref terms);
            MemoryMarshal.CreateReadOnlySpan(ref source, Width * classes).CopyTo(MemoryMarshal.CreateSpan(ref from, Width * classes));
        }

        TBlock min = Columns(ref op, ref values, ref from, classes);
        TBlock first = values[0];
        TBlock max;
        if (classes == Width)
        {
            for (int c = 0; c < Width; c++)
            {
                terms[c] = TBlock.Max(first, values[c]);
            }

            max = MaxTree(ref terms);
        }
        else
        {
            // The blocks past the row are free: no pass reads them, and the tiles that store them land where later stores write.
            for (int c = classes; c < Width; c++)
            {
                values[c] = first;
            }

            max = MaxTree(ref values);
        }

        spread = BlockSpread(max, min);
        return max;
    }

    /// <summary>
    /// Reads the Width rows of <paramref name="classes"/> elements from <paramref name="source"/> on as class blocks, after the
    /// operator's input transform: lane r of <paramref name="values"/>[c] is element c of row r. A block is four quarters, each
    /// a square tile of rows and classes (4 by 4 floats, 2 by 2 doubles) transposed in registers: for floats, four blocks of
    /// rows at once (<see cref="IBlock{TSelf, T}.TransposeQuarters"/>), the transform taken lane by lane before. The last
    /// tile's classes past the row fill blocks that no pass reads; their tiles read up to 3 (1) elements past the rows.
    /// Returns the rows' minima, taken class by class in order as each tile is transposed, rather than loaded back: NaN in
    /// the lanes that hold a NaN or an infinity, as LaneMaxima takes it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Columns<TOp>(ref TOp op, ref LaneBlocks<TBlock> values, ref T source, int classes)
        where TOp : struct, IRowOperator, allows ref struct
    {
        int n = Vector128<T>.Count;
        TBlock min = default;
        for (int c = 0; c < classes; c += n)
        {
            if (n == 4)
            {
                TBlock a = op.Input(RowQuarters(ref source, classes, 0, c));
                TBlock b = op.Input(RowQuarters(ref source, classes, 1, c));
                TBlock d = op.Input(RowQuarters(ref source, classes, 2, c));
                TBlock e = op.Input(RowQuarters(ref source, classes, 3, c));
                TBlock.TransposeQuarters(ref a, ref b, ref d, ref e);
                values[c] = a;
                values[c + 1] = b;
                values[c + 2] = d;
                values[c + 3] = e;
                min = c == 0 ? a + (a - a) : MinWith(min, a);
                min = c + 1 < classes ? MinWith(min, b) : min;
                min = c + 2 < classes ? MinWith(min, d) : min;
                min = c + 3 < classes ? MinWith(min, e) : min;
                continue;
            }

            Tile<T> q0 = Tile(ref source, classes, 0, c);
            Tile<T> q1 = Tile(ref source, classes, n, c);
            Tile<T> q2 = Tile(ref source, classes, 2 * n, c);
            Tile<T> q3 = Tile(ref source, classes, 3 * n, c);
            TBlock low = op.Input(TBlock.FromQuarters(q0.A, q1.A, q2.A, q3.A));
            TBlock high = op.Input(TBlock.FromQuarters(q0.B, q1.B, q2.B, q3.B));
            values[c] = low;
            values[c + 1] = high;
            min = c == 0 ? low + (low - low) : MinWith(min, low);
            min = c + 1 < classes ? MinWith(min, high) : min;
        }

        return min;
    }

    /// <summary>The running minima <paramref name="min"/> with class block <paramref name="x"/>, NaN where x is a NaN or an infinity.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock MinWith(TBlock min, TBlock x) => TBlock.Min(x, min) + (x - x);

    /// <summary>
    /// The block whose quarter q holds classes <paramref name="column"/> to <paramref name="column"/> + 3 of row
    /// <paramref name="row"/> + 4q: the rows of a group that <see cref="IBlock{TSelf, T}.TransposeQuarters"/> turns into classes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock RowQuarters(ref T source, int classes, int row, int column)
    {
        ref T start = ref Unsafe.Add(ref source, (row * classes) + column);
        nuint quarter = (nuint)(4 * classes);
        return TBlock.FromQuarters(
            Vector128.LoadUnsafe(ref start),
            Vector128.LoadUnsafe(ref start, quarter),
            Vector128.LoadUnsafe(ref start, 2 * quarter),
            Vector128.LoadUnsafe(ref start, 3 * quarter));
    }

    /// <summary>
    /// The tile of doubles of the rows from <paramref name="row"/> on and the classes from <paramref name="column"/> on,
    /// transposed: vector i of the first two holds class <paramref name="column"/> + i of each row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Tile<T> Tile(ref T source, int classes, int row, int column)
    {
        ref T start = ref Unsafe.Add(ref source, (row * classes) + column);
        return Tiles.Transpose(Vector128.LoadUnsafe(ref start), Vector128.LoadUnsafe(ref start, (nuint)classes));
    }

    /// <summary>
    /// Writes the operator's last-pass blocks (<see cref="IRowOperator.LaneFinal"/>) of the class blocks of <paramref name="values"/>
    /// as Width rows of <paramref name="classes"/> elements from <paramref name="destination"/> on, the inverse of
    /// <see cref="Columns{TOp}"/>. For floats, each block is finished as it is loaded for its tile, rather than stored back first.
    /// A tile's lanes past its rows' end land on the rows after it, whose own stores come later: for floats, the tiles from the
    /// rows' end back to their start, within them rows in order; for doubles, tiles of rows in order, within them the tiles from
    /// the rows' end back to their start, and rows in order. The last tile stores only the lanes within the group, so that
    /// nothing is written past it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRows<TOp>(ref TOp op, ref LaneBlocks<TBlock> values, TBlock factor, ref T destination, int classes)
        where TOp : struct, IRowOperator, allows ref struct
    {
        int n = Vector128<T>.Count;
        int block = Unsafe.SizeOf<TBlock>() / Unsafe.SizeOf<T>();
        int lastColumn = (classes - 1) / n * n;
        if (n == 4)
        {
            // The last tile's blocks past the row take the last class's operation: their lanes are overwritten, and an
            // operator may read per-class data only for its classes.
            int lastClass = classes - 1;
            for (int c = lastColumn; c >= 0; c -= n)
            {
                TBlock a = op.LaneFinal(values[c], factor, c);
                TBlock b = op.LaneFinal(values[c + 1], factor, Math.Min(c + 1, lastClass));
                TBlock d = op.LaneFinal(values[c + 2], factor, Math.Min(c + 2, lastClass));
                TBlock e = op.LaneFinal(values[c + 3], factor, Math.Min(c + 3, lastClass));
                TBlock.TransposeQuarters(ref a, ref b, ref d, ref e);
                ref T start = ref Unsafe.Add(ref destination, c);
                StoreQuarters(a, b, d, e, 0, ref start, classes, n, n, n, n);
                StoreQuarters(a, b, d, e, 1, ref start, classes, n, n, n, n);
                StoreQuarters(a, b, d, e, 2, ref start, classes, n, n, n, n);

                // In the last tile, each row stores no more lanes than the group has from its start on.
                bool last = c == lastColumn;
                StoreQuarters(a, b, d, e, 3, ref start, classes, last ? Math.Min(n, (4 * classes) - c) : n, last ? Math.Min(n, (3 * classes) - c) : n,
                    last ? Math.Min(n, (2 * classes) - c) : n, last ? classes - c : n);
            }

            return;
        }

        for (int c = 0; c < classes; c++)
        {
            values[c] = op.LaneFinal(values[c], factor, c);
        }

        for (int row = 0; row < Width; row += n)
        {
            ref T rows = ref Unsafe.Add(ref destination, row * classes);
            for (int c = lastColumn; c >= 0; c -= n)
            {
                ref T quarter = ref Unsafe.Add(ref Unsafe.As<LaneBlocks<TBlock>, T>(ref values), (c * block) + row);
                ref T start = ref Unsafe.Add(ref rows, c);

                // In the last tile, each row stores no more lanes than the group has from its start on.
                bool last = row == Width - n && c == lastColumn;
                Tile<T> t = Tiles.Transpose(Vector128.LoadUnsafe(ref quarter), Vector128.LoadUnsafe(ref quarter, (nuint)block));
                StoreFirst(t.A, ref start, last ? Math.Min(n, (2 * classes) - c) : n);
                StoreFirst(t.B, ref Unsafe.Add(ref start, classes), last ? classes - c : n);
            }
        }
    }

    /// <summary>
    /// Stores quarter <paramref name="quarter"/> of the blocks <paramref name="a"/> to <paramref name="d"/>, transposed by
    /// <see cref="IBlock{TSelf, T}.TransposeQuarters"/>, as four rows from row 4 <paramref name="quarter"/> on of a group of
    /// <paramref name="classes"/>, each at most as many lanes as its count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreQuarters(TBlock a, TBlock b, TBlock c, TBlock d, int quarter, ref T destination, int classes,
        int countA, int countB, int countC, int countD)
    {
        ref T start = ref Unsafe.Add(ref destination, 4 * quarter * classes);
        StoreFirst(TBlock.Quarter(a, quarter), ref start, countA);
        StoreFirst(TBlock.Quarter(b, quarter), ref Unsafe.Add(ref start, classes), countB);
        StoreFirst(TBlock.Quarter(c, quarter), ref Unsafe.Add(ref start, 2 * classes), countC);
        StoreFirst(TBlock.Quarter(d, quarter), ref Unsafe.Add(ref start, 3 * classes), countD);
    }

    /// <summary>Stores the first <paramref name="count"/> lanes of <paramref name="value"/> (1 to all), and nothing past them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFirst(Vector128<T> value, ref T destination, int count)
    {
        if (count == Vector128<T>.Count)
        {
            value.StoreUnsafe(ref destination);
        }
        else if (Vector128<T>.Count == 2 || count == 1)
        {
            destination = value.ToScalar();
        }
        else
        {
            Unsafe.WriteUnaligned(ref Unsafe.As<T, byte>(ref destination), value.AsUInt64().ToScalar());
            if (count == 3)
            {
                Unsafe.Add(ref destination, 2) = value.GetElement(2);
            }
        }
    }

    /// <summary>
    /// The sum pass across lanes, leaving in <paramref name="values"/> what the last pass takes: in each lane, the first class
    /// equal to the maximum stays out of the sum where the operator asks; past the row, the terms are 0. The rows' maxima come
    /// by reference: a block passed by value is copied to the stack in 16-byte pieces, from which its load cannot be forwarded.
    /// The exponentials take the care of the group's <see cref="Spread"/>, <typeparamref name="TDeep"/> and <typeparamref name="TNarrow"/>.
    /// Then finishes the group (<see cref="LaneFinish{TOp}"/>, whose arguments are those from <paramref name="destination"/> on):
    /// called from here, it takes the sums where they are made, rather than returned through memory and copied.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double LaneSums<TOp, TDeep, TNarrow>(ref TOp op, ref LaneBlocks<TBlock> values, in TBlock maxima, int classes,
        ref T destination, int row, double total)
        where TOp : struct, IRowOperator, allows ref struct
        where TDeep : struct, IOption
        where TNarrow : struct, IOption
    {
        TBlock m = maxima;
        TBlock zero = BlockMath<TBlock, T>.Zero;
        Unsafe.SkipInit(out LaneBlocks<TBlock> terms);
        Unsafe.SkipInit(out LaneBlocks<TBlock> coefficients);
        Unsafe.SkipInit(out LaneBlocks<TBlock> shifted);
        for (int past = classes; past < Width; past++)
        {
            terms[past] = zero;
            if (op.WithCoefficients)
            {
                coefficients[past] = zero;
                shifted[past] = zero;
            }
        }

        TBlock found = zero;
        int c = 0;
        for (; c < classes; c++)
        {
            TBlock xc = values[c];
            if (BelowNormal(xc, m, TDeep.IsSet))
            {
                break;
            }

            LaneTerm(ref op, ref values, ref terms, ref coefficients, ref shifted, ref found, m, c,
                BlockMath<TBlock, T>.ExpDifference(xc, m, TDeep.IsSet, TNarrow.IsSet, belowNormal: false));
        }

        if (c < classes)
        {
            LaneTermsBelowNormal(ref op, ref values, ref terms, ref coefficients, ref shifted, found, m, c, classes);
        }

        TBlock coefficientSum = zero;
        TBlock shiftedSum = zero;
        if (op.WithCoefficients)
        {
            CoefficientSums(ref coefficients, ref shifted, out coefficientSum, out shiftedSum);
        }

        var sums = new RowSums(m, SumTree(ref terms), coefficientSum, shiftedSum);
        return LaneFinish(ref op, ref values, in sums, ref destination, classes, row, total);
    }

    /// <summary>
    /// The sums of the terms in <paramref name="coefficients"/> and <paramref name="shifted"/>, for an operator that sums
    /// coefficients (<see cref="IRowOperator.WithCoefficients"/>). Not inline: inline, their trees would take the JIT's
    /// inlining budget from the sum pass's own on narrow hardware, although few operators sum coefficients.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CoefficientSums(ref LaneBlocks<TBlock> coefficients, ref LaneBlocks<TBlock> shifted, out TBlock coefficientSum, out TBlock shiftedSum)
    {
        coefficientSum = SumTree(ref coefficients);
        shiftedSum = SumTree(ref shifted);
    }

    /// <summary>
    /// Whether some e^(x - m) may fall below the normal range (<see cref="BlockMath{TBlock, T}.BelowNormal"/>), which only
    /// <paramref name="deep"/> exponentials may. The option comes last as an argument, a constant when the JIT imports the
    /// inlined body, so that the loop of the classes holds the test only where it is taken.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool BelowNormal(TBlock x, TBlock m, bool deep) => deep && BlockMath<TBlock, T>.BelowNormal(x, m);

    /// <summary>
    /// The terms of <see cref="LaneSums{TOp, TDeep, TNarrow}"/> from class <paramref name="first"/> on, whose exponentials may fall below the
    /// normal range, where <see cref="BlockMath{TBlock, T}.ExpDifference"/> computes them out of line: a call that, in the loop
    /// of the classes whose exponentials are normal, would keep that loop's blocks in memory. Rare: only a row that spreads
    /// more than 87 (708 for double) below its maximum has such classes.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LaneTermsBelowNormal<TOp>(ref TOp op, ref LaneBlocks<TBlock> values, ref LaneBlocks<TBlock> terms,
        ref LaneBlocks<TBlock> coefficients, ref LaneBlocks<TBlock> shifted, TBlock found, TBlock m, int first, int classes)
        where TOp : struct, IRowOperator, allows ref struct
    {
        for (int c = first; c < classes; c++)
        {
            LaneTerm(ref op, ref values, ref terms, ref coefficients, ref shifted, ref found, m, c, ExpDifference(values[c], m));
        }
    }

    /// <summary>
    /// The terms of class <paramref name="c"/> for the sums of <see cref="LaneSums{TOp, TDeep, TNarrow}"/>, from <paramref name="e"/>, its exp(x - max);
    /// leaves in <paramref name="values"/> what the last pass takes. <paramref name="found"/> marks the lanes whose first class
    /// equal to the maximum has been left out of the sum, where the operator asks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LaneTerm<TOp>(ref TOp op, ref LaneBlocks<TBlock> values, ref LaneBlocks<TBlock> terms,
        ref LaneBlocks<TBlock> coefficients, ref LaneBlocks<TBlock> shifted, ref TBlock found, TBlock m, int c, TBlock e)
        where TOp : struct, IRowOperator, allows ref struct
    {
        TBlock zero = BlockMath<TBlock, T>.Zero;
        TBlock xc = values[c];
        values[c] = TOp.Differences ? xc - m : e;
        if (op.WithCoefficients)
        {
            TBlock a = op.LaneCoefficients(c);
            coefficients[c] = zero + a;
            shifted[c] = zero + TBlock.Select(TBlock.Equals(a, zero), zero, a * (xc - m));
        }

        if (TOp.BesideMax)
        {
            TBlock firstEqual = TBlock.Select(found, zero, TBlock.Equals(xc, m));
            e = TBlock.Select(firstEqual, zero, e);
            found |= firstEqual;
        }

        terms[c] = zero + e;
    }

    /// <summary>
    /// Finishes a group across lanes: writes the output rows from <paramref name="destination"/> on (where the operator writes
    /// rows), hands the rows' values from <paramref name="row"/> on to the operator, and returns <paramref name="total"/>, the
    /// sum of the rows before them, with their values added in row order.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double LaneFinish<TOp>(ref TOp op, ref LaneBlocks<TBlock> values, in RowSums sums, ref T destination, int classes, int row, double total)
        where TOp : struct, IRowOperator, allows ref struct
    {
        TBlock factor = op.Finish(sums, out TBlock value);
        if (op.WritesRows)
        {
            StoreRows(ref op, ref values, factor, ref destination, classes);
        }

        if (TOp.Reduces)
        {
            Unsafe.SkipInit(out Lanes<T> lanes);
            TBlock.Store(value, ref lanes[0]);
            for (int r = 0; r < Width; r++)
            {
                op.Value(row + r, lanes[r]);
            }

            // A local of its own, in a loop without the operator's stores: the total, live across the calls before, has no
            // register that survives them (the vector registers are caller-saved), and would pass through memory at every row.
            double sum = total;
            for (int r = 0; r < Width; r++)
            {
                sum += double.CreateTruncating(lanes[r]);
            }

            total = sum;
        }

        return total;
    }

    /// <summary>
    /// The labels of the Width rows from <paramref name="row"/> on, one per lane, as numbers (-1 where a label is
    /// <paramref name="ignoreIndex"/>), with each lane's block of <paramref name="values"/> at its label (0 where ignored) and
    /// its class weight (1 where ignored or without <paramref name="weights"/>). Each class is compared with the labels, rather
    /// than each lane's element read alone: lanes stored one by one and loaded as a block wait for the stores. The labels are in
    /// [0, <paramref name="classes"/>) or ignoreIndex, checked before, so that their conversion is exact where they are classes,
    /// and a label converts to ignoreIndex's number only where it is ignoreIndex.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock LaneLabels(ReadOnlySpan<int> labels, int row, int ignoreIndex, ref LaneBlocks<TBlock> values, int classes,
        ReadOnlySpan<TMemory> weights, out TBlock atLabel, out TBlock weight)
    {
        TBlock one = BlockMath<TBlock, T>.One;
        TBlock label = LabelBlock(labels, row, ignoreIndex);
        TBlock at = BlockMath<TBlock, T>.Zero;
        TBlock w = one;
        TBlock c = BlockMath<TBlock, T>.Zero;
        for (int k = 0; k < classes; k++)
        {
            TBlock isLabel = TBlock.Equals(label, c);
            at = TBlock.Select(isLabel, values[k], at);
            if (!weights.IsEmpty)
            {
                w = TBlock.Select(isLabel, TBlock.Create(ToCompute(weights[k])), w);
            }

            c += one;
        }

        atLabel = at;
        weight = w;
        return label;
    }

    /// <summary>The lane-wise maximum of Width blocks in the halving tree of <see cref="IBlock{TSelf, T}.Max(TSelf)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock MaxTree(ref LaneBlocks<TBlock> terms) => HalvingTree(ref terms, max: true);

    /// <summary>The lane-wise sum of Width blocks in the halving tree of <see cref="IBlock{TSelf, T}.Sum(TSelf)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock SumTree(ref LaneBlocks<TBlock> terms) => HalvingTree(ref terms, max: false);

    /// <summary>
    /// Width blocks combined in the halving tree, which adds term i + Width / 2 to term i, then i + Width / 4 to i, and so on:
    /// of sixteen terms, the tree of eight over the even terms combined with that over the odd ones. Written out, each term
    /// read once and every node held in registers: a loop would pass each level through memory, each waiting for the last.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock HalvingTree(ref LaneBlocks<TBlock> terms, bool max) =>
        Width == 16
            ? Combine(HalvingTree8(ref terms, 0, 2, max), HalvingTree8(ref terms, 1, 2, max), max)
            : HalvingTree8(ref terms, 0, 1, max);

    /// <summary>The halving tree of the eight terms <paramref name="first"/> + k <paramref name="stride"/>, for k from 0 to 7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock HalvingTree8(ref LaneBlocks<TBlock> terms, int first, int stride, bool max)
    {
        TBlock a = Combine(Combine(terms[first], terms[first + (4 * stride)], max), Combine(terms[first + (2 * stride)], terms[first + (6 * stride)], max), max);
        TBlock b = Combine(Combine(terms[first + stride], terms[first + (5 * stride)], max), Combine(terms[first + (3 * stride)], terms[first + (7 * stride)], max), max);
        return Combine(a, b, max);
    }

    /// <summary>The maximum of two blocks, lane by lane, where <paramref name="max"/>; their sum otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Combine(TBlock left, TBlock right, bool max) => max ? TBlock.Max(left, right) : left + right;

    /// <summary>
    /// <paramref name="e"/> with 0 in the first lane where <paramref name="x"/> equals <paramref name="m"/>. Once per row, but
    /// inline: a call in the loop of the sum pass would leave the loop's blocks in memory, every vector register being caller-saved.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock WithoutFirstMaximum(TBlock e, TBlock x, TBlock m)
    {
        int lane = TBlock.FirstTrue(TBlock.Equals(x, m));
        return TBlock.Select(TBlock.Equals(BlockMath<TBlock, T>.Indices, TBlock.Create(T.CreateTruncating(lane))), BlockMath<TBlock, T>.Zero, e);
    }

    /// <summary>
    /// The sum pass of a row whose maximum <paramref name="max"/> is finite; <paramref name="spread"/> comes from <see cref="Max"/>.
    /// Not inline: its two dozen compiled forms would leave the JIT no room to inline the driver's loop on narrow hardware.
    /// </summary>
    /// <remarks>
    /// A row of <see cref="FiniteSpreadBlocks"/> blocks or more that spreads that far only through its -infinity elements
    /// (masked entries) is read again for the spread of the others (<see cref="FiniteSpread"/>): where they lie within
    /// <see cref="BlockMath{TBlock, T}.DeepLimit"/> of the maximum, its sum pass takes the exponentials without the deep care
    /// and sets those of -infinity to 0, the bits the care gives.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T SumPass<TOp>(ref TOp op, ReadOnlySpan<TMemory> row, int start, T max, Spread spread, Span<TMemory> kept,
        out T coefficientSum, out T shiftedSum)
        where TOp : struct, IRowOperator, allows ref struct
    {
        if (spread is { Deep: true, MinusInfinity: true } && row.Length >= FiniteSpreadBlocks * Width)
        {
            spread = FiniteSpread(ref op, row, max);
        }

        return spread switch
        {
            { Deep: true, Narrow: true } => SumPass<TOp, Yes, Yes, No>(ref op, row, start, max, kept, out coefficientSum, out shiftedSum),
            { Deep: true, Narrow: false } => SumPass<TOp, Yes, No, No>(ref op, row, start, max, kept, out coefficientSum, out shiftedSum),
            { Narrow: true, MinusInfinity: true } => SumPass<TOp, No, Yes, Yes>(ref op, row, start, max, kept, out coefficientSum, out shiftedSum),
            { Narrow: false, MinusInfinity: true } => SumPass<TOp, No, No, Yes>(ref op, row, start, max, kept, out coefficientSum, out shiftedSum),
            { Narrow: true } => SumPass<TOp, No, Yes, No>(ref op, row, start, max, kept, out coefficientSum, out shiftedSum),
            _ => SumPass<TOp, No, No, No>(ref op, row, start, max, kept, out coefficientSum, out shiftedSum),
        };
    }

    /// <summary>
    /// The length in blocks from which <see cref="FiniteSpread"/> pays for its pass: on shorter rows, the deep care of a few
    /// blocks costs less.
    /// </summary>
    private const int FiniteSpreadBlocks = 12;

    /// <summary>
    /// The spread of a row of finite maximum <paramref name="max"/> over its elements other than -infinity, with
    /// <see cref="Spread.MinusInfinity"/> set: the row read again.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Spread FiniteSpread<TOp>(ref TOp op, ReadOnlySpan<TMemory> row, T max)
        where TOp : struct, IRowOperator, allows ref struct
    {
        TBlock rowTail = InputTail(ref op, row, max);
        TBlock m = TBlock.Create(max);
        TBlock min = m;
        for (int i = 0; (uint)i < (uint)row.Length; i += Width)
        {
            min = FiniteMin(min, LoadInput(ref op, row, i, rowTail));
        }

        Spread finite = RowSpread(max, min);
        return new Spread(finite.Deep, finite.Narrow, minusInfinity: true);
    }

    /// <summary>
    /// <paramref name="min"/> lowered to <paramref name="x"/> in the lanes where x is finite: x * 0 + x is x there, and NaN
    /// where x is an infinity or NaN, which the minimum then passes over.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock FiniteMin(TBlock min, TBlock x) => TBlock.Min(TBlock.FusedMultiplyAdd(x, BlockMath<TBlock, T>.Zero, x), min);

    private static T SumPass<TOp, TDeep, TNarrow, TMinusInfinity>(ref TOp op, ReadOnlySpan<TMemory> row, int start, T max, Span<TMemory> kept,
        out T coefficientSum, out T shiftedSum)
        where TOp : struct, IRowOperator, allows ref struct
        where TDeep : struct, IOption
        where TNarrow : struct, IOption
        where TMinusInfinity : struct, IOption =>
        (kept.IsEmpty, op.WithCoefficients) switch
        {
            (true, false) => SumPass<TOp, TDeep, TNarrow, TMinusInfinity, No, No>(ref op, row, start, max, kept, out coefficientSum, out shiftedSum),
            (false, false) => SumPass<TOp, TDeep, TNarrow, TMinusInfinity, Yes, No>(ref op, row, start, max, kept, out coefficientSum, out shiftedSum),
            (true, true) => SumPass<TOp, TDeep, TNarrow, TMinusInfinity, No, Yes>(ref op, row, start, max, kept, out coefficientSum, out shiftedSum),
            (false, true) => SumPass<TOp, TDeep, TNarrow, TMinusInfinity, Yes, Yes>(ref op, row, start, max, kept, out coefficientSum, out shiftedSum),
        };

    /// <summary>
    /// Adds the coefficients a of the block at <paramref name="index"/> to <paramref name="coefficients"/>, and a (x - max) where a
    /// is not 0 to <paramref name="shifted"/>, where <paramref name="set"/>. The option comes last as an argument, a constant when
    /// the JIT imports the inlined body: a branch on it in the loop itself would have its code inlined even where it is never
    /// taken, which spends the JIT's inlining of the loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddCoefficients<TOp>(ref TOp op, ref CompensatedSum coefficients, ref CompensatedSum shifted, int start, int index,
        TBlock tail, TBlock x, TBlock m, bool set)
        where TOp : struct, IRowOperator, allows ref struct
    {
        if (set)
        {
            TBlock zero = BlockMath<TBlock, T>.Zero;
            TBlock a = op.Coefficients(start, index, tail);
            coefficients.Add(a, index);
            shifted.Add(TBlock.Select(TBlock.Equals(a, zero), zero, a * (x - m)), index);
        }
    }

    /// <summary>
    /// The sum pass, compiled once per combination of its options: <typeparamref name="TDeep"/>, <typeparamref name="TNarrow"/>
    /// and <typeparamref name="TMinusInfinity"/> as in <see cref="Spread"/>, <typeparamref name="TKeeps"/> writes to
    /// <paramref name="kept"/> what the last pass takes.
    /// A block with an exponential below the normal range ends the loop, and <see cref="BelowNormalBlocks"/> takes the rest of
    /// the row: the loop then holds no call, which would keep its running values in memory for every block.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T SumPass<TOp, TDeep, TNarrow, TMinusInfinity, TKeeps, TCoefficients>(ref TOp op, ReadOnlySpan<TMemory> row, int start, T max, Span<TMemory> kept,
        out T coefficientSum, out T shiftedSum)
        where TOp : struct, IRowOperator, allows ref struct
        where TDeep : struct, IOption
        where TNarrow : struct, IOption
        where TMinusInfinity : struct, IOption
        where TKeeps : struct, IOption
        where TCoefficients : struct, IOption
    {
        // Set once the maximum's term has been left out (or where none is to be).
        bool found = !TOp.BesideMax;
        TBlock zero = BlockMath<TBlock, T>.Zero;

        // Lanes past the row's end read the maximum, whose exponential needs no care, and are masked out of the sums. The
        // maximum's block is made after the call, so that it stays in a register rather than in memory for the whole loop.
        TBlock rowTail = OutOfLineInputTail(ref op, row, max);
        TBlock m = TBlock.Create(max);
        TBlock inRow = TailMask(row.Length);
        TBlock coefficientsTail = TCoefficients.IsSet ? op.CoefficientsTail(start) : zero;
        CompensatedSum sum = default;
        CompensatedSum coefficients = default;
        CompensatedSum shifted = default;
        TBlock last = zero;
        int i = 0;
        for (; (uint)i < (uint)row.Length; i += Width)
        {
            TBlock x = LoadInput(ref op, row, i, rowTail);
            if (TDeep.IsSet && BlockMath<TBlock, T>.BelowNormal(x, m))
            {
                break;
            }

            TBlock e = BlockMath<TBlock, T>.ExpDifference(x, m, TDeep.IsSet, TNarrow.IsSet, belowNormal: false, minusInfinity: TMinusInfinity.IsSet);
            SumBlock<TOp, TKeeps, TCoefficients>(ref op, row.Length, start, i, x, m, e, inRow, coefficientsTail, kept,
                ref found, ref sum, ref coefficients, ref shifted, ref last);
        }

        return (uint)i < (uint)row.Length
            ? BelowNormalBlocks<TOp, TKeeps, TCoefficients>(ref op, row, start, max, kept, i, found, sum, coefficients, shifted, last,
                out coefficientSum, out shiftedSum)
            : SumTotals<TKeeps, TCoefficients>(row.Length, kept, ref sum, ref coefficients, ref shifted, last, out coefficientSum, out shiftedSum);
    }

    /// <summary>
    /// The sum pass of <see cref="SumPass{TOp, TDeep, TNarrow, TMinusInfinity, TKeeps, TCoefficients}"/> from the block at <paramref name="index"/>
    /// on, with what it carries from the blocks before: their exponentials may fall below the normal range, where
    /// <see cref="BlockMath{TBlock, T}.ExpDifference"/> computes them again, inline: in a row with such entries scattered
    /// through it most blocks hold one, and a call for each would keep the loop's running values in memory. Only a row that
    /// spreads more than 87 (708 for double) below its maximum comes here.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T BelowNormalBlocks<TOp, TKeeps, TCoefficients>(ref TOp op, ReadOnlySpan<TMemory> row, int start, T max, Span<TMemory> kept,
        int index, bool found, CompensatedSum sum, CompensatedSum coefficients, CompensatedSum shifted, TBlock last,
        out T coefficientSum, out T shiftedSum)
        where TOp : struct, IRowOperator, allows ref struct
        where TKeeps : struct, IOption
        where TCoefficients : struct, IOption
    {
        TBlock rowTail = OutOfLineInputTail(ref op, row, max);
        TBlock m = TBlock.Create(max);
        TBlock inRow = TailMask(row.Length);
        TBlock coefficientsTail = TCoefficients.IsSet ? op.CoefficientsTail(start) : BlockMath<TBlock, T>.Zero;
        for (int i = index; (uint)i < (uint)row.Length; i += Width)
        {
            TBlock x = LoadInput(ref op, row, i, rowTail);
            TBlock e = BlockMath<TBlock, T>.ExpDifference(x, m, inline: true);
            SumBlock<TOp, TKeeps, TCoefficients>(ref op, row.Length, start, i, x, m, e, inRow, coefficientsTail, kept,
                ref found, ref sum, ref coefficients, ref shifted, ref last);
        }

        return SumTotals<TKeeps, TCoefficients>(row.Length, kept, ref sum, ref coefficients, ref shifted, last, out coefficientSum, out shiftedSum);
    }

    /// <summary>
    /// The sum pass's totals, and the last, partial block of what it keeps for the last pass stored. Reduced before the call
    /// that stores, so that no block is live across a call (every vector register is caller-saved).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T SumTotals<TKeeps, TCoefficients>(int length, Span<TMemory> kept, ref CompensatedSum sum, ref CompensatedSum coefficients,
        ref CompensatedSum shifted, TBlock last, out T coefficientSum, out T shiftedSum)
        where TKeeps : struct, IOption
        where TCoefficients : struct, IOption
    {
        T total = sum.Total;
        coefficientSum = TCoefficients.IsSet ? coefficients.Total : T.Zero;
        shiftedSum = TCoefficients.IsSet ? shifted.Total : T.Zero;
        if (TKeeps.IsSet)
        {
            StoreTail(last, kept, length);
        }

        return total;
    }

    /// <summary>
    /// Adds the block at <paramref name="index"/> of a row of <paramref name="length"/> to the sums of the sum pass: <paramref name="e"/>,
    /// exp(x - max) of its block <paramref name="x"/>; keeps what the last pass takes in <paramref name="kept"/> (in
    /// <paramref name="last"/> for the last, partial block) where <typeparamref name="TKeeps"/> is set.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumBlock<TOp, TKeeps, TCoefficients>(ref TOp op, int length, int start, int index, TBlock x, TBlock m, TBlock e,
        TBlock inRow, TBlock coefficientsTail, Span<TMemory> kept,
        ref bool found, ref CompensatedSum sum, ref CompensatedSum coefficients, ref CompensatedSum shifted, ref TBlock last)
        where TOp : struct, IRowOperator, allows ref struct
        where TKeeps : struct, IOption
        where TCoefficients : struct, IOption
    {
        AddCoefficients(ref op, ref coefficients, ref shifted, start, index, coefficientsTail, x, m, TCoefficients.IsSet);

        bool tail = index > length - Width;
        if (tail)
        {
            e &= inRow;
            if (TKeeps.IsSet)
            {
                last = TOp.Differences ? x - m : e;
            }
        }
        else if (TKeeps.IsSet)
        {
            Store(TOp.Differences ? x - m : e, kept, index);
        }

        // The first element equal to the maximum stays out (in the tail, the lanes past the end come after the row's own).
        if (!found && TBlock.EqualsAny(x, m))
        {
            found = true;
            e = WithoutFirstMaximum(e, x, m);
        }

        sum.Add(e, index);
    }
}
