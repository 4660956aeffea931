using System;
using System.Numerics;

namespace CrossEntropy;

public static partial class CategoricalCrossEntropy
{
    /// <summary>Computes the cross-entropy (negative log-likelihood) of rows of log-probabilities against integer labels, reduced to one value.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logProbabilities">The log-probabilities, <c>rows * classes</c> values, such as <see cref="Activations.LogSoftmax{T}(ReadOnlySpan{T}, Span{T}, int)"/> writes (taken as they are: neither checked nor renormalised).</param>
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
    /// <para>Effectively computes, for each row with smoothed target t' (one-hot of the label, or the soft targets) and class
    /// weights w, <c>loss = -sum_c w[c] t'[c] x[c]</c>, as PyTorch's <c>torch.nn.functional.nll_loss(x, labels, weight,
    /// ignore_index=ignoreIndex)</c> with <c>cross_entropy</c>'s label smoothing (and <c>-sum t' x</c> for soft targets). No clamp
    /// and no check of the values: NaN propagates, target mass on -infinity gives +infinity, and a class with
    /// <c>w[c] t'[c] = 0</c> contributes 0 even where x[c] is -infinity.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logProbabilities"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside <c>[0, classes)</c> and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is neither empty nor of one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    public static T FromLogProbabilities<T>(ReadOnlySpan<T> logProbabilities, ReadOnlySpan<int> labels, int classes, Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> classWeights = default, int ignoreIndex = -100, double labelSmoothing = 0,
        ReadOnlySpan<T> sampleWeights = default, double normalizer = 0)
        where T : IFloatingPointIeee754<T> =>
        Reduced(Input.LogProbabilities, logProbabilities, labels, default, false, classes, reduction, classWeights, ignoreIndex, labelSmoothing,
            new Options<T>(sampleWeights, normalizer));

    /// <summary>Computes the cross-entropy (negative log-likelihood) of rows of log-probabilities against soft targets (a distribution per row), reduced to one value.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logProbabilities">The log-probabilities, <c>rows * classes</c> values, such as <see cref="Activations.LogSoftmax{T}(ReadOnlySpan{T}, Span{T}, int)"/> writes (taken as they are: neither checked nor renormalised).</param>
    /// <param name="targets">The target probabilities, the same shape as <paramref name="logProbabilities"/>.</param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="reduction">Mean divides the summed row losses by the number of rows; Sum adds them.</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: each target t becomes <c>(1 - s) t + s / classes</c>.</param>
    /// <param name="sampleWeights">Empty, or one weight per row (any value, negative included), multiplying that row's loss; not part of the Mean denominator.</param>
    /// <param name="normalizer">0, or a positive denominator that replaces the reduction's: the reduced loss is then the sum of the row losses / normalizer (0 where every row is ignored).</param>
    /// <returns>The reduced loss. Mean of an empty batch is NaN; Sum is 0.</returns>
    /// <remarks>
    /// <para>Effectively computes, for each row with smoothed target t' (one-hot of the label, or the soft targets) and class
    /// weights w, <c>loss = -sum_c w[c] t'[c] x[c]</c>, as PyTorch's <c>torch.nn.functional.nll_loss(x, labels, weight,
    /// ignore_index=ignoreIndex)</c> with <c>cross_entropy</c>'s label smoothing (and <c>-sum t' x</c> for soft targets). No clamp
    /// and no check of the values: NaN propagates, target mass on -infinity gives +infinity, and a class with
    /// <c>w[c] t'[c] = 0</c> contributes 0 even where x[c] is -infinity.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logProbabilities"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logProbabilities"/> differ in length.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is neither empty nor of one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    public static T FromLogProbabilities<T>(ReadOnlySpan<T> logProbabilities, ReadOnlySpan<T> targets, int classes, Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> classWeights = default, double labelSmoothing = 0,
        ReadOnlySpan<T> sampleWeights = default, double normalizer = 0)
        where T : IFloatingPointIeee754<T> =>
        Reduced(Input.LogProbabilities, logProbabilities, targets, default, false, classes, reduction, classWeights, labelSmoothing,
            new Options<T>(sampleWeights, normalizer));

    /// <summary>Computes the cross-entropy (negative log-likelihood) of each row of log-probabilities against its integer label (PyTorch's <c>reduction='none'</c>).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logProbabilities">The log-probabilities, <c>rows * classes</c> values, such as <see cref="Activations.LogSoftmax{T}(ReadOnlySpan{T}, Span{T}, int)"/> writes (taken as they are: neither checked nor renormalised).</param>
    /// <param name="labels">One class index per row, in <c>[0, classes)</c>, or <paramref name="ignoreIndex"/> to skip the row.</param>
    /// <param name="losses">
    /// Receives one loss per row; ignored rows get 0. May start at <paramref name="logProbabilities"/>'s first element: the rows are then
    /// computed in order on the calling thread, and the losses overwrite the start of <paramref name="logProbabilities"/>.
    /// </param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="ignoreIndex">A label value whose rows contribute nothing (PyTorch's <c>ignore_index</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: the target becomes <c>(1 - s) one_hot(label) + s / classes</c>.</param>
    /// <param name="sampleWeights">Empty, or one weight per row (any value, negative included), multiplying that row's loss; not part of the Mean denominator.</param>
    /// <remarks>
    /// <para>Effectively computes, for each row with smoothed target t' (one-hot of the label, or the soft targets) and class
    /// weights w, <c>loss = -sum_c w[c] t'[c] x[c]</c>, as PyTorch's <c>torch.nn.functional.nll_loss(x, labels, weight,
    /// ignore_index=ignoreIndex)</c> with <c>cross_entropy</c>'s label smoothing (and <c>-sum t' x</c> for soft targets). No clamp
    /// and no check of the values: NaN propagates, target mass on -infinity gives +infinity, and a class with
    /// <c>w[c] t'[c] = 0</c> contributes 0 even where x[c] is -infinity.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logProbabilities"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside <c>[0, classes)</c> and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="losses"/> is shorter than the number of rows, or overlaps an input other than by starting at the first element of <paramref name="logProbabilities"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is neither empty nor of one entry per row, or overlaps <paramref name="losses"/>.</exception>
    public static void FromLogProbabilities<T>(ReadOnlySpan<T> logProbabilities, ReadOnlySpan<int> labels, Span<T> losses, int classes,
        ReadOnlySpan<T> classWeights = default, int ignoreIndex = -100, double labelSmoothing = 0,
        ReadOnlySpan<T> sampleWeights = default)
        where T : IFloatingPointIeee754<T> =>
        PerRow(Input.LogProbabilities, logProbabilities, labels, losses, classes, classWeights, ignoreIndex, labelSmoothing, new Options<T>(sampleWeights));

    /// <summary>Computes the cross-entropy (negative log-likelihood) of each row of log-probabilities against its soft targets (PyTorch's <c>reduction='none'</c>).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logProbabilities">The log-probabilities, <c>rows * classes</c> values, such as <see cref="Activations.LogSoftmax{T}(ReadOnlySpan{T}, Span{T}, int)"/> writes (taken as they are: neither checked nor renormalised).</param>
    /// <param name="targets">The target probabilities, the same shape as <paramref name="logProbabilities"/>.</param>
    /// <param name="losses">
    /// Receives one loss per row. May start at the first element of <paramref name="logProbabilities"/> or of <paramref name="targets"/>: the
    /// rows are then computed in order on the calling thread, and the losses overwrite the start of that input.
    /// </param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: each target t becomes <c>(1 - s) t + s / classes</c>.</param>
    /// <param name="sampleWeights">Empty, or one weight per row (any value, negative included), multiplying that row's loss; not part of the Mean denominator.</param>
    /// <remarks>
    /// <para>Effectively computes, for each row with smoothed target t' (one-hot of the label, or the soft targets) and class
    /// weights w, <c>loss = -sum_c w[c] t'[c] x[c]</c>, as PyTorch's <c>torch.nn.functional.nll_loss(x, labels, weight,
    /// ignore_index=ignoreIndex)</c> with <c>cross_entropy</c>'s label smoothing (and <c>-sum t' x</c> for soft targets). No clamp
    /// and no check of the values: NaN propagates, target mass on -infinity gives +infinity, and a class with
    /// <c>w[c] t'[c] = 0</c> contributes 0 even where x[c] is -infinity.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logProbabilities"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logProbabilities"/> differ in length.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="losses"/> is shorter than the number of rows, or overlaps an input other than by starting at the first element of <paramref name="logProbabilities"/> or <paramref name="targets"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is neither empty nor of one entry per row, or overlaps <paramref name="losses"/>.</exception>
    public static void FromLogProbabilities<T>(ReadOnlySpan<T> logProbabilities, ReadOnlySpan<T> targets, Span<T> losses, int classes,
        ReadOnlySpan<T> classWeights = default, double labelSmoothing = 0,
        ReadOnlySpan<T> sampleWeights = default)
        where T : IFloatingPointIeee754<T> =>
        PerRow(Input.LogProbabilities, logProbabilities, targets, losses, classes, classWeights, labelSmoothing, new Options<T>(sampleWeights));

    /// <summary>Computes the reduced cross-entropy (negative log-likelihood) of rows of log-probabilities against integer labels, and its gradient with respect to the log-probabilities.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logProbabilities">The log-probabilities, <c>rows * classes</c> values, such as <see cref="Activations.LogSoftmax{T}(ReadOnlySpan{T}, Span{T}, int)"/> writes (taken as they are: neither checked nor renormalised).</param>
    /// <param name="labels">One class index per row, in <c>[0, classes)</c>, or <paramref name="ignoreIndex"/> to skip the row.</param>
    /// <param name="gradient">Receives d(loss)/d(logProbabilities), the same shape as <paramref name="logProbabilities"/>; may be <paramref name="logProbabilities"/> itself.</param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="reduction">Mean divides the summed row losses by the summed class weights of the non-ignored labels; Sum adds them.</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="ignoreIndex">A label value whose rows contribute nothing (PyTorch's <c>ignore_index</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: the target becomes <c>(1 - s) one_hot(label) + s / classes</c>.</param>
    /// <param name="sampleWeights">Empty, or one weight per row (any value, negative included), multiplying that row's loss and gradient row; not part of the Mean denominator.</param>
    /// <param name="normalizer">0, or a positive denominator that replaces the reduction's: the reduced loss is then the sum of the row losses / normalizer (0 where every row is ignored).</param>
    /// <returns>The reduced loss, as <see cref="FromLogProbabilities{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, double, ReadOnlySpan{T}, double)"/>.</returns>
    /// <remarks>
    /// <para>With <c>t'</c> the smoothed target and <c>D</c> the reduction's denominator (1 for Sum), effectively computes
    /// <c>gradient[c] = -w[c] t'[c] / D</c> (times the row's sample weight), what PyTorch's autograd gives for <c>nll_loss</c>:
    /// a constant that does not depend on the log-probabilities. Ignored rows get a zero gradient; where D is 0 (class weights
    /// that sum to 0), the entries with a nonzero part are divided by 0.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logProbabilities"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside <c>[0, classes)</c> and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradient"/> is shorter than <paramref name="logProbabilities"/>, or overlaps an input other than as the same memory as <paramref name="logProbabilities"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is neither empty nor of one entry per row, or overlaps <paramref name="gradient"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    public static T FromLogProbabilitiesWithGradient<T>(ReadOnlySpan<T> logProbabilities, ReadOnlySpan<int> labels, Span<T> gradient, int classes,
        Reduction reduction = Reduction.Mean, ReadOnlySpan<T> classWeights = default, int ignoreIndex = -100, double labelSmoothing = 0,
        ReadOnlySpan<T> sampleWeights = default, double normalizer = 0)
        where T : IFloatingPointIeee754<T> =>
        Reduced(Input.LogProbabilities, logProbabilities, labels, gradient, true, classes, reduction, classWeights, ignoreIndex, labelSmoothing,
            new Options<T>(sampleWeights, normalizer));

    /// <summary>Computes the reduced cross-entropy (negative log-likelihood) of rows of log-probabilities against soft targets, and its gradient with respect to the log-probabilities.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logProbabilities">The log-probabilities, <c>rows * classes</c> values, such as <see cref="Activations.LogSoftmax{T}(ReadOnlySpan{T}, Span{T}, int)"/> writes (taken as they are: neither checked nor renormalised).</param>
    /// <param name="targets">The target probabilities, the same shape as <paramref name="logProbabilities"/>.</param>
    /// <param name="gradient">Receives d(loss)/d(logProbabilities), the same shape as <paramref name="logProbabilities"/>; may be <paramref name="logProbabilities"/> itself.</param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="reduction">Mean divides the summed row losses by the number of rows; Sum adds them.</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: each target t becomes <c>(1 - s) t + s / classes</c>.</param>
    /// <param name="sampleWeights">Empty, or one weight per row (any value, negative included), multiplying that row's loss and gradient row; not part of the Mean denominator.</param>
    /// <param name="normalizer">0, or a positive denominator that replaces the reduction's: the reduced loss is then the sum of the row losses / normalizer (0 where every row is ignored).</param>
    /// <returns>The reduced loss, as <see cref="FromLogProbabilities{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Reduction, ReadOnlySpan{T}, double, ReadOnlySpan{T}, double)"/>.</returns>
    /// <remarks>
    /// <para>With <c>t'</c> the smoothed target and <c>D</c> the reduction's denominator (1 for Sum), effectively computes
    /// <c>gradient[c] = -w[c] t'[c] / D</c> (times the row's sample weight), what PyTorch's autograd gives for <c>nll_loss</c>:
    /// a constant that does not depend on the log-probabilities. Ignored rows get a zero gradient; where D is 0 (class weights
    /// that sum to 0), the entries with a nonzero part are divided by 0.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logProbabilities"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logProbabilities"/> differ in length.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradient"/> is shorter than <paramref name="logProbabilities"/>, or overlaps an input other than as the same memory as <paramref name="logProbabilities"/> or <paramref name="targets"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is neither empty nor of one entry per row, or overlaps <paramref name="gradient"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    public static T FromLogProbabilitiesWithGradient<T>(ReadOnlySpan<T> logProbabilities, ReadOnlySpan<T> targets, Span<T> gradient, int classes,
        Reduction reduction = Reduction.Mean, ReadOnlySpan<T> classWeights = default, double labelSmoothing = 0,
        ReadOnlySpan<T> sampleWeights = default, double normalizer = 0)
        where T : IFloatingPointIeee754<T> =>
        Reduced(Input.LogProbabilities, logProbabilities, targets, gradient, true, classes, reduction, classWeights, labelSmoothing,
            new Options<T>(sampleWeights, normalizer));

}
