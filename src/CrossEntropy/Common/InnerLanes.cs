using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

/// <summary>
/// The kernels on the inner layout <c>[outer, classes, inner]</c> with inner above 1 (see <see cref="ClassLayout"/>): the
/// classes of a position lie <c>inner</c> elements apart, and consecutive positions side by side. A block holds Width
/// consecutive positions, one per lane, and a kernel walks the classes in order, block by block: the maximum, the sum of
/// exp(x - max) and the last pass are the same scalar operations in every lane, whatever the block's width, so every
/// position gets the same bits on every hardware path; no lane's result depends on another's, so neither do the threads.
/// Work items are the groups of <see cref="Simd.GroupSize"/> positions of one outer index (<see cref="ClassLayout.Items"/>);
/// a position's losses are added in position order.
/// </summary>
internal static partial class Kernel<TBlock, T, TMemory>
{
    /// <summary>
    /// Runs <paramref name="group"/> over the blocks of positions of items <paramref name="start"/> to <paramref name="end"/>:
    /// each call takes the offset of the block's class 0, the position of its first lane and its number of lanes.
    /// </summary>
    private static double InnerItems<TGroup>(ref TGroup group, ClassLayout layout, int start, int end)
        where TGroup : struct, IInnerGroup, allows ref struct
    {
        int groups = Simd.Groups(layout.Inner);
        int slab = layout.Classes * layout.Inner;
        double total = 0;
        for (int item = start; item < end; item++)
        {
            int o = item / groups;
            int g = item - o * groups;
            int last = Simd.GroupStart(g + 1, layout.Inner);
            for (int j = Simd.GroupStart(g, layout.Inner); j < last; j += Width)
            {
                group.Run(o * slab + j, o * layout.Inner + j, Math.Min(Width, last - j), ref total);
            }
        }

        return total;
    }

    /// <summary>One block of positions of the inner layout; a loss adds its positions' losses to <c>total</c> one by one, in order.</summary>
    internal interface IInnerGroup
    {
        void Run(int first, int position, int count, ref double total);
    }

    /// <summary>The <paramref name="count"/> lanes at <paramref name="index"/>, the others 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock LoadLanes(ReadOnlySpan<TMemory> source, int index, int count) =>
        count == Width ? Load(source, index) : Tail(source.Slice(index, count), T.Zero);

    /// <summary>Stores the first <paramref name="count"/> lanes at <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLanes(TBlock value, Span<TMemory> destination, int index, int count)
    {
        if (count == Width)
        {
            Store(value, destination, index);
        }
        else
        {
            StoreTail(value, destination.Slice(index, count), count);
        }
    }

    /// <summary>Each lane's maximum over the classes by <c>a &gt; b ? a : b</c> in class order: NaN only where class 0 is NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock LaneMaximum(ReadOnlySpan<TMemory> x, int first, int count, int classes, int inner)
    {
        TBlock m = LoadLanes(x, first, count);
        for (int c = 1, i = first + inner; c < classes; c++, i += inner)
        {
            m = TBlock.Max(LoadLanes(x, i, count), m);
        }

        return m;
    }

    /// <summary>All bits set in the lanes where <paramref name="m"/> is finite.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock IsFinite(TBlock m) => TBlock.Equals(m - m, BlockMath<TBlock, T>.Zero);

    /// <summary>
    /// A sum per lane that loses no precision to many classes: eight terms are added plainly, then their partial sum is added
    /// to the total with Kahan compensation (as the rows' sum does across blocks).
    /// </summary>
    private struct LaneSum
    {
        private TBlock _partial;
        private TBlock _sum;
        private TBlock _compensation;

        /// <summary>Adds the term of class <paramref name="c"/>, the classes added in order from 0.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(TBlock value, int c)
        {
            _partial += value;
            if ((c & 7) == 7)
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
            _compensation = TBlock.Select(TBlock.Equals(compensation, compensation), compensation, default);
            _sum = next;
            _partial = default;
        }

        public TBlock Total
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get
            {
                Flush();
                return TBlock.Select(IsFinite(_sum), _sum - _compensation, _sum);
            }
        }
    }

    /// <summary>
    /// Softmax (or log-softmax where <typeparamref name="TLog"/> is set) over the classes of the inner layout. Softmax keeps
    /// exp(x - max) in the output between passes where the output holds the computation type; log-softmax takes the log of the
    /// sum beside each lane's first maximum, as the rows do. A lane with NaN or +infinity, or only -infinity, is all NaN.
    /// </summary>
    public static void InnerSoftmax<TLog>(ReadOnlySpan<TMemory> x, Span<TMemory> destination, ClassLayout layout, int start, int end)
        where TLog : struct, IOption
    {
        var group = new SoftmaxGroup<TLog>(x, destination, layout.Classes, layout.Inner);
        InnerItems(ref group, layout, start, end);
    }

    private readonly ref struct SoftmaxGroup<TLog>(ReadOnlySpan<TMemory> x, Span<TMemory> destination, int classes, int inner) : IInnerGroup
        where TLog : struct, IOption
    {
        private readonly ReadOnlySpan<TMemory> _x = x;
        private readonly Span<TMemory> _destination = destination;

        [MethodImpl(MethodImplOptions.NoInlining)]
        public void Run(int first, int position, int count, ref double total)
        {
            bool keeps = !TLog.IsSet && KeepsInOutput;
            TBlock m = LaneMaximum(_x, first, count, classes, inner);
            TBlock sum = SumPass(first, count, m, keeps);

            // A maximum of +infinity leaves the other terms 0; the position is NaN, as a row's (softmax gets NaN from exp(inf - inf)).
            TBlock factor = TLog.IsSet
                ? TBlock.Select(IsFinite(m), BlockMath<TBlock, T>.Log1P(sum), TBlock.Create(T.NaN))
                : BlockMath<TBlock, T>.One / sum;
            FinalPass(first, count, m, factor, keeps);
        }

        /// <summary>The sum of exp(x - max), beside each lane's first maximum for log-softmax; kept in the output where <paramref name="keeps"/>.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private TBlock SumPass(int first, int count, TBlock m, bool keeps)
        {
            TBlock zero = BlockMath<TBlock, T>.Zero;
            LaneSum sum = default;
            TBlock found = zero;
            for (int c = 0, i = first; c < classes; c++, i += inner)
            {
                TBlock xc = LoadLanes(_x, i, count);
                TBlock e = ExpDifference(xc, m);
                if (keeps)
                {
                    StoreLanes(e, _destination, i, count);
                }

                if (TLog.IsSet)
                {
                    TBlock firstEqual = TBlock.Select(found, zero, TBlock.Equals(xc, m));
                    e = TBlock.Select(firstEqual, zero, e);
                    found |= firstEqual;
                }

                sum.Add(e, c);
            }

            return sum.Total;
        }

        /// <summary>Writes each class: (x - max) - log of the sum, or exp(x - max) / sum.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void FinalPass(int first, int count, TBlock m, TBlock factor, bool keeps)
        {
            for (int c = 0, i = first; c < classes; c++, i += inner)
            {
                TBlock o = TLog.IsSet ? (LoadLanes(_x, i, count) - m) - factor
                    : (keeps ? LoadLanes(_destination, i, count) : ExpDifference(LoadLanes(_x, i, count), m)) * factor;
                StoreLanes(o, _destination, i, count);
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
            TBlock zero = BlockMath<TBlock, T>.Zero;
            TBlock m = LaneMaximum(_x, first, count, classes, inner);
            LaneSum sum = default;
            TBlock found = zero;
            TBlock notNaN = TBlock.Equals(zero, zero);
            for (int c = 0, i = first; c < classes; c++, i += inner)
            {
                TBlock xc = LoadLanes(_x, i, count);
                notNaN &= TBlock.Equals(xc, xc);
                TBlock firstEqual = TBlock.Select(found, zero, TBlock.Equals(xc, m));
                found |= firstEqual;
                sum.Add(TBlock.Select(firstEqual, zero, ExpDifference(xc, m)), c);
            }

            TBlock value = m + BlockMath<TBlock, T>.Log1P(sum.Total);
            value = TBlock.Select(IsFinite(m), value, TBlock.Select(notNaN, m, TBlock.Create(T.NaN)));
            StoreLanes(value, _destination, position, count);
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
            TBlock zero = BlockMath<TBlock, T>.Zero;
            TBlock best = LoadLanes(_x, first, count);
            TBlock index = zero;
            for (int c = 1, i = first + inner; c < classes; c++, i += inner)
            {
                TBlock xc = LoadLanes(_x, i, count);

                // Greater, or the first NaN where the best so far is not NaN.
                TBlock take = TBlock.GreaterThan(xc, best) | TBlock.Select(TBlock.Equals(xc, xc), zero, TBlock.Equals(best, best));
                best = TBlock.Select(take, xc, best);
                index = TBlock.Select(take, TBlock.Create(T.CreateTruncating(c)), index);
            }

            Unsafe.SkipInit(out Lanes<T> lanes);
            TBlock.Store(index, ref lanes[0]);
            for (int r = 0; r < count; r++)
            {
                _destination[position + r] = int.CreateTruncating(lanes[r]);
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
        return InnerItems(ref group, layout, start, end);
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
        /// with label smoothing also the sums of the class weights and of w[c] (x[c] - max). A method of its own, so that the JIT
        /// keeps the loop's blocks in registers.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private TBlock SumPass(int first, int count, TBlock m, bool keeps, bool smooths, out TBlock coefficientSum, out TBlock shiftedSum)
        {
            TBlock zero = BlockMath<TBlock, T>.Zero;
            LaneSum sum = default;
            LaneSum coefficients = default;
            LaneSum shifted = default;
            TBlock found = zero;
            for (int c = 0, i = first; c < _classes; c++, i += _inner)
            {
                TBlock xc = LoadLanes(_x, i, count);
                TBlock e = ExpDifference(xc, m);
                if (keeps)
                {
                    StoreLanes(e, _gradient, i, count);
                }

                if (smooths)
                {
                    TBlock a = Weight(c);
                    coefficients.Add(a, c);
                    shifted.Add(TBlock.Select(TBlock.Equals(a, zero), zero, a * (xc - m)), c);
                }

                TBlock firstEqual = TBlock.Select(found, zero, TBlock.Equals(xc, m));
                found |= firstEqual;
                sum.Add(TBlock.Select(firstEqual, zero, e), c);
            }

            coefficientSum = smooths ? coefficients.Total : zero;
            shiftedSum = smooths ? shifted.Total : zero;
            return sum.Total;
        }

        /// <summary>Writes the gradient of each class: the label's entry in its lane, 0 in lanes skipped.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void GradientPass(int first, int count, TBlock m, bool keeps, bool smooths, TBlock label, TBlock skip, TBlock labelEntry, TBlock probabilityFactor)
        {
            TBlock zero = BlockMath<TBlock, T>.Zero;
            TBlock coefficientScale = TBlock.Create(-(_perClass * _scale));
            for (int c = 0, i = first; c < _classes; c++, i += _inner)
            {
                TBlock v = keeps ? LoadLanes(_gradient, i, count) : ExpDifference(LoadLanes(_x, i, count), m);
                TBlock g = v * probabilityFactor;
                if (smooths)
                {
                    g = TBlock.FusedMultiplyAdd(Weight(c), coefficientScale, g);
                }

                g = TBlock.Select(TBlock.Equals(label, TBlock.Create(T.CreateTruncating(c))), labelEntry, g);
                StoreLanes(TBlock.Select(skip, zero, g), _gradient, i, count);
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

            // Each lane's label (-1 where the position is ignored, or past the last), its logit and weight, read before the
            // gradient may overwrite the logits.
            Unsafe.SkipInit(out Lanes<T> lanes);
            Unsafe.SkipInit(out Lanes<T> logits);
            Unsafe.SkipInit(out Lanes<T> weights);
            for (int r = 0; r < Width; r++)
            {
                int y = r < count ? _labels[position + r] : _ignoreIndex;
                bool skipped = y == _ignoreIndex;
                lanes[r] = skipped ? T.NegativeOne : T.CreateTruncating(y);
                logits[r] = skipped ? T.Zero : ToCompute(_x[first + y * _inner + r]);
                weights[r] = skipped || _weights.IsEmpty ? T.One : ToCompute(_weights[y]);
            }

            TBlock label = TBlock.Load(in lanes[0]);
            TBlock skip = TBlock.Equals(label, TBlock.Create(T.NegativeOne));
            TBlock labelClassWeight = TBlock.Load(in weights[0]);
            TBlock labelWeight = TBlock.Create(_keep) * labelClassWeight;

            TBlock m = LaneMaximum(_x, first, count, _classes, _inner);
            TBlock labelLogit = TBlock.Select(skip, m, TBlock.Load(in logits[0]));
            TBlock rest = SumPass(first, count, m, keeps, smooths, out TBlock coefficientSum, out TBlock shiftedSum);

            // A maximum that is NaN or infinite makes the position NaN, as a row's.
            rest = TBlock.Select(IsFinite(m), rest, TBlock.Create(T.NaN));
            TBlock factor = TBlock.Create(_perClass);
            TBlock logSum = BlockMath<TBlock, T>.Log1P(rest);
            TBlock loss = smooths ? factor * (logSum * coefficientSum - shiftedSum) : zero;
            loss = TBlock.Select(TBlock.Equals(labelWeight, zero), loss, loss + labelWeight * (logSum - (labelLogit - m)));
            loss = TBlock.Select(TBlock.Equals(rest, rest), loss, TBlock.Create(T.NaN));
            loss = TBlock.Select(skip, zero, loss);

            if (writes)
            {
                TBlock all = one + rest;
                TBlock scale = TBlock.Create(_scale);
                TBlock e = ExpDifference(labelLogit, m);
                TBlock labelEntry = scale * (labelWeight * (((e - one) - rest) / all) + factor * ((e * coefficientSum) / all - labelClassWeight));
                TBlock probabilityFactor = (labelWeight + factor * coefficientSum) / all * scale;
                GradientPass(first, count, m, keeps, smooths, label, skip, labelEntry, probabilityFactor);
            }

            if (!_losses.IsEmpty)
            {
                StoreLanes(loss, _losses, position, count);
            }

            TBlock.Store(loss, ref lanes[0]);
            for (int r = 0; r < count; r++)
            {
                total += double.CreateTruncating(lanes[r]);
            }
        }
    }
}
