using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

public static partial class CategoricalCrossEntropy
{
    /// <summary>
    /// Computes one chunk of classes' part of the reduced cross-entropy of rows of logits against integer labels, and that chunk
    /// of its gradient, given each row's log-sum-exp over all classes.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logitsChunk">Classes <c>[classOffset, classOffset + chunkClasses)</c> of each row's logits, <c>rows * chunkClasses</c> values.</param>
    /// <param name="labels">One class index per row, in <c>[0, classes)</c>, or <paramref name="ignoreIndex"/> to skip the row.</param>
    /// <param name="logSumExp">Each row's log-sum-exp over all <paramref name="classes"/> logits: <see cref="Activations.LogSumExp{T}(ReadOnlySpan{T}, Span{T}, int)"/>
    /// of each chunk, merged with <see cref="Activations.LogAddExp{T}"/>.</param>
    /// <param name="gradientChunk">Receives the chunk's part of d(loss)/d(logits), the shape of <paramref name="logitsChunk"/>; may be <paramref name="logitsChunk"/> itself.</param>
    /// <param name="chunkClasses">The number of classes in the chunk (the length of a row of <paramref name="logitsChunk"/>).</param>
    /// <param name="classOffset">The class index of the chunk's first class.</param>
    /// <param name="classes">The number of classes of the whole rows.</param>
    /// <param name="reduction">Mean divides by the summed class weights of the non-ignored labels; Sum adds the rows.</param>
    /// <param name="classWeights">Empty, or one weight per class of the whole rows (PyTorch's <c>weight</c>), <paramref name="classes"/> entries.</param>
    /// <param name="ignoreIndex">A label value whose rows contribute nothing (PyTorch's <c>ignore_index</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: the target becomes <c>(1 - s) one_hot(label) + s / classes</c>.</param>
    /// <param name="sampleWeights">Empty, or one weight per row, of any sign: multiplies that row's loss and gradient row; not part of the Mean denominator.</param>
    /// <param name="normalizer">0, or a positive number the summed loss is divided by whatever <paramref name="reduction"/> says (with gradient accumulation, the count of the whole batch).</param>
    /// <returns>
    /// The chunk's part of the reduced loss: over the chunks of any partition of <c>[0, classes)</c>, the parts add up to what
    /// <see cref="FromLogitsWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, Reduction, ReadOnlySpan{T}, int, double, ReadOnlySpan{T}, double, double, double, Span{T})"/>
    /// returns on the whole rows, up to rounding. Under Mean without a normalizer, a batch whose rows are all ignored (or
    /// empty) gives NaN, and a zero sum of the labels' class weights gives the sum / 0.
    /// </returns>
    /// <remarks>
    /// <para>For a vocabulary too large for one span, or logits sharded across machines. With <c>lse</c> the row's log-sum-exp,
    /// <c>w</c> the class weights, <c>v</c> the sample weight, <c>a = (1 - s) w[y] one_hot(y) + (s / classes) w</c> and
    /// <c>A = sum_c a[c]</c> over all classes, a row's loss is <c>A lse - sum_c a[c] x[c]</c>. The chunk's part is its own classes'
    /// terms, with the log-sum-exp term in the chunk at <c>classOffset == 0</c>: it effectively computes
    /// <c>v ([classOffset == 0] A lse - sum_{c in chunk} a[c] x[c])</c> for each non-ignored row, summed and divided by <c>D</c>,
    /// the Mean denominator or the normalizer (1 for Sum); and <c>gradientChunk[c] = (exp(x[c] - lse) A - a[c]) v / D</c>.
    /// Where logits are large, the parts are large and of both signs while their sum, the loss, may be small: each part is
    /// rounded once to <typeparamref name="T"/>, so add the parts in <c>double</c> when logits reach thousands. The label's entry takes <c>exp(x[y] - lse) - 1</c> without cancellation, so a label whose probability is
    /// near 1 keeps a precise gradient.</para>
    /// <para>The log-sum-exp arrives rounded to <typeparamref name="T"/>: that rounding, <c>|lse|</c> ulps, bounds the relative
    /// precision of the probabilities <c>exp(x - lse)</c> in the gradient.</para>
    /// <para>The gradient matches the whole-row call's within rounding, not bit for bit: the whole-row call divides by a sum of
    /// exponentials that a chunk never sees. Ignored rows give 0 and a zero gradient row. A class with <c>a[c] = 0</c>
    /// contributes nothing to the loss even where its logit is -infinity; target mass on a -infinity logit gives +infinity.</para>
    /// <para>A row whose <paramref name="logSumExp"/> is NaN or infinite (a row with a NaN or +infinity logit, or only -infinity
    /// logits) gives a NaN part and a NaN gradient row, in every chunk, as the whole-row call gives a NaN loss and gradient row.
    /// Otherwise NaN and infinite logits go through the formula as IEEE 754 arithmetic takes them.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunkClasses"/> is not positive.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classOffset"/> is negative.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classOffset"/> + <paramref name="chunkClasses"/> is more than <paramref name="classes"/> (named <paramref name="chunkClasses"/>).</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logitsChunk"/> is not a multiple of <paramref name="chunkClasses"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside <c>[0, classes)</c> and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="logSumExp"/> does not have one entry per row.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is neither empty nor of one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradientChunk"/> is shorter than <paramref name="logitsChunk"/>, or overlaps an input other than as the same memory as <paramref name="logitsChunk"/>.</exception>
    public static T FromLogitsChunkWithGradient<T>(ReadOnlySpan<T> logitsChunk, ReadOnlySpan<int> labels, ReadOnlySpan<T> logSumExp,
        Span<T> gradientChunk, int chunkClasses, int classOffset, int classes, Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> classWeights = default, int ignoreIndex = -100, double labelSmoothing = 0, ReadOnlySpan<T> sampleWeights = default,
        double normalizer = 0)
        where T : IFloatingPointIeee754<T>
    {
        if (chunkClasses <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkClasses), chunkClasses, "chunkClasses must be positive.");
        }

        int rows = ThrowHelper.Rows(logitsChunk.Length, chunkClasses, nameof(logitsChunk));
        if (classes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "classes must be positive.");
        }

        if (classOffset < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(classOffset), classOffset, "classOffset must be 0 or positive.");
        }

        if ((long)classOffset + chunkClasses > classes)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkClasses), chunkClasses,
                $"The chunk's classes [{classOffset}, {(long)classOffset + chunkClasses}) must lie within the {classes} classes.");
        }

        if (!classWeights.IsEmpty && classWeights.Length != classes)
        {
            throw new ArgumentException($"classWeights has {classWeights.Length} entries; it must be empty or have one per class ({classes}).", nameof(classWeights));
        }

        ThrowHelper.CheckLabelSmoothing(labelSmoothing);
        ThrowHelper.CheckReduction(reduction);
        double denominator = CheckLabels(labels, rows, classes, classWeights, ignoreIndex);
        if (logSumExp.Length != rows)
        {
            throw new ArgumentException($"logSumExp has {logSumExp.Length} entries but needs {rows}, one for each row.", nameof(logSumExp));
        }

        ThrowHelper.CheckSampleWeights(sampleWeights.Length, rows);
        ThrowHelper.CheckNonNegative(normalizer, nameof(normalizer));
        Span<T> gradient = ThrowHelper.CheckOutput(logitsChunk, gradientChunk, logitsChunk.Length, nameof(gradientChunk), chunkClasses);
        ThrowHelper.CheckSeparateOutput(classWeights, gradient, gradient.Length, nameof(gradientChunk));
        ThrowHelper.CheckSeparateOutput(logSumExp, gradient, gradient.Length, nameof(gradientChunk));
        ThrowHelper.CheckSeparateOutput(sampleWeights, gradient, gradient.Length, nameof(gradientChunk));

        // The Mean denominator, or the normalizer; a Mean over a zero denominator makes the gradient the Sum's gradient / 0.
        double divisor = Reductions.Divisor(reduction, denominator, normalizer);

        // The sum of the class weights over all classes, which smoothing spreads the target over: once per call.
        double weightSum = classes;
        if (labelSmoothing > 0 && !classWeights.IsEmpty)
        {
            var sum = new WeightSumKernel<T>(classWeights);
            weightSum = Simd.Run<WeightSumKernel<T>, T>(ref sum, 1, classes);
        }

        var kernel = new ChunkKernel<T>
        {
            Logits = logitsChunk,
            Labels = labels,
            LogSumExp = logSumExp,
            SampleWeights = sampleWeights,
            ClassWeights = classWeights,
            ChunkClasses = chunkClasses,
            ClassOffset = classOffset,
            Classes = classes,
            IgnoreIndex = ignoreIndex,
            LabelSmoothing = labelSmoothing,
            WeightSum = weightSum,
            GradientScale = 1 / divisor,
            Gradient = gradient,
        };
        double total = Simd.Run<ChunkKernel<T>, T>(ref kernel, rows, chunkClasses);
        return Reductions.Reduce<T>(total, divisor);
    }

    private ref struct ChunkKernel<T> : IKernel
        where T : IFloatingPointIeee754<T>
    {
        public ReadOnlySpan<T> Logits;
        public ReadOnlySpan<int> Labels;
        public ReadOnlySpan<T> LogSumExp;
        public ReadOnlySpan<T> SampleWeights;
        public ReadOnlySpan<T> ClassWeights;
        public int ChunkClasses;
        public int ClassOffset;
        public int Classes;
        public int IgnoreIndex;
        public double LabelSmoothing;
        public double WeightSum;
        public double GradientScale;
        public Span<T> Gradient;

        public readonly double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute>
        {
            int offset = start * ChunkClasses;
            int length = (end - start) * ChunkClasses;
            return Kernel<TBlock, TCompute, T>.CrossEntropyChunk(Logits.Slice(offset, length), Labels[start..end], LogSumExp[start..end],
                SampleWeights.IsEmpty ? SampleWeights : SampleWeights[start..end], ClassWeights, ChunkClasses, ClassOffset, Classes, IgnoreIndex,
                LabelSmoothing, WeightSum, GradientScale, Gradient.Slice(offset, length));
        }
    }

    /// <summary>The sum of the class weights, in blocks on the chosen path (the same bits on every path).</summary>
    private readonly ref struct WeightSumKernel<T>(ReadOnlySpan<T> weights) : IKernel
        where T : IFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> _weights = weights;

        public double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute> =>
            double.CreateTruncating(Kernel<TBlock, TCompute, T>.Sum(_weights));
    }
}

internal static partial class Kernel<TBlock, T, TMemory>
{
    /// <summary>
    /// One chunk of classes of the cross-entropy against labels, given each row's log-sum-exp over all classes: writes the
    /// chunk's gradient rows and returns the sum of the rows' parts of the loss, each times its sample weight.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static double CrossEntropyChunk(ReadOnlySpan<TMemory> logits, ReadOnlySpan<int> labels, ReadOnlySpan<TMemory> logSumExp,
        ReadOnlySpan<TMemory> sampleWeights, ReadOnlySpan<TMemory> classWeights, int chunkClasses, int classOffset, int classes,
        int ignoreIndex, double labelSmoothing, double weightSum, double gradientScale, Span<TMemory> gradient)
    {
        T smoothing = T.CreateTruncating(labelSmoothing);
        T keep = T.One - smoothing;
        T perClass = smoothing / T.CreateTruncating(classes);
        T scale = T.CreateTruncating(gradientScale);
        bool smoothed = perClass != T.Zero;
        T weightTotal = T.CreateTruncating(weightSum);
        ReadOnlySpan<TMemory> chunkWeights = classWeights.IsEmpty ? classWeights : classWeights.Slice(classOffset, chunkClasses);
        TBlock weightsTail = TailOrOnes(chunkWeights, chunkClasses);

        double total = 0;
        for (int row = 0; row < labels.Length; row++)
        {
            ReadOnlySpan<TMemory> x = logits.Slice(row * chunkClasses, chunkClasses);
            Span<TMemory> g = gradient.Slice(row * chunkClasses, chunkClasses);
            int label = labels[row];
            if (label == ignoreIndex)
            {
                g.Clear();
                continue;
            }

            T lse = ToCompute(logSumExp[row]);
            if (!T.IsFinite(lse))
            {
                g.Fill(TMemory.NaN);
                total += double.NaN;
                continue;
            }

            T v = sampleWeights.IsEmpty ? T.One : ToCompute(sampleWeights[row]);
            T labelClassWeight = classWeights.IsEmpty ? T.One : ToCompute(classWeights[label]);
            T labelWeight = keep * labelClassWeight;
            T a = labelWeight + perClass * weightTotal;
            T rowScale = scale * v;
            int local = label - classOffset;
            bool labelInChunk = (uint)local < (uint)chunkClasses;

            // Read before the gradient may overwrite the logits.
            T labelLogit = labelInChunk ? ToCompute(x[local]) : T.Zero;

            TBlock factor = TBlock.Create(a * rowScale);
            TBlock coefficientScale = TBlock.Create(-(perClass * rowScale));
            T smoothedTotal = smoothed
                ? ChunkRow<Yes, No>(x, g, lse, factor, coefficientScale, chunkWeights, weightsTail, 0, default)
                : ChunkRow<No, No>(x, g, lse, factor, coefficientScale, chunkWeights, weightsTail, 0, default);

            // The chunk's terms -a[c] x[c] of the row's loss A lse - sum_c a[c] x[c], and A lse in the first chunk.
            double part = smoothed ? double.CreateTruncating(perClass) * double.CreateTruncating(smoothedTotal) : 0;
            if (classOffset == 0 && a != T.Zero)
            {
                part += double.CreateTruncating(a) * double.CreateTruncating(lse);
            }

            if (labelInChunk)
            {
                if (labelWeight != T.Zero)
                {
                    part -= double.CreateTruncating(labelWeight) * double.CreateTruncating(labelLogit);
                }

                g[local] = ToMemory(LabelEntry(labelLogit, lse, a, labelWeight + perClass * labelClassWeight, perClass * (weightTotal - labelClassWeight)) * rowScale);
            }

            total += double.CreateTruncating(v) * part;
        }

        return total;
    }

    /// <summary>
    /// A row's gradient in a chunk, from the block at <paramref name="start"/>: <c>e^(x - lse) factor</c>, plus the class
    /// weights (ones where there are none) times <paramref name="coefficientScale"/> where <typeparamref name="TSmoothed"/>,
    /// whose terms <c>-w x</c> are added to <paramref name="smoothedPart"/>, that of the blocks before: returns its total. Unless
    /// <typeparamref name="TCare"/>, the loop leaves out of its code the exponentials below the normal range and those above 1
    /// (of a log-sum-exp below a logit, which no true one is), and hands the rest of the row from the first block that has one
    /// on to the form with them: the loop then holds no call, which would keep its values in memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T ChunkRow<TSmoothed, TCare>(ReadOnlySpan<TMemory> x, Span<TMemory> g, T lse, TBlock factor, TBlock coefficientScale,
        ReadOnlySpan<TMemory> chunkWeights, TBlock weightsTail, int start, CompensatedSum smoothedPart)
        where TSmoothed : struct, IOption
        where TCare : struct, IOption
    {
        TBlock zero = BlockMath<TBlock, T>.Zero;
        TBlock deepLimit = TBlock.Create(BlockMath<TBlock, T>.DeepLimit);
        TBlock m = TBlock.Create(lse);
        TBlock tail = Tail(x, lse);
        TBlock last = tail;
        for (int i = start; (uint)i < (uint)x.Length; i += Width)
        {
            TBlock xs = Load(x, i, tail);
            if (!TCare.IsSet && (TBlock.LessThanAny(xs - m, deepLimit) || TBlock.LessThanAny(m, xs)))
            {
                return ChunkRow<TSmoothed, Yes>(x, g, lse, factor, coefficientScale, chunkWeights, weightsTail, i, smoothedPart);
            }

            TBlock e = TCare.IsSet ? CaredExp(xs, m) : BlockMath<TBlock, T>.ExpDifference(xs, m, deep: false);
            TBlock result = e * factor;
            if (TSmoothed.IsSet)
            {
                TBlock w = LoadOrOnes(chunkWeights, i, x.Length, weightsTail);
                result = TBlock.FusedMultiplyAdd(w, coefficientScale, result);

                // -w x, 0 where w is 0 even where x is -infinity: a class without target mass contributes nothing.
                smoothedPart.Add(TBlock.Select(TBlock.Equals(w, zero), zero, zero - w * xs), i);
            }

            if (i <= x.Length - Width)
            {
                Store(result, g, i);
            }
            else
            {
                last = result;
            }
        }

        // Reduce before the call below, so that no block is live across a call (every vector register is caller-saved).
        T total = TSmoothed.IsSet ? smoothedPart.Total : T.Zero;
        StoreTail(last, g, x.Length);
        return total;
    }

    /// <summary>
    /// e^(x - lse) of a block whose x - lse may be below the deep limit (the subnormal care, the same bits as without where
    /// none is) or above 0 (of a log-sum-exp below a logit, which no true one is: above 1, up to +infinity).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TBlock CaredExp(TBlock x, TBlock lse)
    {
        TBlock e = TBlock.LessThanAny(x - lse, TBlock.Create(BlockMath<TBlock, T>.DeepLimit))
            ? ExpDifference(x, lse)
            : BlockMath<TBlock, T>.ExpDifference(x, lse, deep: false);
        return TBlock.LessThanAny(lse, x) ? TBlock.Select(TBlock.LessThan(lse, x), Exp(x - lse), e) : e;
    }

    /// <summary>The sum of <paramref name="values"/>, in blocks with <see cref="CompensatedSum"/>.</summary>
    public static T Sum(ReadOnlySpan<TMemory> values)
    {
        var sum = default(CompensatedSum);
        TBlock tail = Tail(values, T.Zero);
        for (int i = 0; (uint)i < (uint)values.Length; i += Width)
        {
            sum.Add(Load(values, i, tail), i);
        }

        return sum.Total;
    }

    /// <summary>
    /// The label's gradient entry before scaling, <c>e^(x - lse) A - a[y]</c>. Where e^(x - lse) is above 1/2, as
    /// <c>(e^(x - lse) - 1) A + (A - a[y])</c> with e^(x - lse) - 1 taken without cancellation (Kahan: (u - 1) d / ln u, with u
    /// the rounded e^d and d = x - lse exact there), so that a label whose probability is near 1 keeps a precise gradient;
    /// below, directly: both ways, no term exceeds the entry's magnitude <c>e^(x - lse) A + a[y]</c>.
    /// </summary>
    private static T LabelEntry(T x, T lse, T a, T labelCoefficient, T others)
    {
        T d = x - lse;
        T u = x > lse ? TBlock.Max(Exp(TBlock.Create(d))) : ExpDifference(x, lse);
        if (!(u > T.CreateTruncating(0.5)) || x > lse)
        {
            return u * a - labelCoefficient;
        }

        T uMinusOne = u == T.One ? d : (u - T.One) * d / Log(u);
        return uMinusOne * a + others;
    }
}
