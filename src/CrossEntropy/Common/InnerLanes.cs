using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace CrossEntropy;

/// <summary>
/// The kernels on the inner layout <c>[outer, classes, inner]</c> with inner above 1 (see <see cref="ClassLayout"/>): the
/// classes of a position lie <c>inner</c> elements apart, and consecutive positions side by side. A block holds Width
/// consecutive positions, one per lane, and a kernel walks the classes in order: the maximum, the sum of exp(x - max) and
/// the last pass are the same scalar operations in every lane, whatever the block's width, so every position gets the same
/// bits on every hardware path; no lane's result depends on another's, so neither do the threads. Work items are the groups
/// of <see cref="Simd.GroupSize"/> positions of one outer index (<see cref="ClassLayout.Items"/>); a position's losses are
/// added in position order.
/// <para>A kernel takes up to <see cref="ChunkBlocks"/> consecutive blocks of positions at once, and each of its passes over
/// memory walks the classes with every block of them before the next class. Each class is then a contiguous run the hardware
/// prefetches; block by block, the classes of a block would fall in the same set of the L1 cache, <c>inner</c> apart, and be
/// read from memory again in every pass. Softmax and cross-entropy, where the classes of a run fit in
/// <see cref="StagedBlocks{TBlock}"/>, read them into it once, compute there block by block with each block's state in
/// registers, and write the results out once.</para>
/// </summary>
internal static partial class Kernel<TBlock, T, TMemory>
{
    /// <summary>The most blocks of positions a kernel of the inner layout runs at once.</summary>
    private const int ChunkBlocks = Lanes<float>.Length;

    /// <summary>
    /// Runs <paramref name="group"/> over the positions of items <paramref name="start"/> to <paramref name="end"/>, in runs of
    /// consecutive positions of one outer index, at most <paramref name="runBlocks"/> blocks long: each call takes the offset of
    /// the run's class 0, the position of its first lane and its number of positions.
    /// </summary>
    private static double InnerItems<TGroup>(ref TGroup group, ClassLayout layout, int start, int end, int runBlocks = ChunkBlocks)
        where TGroup : struct, IInnerGroup, allows ref struct
    {
        int groups = Simd.Groups(layout.Inner);
        int slab = layout.Classes * layout.Inner;
        int perRun = runBlocks * Width / Simd.GroupSize;
        double total = 0;
        for (int item = start; item < end;)
        {
            int o = item / groups;
            int g = item - o * groups;
            int items = Math.Min(perRun, Math.Min(end - item, groups - g));
            int j = Simd.GroupStart(g, layout.Inner);
            group.Run(o * slab + j, o * layout.Inner + j, Simd.GroupStart(g + items, layout.Inner) - j, ref total);
            item += items;
        }

        return total;
    }

    /// <summary>
    /// A run of consecutive positions of the inner layout, <see cref="Blocks"/> of them; a loss adds its positions' losses to
    /// <c>total</c> one by one, in order.
    /// </summary>
    internal interface IInnerGroup
    {
        void Run(int first, int position, int count, ref double total);
    }

    /// <summary>
    /// Asks for the cache line of <paramref name="source"/> at <paramref name="index"/>, where that lies in it, to be read ahead
    /// of its use. Only a hint, which neither faults nor reads anything into the program. The kernels' main passes ask for the
    /// same class of the next run (<see cref="ChunkBlocks"/> blocks on): a run reads one stream per class, more than the
    /// hardware follows, so that the maximum pass of each run would otherwise wait on memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch(ReadOnlySpan<TMemory> source, int index)
    {
        if (Sse.IsSupported && (uint)index < (uint)source.Length)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetReference(source), index)));
        }
    }

    /// <summary>Whether the classes of one item's blocks fit in <see cref="StagedBlocks{TBlock}"/>.</summary>
    private static bool Stages(int classes) => classes <= StagedBlocks<TBlock>.Length / (Simd.GroupSize / Width);

    /// <summary>
    /// The blocks of positions of a run, in whole items: where the classes are staged (<see cref="Stages"/>), the most whose
    /// classes all fit in <see cref="StagedBlocks{TBlock}"/>, up to <see cref="ChunkBlocks"/>; otherwise ChunkBlocks.
    /// </summary>
    private static int RunBlocks(int classes)
    {
        int itemBlocks = Simd.GroupSize / Width;
        return Stages(classes) ? Math.Min(ChunkBlocks, StagedBlocks<TBlock>.Length / classes / itemBlocks * itemBlocks) : ChunkBlocks;
    }

    /// <summary>
    /// Copies the classes of the blocks of <paramref name="count"/> positions at <paramref name="first"/> into
    /// <paramref name="staged"/>, block after block.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Stage(ReadOnlySpan<TMemory> x, int first, int count, int classes, int inner, ref StagedBlocks<TBlock> staged)
    {
        // Each line is read only here, and a staged run takes less time than the passes of an unstaged one: the lines are asked
        // for further ahead than theirs.
        Span<TBlock> values = staged;
        int blocks = Blocks(count);
        for (int c = 0, i = first; c < classes; c++, i += inner)
        {
            for (int b = 0; b < blocks; b++)
            {
                values[b * classes + c] = LoadLanes(x, i + b * Width, count - b * Width);
                Prefetch(x, i + b * Width + 2 * ChunkBlocks * Width);
            }
        }
    }

    /// <summary>
    /// Each lane's maximum over the <paramref name="classes"/> of staged block <paramref name="b"/> into <paramref name="m"/>,
    /// as <see cref="LaneMaxima"/> finds it, and how much care exp(x - max) needs there (<see cref="BlockSpread"/>, from the
    /// lanes' minima, NaN where the lane holds a NaN or an infinity); lanes past the run's <paramref name="count"/> positions
    /// ask for none. Block by block, in registers: the run's maxima would otherwise be loaded and stored again for every class.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Spread StagedSpread(ref StagedBlocks<TBlock> staged, int b, int classes, int count, ref LaneBlocks<TBlock> m)
    {
        ReadOnlySpan<TBlock> values = ((ReadOnlySpan<TBlock>)staged).Slice(b * classes, classes);

        // The NaN that x - x gives for a NaN or an infinity is gathered apart from the minimum, so that each class adds only a
        // Min to the minimum's chain of dependent operations.
        TBlock max = values[0];
        TBlock min = max;
        TBlock nonFinite = max - max;
        for (int c = 1; c < values.Length; c++)
        {
            TBlock xc = values[c];
            max = TBlock.Max(xc, max);
            min = TBlock.Min(xc, min);
            nonFinite |= xc - xc;
        }

        m[b] = max;
        min += nonFinite;
        TBlock one = BlockMath<TBlock, T>.One;
        TBlock inRun = TBlock.LessThan(BlockMath<TBlock, T>.Indices, TBlock.Create(T.CreateTruncating(Math.Min(Width, count - b * Width))));
        return BlockSpread(TBlock.Select(inRun, max, one), TBlock.Select(inRun, min, one));
    }

    /// <summary>
    /// What a staged run writes in place of each staged value: the result of class <c>c</c> of block <c>block</c>, with
    /// <c>classIndex</c> the class's number in every lane.
    /// </summary>
    internal interface IStagedResult
    {
        TBlock Result(TBlock value, int block, int c, TBlock classIndex);
    }

    /// <summary>
    /// Writes the results (<typeparamref name="TResult"/>) of the <paramref name="staged"/> classes of the blocks of
    /// <paramref name="count"/> positions to <paramref name="destination"/> at <paramref name="first"/>, class by class.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StoreStaged<TResult>(TResult result, ref StagedBlocks<TBlock> staged, Span<TMemory> destination, int first, int count,
        int classes, int inner)
        where TResult : IStagedResult, allows ref struct
    {
        // Asks for the lines the next run writes, which the stores would otherwise wait for one class at a time. The result is
        // taken by value, so that what it holds stays in registers across the stores.
        Span<TBlock> values = staged;
        int blocks = Blocks(count);
        for (int c = 0, i = first; c < classes; c++, i += inner)
        {
            TBlock classIndex = TBlock.Create(T.CreateTruncating(c));
            for (int b = 0, s = c; b < blocks; b++, s += classes)
            {
                StoreLanes(result.Result(values[s], b, c, classIndex), destination, i + b * Width, count - b * Width);
                Prefetch(destination, i + b * Width + ChunkBlocks * Width);
            }
        }
    }

    /// <summary>The number of blocks that hold <paramref name="count"/> positions.</summary>
    private static int Blocks(int count) => (count + Width - 1) / Width;

    /// <summary>The lanes at <paramref name="index"/>, <paramref name="left"/> of them where that is below Width, the others 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock LoadLanes(ReadOnlySpan<TMemory> source, int index, int left) =>
        left >= Width ? Load(source, index) : Tail(source.Slice(index, left), T.Zero);

    /// <summary>Stores the lanes at <paramref name="index"/>, the first <paramref name="left"/> where that is below Width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLanes(TBlock value, Span<TMemory> destination, int index, int left)
    {
        if (left >= Width)
        {
            Store(value, destination, index);
        }
        else
        {
            StoreTail(value, destination.Slice(index, left), left);
        }
    }

    /// <summary>
    /// Each lane's maximum over the classes by <c>a &gt; b ? a : b</c> in class order, for the blocks of
    /// <paramref name="count"/> positions at <paramref name="first"/>: NaN only where class 0 is NaN. Also each lane's minimum
    /// for <see cref="LaneSpread"/>, NaN where the lane holds a NaN or an infinity (x - x is NaN there, and Min keeps its second
    /// argument once that is NaN). Not inline, so that the kernels keep their inlining budget for their own loops.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LaneMaxima(ReadOnlySpan<TMemory> x, int first, int count, int classes, int inner, ref LaneBlocks<TBlock> m,
        ref LaneBlocks<TBlock> min)
    {
        int blocks = Blocks(count);
        for (int b = 0; b < blocks; b++)
        {
            m[b] = LoadLanes(x, first + b * Width, count - b * Width);
            min[b] = m[b] + (m[b] - m[b]);
        }

        for (int c = 1, i = first + inner; c < classes; c++, i += inner)
        {
            for (int b = 0; b < blocks; b++)
            {
                TBlock xc = LoadLanes(x, i + b * Width, count - b * Width);
                m[b] = TBlock.Max(xc, m[b]);
                min[b] = TBlock.Min(xc, min[b]) + (xc - xc);
            }
        }
    }

    /// <summary>
    /// How much care exp(x - max) needs over the blocks of <paramref name="count"/> positions with lane maxima
    /// <paramref name="m"/> and minima <paramref name="min"/>, as a row's <see cref="Spread"/> (<see cref="BlockSpread"/>).
    /// </summary>
    private static Spread LaneSpread(ref LaneBlocks<TBlock> m, ref LaneBlocks<TBlock> min, int count)
    {
        TBlock one = BlockMath<TBlock, T>.One;
        bool deep = false;
        bool narrow = true;
        for (int b = 0; b < Blocks(count); b++)
        {
            // Lanes past the run count as 1, which asks for no care.
            TBlock inRun = TBlock.LessThan(BlockMath<TBlock, T>.Indices, TBlock.Create(T.CreateTruncating(Math.Min(Width, count - b * Width))));
            Spread spread = BlockSpread(TBlock.Select(inRun, m[b], one), TBlock.Select(inRun, min[b], one));
            deep |= spread.Deep;
            narrow &= spread.Narrow;
        }

        return new Spread(deep, narrow);
    }

    /// <summary>
    /// How much care exp(x - max) needs in lanes of maxima <paramref name="max"/> and minima <paramref name="min"/>, as a row's
    /// <see cref="Spread"/>: deep where some x - max falls below <see cref="BlockMath{TBlock, T}.DeepLimit"/>; narrow where every
    /// maximum is positive and finite and every x above minus the power of two above its maximum. A lane with a NaN or an
    /// infinity (a NaN minimum, see <see cref="LaneMaxima"/>) asks for full care: deep and not narrow.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Spread BlockSpread(TBlock max, TBlock min)
    {
        TBlock zero = BlockMath<TBlock, T>.Zero;
        if (TBlock.LessThanAny(TBlock.Select(TBlock.Equals(min, min), zero, TBlock.Create(T.NegativeOne)), zero))
        {
            return new Spread(deep: true, narrow: false);
        }

        bool deep = TBlock.LessThanAny(min - max, TBlock.Create(BlockMath<TBlock, T>.DeepLimit));

        // Minus twice the exponent bits of the maximum, the power of two above it; -0 for a subnormal maximum, whose lane
        // then holds only positive x, all below it.
        TBlock power = max & TBlock.Create(T.PositiveInfinity);
        TBlock bound = zero - (power + power);
        bool narrow = !TBlock.LessThanAny(max, zero) && !TBlock.EqualsAny(max, zero) && !TBlock.LessThanAny(min, bound) && !TBlock.EqualsAny(min, bound);
        return new Spread(deep, narrow);
    }

    /// <summary>All bits set in the lanes where <paramref name="m"/> is finite.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock IsFinite(TBlock m) => TBlock.Equals(m - m, BlockMath<TBlock, T>.Zero);

    /// <summary>
    /// A sum per lane of each block that loses no precision to many classes: eight terms are added plainly, then their partial
    /// sum is added to the total with Kahan compensation (as the rows' sum does across blocks). Starts at zero.
    /// </summary>
    private struct ChunkSums
    {
        private LaneBlocks<TBlock> _partial;
        private LaneBlocks<TBlock> _sum;
        private LaneBlocks<TBlock> _compensation;

        /// <summary>Adds a term to block <paramref name="b"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(int b, TBlock value) => _partial[b] += value;

        /// <summary>Ends class <paramref name="c"/>, once its term has been added to each of the first <paramref name="blocks"/>, the classes in order from 0.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void EndClass(int c, int blocks)
        {
            if ((c & 7) == 7)
            {
                for (int b = 0; b < blocks; b++)
                {
                    Flush(b);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Flush(int b)
        {
            TBlock term = _partial[b] - _compensation[b];
            TBlock next = _sum[b] + term;
            TBlock compensation = (next - _sum[b]) - term;
            _compensation[b] = TBlock.Select(TBlock.Equals(compensation, compensation), compensation, default);
            _sum[b] = next;
            _partial[b] = default;
        }

        /// <summary>
        /// The sums of the first <paramref name="blocks"/>, once every class has been added, into <paramref name="totals"/>. Not
        /// inline, so that a pass that ends with it keeps its inlining budget for its loop.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public void Totals(int blocks, ref LaneBlocks<TBlock> totals)
        {
            for (int b = 0; b < blocks; b++)
            {
                totals[b] = Total(b);
            }
        }

        /// <summary>Block <paramref name="b"/>'s sum, once every class has been added.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TBlock Total(int b)
        {
            Flush(b);
            return TBlock.Select(IsFinite(_sum[b]), _sum[b] - _compensation[b], _sum[b]);
        }
    }

    /// <summary>
    /// Softmax (or log-softmax where <typeparamref name="TLog"/> is set) over the classes of the inner layout. Softmax keeps
    /// exp(x - max) between passes on the stack where the classes are staged, else in the output where that holds the
    /// computation type; log-softmax takes the log of the sum beside each lane's first maximum, as the rows do. A lane with NaN
    /// or +infinity, or only -infinity, is all NaN.
    /// </summary>
    public static void InnerSoftmax<TLog>(ReadOnlySpan<TMemory> x, Span<TMemory> destination, ClassLayout layout, int start, int end)
        where TLog : struct, IOption
    {
        var group = new SoftmaxGroup<TLog>(x, destination, layout.Classes, layout.Inner);
        InnerItems(ref group, layout, start, end, RunBlocks(layout.Classes));
    }

    private readonly ref struct SoftmaxGroup<TLog>(ReadOnlySpan<TMemory> x, Span<TMemory> destination, int classes, int inner) : IInnerGroup
        where TLog : struct, IOption
    {
        private readonly ReadOnlySpan<TMemory> _x = x;
        private readonly Span<TMemory> _destination = destination;

        [MethodImpl(MethodImplOptions.NoInlining)]
        public void Run(int first, int position, int count, ref double total)
        {
            if (Stages(classes))
            {
                Staged(first, count);
                return;
            }

            bool keeps = !TLog.IsSet && KeepsInOutput;
            Unsafe.SkipInit(out LaneBlocks<TBlock> m);
            Unsafe.SkipInit(out LaneBlocks<TBlock> min);
            Unsafe.SkipInit(out LaneBlocks<TBlock> factor);
            LaneMaxima(_x, first, count, classes, inner, ref m, ref min);
            switch (LaneSpread(ref m, ref min, count))
            {
                case { Deep: false, Narrow: false }: SumPass<No, No>(first, count, ref m, keeps, ref factor); break;
                case { Deep: false, Narrow: true }: SumPass<No, Yes>(first, count, ref m, keeps, ref factor); break;
                case { Deep: true, Narrow: true }: SumPass<Yes, Yes>(first, count, ref m, keeps, ref factor); break;
                default: SumPass<Yes, No>(first, count, ref m, keeps, ref factor); break;
            }

            FinalPass(first, count, ref m, ref factor, keeps);
        }

        /// <summary>
        /// The run with its classes read once into the stack (<see cref="Stage"/>), the maxima, sums and factors computed there
        /// block by block, each block's state in registers, and the results written out class by class.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void Staged(int first, int count)
        {
            Unsafe.SkipInit(out StagedBlocks<TBlock> staged);
            Unsafe.SkipInit(out LaneBlocks<TBlock> m);
            Unsafe.SkipInit(out LaneBlocks<TBlock> factor);
            Stage(_x, first, count, classes, inner, ref staged);
            for (int b = 0; b < Blocks(count); b++)
            {
                switch (StagedSpread(ref staged, b, classes, count, ref m))
                {
                    case { Deep: false, Narrow: false }: StagedFactor<No, No>(ref staged, b, ref m, ref factor); break;
                    case { Deep: false, Narrow: true }: StagedFactor<No, Yes>(ref staged, b, ref m, ref factor); break;
                    case { Deep: true, Narrow: true }: StagedFactor<Yes, Yes>(ref staged, b, ref m, ref factor); break;
                    default: StagedFactor<Yes, No>(ref staged, b, ref m, ref factor); break;
                }
            }

            var results = new StagedResults(ref m, ref factor);
            StoreStaged(results, ref staged, _destination, first, count, classes, inner);
        }

        /// <summary>
        /// The factor of staged block <paramref name="b"/>'s results: the log of the sum of exp(x - max) beside each lane's first
        /// maximum, or 1 / sum; softmax replaces each staged class by its exp(x - max). The exponentials take the care of
        /// <see cref="StagedSpread"/>'s options.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void StagedFactor<TDeep, TNarrow>(ref StagedBlocks<TBlock> staged, int b, ref LaneBlocks<TBlock> m, ref LaneBlocks<TBlock> factor)
            where TDeep : struct, IOption
            where TNarrow : struct, IOption
        {
            Span<TBlock> values = ((Span<TBlock>)staged).Slice(b * classes, classes);
            TBlock zero = BlockMath<TBlock, T>.Zero;
            TBlock max = m[b];
            TBlock found = zero;
            CompensatedSum sum = default;
            for (int c = 0; c < values.Length; c++)
            {
                TBlock xc = values[c];
                TBlock e = BlockMath<TBlock, T>.ExpDifference(xc, max, TDeep.IsSet, TNarrow.IsSet);
                if (TLog.IsSet)
                {
                    TBlock firstEqual = TBlock.Select(found, zero, TBlock.Equals(xc, max));
                    e = TBlock.Select(firstEqual, zero, e);
                    found |= firstEqual;
                }
                else
                {
                    values[c] = e;
                }

                sum.Add(e, c * Width);
            }

            // A maximum of +infinity leaves the other terms 0; the position is NaN, as a row's (softmax gets NaN from exp(inf - inf)).
            TBlock total = sum.LaneTotals;
            factor[b] = TLog.IsSet
                ? TBlock.Select(IsFinite(max), BlockMath<TBlock, T>.Log1P(total), TBlock.Create(T.NaN))
                : BlockMath<TBlock, T>.One / total;
        }

        /// <summary>
        /// The results of the staged classes, as they are written out: (x - max) - log of the sum, or exp(x - max) / sum, with
        /// each block's maximum and factor.
        /// </summary>
        private readonly ref struct StagedResults(ref LaneBlocks<TBlock> m, ref LaneBlocks<TBlock> factor) : IStagedResult
        {
            private readonly ref LaneBlocks<TBlock> _m = ref m;
            private readonly ref LaneBlocks<TBlock> _factor = ref factor;

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public TBlock Result(TBlock value, int block, int c, TBlock classIndex) => TLog.IsSet ? (value - _m[block]) - _factor[block] : value * _factor[block];
        }

        /// <summary>
        /// The sum of exp(x - max), beside each lane's first maximum for log-softmax, kept in the output where
        /// <paramref name="keeps"/>; sets each block's factor of the last pass: the log of the sum, or 1 / sum. The exponentials
        /// take the care of <see cref="LaneSpread"/>'s options.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void SumPass<TDeep, TNarrow>(int first, int count, ref LaneBlocks<TBlock> m, bool keeps, ref LaneBlocks<TBlock> factor)
            where TDeep : struct, IOption
            where TNarrow : struct, IOption
        {
            // Locals rather than fields, so that the JIT keeps them in registers across the stores.
            ReadOnlySpan<TMemory> x = _x;
            Span<TMemory> destination = _destination;
            int classCount = classes;
            int stride = inner;
            TBlock zero = BlockMath<TBlock, T>.Zero;
            int blocks = Blocks(count);
            ChunkSums sums = default;
            LaneBlocks<TBlock> found = default;
            for (int c = 0, i = first; c < classCount; c++, i += stride)
            {
                for (int b = 0; b < blocks; b++)
                {
                    int at = i + b * Width;
                    int left = count - b * Width;
                    TBlock xc = LoadLanes(x, at, left);
                    Prefetch(x, at + ChunkBlocks * Width);
                    TBlock e = BlockMath<TBlock, T>.ExpDifference(xc, m[b], TDeep.IsSet, TNarrow.IsSet);
                    if (keeps)
                    {
                        StoreLanes(e, destination, at, left);
                    }

                    if (TLog.IsSet)
                    {
                        TBlock firstEqual = TBlock.Select(found[b], zero, TBlock.Equals(xc, m[b]));
                        e = TBlock.Select(firstEqual, zero, e);
                        found[b] |= firstEqual;
                    }

                    sums.Add(b, e);
                }

                sums.EndClass(c, blocks);
            }

            // A maximum of +infinity leaves the other terms 0; the position is NaN, as a row's (softmax gets NaN from exp(inf - inf)).
            for (int b = 0; b < blocks; b++)
            {
                TBlock sum = sums.Total(b);
                factor[b] = TLog.IsSet
                    ? TBlock.Select(IsFinite(m[b]), BlockMath<TBlock, T>.Log1P(sum), TBlock.Create(T.NaN))
                    : BlockMath<TBlock, T>.One / sum;
            }
        }

        /// <summary>Writes each class: (x - max) - log of the sum, or exp(x - max) / sum.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void FinalPass(int first, int count, ref LaneBlocks<TBlock> m, ref LaneBlocks<TBlock> factor, bool keeps)
        {
            ReadOnlySpan<TMemory> x = _x;
            Span<TMemory> destination = _destination;
            int classCount = classes;
            int stride = inner;
            int blocks = Blocks(count);
            for (int c = 0, i = first; c < classCount; c++, i += stride)
            {
                for (int b = 0; b < blocks; b++)
                {
                    int at = i + b * Width;
                    int left = count - b * Width;
                    TBlock o = TLog.IsSet ? (LoadLanes(x, at, left) - m[b]) - factor[b]
                        : (keeps ? LoadLanes(destination, at, left) : ExpDifference(LoadLanes(x, at, left), m[b])) * factor[b];
                    StoreLanes(o, destination, at, left);
                }
            }
        }
    }

    /// <summary>
    /// Log-sum-exp over the classes of the inner layout, one value per position in <paramref name="destination"/>: max + log1p
    /// of the sum beside the first maximum; a lane with NaN gives NaN, otherwise +infinity gives +infinity and only -infinity
    /// gives -infinity.
    /// </summary>
    public static void InnerLogSumExp(ReadOnlySpan<TMemory> x, Span<TMemory> destination, ClassLayout layout, int start, int end)
    {
        var group = new LogSumExpGroup(x, destination, layout.Classes, layout.Inner);
        InnerItems(ref group, layout, start, end);
    }

    private readonly ref struct LogSumExpGroup(ReadOnlySpan<TMemory> x, Span<TMemory> destination, int classes, int inner) : IInnerGroup
    {
        private readonly ReadOnlySpan<TMemory> _x = x;
        private readonly Span<TMemory> _destination = destination;

        [MethodImpl(MethodImplOptions.NoInlining)]
        public void Run(int first, int position, int count, ref double total)
        {
            Unsafe.SkipInit(out LaneBlocks<TBlock> m);
            Unsafe.SkipInit(out LaneBlocks<TBlock> min);
            LaneMaxima(_x, first, count, classes, inner, ref m, ref min);
            switch (LaneSpread(ref m, ref min, count))
            {
                case { Deep: false, Narrow: false }: Pass<No, No>(first, position, count, ref m); break;
                case { Deep: false, Narrow: true }: Pass<No, Yes>(first, position, count, ref m); break;
                case { Deep: true, Narrow: true }: Pass<Yes, Yes>(first, position, count, ref m); break;
                default: Pass<Yes, No>(first, position, count, ref m); break;
            }
        }

        /// <summary>Writes the positions' values, the exponentials taking the care of <see cref="LaneSpread"/>'s options.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void Pass<TDeep, TNarrow>(int first, int position, int count, ref LaneBlocks<TBlock> m)
            where TDeep : struct, IOption
            where TNarrow : struct, IOption
        {
            ReadOnlySpan<TMemory> x = _x;
            int classCount = classes;
            int stride = inner;
            TBlock zero = BlockMath<TBlock, T>.Zero;
            int blocks = Blocks(count);
            ChunkSums sums = default;
            LaneBlocks<TBlock> found = default;
            Unsafe.SkipInit(out LaneBlocks<TBlock> notNaN);
            for (int b = 0; b < blocks; b++)
            {
                notNaN[b] = TBlock.Equals(zero, zero);
            }

            for (int c = 0, i = first; c < classCount; c++, i += stride)
            {
                for (int b = 0; b < blocks; b++)
                {
                    TBlock xc = LoadLanes(x, i + b * Width, count - b * Width);
                    Prefetch(x, i + b * Width + ChunkBlocks * Width);
                    notNaN[b] &= TBlock.Equals(xc, xc);
                    TBlock firstEqual = TBlock.Select(found[b], zero, TBlock.Equals(xc, m[b]));
                    found[b] |= firstEqual;
                    sums.Add(b, TBlock.Select(firstEqual, zero, BlockMath<TBlock, T>.ExpDifference(xc, m[b], TDeep.IsSet, TNarrow.IsSet)));
                }

                sums.EndClass(c, blocks);
            }

            for (int b = 0; b < blocks; b++)
            {
                TBlock value = m[b] + BlockMath<TBlock, T>.Log1P(sums.Total(b));
                value = TBlock.Select(IsFinite(m[b]), value, TBlock.Select(notNaN[b], m[b], TBlock.Create(T.NaN)));
                StoreLanes(value, _destination, position + b * Width, count - b * Width);
            }
        }
    }

    /// <summary>
    /// The index of each position's first maximum over the classes of the inner layout; a position with a NaN gets its first
    /// NaN's index. Indices are carried as <typeparamref name="T"/>, exact up to 2^24 classes.
    /// </summary>
    public static void InnerArgMax(ReadOnlySpan<TMemory> x, Span<int> destination, ClassLayout layout, int start, int end)
    {
        var group = new ArgMaxGroup(x, destination, layout.Classes, layout.Inner);
        InnerItems(ref group, layout, start, end);
    }

    private readonly ref struct ArgMaxGroup(ReadOnlySpan<TMemory> x, Span<int> destination, int classes, int inner) : IInnerGroup
    {
        private readonly ReadOnlySpan<TMemory> _x = x;
        private readonly Span<int> _destination = destination;

        [MethodImpl(MethodImplOptions.NoInlining)]
        public void Run(int first, int position, int count, ref double total)
        {
            ReadOnlySpan<TMemory> x = _x;
            int stride = inner;
            TBlock zero = BlockMath<TBlock, T>.Zero;
            int blocks = Blocks(count);
            Unsafe.SkipInit(out LaneBlocks<TBlock> best);
            Unsafe.SkipInit(out LaneBlocks<TBlock> index);
            for (int b = 0; b < blocks; b++)
            {
                best[b] = LoadLanes(x, first + b * Width, count - b * Width);
                Prefetch(x, first + b * Width + ChunkBlocks * Width);
                index[b] = zero;
            }

            for (int c = 1, i = first + stride; c < classes; c++, i += stride)
            {
                TBlock cc = TBlock.Create(T.CreateTruncating(c));
                for (int b = 0; b < blocks; b++)
                {
                    TBlock xc = LoadLanes(x, i + b * Width, count - b * Width);
                    Prefetch(x, i + b * Width + ChunkBlocks * Width);

                    // Greater, or the first NaN where the best so far is not NaN.
                    TBlock take = TBlock.GreaterThan(xc, best[b]) | TBlock.Select(TBlock.Equals(xc, xc), zero, TBlock.Equals(best[b], best[b]));
                    best[b] = TBlock.Select(take, xc, best[b]);
                    index[b] = TBlock.Select(take, cc, index[b]);
                }
            }

            Unsafe.SkipInit(out Lanes<T> lanes);
            for (int b = 0; b < blocks; b++)
            {
                TBlock.Store(index[b], ref lanes[0]);
                int lanesUsed = Math.Min(Width, count - b * Width);
                for (int r = 0; r < lanesUsed; r++)
                {
                    _destination[position + b * Width + r] = int.CreateTruncating(lanes[r]);
                }
            }
        }
    }

    /// <summary>
    /// Cross-entropy from logits on the inner layout, each position against its label: writes the positions' losses and the
    /// gradient where those spans are not empty, and returns the sum of the losses in position order. The same formulas as the
    /// rows' operator, lane by lane: <c>loss = (s / C) (log_sum * sum_c w[c] - sum_c w[c] (x[c] - max)) + (1 - s) w[y] (log_sum -
    /// (x[y] - max))</c> with log_sum the log1p of the sum beside the first maximum; the gradient
    /// <c>scale ((1 - s) w[y] + (s / C) sum_c w[c]) softmax[c] - scale (s / C) w[c]</c>, and at the label the entry
    /// <c>softmax[y] - 1</c> taken as <c>(e[y] - 1 - rest) / sum</c>. A position whose logits hold NaN or +infinity, or only
    /// -infinity, has a NaN loss and gradient; an ignored one 0.
    /// </summary>
    public static double InnerCrossEntropy(ReadOnlySpan<TMemory> logits, ReadOnlySpan<int> labels, ClassLayout layout, ReadOnlySpan<TMemory> classWeights,
        int ignoreIndex, double labelSmoothing, double gradientScale, Span<TMemory> losses, Span<TMemory> gradient, int start, int end)
    {
        var group = new CrossEntropyGroup(logits, labels, layout, classWeights, ignoreIndex, labelSmoothing, gradientScale, losses, gradient);
        return InnerItems(ref group, layout, start, end, RunBlocks(layout.Classes));
    }

    private readonly ref struct CrossEntropyGroup : IInnerGroup
    {
        private readonly ReadOnlySpan<TMemory> _x;
        private readonly ReadOnlySpan<int> _labels;
        private readonly ReadOnlySpan<TMemory> _weights;
        private readonly Span<TMemory> _losses;
        private readonly Span<TMemory> _gradient;
        private readonly int _classes;
        private readonly int _inner;
        private readonly int _ignoreIndex;
        private readonly T _keep;
        private readonly T _perClass;
        private readonly T _scale;

        public CrossEntropyGroup(ReadOnlySpan<TMemory> logits, ReadOnlySpan<int> labels, ClassLayout layout, ReadOnlySpan<TMemory> classWeights,
            int ignoreIndex, double labelSmoothing, double gradientScale, Span<TMemory> losses, Span<TMemory> gradient)
        {
            T smoothing = T.CreateTruncating(labelSmoothing);
            _x = logits;
            _labels = labels;
            _weights = classWeights;
            _losses = losses;
            _gradient = gradient;
            _classes = layout.Classes;
            _inner = layout.Inner;
            _ignoreIndex = ignoreIndex;
            _keep = T.One - smoothing;
            _perClass = smoothing / T.CreateTruncating(layout.Classes);
            _scale = T.CreateTruncating(gradientScale);
        }

        /// <summary>Class c's weight in every lane: 1 where there are no class weights.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private TBlock Weight(int c) => _weights.IsEmpty ? BlockMath<TBlock, T>.One : TBlock.Create(ToCompute(_weights[c]));

        /// <summary>
        /// The sum of exp(x - max) beside each lane's first maximum, keeping exp(x - max) in the gradient where <paramref name="keeps"/>;
        /// with label smoothing also the sums of the class weights and of w[c] (x[c] - max), into <paramref name="coefficientSum"/>
        /// and <paramref name="shiftedSum"/>. Picks each lane's label logit on the way, before the gradient may overwrite it. The
        /// exponentials take the care of <see cref="LaneSpread"/>'s options.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void SumPass<TDeep, TNarrow>(int first, int count, ref LaneBlocks<TBlock> m, bool keeps, bool smooths, ref LaneBlocks<TBlock> label,
            ref LaneBlocks<TBlock> labelLogit, ref LaneBlocks<TBlock> rest, ref LaneBlocks<TBlock> coefficientSum, ref LaneBlocks<TBlock> shiftedSum)
            where TDeep : struct, IOption
            where TNarrow : struct, IOption
        {
            ReadOnlySpan<TMemory> x = _x;
            Span<TMemory> gradient = _gradient;
            int classCount = _classes;
            int stride = _inner;
            TBlock zero = BlockMath<TBlock, T>.Zero;
            int blocks = Blocks(count);
            ChunkSums sums = default;
            ChunkSums coefficients = default;
            ChunkSums shifted = default;
            LaneBlocks<TBlock> found = default;
            for (int b = 0; b < blocks; b++)
            {
                labelLogit[b] = m[b];
            }

            for (int c = 0, i = first; c < classCount; c++, i += stride)
            {
                TBlock a = Weight(c);
                TBlock cc = TBlock.Create(T.CreateTruncating(c));
                for (int b = 0; b < blocks; b++)
                {
                    int at = i + b * Width;
                    int left = count - b * Width;
                    TBlock xc = LoadLanes(x, at, left);
                    Prefetch(x, at + ChunkBlocks * Width);
                    labelLogit[b] = TBlock.Select(TBlock.Equals(label[b], cc), xc, labelLogit[b]);
                    TBlock e = BlockMath<TBlock, T>.ExpDifference(xc, m[b], TDeep.IsSet, TNarrow.IsSet);
                    if (keeps)
                    {
                        StoreLanes(e, gradient, at, left);
                    }

                    if (smooths)
                    {
                        coefficients.Add(b, a);
                        shifted.Add(b, TBlock.Select(TBlock.Equals(a, zero), zero, a * (xc - m[b])));
                    }

                    TBlock firstEqual = TBlock.Select(found[b], zero, TBlock.Equals(xc, m[b]));
                    found[b] |= firstEqual;
                    sums.Add(b, TBlock.Select(firstEqual, zero, e));
                }

                sums.EndClass(c, blocks);
                if (smooths)
                {
                    coefficients.EndClass(c, blocks);
                    shifted.EndClass(c, blocks);
                }
            }

            sums.Totals(blocks, ref rest);
            if (smooths)
            {
                coefficients.Totals(blocks, ref coefficientSum);
                shifted.Totals(blocks, ref shiftedSum);
            }
            else
            {
                for (int b = 0; b < blocks; b++)
                {
                    coefficientSum[b] = zero;
                    shiftedSum[b] = zero;
                }
            }
        }

        /// <summary>
        /// <see cref="SumPass"/> on the <paramref name="staged"/> classes of block <paramref name="b"/>, its state in registers,
        /// replacing each class by its exp(x - max).
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void StagedSums<TDeep, TNarrow>(ref StagedBlocks<TBlock> staged, int b, ref LaneBlocks<TBlock> m, bool smooths, ref LaneBlocks<TBlock> label,
            ref LaneBlocks<TBlock> labelLogit, ref LaneBlocks<TBlock> rest, ref LaneBlocks<TBlock> coefficientSum, ref LaneBlocks<TBlock> shiftedSum)
            where TDeep : struct, IOption
            where TNarrow : struct, IOption
        {
            Span<TBlock> values = ((Span<TBlock>)staged).Slice(b * _classes, _classes);
            TBlock zero = BlockMath<TBlock, T>.Zero;
            TBlock max = m[b];
            TBlock labelClass = label[b];
            TBlock logit = max;
            TBlock found = zero;
            CompensatedSum sum = default;
            CompensatedSum coefficients = default;
            CompensatedSum shifted = default;
            for (int c = 0; c < values.Length; c++)
            {
                TBlock xc = values[c];
                logit = TBlock.Select(TBlock.Equals(labelClass, TBlock.Create(T.CreateTruncating(c))), xc, logit);
                TBlock e = BlockMath<TBlock, T>.ExpDifference(xc, max, TDeep.IsSet, TNarrow.IsSet);
                values[c] = e;
                if (smooths)
                {
                    TBlock a = Weight(c);
                    coefficients.Add(a, c * Width);
                    shifted.Add(TBlock.Select(TBlock.Equals(a, zero), zero, a * (xc - max)), c * Width);
                }

                TBlock firstEqual = TBlock.Select(found, zero, TBlock.Equals(xc, max));
                found |= firstEqual;
                sum.Add(TBlock.Select(firstEqual, zero, e), c * Width);
            }

            labelLogit[b] = logit;
            rest[b] = sum.LaneTotals;
            coefficientSum[b] = smooths ? coefficients.LaneTotals : zero;
            shiftedSum[b] = smooths ? shifted.LaneTotals : zero;
        }

        /// <summary>
        /// <see cref="GradientPass"/>'s gradient of the staged exp(x - max), as it is written out, with each block's label, label
        /// entry and probability factor.
        /// </summary>
        private readonly ref struct StagedGradient(ReadOnlySpan<TMemory> weights, bool smooths, TBlock coefficientScale, ref LaneBlocks<TBlock> label,
            ref LaneBlocks<TBlock> labelEntry, ref LaneBlocks<TBlock> probabilityFactor) : IStagedResult
        {
            private readonly ReadOnlySpan<TMemory> _weights = weights;
            private readonly ref LaneBlocks<TBlock> _label = ref label;
            private readonly ref LaneBlocks<TBlock> _labelEntry = ref labelEntry;
            private readonly ref LaneBlocks<TBlock> _probabilityFactor = ref probabilityFactor;

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public TBlock Result(TBlock value, int block, int c, TBlock classIndex)
            {
                TBlock g = value * _probabilityFactor[block];
                if (smooths)
                {
                    TBlock weight = _weights.IsEmpty ? BlockMath<TBlock, T>.One : TBlock.Create(ToCompute(_weights[c]));
                    g = TBlock.FusedMultiplyAdd(weight, coefficientScale, g);
                }

                g = TBlock.Select(TBlock.Equals(_label[block], classIndex), _labelEntry[block], g);
                return TBlock.Select(TBlock.Equals(_label[block], TBlock.Create(T.NegativeOne)), BlockMath<TBlock, T>.Zero, g);
            }
        }

        /// <summary>
        /// The labels of the blocks of <paramref name="count"/> positions from <paramref name="position"/> on, one per lane, as
        /// numbers (-1 where a label is ignoreIndex, or past the last position), and their class weights (1 there, or without
        /// class weights). A whole block without class weights is read as a block: lanes stored one by one and loaded as a block
        /// wait for the stores. The labels are in [0, classes) or ignoreIndex, checked before, so that their conversion is exact
        /// where they are classes, and a label converts to ignoreIndex's number only where it is ignoreIndex. Not inline, so that
        /// <see cref="Run"/> keeps its inlining budget.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void Labels(int position, int count, ref LaneBlocks<TBlock> label, ref LaneBlocks<TBlock> labelClassWeight)
        {
            TBlock one = BlockMath<TBlock, T>.One;
            Unsafe.SkipInit(out Lanes<T> lanes);
            Unsafe.SkipInit(out Lanes<T> weights);
            for (int b = 0; b < Blocks(count); b++)
            {
                if (count - b * Width >= Width && _weights.IsEmpty)
                {
                    label[b] = LabelBlock(_labels, position + b * Width, _ignoreIndex);
                    labelClassWeight[b] = one;
                    continue;
                }

                for (int r = 0; r < Width; r++)
                {
                    int p = b * Width + r;
                    int y = p < count ? _labels[position + p] : _ignoreIndex;
                    bool skipped = y == _ignoreIndex;
                    lanes[r] = skipped ? T.NegativeOne : T.CreateTruncating(y);
                    weights[r] = skipped || _weights.IsEmpty ? T.One : ToCompute(_weights[y]);
                }

                label[b] = TBlock.Load(in lanes[0]);
                labelClassWeight[b] = TBlock.Load(in weights[0]);
            }
        }

        /// <summary>
        /// <paramref name="total"/> plus the <paramref name="losses"/> of <paramref name="count"/> positions, one by one in
        /// position order. Not inline, so that <see cref="Run"/> keeps its inlining budget, and the sum held in a register.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static double AddLosses(ref LaneBlocks<TBlock> losses, int count, double total)
        {
            Unsafe.SkipInit(out Lanes<T> lanes);
            for (int b = 0; b < Blocks(count); b++)
            {
                TBlock.Store(losses[b], ref lanes[0]);
                for (int k = 0; k < Math.Min(Width, count - b * Width); k++)
                {
                    total += double.CreateTruncating(lanes[k]);
                }
            }

            return total;
        }

        /// <summary>Writes the gradient of each class: the label's entry in its lane, 0 in lanes skipped.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void GradientPass(int first, int count, ref LaneBlocks<TBlock> m, bool keeps, bool smooths, ref LaneBlocks<TBlock> label,
            ref LaneBlocks<TBlock> labelEntry, ref LaneBlocks<TBlock> probabilityFactor)
        {
            TBlock zero = BlockMath<TBlock, T>.Zero;
            TBlock skipped = TBlock.Create(T.NegativeOne);
            TBlock coefficientScale = TBlock.Create(-(_perClass * _scale));
            ReadOnlySpan<TMemory> x = _x;
            Span<TMemory> gradient = _gradient;
            int classCount = _classes;
            int stride = _inner;
            int blocks = Blocks(count);
            for (int c = 0, i = first; c < classCount; c++, i += stride)
            {
                TBlock part = smooths ? Weight(c) * coefficientScale : zero;
                TBlock cc = TBlock.Create(T.CreateTruncating(c));
                for (int b = 0; b < blocks; b++)
                {
                    int at = i + b * Width;
                    int left = count - b * Width;
                    TBlock v = keeps ? LoadLanes(gradient, at, left) : ExpDifference(LoadLanes(x, at, left), m[b]);
                    TBlock g = v * probabilityFactor[b];
                    if (smooths)
                    {
                        g = TBlock.FusedMultiplyAdd(Weight(c), coefficientScale, g);
                    }

                    g = TBlock.Select(TBlock.Equals(label[b], cc), labelEntry[b], g);
                    StoreLanes(TBlock.Select(TBlock.Equals(label[b], skipped), zero, g), gradient, at, left);
                }
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public void Run(int first, int position, int count, ref double total)
        {
            TBlock zero = BlockMath<TBlock, T>.Zero;
            TBlock one = BlockMath<TBlock, T>.One;
            bool smooths = _perClass != T.Zero;
            bool writes = !_gradient.IsEmpty;
            bool keeps = writes && KeepsInOutput;
            int blocks = Blocks(count);

            // Each lane's label (-1 where the position is ignored, or past the last) and weight; the sum pass picks the label's logit.
            Unsafe.SkipInit(out LaneBlocks<TBlock> label);
            Unsafe.SkipInit(out LaneBlocks<TBlock> labelClassWeight);
            Labels(position, count, ref label, ref labelClassWeight);

            Unsafe.SkipInit(out LaneBlocks<TBlock> m);
            Unsafe.SkipInit(out LaneBlocks<TBlock> min);
            Unsafe.SkipInit(out LaneBlocks<TBlock> labelLogit);
            Unsafe.SkipInit(out LaneBlocks<TBlock> rest);
            Unsafe.SkipInit(out LaneBlocks<TBlock> coefficientSum);
            Unsafe.SkipInit(out LaneBlocks<TBlock> shiftedSum);
            Unsafe.SkipInit(out StagedBlocks<TBlock> staged);
            bool stages = Stages(_classes);
            if (stages)
            {
                Stage(_x, first, count, _classes, _inner, ref staged);
                for (int b = 0; b < blocks; b++)
                {
                    switch (StagedSpread(ref staged, b, _classes, count, ref m))
                    {
                        case { Deep: false, Narrow: false }: StagedSums<No, No>(ref staged, b, ref m, smooths, ref label, ref labelLogit, ref rest, ref coefficientSum, ref shiftedSum); break;
                        case { Deep: false, Narrow: true }: StagedSums<No, Yes>(ref staged, b, ref m, smooths, ref label, ref labelLogit, ref rest, ref coefficientSum, ref shiftedSum); break;
                        case { Deep: true, Narrow: true }: StagedSums<Yes, Yes>(ref staged, b, ref m, smooths, ref label, ref labelLogit, ref rest, ref coefficientSum, ref shiftedSum); break;
                        default: StagedSums<Yes, No>(ref staged, b, ref m, smooths, ref label, ref labelLogit, ref rest, ref coefficientSum, ref shiftedSum); break;
                    }
                }
            }
            else
            {
                LaneMaxima(_x, first, count, _classes, _inner, ref m, ref min);
                switch (LaneSpread(ref m, ref min, count))
                {
                    case { Deep: false, Narrow: false }: SumPass<No, No>(first, count, ref m, keeps, smooths, ref label, ref labelLogit, ref rest, ref coefficientSum, ref shiftedSum); break;
                    case { Deep: false, Narrow: true }: SumPass<No, Yes>(first, count, ref m, keeps, smooths, ref label, ref labelLogit, ref rest, ref coefficientSum, ref shiftedSum); break;
                    case { Deep: true, Narrow: true }: SumPass<Yes, Yes>(first, count, ref m, keeps, smooths, ref label, ref labelLogit, ref rest, ref coefficientSum, ref shiftedSum); break;
                    default: SumPass<Yes, No>(first, count, ref m, keeps, smooths, ref label, ref labelLogit, ref rest, ref coefficientSum, ref shiftedSum); break;
                }
            }

            Unsafe.SkipInit(out LaneBlocks<TBlock> labelEntry);
            Unsafe.SkipInit(out LaneBlocks<TBlock> probabilityFactor);
            Unsafe.SkipInit(out LaneBlocks<TBlock> losses);
            TBlock factor = TBlock.Create(_perClass);
            for (int b = 0; b < blocks; b++)
            {
                TBlock skip = TBlock.Equals(label[b], TBlock.Create(T.NegativeOne));
                TBlock labelWeight = TBlock.Create(_keep) * labelClassWeight[b];
                TBlock logit = labelLogit[b];

                // A maximum that is NaN or infinite makes the position NaN, as a row's.
                TBlock r = TBlock.Select(IsFinite(m[b]), rest[b], TBlock.Create(T.NaN));
                TBlock logSum = BlockMath<TBlock, T>.Log1P(r);
                TBlock loss = smooths ? factor * (logSum * coefficientSum[b] - shiftedSum[b]) : zero;
                loss = TBlock.Select(TBlock.Equals(labelWeight, zero), loss, loss + labelWeight * (logSum - (logit - m[b])));
                loss = TBlock.Select(TBlock.Equals(r, r), loss, TBlock.Create(T.NaN));
                loss = TBlock.Select(skip, zero, loss);

                if (writes)
                {
                    TBlock all = one + r;
                    TBlock scale = TBlock.Create(_scale);
                    TBlock e = ExpDifference(logit, m[b]);
                    labelEntry[b] = scale * (labelWeight * (((e - one) - r) / all) + factor * ((e * coefficientSum[b]) / all - labelClassWeight[b]));
                    probabilityFactor[b] = (labelWeight + factor * coefficientSum[b]) / all * scale;
                }

                int left = count - b * Width;
                if (!_losses.IsEmpty)
                {
                    StoreLanes(loss, _losses, position + b * Width, left);
                }

                losses[b] = loss;
            }

            total = AddLosses(ref losses, count, total);

            if (writes && stages)
            {
                var gradient = new StagedGradient(_weights, smooths, TBlock.Create(-(_perClass * _scale)), ref label, ref labelEntry, ref probabilityFactor);
                StoreStaged(gradient, ref staged, _gradient, first, count, _classes, _inner);
            }
            else if (writes)
            {
                GradientPass(first, count, ref m, keeps, smooths, ref label, ref labelEntry, ref probabilityFactor);
            }
        }
    }
}
