using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

public static partial class CategoricalCrossEntropy
{
    /// <summary>Computes the cross-entropy of rows of probabilities against integer labels, reduced to one value.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="probabilities">The predicted probabilities, <c>rows * classes</c> values, each in [0, 1] (rows are not renormalised).</param>
    /// <param name="labels">One class index per row, in <c>[0, classes)</c>, or <paramref name="ignoreIndex"/> to skip the row.</param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="reduction">Mean divides the summed row losses by the summed class weights of the non-ignored labels; Sum adds them.</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="ignoreIndex">A label value whose rows contribute nothing (PyTorch's <c>ignore_index</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: the target becomes <c>(1 - s) one_hot(label) + s / classes</c>.</param>
    /// <param name="sampleWeights">Empty, or one weight per row (any value, negative included), multiplying that row's loss; not part of the Mean denominator.</param>
    /// <param name="normalizer">0, or a positive denominator that replaces the reduction's: the reduced loss is then the sum of the row losses / normalizer (0 where every row is ignored).</param>
    /// <returns>The reduced loss. Mean of an empty batch, or of a batch whose rows are all ignored, is NaN; Sum is 0. Mean over
    /// class weights whose sum over the labels is 0 is the summed loss / 0, as in PyTorch: +-infinity, or NaN for 0 / 0.</returns>
    /// <remarks>
    /// <para>Effectively computes, for each non-ignored row with label y, with <c>log_p = max(log(p), -100)</c> and class weights w,
    /// <c>loss = (1 - s) w[y] (-log_p[y]) + (s / classes) sum_c w[c] (-log_p[c])</c>, as PyTorch's
    /// <c>torch.nn.functional.nll_loss(torch.log(p).clamp_min(-100), labels, weight, ignore_index=ignoreIndex)</c> with
    /// <c>cross_entropy</c>'s label smoothing. The clamp keeps a probability of 0 finite.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="probabilities"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A probability is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside <c>[0, classes)</c> and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is neither empty nor of one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    public static T FromProbabilities<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<int> labels, int classes, Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> classWeights = default, int ignoreIndex = -100, double labelSmoothing = 0,
        ReadOnlySpan<T> sampleWeights = default, double normalizer = 0)
        where T : IFloatingPointIeee754<T> =>
        Reduced(Input.Probabilities, probabilities, labels, default, false, classes, reduction, classWeights, ignoreIndex, labelSmoothing,
            new Options<T>(sampleWeights, normalizer));

    /// <summary>Computes the cross-entropy of rows of probabilities against soft targets (a distribution per row), reduced to one value.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="probabilities">The predicted probabilities, <c>rows * classes</c> values, each in [0, 1] (rows are not renormalised).</param>
    /// <param name="targets">The target probabilities, the same shape as <paramref name="probabilities"/>.</param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="reduction">Mean divides the summed row losses by the number of rows; Sum adds them.</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: each target t becomes <c>(1 - s) t + s / classes</c>.</param>
    /// <param name="sampleWeights">Empty, or one weight per row (any value, negative included), multiplying that row's loss; not part of the Mean denominator.</param>
    /// <param name="normalizer">0, or a positive denominator that replaces the reduction's: the reduced loss is then the sum of the row losses / normalizer (0 where every row is ignored).</param>
    /// <returns>The reduced loss. Mean of an empty batch is NaN; Sum is 0.</returns>
    /// <remarks>
    /// <para>Effectively computes, for each row with smoothed targets t' and <c>log_p = max(log(p), -100)</c>,
    /// <c>loss = -sum_c w[c] t'[c] log_p[c]</c>: PyTorch's <c>cross_entropy</c> with probability targets applied to
    /// <c>log(p)</c> in place of <c>log_softmax</c>. A class with <c>w[c] t'[c] = 0</c> contributes 0.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="probabilities"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A probability is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="probabilities"/> differ in length.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is neither empty nor of one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    public static T FromProbabilities<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<T> targets, int classes, Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> classWeights = default, double labelSmoothing = 0,
        ReadOnlySpan<T> sampleWeights = default, double normalizer = 0)
        where T : IFloatingPointIeee754<T> =>
        Reduced(Input.Probabilities, probabilities, targets, default, false, classes, reduction, classWeights, labelSmoothing,
            new Options<T>(sampleWeights, normalizer));

    /// <summary>Computes the cross-entropy of each row of probabilities against its integer label (PyTorch's <c>reduction='none'</c>).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="probabilities">The predicted probabilities, <c>rows * classes</c> values, each in [0, 1] (rows are not renormalised).</param>
    /// <param name="labels">One class index per row, in <c>[0, classes)</c>, or <paramref name="ignoreIndex"/> to skip the row.</param>
    /// <param name="losses">
    /// Receives one loss per row; ignored rows get 0. May start at <paramref name="probabilities"/>'s first element: the rows are then
    /// computed in order on the calling thread, and the losses overwrite the start of <paramref name="probabilities"/>.
    /// </param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="ignoreIndex">A label value whose rows contribute nothing (PyTorch's <c>ignore_index</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: the target becomes <c>(1 - s) one_hot(label) + s / classes</c>.</param>
    /// <param name="sampleWeights">Empty, or one weight per row (any value, negative included), multiplying that row's loss; not part of the Mean denominator.</param>
    /// <remarks>
    /// <para>Effectively computes <c>losses[r] = (1 - s) w[y] (-log_p[y]) + (s / classes) sum_c w[c] (-log_p[c])</c> with
    /// <c>log_p = max(log(p), -100)</c>, as PyTorch's <c>nll_loss(log(p), ..., reduction='none')</c> with label smoothing.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="probabilities"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A probability is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside <c>[0, classes)</c> and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="losses"/> is shorter than the number of rows, or overlaps an input other than by starting at the first element of <paramref name="probabilities"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is neither empty nor of one entry per row, or overlaps <paramref name="losses"/>.</exception>
    public static void FromProbabilities<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<int> labels, Span<T> losses, int classes,
        ReadOnlySpan<T> classWeights = default, int ignoreIndex = -100, double labelSmoothing = 0,
        ReadOnlySpan<T> sampleWeights = default)
        where T : IFloatingPointIeee754<T> =>
        PerRow(Input.Probabilities, probabilities, labels, losses, classes, classWeights, ignoreIndex, labelSmoothing, new Options<T>(sampleWeights));

    /// <summary>Computes the cross-entropy of each row of probabilities against its soft targets (PyTorch's <c>reduction='none'</c>).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="probabilities">The predicted probabilities, <c>rows * classes</c> values, each in [0, 1] (rows are not renormalised).</param>
    /// <param name="targets">The target probabilities, the same shape as <paramref name="probabilities"/>.</param>
    /// <param name="losses">
    /// Receives one loss per row. May start at the first element of <paramref name="probabilities"/> or of <paramref name="targets"/>: the
    /// rows are then computed in order on the calling thread, and the losses overwrite the start of that input.
    /// </param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: each target t becomes <c>(1 - s) t + s / classes</c>.</param>
    /// <param name="sampleWeights">Empty, or one weight per row (any value, negative included), multiplying that row's loss; not part of the Mean denominator.</param>
    /// <remarks>
    /// <para>Effectively computes <c>losses[r] = -sum_c w[c] t'[c] log_p[c]</c> with <c>log_p = max(log(p), -100)</c>;
    /// classes with <c>w[c] t'[c] = 0</c> contribute 0.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="probabilities"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A probability is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="probabilities"/> differ in length.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="losses"/> is shorter than the number of rows, or overlaps an input other than by starting at the first element of <paramref name="probabilities"/> or <paramref name="targets"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is neither empty nor of one entry per row, or overlaps <paramref name="losses"/>.</exception>
    public static void FromProbabilities<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<T> targets, Span<T> losses, int classes,
        ReadOnlySpan<T> classWeights = default, double labelSmoothing = 0,
        ReadOnlySpan<T> sampleWeights = default)
        where T : IFloatingPointIeee754<T> =>
        PerRow(Input.Probabilities, probabilities, targets, losses, classes, classWeights, labelSmoothing, new Options<T>(sampleWeights));

    /// <summary>Computes the reduced cross-entropy of rows of probabilities against integer labels, and its gradient with respect to the probabilities.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="probabilities">The predicted probabilities, <c>rows * classes</c> values, each in [0, 1] (rows are not renormalised).</param>
    /// <param name="labels">One class index per row, in <c>[0, classes)</c>, or <paramref name="ignoreIndex"/> to skip the row.</param>
    /// <param name="gradient">Receives d(loss)/d(probabilities), the same shape as <paramref name="probabilities"/>; may be <paramref name="probabilities"/> itself.</param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="reduction">Mean divides the summed row losses by the summed class weights of the non-ignored labels; Sum adds them.</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="ignoreIndex">A label value whose rows contribute nothing (PyTorch's <c>ignore_index</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: the target becomes <c>(1 - s) one_hot(label) + s / classes</c>.</param>
    /// <param name="sampleWeights">Empty, or one weight per row (any value, negative included), multiplying that row's loss and gradient row; not part of the Mean denominator.</param>
    /// <param name="normalizer">0, or a positive denominator that replaces the reduction's: the reduced loss is then the sum of the row losses / normalizer (0 where every row is ignored).</param>
    /// <returns>The reduced loss, as <see cref="FromProbabilities{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, double, ReadOnlySpan{T}, double)"/>.</returns>
    /// <remarks>
    /// <para>With <c>t'</c> the smoothed one-hot target and <c>D</c> the Mean denominator (1 for Sum), effectively computes
    /// <c>gradient[c] = -w[c] t'[c] / (max(p[c], 1e-12) D)</c>, the clamp of BinaryCrossEntropy, so a probability of 0 gives a
    /// finite gradient. Ignored rows get a zero gradient; where D is 0 (class weights that sum to 0), every entry of the other rows
    /// is the Sum gradient's entry / 0.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="probabilities"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A probability is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside <c>[0, classes)</c> and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradient"/> is shorter than <paramref name="probabilities"/>, or overlaps an input other than as the same memory as <paramref name="probabilities"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is neither empty nor of one entry per row, or overlaps <paramref name="gradient"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    public static T FromProbabilitiesWithGradient<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<int> labels, Span<T> gradient, int classes,
        Reduction reduction = Reduction.Mean, ReadOnlySpan<T> classWeights = default, int ignoreIndex = -100, double labelSmoothing = 0,
        ReadOnlySpan<T> sampleWeights = default, double normalizer = 0)
        where T : IFloatingPointIeee754<T> =>
        Reduced(Input.Probabilities, probabilities, labels, gradient, true, classes, reduction, classWeights, ignoreIndex, labelSmoothing,
            new Options<T>(sampleWeights, normalizer));

    /// <summary>Computes the reduced cross-entropy of rows of probabilities against soft targets, and its gradient with respect to the probabilities.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="probabilities">The predicted probabilities, <c>rows * classes</c> values, each in [0, 1] (rows are not renormalised).</param>
    /// <param name="targets">The target probabilities, the same shape as <paramref name="probabilities"/>.</param>
    /// <param name="gradient">Receives d(loss)/d(probabilities), the same shape as <paramref name="probabilities"/>; may be <paramref name="probabilities"/> itself.</param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="reduction">Mean divides the summed row losses by the number of rows; Sum adds them.</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: each target t becomes <c>(1 - s) t + s / classes</c>.</param>
    /// <param name="sampleWeights">Empty, or one weight per row (any value, negative included), multiplying that row's loss and gradient row; not part of the Mean denominator.</param>
    /// <param name="normalizer">0, or a positive denominator that replaces the reduction's: the reduced loss is then the sum of the row losses / normalizer (0 where every row is ignored).</param>
    /// <returns>The reduced loss, as <see cref="FromProbabilities{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Reduction, ReadOnlySpan{T}, double, ReadOnlySpan{T}, double)"/>.</returns>
    /// <remarks>
    /// <para>With <c>t'</c> the smoothed targets and <c>D</c> the number of rows for Mean (1 for Sum), effectively computes
    /// <c>gradient[c] = -w[c] t'[c] / (max(p[c], 1e-12) D)</c>.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="probabilities"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A probability is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="probabilities"/> differ in length.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradient"/> is shorter than <paramref name="probabilities"/>, or overlaps an input other than as the same memory as <paramref name="probabilities"/> or <paramref name="targets"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is neither empty nor of one entry per row, or overlaps <paramref name="gradient"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    public static T FromProbabilitiesWithGradient<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<T> targets, Span<T> gradient, int classes,
        Reduction reduction = Reduction.Mean, ReadOnlySpan<T> classWeights = default, double labelSmoothing = 0,
        ReadOnlySpan<T> sampleWeights = default, double normalizer = 0)
        where T : IFloatingPointIeee754<T> =>
        Reduced(Input.Probabilities, probabilities, targets, gradient, true, classes, reduction, classWeights, labelSmoothing,
            new Options<T>(sampleWeights, normalizer));

}

internal static partial class Kernel<TBlock, T, TMemory>
{
    /// <summary>
    /// Cross-entropy from probabilities (where <typeparamref name="TProbabilities"/> is set) or from log-probabilities: writes the
    /// row losses and the gradient rows where those spans are not empty, and returns the sum of the row losses. Rows have labels
    /// when <paramref name="targets"/> is empty; <paramref name="sampleWeights"/>, where not empty, weight them.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static double CrossEntropyFromProbabilities<TProbabilities>(ReadOnlySpan<TMemory> probabilities, ReadOnlySpan<int> labels,
        ReadOnlySpan<TMemory> targets, int classes, ReadOnlySpan<TMemory> classWeights, int ignoreIndex, double labelSmoothing, double gradientScale,
        ReadOnlySpan<TMemory> sampleWeights, Span<TMemory> losses, Span<TMemory> gradient)
        where TProbabilities : struct, IOption
    {
        T smoothing = T.CreateTruncating(labelSmoothing);
        T keep = T.One - smoothing;
        T perClass = smoothing / T.CreateTruncating(classes);
        T scale = T.CreateTruncating(gradientScale);
        double total = 0;
        for (int start = 0, row = 0; start < probabilities.Length; start += classes, row++)
        {
            Span<TMemory> gradientRow = gradient.IsEmpty ? default : gradient.Slice(start, classes);
            T loss;
            if (targets.IsEmpty && labels[row] == ignoreIndex)
            {
                gradientRow.Clear();
                loss = T.Zero;
            }
            else
            {
                T weight = sampleWeights.IsEmpty ? T.One : ToCompute(sampleWeights[row]);
                loss = weight * ProbabilityRow<TProbabilities>(probabilities.Slice(start, classes), targets.IsEmpty ? labels[row] : -1,
                    targets.IsEmpty ? default : targets.Slice(start, classes), classWeights, keep, perClass, scale * weight, gradientRow);
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
    /// One row's loss <c>-sum_c a[c] max(log p[c], -100)</c> over the classes with <c>a[c] != 0</c>, and its gradient
    /// <c>-a[c] / max(p[c], 1e-12)</c> scaled by <paramref name="scale"/> where <paramref name="gradient"/> is not empty; from
    /// log-probabilities (<typeparamref name="TProbabilities"/> not set), <c>-sum_c a[c] x[c]</c> and <c>-a[c]</c>, scaled.
    /// With a label, <c>a = (1 - s) w[label] one_hot + (s / C) w</c>; with targets, <c>a = w (t keep + perClass)</c>.
    /// </summary>
    private static T ProbabilityRow<TProbabilities>(ReadOnlySpan<TMemory> row, int label, ReadOnlySpan<TMemory> targets, ReadOnlySpan<TMemory> weights,
        T keep, T perClass, T scale, Span<TMemory> gradient)
        where TProbabilities : struct, IOption
    {
        bool labelled = targets.IsEmpty;
        T factor = labelled ? perClass : T.One;
        bool spread = factor != T.Zero;
        TBlock zero = BlockMath<TBlock, T>.Zero;
        TBlock floor = TBlock.Create(T.CreateTruncating(-100));
        TBlock clamp = TBlock.Create(T.CreateTruncating(1e-12));
        T loss = T.Zero;
        TBlock rowTail = Tail(row, T.One);
        TBlock weightsTail = spread ? TailOrOnes(weights, row.Length) : zero;
        TBlock targetsTail = spread ? Tail(targets, T.Zero) : zero;
        if (spread)
        {
            TBlock sum = zero;
            for (int i = 0; (uint)i < (uint)row.Length; i += Width)
            {
                TBlock a = Coefficients(weights, weightsTail, targets, targetsTail, i, row.Length, keep, perClass);
                TBlock logP = TProbabilities.IsSet ? TBlock.Max(BlockMath<TBlock, T>.Log(Load(row, i, rowTail)), floor) : Load(row, i, rowTail);
                sum += TBlock.Select(TBlock.Equals(a, zero), zero, a * logP);
            }

            loss = -(factor * TBlock.Sum(sum));
        }

        T labelCoefficient = T.Zero;
        T labelProbability = T.Zero;
        if (labelled)
        {
            T w = weights.IsEmpty ? T.One : ToCompute(weights[label]);
            T labelWeight = keep * w;
            labelCoefficient = labelWeight + perClass * w;
            labelProbability = ToCompute(row[label]);
            if (labelWeight != T.Zero)
            {
                loss -= labelWeight * (TProbabilities.IsSet ? T.Max(Log(labelProbability), T.CreateTruncating(-100)) : labelProbability);
            }
        }

        if (!gradient.IsEmpty)
        {
            TBlock coefficientScale = TBlock.Create(-(factor * scale));
            TBlock last = zero;
            for (int i = 0; (uint)i < (uint)row.Length; i += Width)
            {
                TBlock g = zero;
                if (spread)
                {
                    TBlock a = Coefficients(weights, weightsTail, targets, targetsTail, i, row.Length, keep, perClass);
                    g = TProbabilities.IsSet
                        ? TBlock.Select(TBlock.Equals(a, zero), zero, a * coefficientScale / TBlock.Max(Load(row, i, rowTail), clamp))
                        : a * coefficientScale;
                }

                if (i <= row.Length - Width)
                {
                    Store(g, gradient, i);
                }
                else
                {
                    last = g;
                }
            }

            StoreTail(last, gradient, row.Length);

            if (labelled)
            {
                gradient[label] = labelCoefficient == T.Zero ? TMemory.Zero
                    : TProbabilities.IsSet ? ToMemory(-(labelCoefficient * scale) / T.Max(labelProbability, T.CreateTruncating(1e-12)))
                    : ToMemory(-(labelCoefficient * scale));
            }
        }

        return loss;
    }
}
