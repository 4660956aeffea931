using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

public static partial class CategoricalCrossEntropy
{
    /// <summary>Computes the cross-entropy of rows of logits against integer labels, reduced to one value.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits, <c>rows * classes</c> values.</param>
    /// <param name="labels">One class index per row, in <c>[0, classes)</c>, or <paramref name="ignoreIndex"/> to skip the row.</param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="reduction">Mean divides the summed row losses by the summed class weights of the non-ignored labels; Sum adds them.</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="ignoreIndex">A label value whose rows contribute nothing (PyTorch's <c>ignore_index</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: the target becomes <c>(1 - s) one_hot(label) + s / classes</c>.</param>
    /// <returns>The reduced loss. Mean of an empty batch, or of a batch whose rows are all ignored, is NaN; Sum is 0. Mean over
    /// class weights whose sum over the labels is 0 is the summed loss / 0, as in PyTorch: +-infinity, or NaN for 0 / 0.</returns>
    /// <remarks>
    /// <para>Effectively computes, for each non-ignored row with label y, with <c>log_p = log_softmax(row)</c> and class weights w,
    /// <c>loss = (1 - s) w[y] (-log_p[y]) + (s / classes) sum_c w[c] (-log_p[c])</c>, as PyTorch's
    /// <c>torch.nn.functional.cross_entropy(logits, labels, weight, ignore_index=ignoreIndex, label_smoothing=s)</c>.</para>
    /// <para>Logits of any magnitude are exact (max-subtracted log-sum-exp, log1p of the terms beside the maximum so a tiny loss
    /// keeps its relative precision). A row with a NaN or +infinity logit has a NaN loss. -infinity logits are fine on classes whose
    /// target is 0; target mass on a -infinity logit gives +infinity.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside <c>[0, classes)</c> and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    public static T FromLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int classes, Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> classWeights = default, int ignoreIndex = -100, double labelSmoothing = 0)
        where T : IFloatingPointIeee754<T> =>
        Reduced(Input.Logits, logits, labels, default, false, classes, reduction, classWeights, ignoreIndex, labelSmoothing);

    /// <summary>Computes the cross-entropy of rows of logits against soft targets (a distribution per row), reduced to one value.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits, <c>rows * classes</c> values.</param>
    /// <param name="targets">The target probabilities, the same shape as <paramref name="logits"/>.</param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="reduction">Mean divides the summed row losses by the number of rows; Sum adds them.</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: each target t becomes <c>(1 - s) t + s / classes</c>.</param>
    /// <returns>The reduced loss. Mean of an empty batch is NaN; Sum is 0.</returns>
    /// <remarks>
    /// <para>Effectively computes, for each row with smoothed targets t' and <c>log_p = log_softmax(row)</c>,
    /// <c>loss = -sum_c w[c] t'[c] log_p[c]</c>, as PyTorch's <c>torch.nn.functional.cross_entropy(logits, targets, weight, label_smoothing=s)</c>
    /// with probability targets, except that a class with <c>w[c] t'[c] = 0</c> contributes 0 even where <c>log_p[c]</c> is -infinity.</para>
    /// <para>A row with a NaN or +infinity logit has a NaN loss; target mass on a -infinity logit gives +infinity.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logits"/> differ in length.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    public static T FromLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int classes, Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> classWeights = default, double labelSmoothing = 0)
        where T : IFloatingPointIeee754<T> =>
        Reduced(Input.Logits, logits, targets, default, false, classes, reduction, classWeights, labelSmoothing);

    /// <summary>Computes the cross-entropy of each row of logits against its integer label (PyTorch's <c>reduction='none'</c>).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits, <c>rows * classes</c> values.</param>
    /// <param name="labels">One class index per row, in <c>[0, classes)</c>, or <paramref name="ignoreIndex"/> to skip the row.</param>
    /// <param name="losses">
    /// Receives one loss per row; ignored rows get 0. May start at <paramref name="logits"/>'s first element: the rows are then
    /// computed in order on the calling thread, and the losses overwrite the start of <paramref name="logits"/>.
    /// </param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="ignoreIndex">A label value whose rows contribute nothing (PyTorch's <c>ignore_index</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: the target becomes <c>(1 - s) one_hot(label) + s / classes</c>.</param>
    /// <remarks>
    /// <para>Effectively computes <c>losses[r] = (1 - s) w[y] (-log_p[y]) + (s / classes) sum_c w[c] (-log_p[c])</c> with
    /// <c>log_p = log_softmax(row r)</c>, as PyTorch's <c>cross_entropy(..., reduction='none')</c>.</para>
    /// <para>A row with a NaN or +infinity logit has a NaN loss; target mass on a -infinity logit gives +infinity.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside <c>[0, classes)</c> and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="losses"/> is shorter than the number of rows, or overlaps an input other than by starting at the first element of <paramref name="logits"/>.</exception>
    public static void FromLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, Span<T> losses, int classes,
        ReadOnlySpan<T> classWeights = default, int ignoreIndex = -100, double labelSmoothing = 0)
        where T : IFloatingPointIeee754<T> =>
        PerRow(Input.Logits, logits, labels, losses, classes, classWeights, ignoreIndex, labelSmoothing);

    /// <summary>Computes the cross-entropy of each row of logits against its soft targets (PyTorch's <c>reduction='none'</c>).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits, <c>rows * classes</c> values.</param>
    /// <param name="targets">The target probabilities, the same shape as <paramref name="logits"/>.</param>
    /// <param name="losses">
    /// Receives one loss per row. May start at the first element of <paramref name="logits"/> or of <paramref name="targets"/>: the
    /// rows are then computed in order on the calling thread, and the losses overwrite the start of that input.
    /// </param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: each target t becomes <c>(1 - s) t + s / classes</c>.</param>
    /// <remarks>
    /// <para>Effectively computes <c>losses[r] = -sum_c w[c] t'[c] log_p[c]</c> with <c>log_p = log_softmax(row r)</c>, as PyTorch's
    /// <c>cross_entropy(..., reduction='none')</c> with probability targets; classes with <c>w[c] t'[c] = 0</c> contribute 0.</para>
    /// <para>A row with a NaN or +infinity logit has a NaN loss; target mass on a -infinity logit gives +infinity.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logits"/> differ in length.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="losses"/> is shorter than the number of rows, or overlaps an input other than by starting at the first element of <paramref name="logits"/> or <paramref name="targets"/>.</exception>
    public static void FromLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, Span<T> losses, int classes,
        ReadOnlySpan<T> classWeights = default, double labelSmoothing = 0)
        where T : IFloatingPointIeee754<T> =>
        PerRow(Input.Logits, logits, targets, losses, classes, classWeights, labelSmoothing);

    /// <summary>Computes the reduced cross-entropy of rows of logits against integer labels, and its gradient with respect to the logits.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits, <c>rows * classes</c> values.</param>
    /// <param name="labels">One class index per row, in <c>[0, classes)</c>, or <paramref name="ignoreIndex"/> to skip the row.</param>
    /// <param name="gradient">Receives d(loss)/d(logits), the same shape as <paramref name="logits"/>; may be <paramref name="logits"/> itself.</param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="reduction">Mean divides the summed row losses by the summed class weights of the non-ignored labels; Sum adds them.</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="ignoreIndex">A label value whose rows contribute nothing (PyTorch's <c>ignore_index</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: the target becomes <c>(1 - s) one_hot(label) + s / classes</c>.</param>
    /// <returns>The reduced loss, as <see cref="FromLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, double)"/>.</returns>
    /// <remarks>
    /// <para>Loss and gradient come out of one fused pass per row, without a softmax buffer. With <c>t'</c> the smoothed one-hot target
    /// and <c>D</c> the Mean denominator (1 for Sum), effectively computes
    /// <c>gradient[c] = (softmax[c] sum_j w[j] t'[j] - w[c] t'[c]) / D</c>: <c>(softmax - t') / D</c> without class weights.
    /// This is what PyTorch's autograd gives for <c>cross_entropy</c>. Ignored rows get a zero gradient; where D is 0 (class weights
    /// that sum to 0), every entry of the other rows is the Sum gradient's entry / 0.</para>
    /// <para>A row with a NaN or +infinity logit gets a NaN loss and a NaN gradient row.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside <c>[0, classes)</c> and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradient"/> is shorter than <paramref name="logits"/>, or overlaps an input other than as the same memory as <paramref name="logits"/>.</exception>
    public static T FromLogitsWithGradient<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, Span<T> gradient, int classes,
        Reduction reduction = Reduction.Mean, ReadOnlySpan<T> classWeights = default, int ignoreIndex = -100, double labelSmoothing = 0)
        where T : IFloatingPointIeee754<T> =>
        Reduced(Input.Logits, logits, labels, gradient, true, classes, reduction, classWeights, ignoreIndex, labelSmoothing);

    /// <summary>Computes the reduced cross-entropy of rows of logits against soft targets, and its gradient with respect to the logits.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits, <c>rows * classes</c> values.</param>
    /// <param name="targets">The target probabilities, the same shape as <paramref name="logits"/>.</param>
    /// <param name="gradient">Receives d(loss)/d(logits), the same shape as <paramref name="logits"/>; may be <paramref name="logits"/> itself.</param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="reduction">Mean divides the summed row losses by the number of rows; Sum adds them.</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: each target t becomes <c>(1 - s) t + s / classes</c>.</param>
    /// <returns>The reduced loss, as <see cref="FromLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Reduction, ReadOnlySpan{T}, double)"/>.</returns>
    /// <remarks>
    /// <para>Loss and gradient come out of one fused pass per row. With <c>t'</c> the smoothed targets and <c>D</c> the number of rows
    /// for Mean (1 for Sum), effectively computes <c>gradient[c] = (softmax[c] sum_j w[j] t'[j] - w[c] t'[c]) / D</c>, what PyTorch's
    /// autograd gives for <c>cross_entropy</c> with probability targets.</para>
    /// <para>A row with a NaN or +infinity logit gets a NaN loss and a NaN gradient row.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logits"/> differ in length.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradient"/> is shorter than <paramref name="logits"/>, or overlaps an input other than as the same memory as <paramref name="logits"/> or <paramref name="targets"/>.</exception>
    public static T FromLogitsWithGradient<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, Span<T> gradient, int classes,
        Reduction reduction = Reduction.Mean, ReadOnlySpan<T> classWeights = default, double labelSmoothing = 0)
        where T : IFloatingPointIeee754<T> =>
        Reduced(Input.Logits, logits, targets, gradient, true, classes, reduction, classWeights, labelSmoothing);

}

internal static partial class Kernel<TBlock, T, TMemory>
{
    /// <summary>
    /// Cross-entropy from logits: writes the row losses and the gradient rows where those spans are not empty, and returns
    /// the sum of the row losses. Rows have labels when <paramref name="targets"/> is empty.
    /// </summary>
    public static double CrossEntropyFromLogits(ReadOnlySpan<TMemory> logits, ReadOnlySpan<int> labels, ReadOnlySpan<TMemory> targets,
        int classes, ReadOnlySpan<TMemory> classWeights, int ignoreIndex, double labelSmoothing, double gradientScale,
        Span<TMemory> losses, Span<TMemory> gradient) =>
        !gradient.IsEmpty && ReadsAhead(classes)
            ? CrossEntropyFromLogits<Yes>(logits, labels, targets, classes, classWeights, ignoreIndex, labelSmoothing, gradientScale, losses, gradient)
            : CrossEntropyFromLogits<No>(logits, labels, targets, classes, classWeights, ignoreIndex, labelSmoothing, gradientScale, losses, gradient);

    /// <summary>
    /// The rows of <see cref="CrossEntropyFromLogits(ReadOnlySpan{TMemory}, ReadOnlySpan{int}, ReadOnlySpan{TMemory}, int, ReadOnlySpan{TMemory}, int, double, double, Span{TMemory}, Span{TMemory})"/>;
    /// where <typeparamref name="TAhead"/> is set (only with a gradient), the gradient pass over a row also finds the next row's maximum.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double CrossEntropyFromLogits<TAhead>(ReadOnlySpan<TMemory> logits, ReadOnlySpan<int> labels, ReadOnlySpan<TMemory> targets,
        int classes, ReadOnlySpan<TMemory> classWeights, int ignoreIndex, double labelSmoothing, double gradientScale,
        Span<TMemory> losses, Span<TMemory> gradient)
        where TAhead : struct, IOption
    {
        T smoothing = T.CreateTruncating(labelSmoothing);
        T keep = T.One - smoothing;
        T perClass = smoothing / T.CreateTruncating(classes);
        T scale = T.CreateTruncating(gradientScale);
        T max = T.Zero;
        Spread below = default;
        if (TAhead.IsSet && !logits.IsEmpty)
        {
            max = Max(logits[..classes], out below);
        }

        double total = 0;
        for (int start = 0, row = 0; start < logits.Length; start += classes, row++)
        {
            Span<TMemory> gradientRow = gradient.IsEmpty ? default : gradient.Slice(start, classes);
            ReadOnlySpan<TMemory> next = NextRow(logits, start, classes);
            T loss;
            if (targets.IsEmpty && labels[row] == ignoreIndex)
            {
                gradientRow.Clear();
                loss = T.Zero;
                if (TAhead.IsSet)
                {
                    max = Max(next, out below);
                }
            }
            else
            {
                ReadOnlySpan<TMemory> logitsRow = logits.Slice(start, classes);
                if (!TAhead.IsSet)
                {
                    max = Max(logitsRow, out below);
                }

                loss = CrossEntropyRow<TAhead>(logitsRow, max, below, next, targets.IsEmpty ? labels[row] : -1,
                    targets.IsEmpty ? default : targets.Slice(start, classes), classWeights, keep, perClass, scale, gradientRow, out max, out below);
            }

            if (!losses.IsEmpty)
            {
                losses[row] = ToMemory(loss);
            }

            total += double.CreateTruncating(loss);
        }

        return total;
    }

    /// <summary>
    /// One row's loss <c>-sum_c a[c] log_softmax(x)[c]</c>, and its gradient scaled by <paramref name="scale"/> where
    /// <paramref name="gradient"/> is not empty. With a label, <c>a = (1 - s) w[label] one_hot + (s / C) w</c>; with targets,
    /// <c>a = w (t keep + perClass)</c>.
    /// </summary>
    private static T CrossEntropyRow<TAhead>(ReadOnlySpan<TMemory> row, T max, Spread below, ReadOnlySpan<TMemory> next, int label,
        ReadOnlySpan<TMemory> targets, ReadOnlySpan<TMemory> weights, T keep, T perClass, T scale, Span<TMemory> gradient,
        out T nextMax, out Spread nextBelow)
        where TAhead : struct, IOption
    {
        nextMax = T.Zero;
        nextBelow = default;
        if (!T.IsFinite(max))
        {
            gradient.Fill(TMemory.NaN);
            if (TAhead.IsSet)
            {
                nextMax = Max(next, out nextBelow);
            }

            return T.NaN;
        }

        // The part of the loss over all classes: factor * sum_c coefficient[c] (-log_p[c]).
        bool labelled = targets.IsEmpty;
        T factor = labelled ? perClass : T.One;
        bool spread = factor != T.Zero;
        T labelLogit = labelled ? ToCompute(row[label]) : T.Zero;

        // exp(x - max) goes to the gradient in the pass that sums it (the gradient may be the logits' memory, but not the
        // targets', which the last pass reads again).
        Span<TMemory> kept = KeepsInOutput && !gradient.Overlaps(targets) ? gradient : default;
        T rest = SumExpBesideMax<KeepExponentials>(row, max, below, kept, weights, targets, keep, perClass, spread, out T coefficientSum, out T shiftedSum);
        T logSum = Log1P(rest);
        T loss = spread ? factor * (logSum * coefficientSum - shiftedSum) : T.Zero;

        // The label's own part: (1 - s) w[y] (-log_p[y]), with -log_p[y] = logSum - (x[y] - max).
        T labelWeight = T.Zero;
        if (labelled)
        {
            labelWeight = keep * (weights.IsEmpty ? T.One : ToCompute(weights[label]));
            if (labelWeight != T.Zero)
            {
                loss += labelWeight * (logSum - (labelLogit - max));
            }
        }

        // The maximum keeps a NaN only where it comes last in its lane; the sum of exp(x - max) keeps every NaN.
        if (T.IsNaN(rest))
        {
            loss = T.NaN;
        }

        if (!gradient.IsEmpty)
        {
            T sum = T.One + rest;
            TBlock m = TBlock.Create(max);
            TBlock softmaxScale = TBlock.Create((labelWeight + factor * coefficientSum) / sum * scale);
            TBlock coefficientScale = TBlock.Create(-(factor * scale));
            TBlock tail = KeptTail(row, kept, max);
            TBlock weightsTail = spread ? TailOrOnes(weights, row.Length) : tail;
            TBlock targetsTail = spread ? Tail(targets, T.Zero) : tail;
            RowRange ahead = TAhead.IsSet ? new RowRange(next) : default;
            TBlock last = tail;
            for (int i = 0; (uint)i < (uint)row.Length; i += Width)
            {
                TBlock g = Exponentials(row, kept, i, tail, m) * softmaxScale;
                if (spread)
                {
                    TBlock a = Coefficients(weights, weightsTail, targets, targetsTail, i, row.Length, keep, perClass);
                    g = TBlock.FusedMultiplyAdd(a, coefficientScale, g);
                }

                if (i <= row.Length - Width)
                {
                    Store(g, gradient, i);
                    if (TAhead.IsSet)
                    {
                        ahead.Add(Load(next, i));
                    }
                }
                else
                {
                    last = g;
                }
            }

            if (TAhead.IsSet)
            {
                nextMax = ahead.Max(out nextBelow);
            }

            StoreTail(last, gradient, row.Length);

            if (labelled)
            {
                // softmax[y] - 1 = (e[y] - 1 - rest) / sum: exact where e[y] = 1, unlike softmax[y] - 1.
                T e = ExpDifference(labelLogit, max);
                T w = weights.IsEmpty ? T.One : ToCompute(weights[label]);
                gradient[label] = ToMemory(scale * (labelWeight * ((e - T.One - rest) / sum) + perClass * (e * coefficientSum / sum - w)));
            }
        }

        return loss;
    }
}
