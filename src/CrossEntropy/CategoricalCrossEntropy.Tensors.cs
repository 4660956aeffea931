using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace CrossEntropy;

public static partial class CategoricalCrossEntropy
{
    /// <summary>Computes the cross-entropy of <c>[N, C, d1..dk]</c> logits against <c>[N, d1..dk]</c> integer labels, reduced to one value.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits, of rank 2 or more, the classes along dimension 1; may be a strided view.</param>
    /// <param name="labels">One class index per position, in <c>[0, C)</c>, or <paramref name="ignoreIndex"/> to skip it: the lengths of <paramref name="logits"/> without dimension 1.</param>
    /// <param name="reduction">Mean divides the summed losses by the summed class weights of the non-ignored labels; Sum adds them.</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="ignoreIndex">A label value whose positions contribute nothing (PyTorch's <c>ignore_index</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: the target becomes <c>(1 - s) one_hot(label) + s / C</c>.</param>
    /// <returns>The reduced loss. Mean with no position, or every position ignored, is NaN; Sum is 0.</returns>
    /// <remarks>
    /// <para>Effectively computes, for each non-ignored position with label y, with <c>log_p = log_softmax</c> over the classes
    /// and class weights w, <c>loss = (1 - s) w[y] (-log_p[y]) + (s / C) sum_c w[c] (-log_p[c])</c>, as PyTorch's
    /// <c>torch.nn.functional.cross_entropy(logits, labels, weight, ignore_index=ignoreIndex, label_smoothing=s)</c> on a
    /// K-dimensional input (an image model's <c>[N, C, H, W]</c> output against <c>[N, H, W]</c> labels).</para>
    /// <para>A position whose logits hold a NaN or +infinity has a NaN loss; -infinity logits are fine on classes whose target is 0.</para>
    /// <para>Logits of rank 2 in row-major order give the bits of
    /// <see cref="FromLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, double, ReadOnlySpan{T}, double, double, double, Span{T})"/>; other layouts
    /// have the same bits on every SIMD width and thread count.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="logits"/> has rank below 2, no classes, or more than <see cref="int.MaxValue"/> elements.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have the lengths of <paramref name="logits"/> without dimension 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside <c>[0, C)</c> and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length C.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    public static T FromLogits<T>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<int> labels, Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> classWeights = default, int ignoreIndex = -100, double labelSmoothing = 0)
        where T : IFloatingPointIeee754<T> =>
        TensorLoss(logits, labels, default, default, TensorOutput.None, reduction, classWeights, ignoreIndex, labelSmoothing);

    /// <summary>Computes the cross-entropy of each position of <c>[N, C, d1..dk]</c> logits against <c>[N, d1..dk]</c> integer labels.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits, of rank 2 or more, the classes along dimension 1; may be a strided view.</param>
    /// <param name="labels">One class index per position, in <c>[0, C)</c>, or <paramref name="ignoreIndex"/> to skip it: the lengths of <paramref name="logits"/> without dimension 1.</param>
    /// <param name="losses">Receives each position's loss (0 where ignored), written through its own strides: the lengths of <paramref name="labels"/>. Shares no memory with <paramref name="logits"/>.</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="ignoreIndex">A label value whose positions contribute nothing (PyTorch's <c>ignore_index</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: the target becomes <c>(1 - s) one_hot(label) + s / C</c>.</param>
    /// <remarks>
    /// <para>Effectively computes the loss of <see cref="FromLogits{T}(in ReadOnlyTensorSpan{T}, in ReadOnlyTensorSpan{int}, Reduction, ReadOnlySpan{T}, int, double)"/>
    /// for each position, as PyTorch's <c>cross_entropy</c> with <c>reduction='none'</c>.</para>
    /// <para>A position whose logits hold a NaN or +infinity has a NaN loss; -infinity logits are fine on classes whose target is 0.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="logits"/> has rank below 2, no classes, or more than <see cref="int.MaxValue"/> elements.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have the lengths of <paramref name="logits"/> without dimension 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside <c>[0, C)</c> and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length C.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="losses"/> does not have the lengths of <paramref name="labels"/>, or repeats elements (a zero stride).</exception>
    /// <exception cref="ArgumentException"><paramref name="losses"/> shares memory with <paramref name="logits"/> or <paramref name="classWeights"/>.</exception>
    public static void FromLogits<T>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<int> labels, in TensorSpan<T> losses,
        ReadOnlySpan<T> classWeights = default, int ignoreIndex = -100, double labelSmoothing = 0)
        where T : IFloatingPointIeee754<T> =>
        TensorLoss(logits, labels, losses, default, TensorOutput.Losses, Reduction.Sum, classWeights, ignoreIndex, labelSmoothing);

    /// <summary>Computes the reduced cross-entropy of <c>[N, C, d1..dk]</c> logits against <c>[N, d1..dk]</c> labels and its gradient with respect to the logits.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits, of rank 2 or more, the classes along dimension 1; may be a strided view.</param>
    /// <param name="labels">One class index per position, in <c>[0, C)</c>, or <paramref name="ignoreIndex"/> to skip it: the lengths of <paramref name="logits"/> without dimension 1.</param>
    /// <param name="gradient">Receives d(loss)/d(logits), written through its own strides: the lengths of <paramref name="logits"/>. May be <paramref name="logits"/> itself.</param>
    /// <param name="reduction">Mean divides the summed losses by the summed class weights of the non-ignored labels; Sum adds them.</param>
    /// <param name="classWeights">Empty, or one weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="ignoreIndex">A label value whose positions contribute nothing (PyTorch's <c>ignore_index</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: the target becomes <c>(1 - s) one_hot(label) + s / C</c>.</param>
    /// <returns>The reduced loss, as <see cref="FromLogits{T}(in ReadOnlyTensorSpan{T}, in ReadOnlyTensorSpan{int}, Reduction, ReadOnlySpan{T}, int, double)"/> returns it.</returns>
    /// <remarks>
    /// <para>Effectively computes, for each position with smoothed one-hot target <c>t'</c>,
    /// <c>gradient[c] = (softmax[c] * sum_j w[j] t'[j] - w[c] t'[c]) / denominator</c> over the classes, what PyTorch's autograd
    /// gives for <c>cross_entropy</c>; ignored positions get 0. The denominator is that of the reduction (1 for Sum).</para>
    /// <para>A position whose logits hold a NaN or +infinity has a NaN loss and gradient.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="logits"/> has rank below 2, no classes, or more than <see cref="int.MaxValue"/> elements.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have the lengths of <paramref name="logits"/> without dimension 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside <c>[0, C)</c> and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length C.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradient"/> does not have the lengths of <paramref name="logits"/>, or repeats elements (a zero stride).</exception>
    /// <exception cref="ArgumentException"><paramref name="gradient"/> overlaps <paramref name="logits"/> without being the same elements, or shares memory with <paramref name="classWeights"/>.</exception>
    public static T FromLogitsWithGradient<T>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<int> labels, in TensorSpan<T> gradient,
        Reduction reduction = Reduction.Mean, ReadOnlySpan<T> classWeights = default, int ignoreIndex = -100, double labelSmoothing = 0)
        where T : IFloatingPointIeee754<T> =>
        TensorLoss(logits, labels, default, gradient, TensorOutput.Gradient, reduction, classWeights, ignoreIndex, labelSmoothing);

    /// <summary>What a tensor overload writes besides the reduced loss.</summary>
    private enum TensorOutput
    {
        None,
        Losses,
        Gradient,
    }

    /// <summary>
    /// The tensor overloads: every check, then the span overloads on row-major logits of rank 2 (the classes last), the kernel of
    /// the inner layout otherwise.
    /// </summary>
    private static T TensorLoss<T>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<int> labels, in TensorSpan<T> losses, in TensorSpan<T> gradient,
        TensorOutput output, Reduction reduction, ReadOnlySpan<T> classWeights, int ignoreIndex, double labelSmoothing)
        where T : IFloatingPointIeee754<T>
    {
        if (logits.Rank < 2)
        {
            throw new ArgumentException($"logits has rank {logits.Rank}; it needs [N, C, d1..dk], rank 2 or more, with the classes along dimension 1.", nameof(logits));
        }

        ClassLayout layout = TensorLayout.Layout(logits.Lengths, 1, nameof(logits));
        if (layout.Classes == 0)
        {
            throw new ArgumentException("logits has no classes (dimension 1 has length 0).", nameof(logits));
        }

        TensorLayout.CheckReducedLengths(logits.Lengths, 1, labels.Lengths, nameof(labels), nameof(logits));
        if (!classWeights.IsEmpty && classWeights.Length != layout.Classes)
        {
            throw new ArgumentException($"classWeights has {classWeights.Length} entries; it must be empty or have one per class ({layout.Classes}).", nameof(classWeights));
        }

        ThrowHelper.CheckLabelSmoothing(labelSmoothing);
        ThrowHelper.CheckReduction(reduction);
        if (output == TensorOutput.Losses)
        {
            TensorLayout.CheckReducedLengths(logits.Lengths, 1, losses.Lengths, nameof(losses), nameof(logits));
            TensorLayout.CheckOutput(logits, losses, nameof(losses), mayBeInput: false);
            TensorLayout.CheckSeparate(classWeights, losses, nameof(losses));
        }
        else if (output == TensorOutput.Gradient)
        {
            TensorLayout.CheckLengths(logits.Lengths, gradient.Lengths, nameof(gradient), nameof(logits));
            TensorLayout.CheckOutput(logits, gradient, nameof(gradient), mayBeInput: true);
            TensorLayout.CheckSeparate(classWeights, gradient, nameof(gradient));
        }

        int[]? rentedLabels = null;
        T[]? rentedLogits = null;
        T[]? rentedOutput = null;
        try
        {
            ReadOnlySpan<int> labelValues = layout.Positions == 0 ? default : TensorLayout.RowMajor(labels, ref rentedLabels);
            double divisor = Reductions.Divisor(reduction, LabelDenominator(labelValues, layout.Classes, classWeights, ignoreIndex));
            if (layout.Positions == 0)
            {
                return Reductions.Reduce<T>(0, divisor);
            }

            ReadOnlySpan<T> values = TensorLayout.RowMajor(logits, ref rentedLogits);
            Span<T> written = output switch
            {
                TensorOutput.Losses => TensorLayout.RowMajor(losses, ref rentedOutput),
                TensorOutput.Gradient => TensorLayout.RowMajor(gradient, ref rentedOutput),
                _ => default,
            };

            T result = layout.Inner == 1
                ? RowLoss(values, labelValues, written, output, layout.Classes, reduction, classWeights, ignoreIndex, labelSmoothing)
                : InnerLoss(values, labelValues, written, output, layout, classWeights, ignoreIndex, labelSmoothing, divisor);
            if (output == TensorOutput.Losses)
            {
                TensorLayout.CopyOut(written, rentedOutput, losses);
            }
            else if (output == TensorOutput.Gradient)
            {
                TensorLayout.CopyOut(written, rentedOutput, gradient);
            }

            return result;
        }
        finally
        {
            TensorLayout.Return(rentedLabels);
            TensorLayout.Return(rentedLogits);
            TensorLayout.Return(rentedOutput);
        }
    }

    /// <summary>Rows of classes: the span overloads, for their bits.</summary>
    private static T RowLoss<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, Span<T> written, TensorOutput output, int classes,
        Reduction reduction, ReadOnlySpan<T> classWeights, int ignoreIndex, double labelSmoothing)
        where T : IFloatingPointIeee754<T>
    {
        switch (output)
        {
            case TensorOutput.Losses:
                FromLogits(logits, labels, written, classes, classWeights, ignoreIndex, labelSmoothing);
                return T.Zero;
            case TensorOutput.Gradient:
                return FromLogitsWithGradient(logits, labels, written, classes, reduction, classWeights, ignoreIndex, labelSmoothing);
            default:
                return FromLogits(logits, labels, classes, reduction, classWeights, ignoreIndex, labelSmoothing);
        }
    }

    /// <summary>The inner layout: one kernel, then the division of the gradient by a Mean's zero denominator, as the rows have it.</summary>
    private static T InnerLoss<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, Span<T> written, TensorOutput output, ClassLayout layout,
        ReadOnlySpan<T> classWeights, int ignoreIndex, double labelSmoothing, double divisor)
        where T : IFloatingPointIeee754<T>
    {
        bool overZero = divisor == 0;
        var kernel = new InnerCrossEntropyKernel<T>
        {
            Logits = logits,
            Labels = labels,
            Layout = layout,
            ClassWeights = classWeights,
            IgnoreIndex = ignoreIndex,
            LabelSmoothing = labelSmoothing,
            GradientScale = overZero ? 1 : 1 / divisor,
            Losses = output == TensorOutput.Losses ? written : default,
            Gradient = output == TensorOutput.Gradient ? written : default,
        };
        double total = Simd.Run<InnerCrossEntropyKernel<T>, T>(ref kernel, layout.Items, layout.ItemLength);
        if (overZero && output == TensorOutput.Gradient)
        {
            // Class weights that sum to 0 make the Mean sum / 0, and its gradient the Sum's gradient / 0 entry by entry.
            DivideByZero(Input.Logits, written, labels, layout.Classes, layout.Inner, ignoreIndex);
        }

        return Reductions.Reduce<T>(total, divisor);
    }

    private ref struct InnerCrossEntropyKernel<T> : IKernel
        where T : IFloatingPointIeee754<T>
    {
        public ReadOnlySpan<T> Logits;
        public ReadOnlySpan<int> Labels;
        public ClassLayout Layout;
        public ReadOnlySpan<T> ClassWeights;
        public int IgnoreIndex;
        public double LabelSmoothing;
        public double GradientScale;
        public Span<T> Losses;
        public Span<T> Gradient;

        public readonly double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute> =>
            Kernel<TBlock, TCompute, T>.InnerCrossEntropy(Logits, Labels, Layout, ClassWeights, IgnoreIndex, LabelSmoothing, GradientScale,
                Losses, Gradient, start, end);
    }
}
