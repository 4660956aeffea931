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
    /// <param name="sampleWeights">Empty, or one weight per row (any value, negative included), multiplying that row's loss; not part of the Mean denominator.</param>
    /// <param name="normalizer">0, or a positive denominator that replaces the reduction's: the reduced loss is then the sum of the row losses / normalizer.</param>
    /// <param name="softCap">0, or a positive cap c: each logit x becomes <c>c tanh(x / c)</c> first (±infinity becomes ±c).</param>
    /// <param name="zLoss">0, or a positive weight z: each non-ignored row's loss gains <c>z lse^2</c>, weighted by the sample weight but not by class weights.</param>
    /// <param name="logSumExp">Empty, or one entry per row: receives each row's log-sum-exp of the (capped) logits, ignored rows included.</param>
    /// <returns>The reduced loss. Mean of an empty batch, or of a batch whose rows are all ignored, is NaN; Sum is 0. Mean over
    /// class weights whose sum over the labels is 0 is the summed loss / 0, as in PyTorch: +-infinity, or NaN for 0 / 0.</returns>
    /// <remarks>
    /// <para>Effectively computes, for each non-ignored row with label y, with <c>log_p = log_softmax(row)</c> and class weights w,
    /// <c>loss = (1 - s) w[y] (-log_p[y]) + (s / classes) sum_c w[c] (-log_p[c])</c>, as PyTorch's
    /// <c>torch.nn.functional.cross_entropy(logits, labels, weight, ignore_index=ignoreIndex, label_smoothing=s)</c>.</para>
    /// <para>Logits of any magnitude are exact (max-subtracted log-sum-exp, log1p of the terms beside the maximum so a tiny loss
    /// keeps its relative precision). A row with a NaN logit, or a +infinity logit without a soft cap, has a NaN loss. -infinity logits are fine on classes whose
    /// target is 0; target mass on a -infinity logit gives +infinity.</para>
    /// <para>Training-loop options: the sample weights multiply each row's loss; a normalizer replaces the Mean or Sum
    /// denominator (a batch whose rows are all ignored then gives 0); the z-loss <c>zLoss lse^2</c> adds <c>2 zLoss lse softmax</c>
    /// to a row's gradient; with a soft cap the gradient is with respect to the raw logits, through the tanh.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside <c>[0, classes)</c> and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is neither empty nor of one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="softCap"/> is negative, infinite or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="zLoss"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="logSumExp"/> is neither empty nor at least one entry per row, or overlaps an input or the other output.</exception>
    public static T FromLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int classes, Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> classWeights = default, int ignoreIndex = -100, double labelSmoothing = 0, ReadOnlySpan<T> sampleWeights = default,
        double normalizer = 0, double softCap = 0, double zLoss = 0, Span<T> logSumExp = default)
        where T : IFloatingPointIeee754<T> =>
        Reduced(Input.Logits, logits, labels, default, false, classes, reduction, classWeights, ignoreIndex, labelSmoothing,
            new Options<T>(sampleWeights, normalizer, softCap, zLoss, logSumExp));

    /// <summary>Computes the cross-entropy of rows of logits against soft targets (a distribution per row), reduced to one value.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits, <c>rows * classes</c> values.</param>
    /// <param name="targets">The target probabilities, the same shape as <paramref name="logits"/>.</param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="reduction">Mean divides the summed row losses by the number of rows; Sum adds them.</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: each target t becomes <c>(1 - s) t + s / classes</c>.</param>
    /// <param name="sampleWeights">Empty, or one weight per row (any value, negative included), multiplying that row's loss; not part of the Mean denominator.</param>
    /// <param name="normalizer">0, or a positive denominator that replaces the reduction's: the reduced loss is then the sum of the row losses / normalizer.</param>
    /// <param name="softCap">0, or a positive cap c: each logit x becomes <c>c tanh(x / c)</c> first (±infinity becomes ±c).</param>
    /// <param name="zLoss">0, or a positive weight z: each non-ignored row's loss gains <c>z lse^2</c>, weighted by the sample weight but not by class weights.</param>
    /// <param name="logSumExp">Empty, or one entry per row: receives each row's log-sum-exp of the (capped) logits, ignored rows included.</param>
    /// <returns>The reduced loss. Mean of an empty batch is NaN; Sum is 0.</returns>
    /// <remarks>
    /// <para>Effectively computes, for each row with smoothed targets t' and <c>log_p = log_softmax(row)</c>,
    /// <c>loss = -sum_c w[c] t'[c] log_p[c]</c>, as PyTorch's <c>torch.nn.functional.cross_entropy(logits, targets, weight, label_smoothing=s)</c>
    /// with probability targets, except that a class with <c>w[c] t'[c] = 0</c> contributes 0 even where <c>log_p[c]</c> is -infinity.</para>
    /// <para>A row with a NaN logit, or a +infinity logit without a soft cap, has a NaN loss; target mass on a -infinity logit gives +infinity.</para>
    /// <para>Training-loop options: the sample weights multiply each row's loss; a normalizer replaces the Mean or Sum
    /// denominator (a batch whose rows are all ignored then gives 0); the z-loss <c>zLoss lse^2</c> adds <c>2 zLoss lse softmax</c>
    /// to a row's gradient; with a soft cap the gradient is with respect to the raw logits, through the tanh.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logits"/> differ in length.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is neither empty nor of one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="softCap"/> is negative, infinite or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="zLoss"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="logSumExp"/> is neither empty nor at least one entry per row, or overlaps an input or the other output.</exception>
    public static T FromLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int classes, Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> classWeights = default, double labelSmoothing = 0, ReadOnlySpan<T> sampleWeights = default, double normalizer = 0,
        double softCap = 0, double zLoss = 0, Span<T> logSumExp = default)
        where T : IFloatingPointIeee754<T> =>
        Reduced(Input.Logits, logits, targets, default, false, classes, reduction, classWeights, labelSmoothing,
            new Options<T>(sampleWeights, normalizer, softCap, zLoss, logSumExp));

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
    /// <param name="sampleWeights">Empty, or one weight per row (any value, negative included), multiplying that row's loss; not part of the Mean denominator.</param>
    /// <param name="softCap">0, or a positive cap c: each logit x becomes <c>c tanh(x / c)</c> first (±infinity becomes ±c).</param>
    /// <param name="zLoss">0, or a positive weight z: each non-ignored row's loss gains <c>z lse^2</c>, weighted by the sample weight but not by class weights.</param>
    /// <param name="logSumExp">Empty, or one entry per row: receives each row's log-sum-exp of the (capped) logits, ignored rows included.</param>
    /// <remarks>
    /// <para>Effectively computes <c>losses[r] = (1 - s) w[y] (-log_p[y]) + (s / classes) sum_c w[c] (-log_p[c])</c> with
    /// <c>log_p = log_softmax(row r)</c>, as PyTorch's <c>cross_entropy(..., reduction='none')</c>.</para>
    /// <para>A row with a NaN logit, or a +infinity logit without a soft cap, has a NaN loss; target mass on a -infinity logit gives +infinity.</para>
    /// <para>Training-loop options: the sample weight multiplies each row's loss; the z-loss adds <c>zLoss lse^2</c> to each
    /// non-ignored row's loss; a soft cap computes on <c>softCap tanh(x / softCap)</c>.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside <c>[0, classes)</c> and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="losses"/> is shorter than the number of rows, or overlaps an input other than by starting at the first element of <paramref name="logits"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is neither empty nor of one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="softCap"/> is negative, infinite or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="zLoss"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="logSumExp"/> is neither empty nor at least one entry per row, or overlaps an input or the other output.</exception>
    public static void FromLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, Span<T> losses, int classes,
        ReadOnlySpan<T> classWeights = default, int ignoreIndex = -100, double labelSmoothing = 0, ReadOnlySpan<T> sampleWeights = default,
        double softCap = 0, double zLoss = 0, Span<T> logSumExp = default)
        where T : IFloatingPointIeee754<T> =>
        PerRow(Input.Logits, logits, labels, losses, classes, classWeights, ignoreIndex, labelSmoothing,
            new Options<T>(sampleWeights, 0, softCap, zLoss, logSumExp));

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
    /// <param name="sampleWeights">Empty, or one weight per row (any value, negative included), multiplying that row's loss; not part of the Mean denominator.</param>
    /// <param name="softCap">0, or a positive cap c: each logit x becomes <c>c tanh(x / c)</c> first (±infinity becomes ±c).</param>
    /// <param name="zLoss">0, or a positive weight z: each non-ignored row's loss gains <c>z lse^2</c>, weighted by the sample weight but not by class weights.</param>
    /// <param name="logSumExp">Empty, or one entry per row: receives each row's log-sum-exp of the (capped) logits, ignored rows included.</param>
    /// <remarks>
    /// <para>Effectively computes <c>losses[r] = -sum_c w[c] t'[c] log_p[c]</c> with <c>log_p = log_softmax(row r)</c>, as PyTorch's
    /// <c>cross_entropy(..., reduction='none')</c> with probability targets; classes with <c>w[c] t'[c] = 0</c> contribute 0.</para>
    /// <para>A row with a NaN logit, or a +infinity logit without a soft cap, has a NaN loss; target mass on a -infinity logit gives +infinity.</para>
    /// <para>Training-loop options: the sample weight multiplies each row's loss; the z-loss adds <c>zLoss lse^2</c> to each
    /// non-ignored row's loss; a soft cap computes on <c>softCap tanh(x / softCap)</c>.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logits"/> differ in length.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="losses"/> is shorter than the number of rows, or overlaps an input other than by starting at the first element of <paramref name="logits"/> or <paramref name="targets"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is neither empty nor of one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="softCap"/> is negative, infinite or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="zLoss"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="logSumExp"/> is neither empty nor at least one entry per row, or overlaps an input or the other output.</exception>
    public static void FromLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, Span<T> losses, int classes,
        ReadOnlySpan<T> classWeights = default, double labelSmoothing = 0, ReadOnlySpan<T> sampleWeights = default, double softCap = 0,
        double zLoss = 0, Span<T> logSumExp = default)
        where T : IFloatingPointIeee754<T> =>
        PerRow(Input.Logits, logits, targets, losses, classes, classWeights, labelSmoothing, new Options<T>(sampleWeights, 0, softCap, zLoss, logSumExp));

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
    /// <param name="sampleWeights">Empty, or one weight per row (any value, negative included), multiplying that row's loss and gradient row; not part of the Mean denominator.</param>
    /// <param name="normalizer">0, or a positive denominator that replaces the reduction's: the reduced loss is then the sum of the row losses / normalizer.</param>
    /// <param name="softCap">0, or a positive cap c: each logit x becomes <c>c tanh(x / c)</c> first (±infinity becomes ±c), the gradient taken through the tanh.</param>
    /// <param name="zLoss">0, or a positive weight z: each non-ignored row's loss gains <c>z lse^2</c>, weighted by the sample weight but not by class weights.</param>
    /// <param name="logSumExp">Empty, or one entry per row: receives each row's log-sum-exp of the (capped) logits, ignored rows included.</param>
    /// <returns>The reduced loss, as <see cref="FromLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, double, ReadOnlySpan{T}, double, double, double, Span{T})"/>.</returns>
    /// <remarks>
    /// <para>Loss and gradient come out of one fused pass per row, without a softmax buffer. With <c>t'</c> the smoothed one-hot target
    /// and <c>D</c> the Mean denominator (1 for Sum), effectively computes
    /// <c>gradient[c] = (softmax[c] sum_j w[j] t'[j] - w[c] t'[c]) / D</c>: <c>(softmax - t') / D</c> without class weights.
    /// This is what PyTorch's autograd gives for <c>cross_entropy</c>. Ignored rows get a zero gradient; where D is 0 (class weights
    /// that sum to 0), every entry of the other rows is the Sum gradient's entry / 0.</para>
    /// <para>A row with a NaN logit, or a +infinity logit without a soft cap, gets a NaN loss and a NaN gradient row.</para>
    /// <para>Training-loop options: the sample weights multiply each row's loss and gradient row; a normalizer replaces the Mean or Sum
    /// denominator (a batch whose rows are all ignored then gives 0); the z-loss <c>zLoss lse^2</c> adds <c>2 zLoss lse softmax</c>
    /// to a row's gradient; with a soft cap the gradient is with respect to the raw logits, through the tanh.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside <c>[0, classes)</c> and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradient"/> is shorter than <paramref name="logits"/>, or overlaps an input other than as the same memory as <paramref name="logits"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is neither empty nor of one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="softCap"/> is negative, infinite or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="zLoss"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="logSumExp"/> is neither empty nor at least one entry per row, or overlaps an input or the other output.</exception>
    public static T FromLogitsWithGradient<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, Span<T> gradient, int classes,
        Reduction reduction = Reduction.Mean, ReadOnlySpan<T> classWeights = default, int ignoreIndex = -100, double labelSmoothing = 0,
        ReadOnlySpan<T> sampleWeights = default, double normalizer = 0, double softCap = 0, double zLoss = 0, Span<T> logSumExp = default)
        where T : IFloatingPointIeee754<T> =>
        Reduced(Input.Logits, logits, labels, gradient, true, classes, reduction, classWeights, ignoreIndex, labelSmoothing,
            new Options<T>(sampleWeights, normalizer, softCap, zLoss, logSumExp));

    /// <summary>Computes the reduced cross-entropy of rows of logits against soft targets, and its gradient with respect to the logits.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits, <c>rows * classes</c> values.</param>
    /// <param name="targets">The target probabilities, the same shape as <paramref name="logits"/>.</param>
    /// <param name="gradient">Receives d(loss)/d(logits), the same shape as <paramref name="logits"/>; may be <paramref name="logits"/> itself.</param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="reduction">Mean divides the summed row losses by the number of rows; Sum adds them.</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: each target t becomes <c>(1 - s) t + s / classes</c>.</param>
    /// <param name="sampleWeights">Empty, or one weight per row (any value, negative included), multiplying that row's loss and gradient row; not part of the Mean denominator.</param>
    /// <param name="normalizer">0, or a positive denominator that replaces the reduction's: the reduced loss is then the sum of the row losses / normalizer.</param>
    /// <param name="softCap">0, or a positive cap c: each logit x becomes <c>c tanh(x / c)</c> first (±infinity becomes ±c), the gradient taken through the tanh.</param>
    /// <param name="zLoss">0, or a positive weight z: each non-ignored row's loss gains <c>z lse^2</c>, weighted by the sample weight but not by class weights.</param>
    /// <param name="logSumExp">Empty, or one entry per row: receives each row's log-sum-exp of the (capped) logits, ignored rows included.</param>
    /// <returns>The reduced loss, as <see cref="FromLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Reduction, ReadOnlySpan{T}, double, ReadOnlySpan{T}, double, double, double, Span{T})"/>.</returns>
    /// <remarks>
    /// <para>Loss and gradient come out of one fused pass per row. With <c>t'</c> the smoothed targets and <c>D</c> the number of rows
    /// for Mean (1 for Sum), effectively computes <c>gradient[c] = (softmax[c] sum_j w[j] t'[j] - w[c] t'[c]) / D</c>, what PyTorch's
    /// autograd gives for <c>cross_entropy</c> with probability targets.</para>
    /// <para>A row with a NaN logit, or a +infinity logit without a soft cap, gets a NaN loss and a NaN gradient row.</para>
    /// <para>Training-loop options: the sample weights multiply each row's loss and gradient row; a normalizer replaces the Mean or Sum
    /// denominator (a batch whose rows are all ignored then gives 0); the z-loss <c>zLoss lse^2</c> adds <c>2 zLoss lse softmax</c>
    /// to a row's gradient; with a soft cap the gradient is with respect to the raw logits, through the tanh.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logits"/> differ in length.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradient"/> is shorter than <paramref name="logits"/>, or overlaps an input other than as the same memory as <paramref name="logits"/> or <paramref name="targets"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is neither empty nor of one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="softCap"/> is negative, infinite or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="zLoss"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="logSumExp"/> is neither empty nor at least one entry per row, or overlaps an input or the other output.</exception>
    public static T FromLogitsWithGradient<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, Span<T> gradient, int classes,
        Reduction reduction = Reduction.Mean, ReadOnlySpan<T> classWeights = default, double labelSmoothing = 0,
        ReadOnlySpan<T> sampleWeights = default, double normalizer = 0, double softCap = 0, double zLoss = 0, Span<T> logSumExp = default)
        where T : IFloatingPointIeee754<T> =>
        Reduced(Input.Logits, logits, targets, gradient, true, classes, reduction, classWeights, labelSmoothing,
            new Options<T>(sampleWeights, normalizer, softCap, zLoss, logSumExp));

}

internal static partial class Kernel<TBlock, T, TMemory>
{
    /// <summary>
    /// Cross-entropy from logits: writes the row losses, the gradient rows and the rows' log-sum-exp where those spans are not
    /// empty, and returns the sum of the row losses. Rows have labels when <paramref name="targets"/> is empty. A positive
    /// <paramref name="softCap"/> caps the logits first; <paramref name="sampleWeights"/>, where not empty, weight the rows.
    /// </summary>
    public static double CrossEntropyFromLogits(ReadOnlySpan<TMemory> logits, ReadOnlySpan<int> labels, ReadOnlySpan<TMemory> targets,
        int classes, ReadOnlySpan<TMemory> classWeights, int ignoreIndex, double labelSmoothing, double gradientScale,
        ReadOnlySpan<TMemory> sampleWeights, double softCap, double zLoss, Span<TMemory> losses, Span<TMemory> gradient, Span<TMemory> logSumExp)
    {
        // Capped logits lie within [-cap, cap], so their x - max is at least -2 cap: below DeepLimit only for a cap above 43.5
        // (354 for double), where the last pass's exponential takes the care of subnormal results.
        T cap = T.CreateTruncating(softCap);
        return softCap <= 0
            ? CrossEntropyFromLogits<Uncapped>(logits, labels, targets, classes, classWeights, ignoreIndex, labelSmoothing, gradientScale,
                sampleWeights, softCap, zLoss, losses, gradient, logSumExp)
            : -(cap + cap) >= BlockMath<TBlock, T>.DeepLimit
                ? CrossEntropyFromLogits<Capped<No>>(logits, labels, targets, classes, classWeights, ignoreIndex, labelSmoothing, gradientScale,
                    sampleWeights, softCap, zLoss, losses, gradient, logSumExp)
                : CrossEntropyFromLogits<Capped<Yes>>(logits, labels, targets, classes, classWeights, ignoreIndex, labelSmoothing, gradientScale,
                    sampleWeights, softCap, zLoss, losses, gradient, logSumExp);
    }

    /// <summary>
    /// <see cref="CrossEntropyFromLogits(ReadOnlySpan{TMemory}, ReadOnlySpan{int}, ReadOnlySpan{TMemory}, int, ReadOnlySpan{TMemory}, int, double, double, ReadOnlySpan{TMemory}, double, double, Span{TMemory}, Span{TMemory}, Span{TMemory})"/>
    /// with the cap or without. Not inline, so that the caller's frame holds (and clears) neither operator.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double CrossEntropyFromLogits<TCapped>(ReadOnlySpan<TMemory> logits, ReadOnlySpan<int> labels, ReadOnlySpan<TMemory> targets,
        int classes, ReadOnlySpan<TMemory> classWeights, int ignoreIndex, double labelSmoothing, double gradientScale,
        ReadOnlySpan<TMemory> sampleWeights, double softCap, double zLoss, Span<TMemory> losses, Span<TMemory> gradient, Span<TMemory> logSumExp)
        where TCapped : struct, ISoftCap
    {
        var op = new CrossEntropyRow<TCapped>(labels, targets, classes, classWeights, ignoreIndex, labelSmoothing, gradientScale,
            sampleWeights, softCap, zLoss, losses, gradient, logSumExp);
        return Rows(ref op, logits, gradient, classes);
    }

    /// <summary>
    /// What soft capping does to the logits: nothing (<see cref="Uncapped"/>), or <c>cap tanh(x / cap)</c> (<see cref="Capped{TDeep}"/>).
    /// Static members of their own, so that the operator's members stay small enough for the JIT to inline them into the
    /// drivers' loops where there is no cap.
    /// </summary>
    private interface ISoftCap
    {
        static abstract bool IsSet { get; }

        /// <summary>Whether a capped x - max, at least -2 cap, may fall below <see cref="BlockMath{TBlock, T}.DeepLimit"/>.</summary>
        static abstract bool Deep { get; }

        /// <summary>The logits the loss computes on.</summary>
        static abstract TBlock Input(TBlock x, TBlock cap);
    }

    private readonly struct Uncapped : ISoftCap
    {
        public static bool IsSet => false;

        public static bool Deep => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TBlock Input(TBlock x, TBlock cap) => x;
    }

    private readonly struct Capped<TDeep> : ISoftCap
        where TDeep : struct, IOption
    {
        public static bool IsSet => true;

        public static bool Deep => TDeep.IsSet;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TBlock Input(TBlock x, TBlock cap) => cap * BlockMath<TBlock, T>.Tanh(x / cap);
    }

    /// <summary>
    /// One row's loss <c>-sum_c a[c] log_softmax(x)[c]</c> (plus <c>zLoss lse^2</c>), times its sample weight, and its gradient
    /// scaled by the gradient scale and the sample weight where there is a gradient. With a label,
    /// <c>a = (1 - s) w[label] one_hot + (s / C) w</c>; with targets, <c>a = w (t keep + perClass)</c>. The part over all classes,
    /// <c>factor * sum_c a[c] (-log_p[c])</c>, is summed in the sum pass where factor is not 0. Where <typeparamref name="TCapped"/>
    /// is set, x is <c>cap tanh(x / cap)</c> throughout (<see cref="Input"/>, monotone, so the maximum is the cap of the raw
    /// maximum), the sum pass keeps x - max, and each gradient entry carries the derivative <c>1 - tanh^2(x / cap)</c> of the
    /// raw logit, with <c>tanh(x / cap) = (x - max + max) / cap</c>. Rows with labels may run across lanes; the label's logit, its weight w[y],
    /// (1 - s) w[y] and the sample weight are then read per lane. Ignored rows run (rather than being skipped) where the rows'
    /// log-sum-exp is written, with a value of 0 and a gradient row of zeros.
    /// </summary>
    private ref struct CrossEntropyRow<TCapped> : IRowOperator
        where TCapped : struct, ISoftCap
    {
        private readonly ReadOnlySpan<int> _labels;
        private readonly ReadOnlySpan<TMemory> _targets;
        private readonly ReadOnlySpan<TMemory> _weights;
        private readonly ReadOnlySpan<TMemory> _sampleWeights;
        private readonly Span<TMemory> _losses;
        private readonly Span<TMemory> _logSumExp;
        private readonly int _classes;
        private readonly int _ignoreIndex;
        private readonly T _keep;
        private readonly T _perClass;
        private readonly T _scale;
        private readonly T _factor;
        private readonly T _zLoss;
        private readonly TBlock _cap;
        private readonly TBlock _weightsTail;

        // Per row (in every lane) or per lane: the label as a number (-1 where a row is skipped), its logit, w[y] and (1 - s) w[y],
        // the sample weight, and the derivative of the capped label logit; then the label's gradient entry and the factor of the
        // coefficients in the gradient. The first row, and whether rows run across lanes, for the log-sum-exp.
        private TBlock _label;
        private TBlock _labelLogit;
        private TBlock _labelClassWeight;
        private TBlock _labelWeight;
        private TBlock _sampleWeight;
        private TBlock _labelSlope;
        private TBlock _labelEntry;
        private TBlock _coefficientScale;
        private TBlock _max;
        private int _row;
        private bool _lanes;

        // What Finish needs of the rows whose values are deferred, one per lane, as Start read it.
        private Lanes<T> _deferredLabels;
        private Lanes<T> _deferredLogits;
        private Lanes<T> _deferredWeights;
        private Lanes<T> _deferredSampleWeights;
        private Lanes<T> _deferredClassWeights;
        private Lanes<T> _deferredSlopes;

        public CrossEntropyRow(ReadOnlySpan<int> labels, ReadOnlySpan<TMemory> targets, int classes,
            ReadOnlySpan<TMemory> classWeights, int ignoreIndex, double labelSmoothing, double gradientScale, ReadOnlySpan<TMemory> sampleWeights,
            double softCap, double zLoss, Span<TMemory> losses, Span<TMemory> gradient, Span<TMemory> logSumExp)
        {
            T smoothing = T.CreateTruncating(labelSmoothing);
            _labels = labels;
            _targets = targets;
            _weights = classWeights;
            _sampleWeights = sampleWeights;
            _losses = losses;
            _logSumExp = logSumExp;
            _classes = classes;
            _ignoreIndex = ignoreIndex;
            _keep = T.One - smoothing;
            _perClass = smoothing / T.CreateTruncating(classes);
            _scale = T.CreateTruncating(gradientScale);
            _factor = targets.IsEmpty ? _perClass : T.One;
            _zLoss = T.CreateTruncating(zLoss);
            _cap = TBlock.Create(T.CreateTruncating(softCap));
            _weightsTail = TailOrOnes(classWeights, classes);
            _coefficientScale = TBlock.Create(-(_factor * _scale));
            _sampleWeight = BlockMath<TBlock, T>.One;
            WritesRows = !gradient.IsEmpty;

            // exp(x - max), or x - max where capped, may go to the gradient between passes (which may be the logits' memory, but
            // not the targets', which the last pass reads again).
            KeepsInOutput = !gradient.Overlaps(targets);

            // The derivative of the cap is taken per class in the last pass, which runs row by row.
            AcrossLanes = targets.IsEmpty && !(TCapped.IsSet && WritesRows);

            // The z-loss's gradient needs the log-sum-exp, and so does its output, row by row.
            DefersValues = _zLoss == T.Zero && logSumExp.IsEmpty;
        }

        public static bool BesideMax => true;

        public static bool Differences => TCapped.IsSet;

        public static bool MonotoneInput => TCapped.IsSet;

        public static bool CallsFinal => TCapped.IsSet;

        public static bool Reduces => true;

        public bool WritesRows { get; }

        public bool KeepsInOutput { get; }

        public readonly bool WithCoefficients
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => _factor != T.Zero;
        }

        public bool AcrossLanes { get; }

        public bool DefersValues { get; }

        /// <summary>The capped logits <c>cap tanh(x / cap)</c> where <typeparamref name="TCapped"/> caps; x itself otherwise.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TBlock Input(TBlock x) => TCapped.Input(x, _cap);

        public readonly bool Skips(int row) => _targets.IsEmpty && _logSumExp.IsEmpty && _labels[row] == _ignoreIndex;

        /// <summary>NaN, and a NaN gradient row, except in an ignored row; the log-sum-exp as <see cref="LogSumExpRow"/> gives it.</summary>
        public readonly T NonFinite(int row, ReadOnlySpan<TMemory> x, T max, Span<TMemory> output)
        {
            if (!_logSumExp.IsEmpty)
            {
                _logSumExp[row] = ToMemory(HasNaN(x) ? T.NaN : max);
            }

            if (_targets.IsEmpty && _labels[row] == _ignoreIndex)
            {
                output.Clear();
                return T.Zero;
            }

            output.Fill(TMemory.NaN);
            return T.NaN;
        }

        private static bool HasNaN(ReadOnlySpan<TMemory> x)
        {
            foreach (TMemory value in x)
            {
                if (TMemory.IsNaN(value))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Reads what <see cref="StartRow"/> reads, where there is something to read.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Start(int row, ReadOnlySpan<TMemory> x)
        {
            _row = row;
            _lanes = false;
            if (_targets.IsEmpty || !_sampleWeights.IsEmpty)
            {
                StartRow(row, x);
            }
        }

        /// <summary>
        /// Reads the label's logit and weights and the row's sample weight, before the gradient may overwrite the logits. Once per
        /// row, and not inline, so that the drivers' loops keep the JIT's inlining budget.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void StartRow(int row, ReadOnlySpan<TMemory> x)
        {
            _sampleWeight = TBlock.Create(_sampleWeights.IsEmpty ? T.One : ToCompute(_sampleWeights[row]));
            if (_targets.IsEmpty)
            {
                int label = _labels[row];
                if (label == _ignoreIndex)
                {
                    _label = TBlock.Create(T.NegativeOne);
                    _labelLogit = BlockMath<TBlock, T>.Zero;
                    _labelClassWeight = BlockMath<TBlock, T>.Zero;
                    _labelWeight = BlockMath<TBlock, T>.Zero;
                    return;
                }

                TBlock logit = TBlock.Create(ToCompute(x[label]));
                _label = TBlock.Create(T.CreateTruncating(label));
                _labelLogit = Input(logit);
                _labelSlope = TCapped.IsSet ? BlockMath<TBlock, T>.TanhDerivative(logit / _cap) : default;
                _labelClassWeight = TBlock.Create(_weights.IsEmpty ? T.One : ToCompute(_weights[label]));
                _labelWeight = TBlock.Create(_keep) * _labelClassWeight;
            }
        }

        public void StartLanes(int row, ref LaneBlocks<TBlock> values, int classes)
        {
            _row = row;
            _lanes = true;
            _label = LaneLabels(_labels, row, _ignoreIndex, ref values, classes, _weights, out _labelLogit, out _labelClassWeight);
            _labelWeight = TBlock.Create(_keep) * _labelClassWeight;
            _sampleWeight = _sampleWeights.IsEmpty ? BlockMath<TBlock, T>.One : Load(_sampleWeights, row);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TBlock CoefficientsTail(int start) => _targets.IsEmpty ? _weightsTail : Tail(_targets.Slice(start, _classes), T.Zero);

        /// <summary>The class weights (1 where there are none), times the smoothed targets <c>t * keep + perClass</c> where there are targets.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TBlock Coefficients(int start, int index, TBlock tail)
        {
            bool whole = index <= _classes - Width;
            TBlock a = !whole ? _weightsTail : _weights.IsEmpty ? BlockMath<TBlock, T>.One : Load(_weights, index);
            if (!_targets.IsEmpty)
            {
                a *= TBlock.FusedMultiplyAdd(whole ? Load(_targets, start + index) : tail, TBlock.Create(_keep), TBlock.Create(_perClass));
            }

            return a;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TBlock LaneCoefficients(int c) => _weights.IsEmpty ? BlockMath<TBlock, T>.One : TBlock.Create(ToCompute(_weights[c]));

        /// <summary>
        /// The loss, with <c>-log_p[y] = logSum - (x[y] - max)</c> for the label's own part <c>(1 - s) w[y] (-log_p[y])</c>, and the
        /// label's gradient entry (<see cref="LabelEntry"/>). The z-loss adds <c>zLoss lse^2</c> to the loss and
        /// <c>2 zLoss lse softmax</c> to the gradient. Writes the log-sum-exp. Once per row (or group of rows), and not inline:
        /// inline, it would leave the JIT no room to inline the drivers' loops. Its options and the label's entry are calls of
        /// their own, so that it stays within the JIT's inlining budget on every width.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public TBlock Finish(in RowSums sums, out TBlock value)
        {
            TBlock zero = BlockMath<TBlock, T>.Zero;
            TBlock logSum = BlockMath<TBlock, T>.Log1P(sums.Sum);
            TBlock lse = sums.Max + logSum;
            TBlock loss = WithCoefficients ? TBlock.Create(_factor) * (logSum * sums.CoefficientSum - sums.ShiftedSum) : zero;
            loss = TBlock.Select(TBlock.Equals(_labelWeight, zero), loss, loss + _labelWeight * (logSum - (_labelLogit - sums.Max)));
            TBlock weight = _labelWeight + TBlock.Create(_factor) * sums.CoefficientSum;
            if (_zLoss != T.Zero)
            {
                AddZLoss(lse, ref loss, ref weight);
            }

            // The maximum keeps a NaN only where it comes last in its lane; the sum of exp(x - max) keeps every NaN.
            loss = TBlock.Select(TBlock.Equals(sums.Sum, sums.Sum), loss, TBlock.Create(T.NaN));
            value = TBlock.Select(Skipped(), zero, loss * _sampleWeight);
            if (!_logSumExp.IsEmpty)
            {
                WriteLogSumExp(lse);
            }

            TBlock factor = Gradient(sums, weight, out TBlock scale);
            if (WritesRows && _targets.IsEmpty)
            {
                _labelEntry = LabelEntry(sums, lse, scale);
            }

            return factor;
        }

        /// <summary>
        /// Keeps what the loss and the label's gradient entry need of the row beside its sums, and returns the gradient's factor:
        /// without the z-loss, the gradient needs no log, and only the label's entry an exponential and divisions of its own,
        /// which <see cref="Finish"/> takes across lanes. Once per row, and not inline, as Finish.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public TBlock Defer(in RowSums sums, int lane)
        {
            _deferredLabels[lane] = TBlock.First(_label);
            _deferredLogits[lane] = TBlock.First(_labelLogit);
            _deferredWeights[lane] = TBlock.First(_labelWeight);
            _deferredSampleWeights[lane] = TBlock.First(_sampleWeight);
            _deferredClassWeights[lane] = TBlock.First(_labelClassWeight);
            _deferredSlopes[lane] = TBlock.First(_labelSlope);
            return WritesRows ? Gradient(sums, _labelWeight + TBlock.Create(_factor) * sums.CoefficientSum, out _) : default;
        }

        /// <summary>
        /// Takes what <see cref="Defer"/> kept across lanes, where <see cref="Start"/> reads it per row: with targets and without
        /// sample weights, every row's is the same, and stays.
        /// </summary>
        public void StartDeferred()
        {
            if (_targets.IsEmpty)
            {
                _label = TBlock.Load(in _deferredLabels[0]);
                _labelLogit = TBlock.Load(in _deferredLogits[0]);
                _labelWeight = TBlock.Load(in _deferredWeights[0]);
                _labelClassWeight = TBlock.Load(in _deferredClassWeights[0]);
                _labelSlope = TBlock.Load(in _deferredSlopes[0]);
            }

            if (_targets.IsEmpty || !_sampleWeights.IsEmpty)
            {
                _sampleWeight = TBlock.Load(in _deferredSampleWeights[0]);
            }
        }

        /// <summary>The lanes whose rows are skipped: those of an ignored label.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly TBlock Skipped() => TBlock.Equals(_label, TBlock.Create(T.NegativeOne));

        /// <summary>
        /// The gradient's factor of the softmax, <paramref name="weight"/> / sum times <paramref name="scale"/>, the gradient scale
        /// times the sample weight (0 where a row is skipped), and what the last pass takes beside it: the factor of the coefficients.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private TBlock Gradient(in RowSums sums, TBlock weight, out TBlock scale)
        {
            scale = TBlock.Select(Skipped(), BlockMath<TBlock, T>.Zero, TBlock.Create(_scale) * _sampleWeight);
            _coefficientScale = TBlock.Create(-_factor) * scale;
            _max = sums.Max;
            return weight / (BlockMath<TBlock, T>.One + sums.Sum) * scale;
        }

        /// <summary>Adds the z-loss <c>zLoss lse^2</c> to the loss, and its part <c>2 zLoss lse</c> to the gradient's weight of the softmax.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private readonly void AddZLoss(TBlock lse, ref TBlock loss, ref TBlock weight)
        {
            TBlock zLoss = TBlock.Create(_zLoss);
            loss = TBlock.FusedMultiplyAdd(zLoss * lse, lse, loss);
            weight = TBlock.FusedMultiplyAdd(zLoss + zLoss, lse, weight);
        }

        /// <summary>
        /// The label's gradient entry, times <paramref name="scale"/>: <c>softmax[y] - 1 = (e[y] - 1 - rest) / sum</c>, exact where
        /// e[y] = 1, unlike softmax[y] - 1, plus the smoothing's and the z-loss's parts, through the cap's derivative.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private readonly TBlock LabelEntry(in RowSums sums, TBlock lse, TBlock scale)
        {
            TBlock one = BlockMath<TBlock, T>.One;
            TBlock sum = one + sums.Sum;
            TBlock e = ExpDifference(_labelLogit, sums.Max);
            TBlock entry = _labelWeight * (((e - one) - sums.Sum) / sum)
                + TBlock.Create(_perClass) * ((e * sums.CoefficientSum) / sum - _labelClassWeight);
            if (_zLoss != T.Zero)
            {
                TBlock zLoss = TBlock.Create(_zLoss);
                entry = TBlock.FusedMultiplyAdd((zLoss + zLoss) * lse, e / sum, entry);
            }

            entry = scale * entry;
            return TCapped.IsSet ? entry * _labelSlope : entry;
        }

        /// <summary>Writes the log-sum-exp of the row, or of the Width rows across lanes.</summary>
        private readonly void WriteLogSumExp(TBlock lse)
        {
            if (!_lanes)
            {
                _logSumExp[_row] = ToMemory(TBlock.First(lse));
                return;
            }

            Lanes<T> lanes = default;
            TBlock.Store(lse, ref lanes[0]);
            for (int r = 0; r < Width; r++)
            {
                _logSumExp[_row + r] = ToMemory(lanes[r]);
            }
        }

        /// <summary>A block of the gradient from exp(x - max), or, where capped, from x - max (<see cref="CappedFinal"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TBlock Final(TBlock value, TBlock factor, int start, int index, TBlock coefficientsTail, bool withCoefficients)
        {
            if (TCapped.IsSet)
            {
                return CappedFinal(value, factor, start, index, coefficientsTail, withCoefficients);
            }

            TBlock g = value * factor;
            if (withCoefficients)
            {
                g = TBlock.FusedMultiplyAdd(Coefficients(start, index, coefficientsTail), _coefficientScale, g);
            }

            return g;
        }

        /// <summary>
        /// A block of the gradient from the capped logits' x - max, through the cap's derivative <c>1 - tanh^2(x / cap)</c>. Its
        /// exponential holds no call where the cap cannot take x - max below the normal range, nor does the cap's tanh: a call in
        /// the loop would keep the loop's blocks in memory.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly TBlock CappedFinal(TBlock value, TBlock factor, int start, int index, TBlock coefficientsTail, bool withCoefficients)
        {
            TBlock g = BlockMath<TBlock, T>.ExpNonPositive(value, belowNormal: TCapped.Deep) * factor;
            if (withCoefficients)
            {
                g = TBlock.FusedMultiplyAdd(Coefficients(start, index, coefficientsTail), _coefficientScale, g);
            }

            TBlock t = (value + _max) / _cap;
            return g * (BlockMath<TBlock, T>.One - t * t);
        }

        /// <summary>The gradient of class <paramref name="c"/> across lanes: the label's entry where c is the label, 0 in rows skipped.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TBlock LaneFinal(TBlock value, TBlock factor, int c)
        {
            TBlock g = value * factor;
            if (WithCoefficients)
            {
                g = TBlock.FusedMultiplyAdd(LaneCoefficients(c), _coefficientScale, g);
            }

            g = TBlock.Select(TBlock.Equals(_label, TBlock.Create(T.CreateTruncating(c))), _labelEntry, g);
            return TBlock.Select(TBlock.Equals(_label, TBlock.Create(T.NegativeOne)), BlockMath<TBlock, T>.Zero, g);
        }

        /// <summary>
        /// Writes the label's entry, from lane <paramref name="row"/> % Width (where the rows are one per lane; every lane holds
        /// it where there is one row), or zeros over the row of an ignored label.
        /// </summary>
        public readonly void AfterRow(int row, Span<TMemory> output)
        {
            if (_targets.IsEmpty)
            {
                int label = _labels[row];
                if (label == _ignoreIndex)
                {
                    output.Clear();
                }
                else
                {
                    Unsafe.SkipInit(out Lanes<T> entries);
                    TBlock.Store(_labelEntry, ref entries[0]);
                    output[label] = ToMemory(entries[row % Width]);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Value(int row, T value)
        {
            if (!_losses.IsEmpty)
            {
                _losses[row] = ToMemory(value);
            }
        }
    }
}
