using System;
using System.Numerics;

namespace CrossEntropy;

/// <summary>Cross-entropy over rows of classes, from logits or from probabilities, with integer labels or soft targets.</summary>
/// <remarks>
/// <para>Batches are row-major: <c>rows * classes</c> values, one row per sample. Semantics follow PyTorch's
/// <c>torch.nn.functional.cross_entropy</c>: class weights, <c>ignore_index</c>, <c>label_smoothing</c> and the Mean reduction,
/// which divides by the summed weights of the non-ignored labels (by the number of rows for soft targets).</para>
/// <para>One deliberate difference: a class whose smoothed, weighted target is 0 contributes nothing, even where its
/// log-probability is -infinity (0 log 0 = 0), so classes can be masked with -infinity logits. PyTorch gives NaN there.</para>
/// <para>Every argument is checked before anything is written; nothing allocates on one thread (a batch spread over threads
/// allocates about 1.7 KB for the thread pool); results are bit-for-bit the same on every SIMD width and thread count; a NaN
/// result stays NaN, its sign and payload unspecified.</para>
/// <para>Batches large enough to spread over threads use at most as many as the AppContext setting
/// <c>CrossEntropy.MaxDegreeOfParallelism</c> allows (every core where it is unset); where it holds anything but a positive
/// integer, such a call throws <see cref="InvalidOperationException"/>.</para>
/// </remarks>
public static partial class CategoricalCrossEntropy
{
    /// <summary>What a batch holds: logits, probabilities a softmax layer produced, or log-probabilities.</summary>
    private enum Input
    {
        Logits,
        Probabilities,
        LogProbabilities,
    }

    /// <summary>
    /// The training-loop options of a call: sample weights (empty: none), the normalizer (0: none), the soft cap (0: none),
    /// the z-loss weight, and the output of the rows' log-sum-exp (empty: none). The last three are only for logits.
    /// </summary>
    private readonly ref struct Options<T>(ReadOnlySpan<T> sampleWeights, double normalizer = 0, double softCap = 0, double zLoss = 0,
        Span<T> logSumExp = default)
    {
        public readonly ReadOnlySpan<T> SampleWeights = sampleWeights;
        public readonly double Normalizer = normalizer;
        public readonly double SoftCap = softCap;
        public readonly double ZLoss = zLoss;
        public readonly Span<T> LogSumExp = logSumExp;

        /// <summary>
        /// Checks the options against a batch of <paramref name="rows"/> rows and the inputs, and the log-sum-exp output against
        /// every input and against <paramref name="written"/>, the part of the other output that the call writes.
        /// </summary>
        public void Check(int rows, int classes, ReadOnlySpan<T> values, ReadOnlySpan<T> targets, ReadOnlySpan<T> classWeights, Span<T> written)
        {
            ThrowHelper.CheckSampleWeights(SampleWeights.Length, rows);
            ThrowHelper.CheckNonNegative(Normalizer, "normalizer");
            ThrowHelper.CheckNonNegative(SoftCap, "softCap");
            if (double.IsPositiveInfinity(SoftCap))
            {
                throw new ArgumentOutOfRangeException("softCap", SoftCap, "softCap must be finite.");
            }

            ThrowHelper.CheckNonNegative(ZLoss, "zLoss");
            if (!LogSumExp.IsEmpty)
            {
                const string name = "logSumExp";
                ThrowHelper.CheckSeparateOutput(values, LogSumExp, rows, name, classes);
                ThrowHelper.CheckSeparateOutput(targets, LogSumExp, rows, name, classes);
                ThrowHelper.CheckSeparateOutput(classWeights, LogSumExp, rows, name, classes);
                ThrowHelper.CheckSeparateOutput(SampleWeights, LogSumExp, rows, name, classes);
                ThrowHelper.CheckSeparateOutput<T, T>(written, LogSumExp, rows, name, classes);
            }
        }
    }

    /// <summary>The reduced loss against labels, with its gradient where <paramref name="withGradient"/>: every check, then one kernel.</summary>
    private static T Reduced<T>(Input input, ReadOnlySpan<T> values, ReadOnlySpan<int> labels, Span<T> gradient, bool withGradient, int classes,
        Reduction reduction, ReadOnlySpan<T> classWeights, int ignoreIndex, double labelSmoothing, Options<T> options)
        where T : IFloatingPointIeee754<T>
    {
        int rows = CheckInput(input, values, classes, classWeights, labelSmoothing);
        ThrowHelper.CheckReduction(reduction);
        double denominator = Reductions.Divisor(reduction, CheckLabels(labels, rows, classes, classWeights, ignoreIndex), options.Normalizer);
        Span<T> gradientOutput = withGradient ? CheckGradient(values, default, classWeights, options.SampleWeights, gradient, classes) : default;
        options.Check(rows, classes, values, default, classWeights, gradientOutput);

        // Class weights that sum to 0 make the Mean sum / 0, and its gradient the Sum's gradient / 0 entry by entry.
        bool overZero = denominator == 0;
        double total = Run(input, values, labels, default, classes, classWeights, ignoreIndex, labelSmoothing,
            overZero ? 1 : 1 / denominator, options, default, gradientOutput);
        if (overZero && withGradient)
        {
            DivideByZero(input, gradientOutput, labels, classes, 1, ignoreIndex);
        }

        return Reductions.Reduce<T>(total, denominator);
    }

    /// <summary>
    /// Divides the gradient entries of the non-ignored positions by 0: ±infinity, or NaN where an entry is 0. The gradient holds
    /// <c>labels.Length / inner</c> items of <paramref name="classes"/> by <paramref name="inner"/> entries (rows where
    /// <paramref name="inner"/> is 1), a position's classes <paramref name="inner"/> apart. From probabilities, as PyTorch's
    /// autograd of nll_loss(log(p)), only the label's entry and the entries with a nonzero part are divided: the others receive
    /// no gradient at all, so they stay 0.
    /// </summary>
    private static void DivideByZero<T>(Input input, Span<T> gradient, ReadOnlySpan<int> labels, int classes, int inner, int ignoreIndex)
        where T : IFloatingPointIeee754<T>
    {
        for (int p = 0; p < labels.Length; p++)
        {
            if (labels[p] == ignoreIndex)
            {
                continue;
            }

            int o = p / inner;
            int first = o * classes * inner + (p - o * inner);
            for (int c = 0; c < classes; c++)
            {
                ref T entry = ref gradient[first + c * inner];
                if (input == Input.Logits || c == labels[p] || entry != T.Zero)
                {
                    entry /= T.Zero;
                }
            }
        }
    }

    /// <summary>The reduced loss against soft targets, with its gradient where <paramref name="withGradient"/>: every check, then one kernel.</summary>
    private static T Reduced<T>(Input input, ReadOnlySpan<T> values, ReadOnlySpan<T> targets, Span<T> gradient, bool withGradient, int classes,
        Reduction reduction, ReadOnlySpan<T> classWeights, double labelSmoothing, Options<T> options)
        where T : IFloatingPointIeee754<T>
    {
        int rows = CheckInput(input, values, classes, classWeights, labelSmoothing);
        ThrowHelper.CheckReduction(reduction);
        ThrowHelper.CheckTargetCount(values.Length, targets.Length, classes);
        Span<T> gradientOutput = withGradient ? CheckGradient(values, targets, classWeights, options.SampleWeights, gradient, classes) : default;
        options.Check(rows, classes, values, targets, classWeights, gradientOutput);
        double denominator = Reductions.Divisor(reduction, rows, options.Normalizer);
        double total = Run(input, values, default, targets, classes, classWeights, 0, labelSmoothing, 1 / denominator, options, default, gradientOutput);
        return Reductions.Reduce<T>(total, denominator);
    }

    /// <summary>The loss of each row against its label.</summary>
    private static void PerRow<T>(Input input, ReadOnlySpan<T> values, ReadOnlySpan<int> labels, Span<T> losses, int classes,
        ReadOnlySpan<T> classWeights, int ignoreIndex, double labelSmoothing, Options<T> options)
        where T : IFloatingPointIeee754<T>
    {
        int rows = CheckInput(input, values, classes, classWeights, labelSmoothing);
        CheckLabels(labels, rows, classes, classWeights, ignoreIndex);
        Span<T> output = CheckLosses(values, default, classWeights, options.SampleWeights, losses, rows, classes);
        options.Check(rows, classes, values, default, classWeights, output);
        Run(input, values, labels, default, classes, classWeights, ignoreIndex, labelSmoothing, 1, options, output, default, values.Overlaps(output));
    }

    /// <summary>The loss of each row against its soft targets.</summary>
    private static void PerRow<T>(Input input, ReadOnlySpan<T> values, ReadOnlySpan<T> targets, Span<T> losses, int classes,
        ReadOnlySpan<T> classWeights, double labelSmoothing, Options<T> options)
        where T : IFloatingPointIeee754<T>
    {
        int rows = CheckInput(input, values, classes, classWeights, labelSmoothing);
        ThrowHelper.CheckTargetCount(values.Length, targets.Length, classes);
        Span<T> output = CheckLosses(values, targets, classWeights, options.SampleWeights, losses, rows, classes);
        options.Check(rows, classes, values, targets, classWeights, output);
        Run(input, values, default, targets, classes, classWeights, 0, labelSmoothing, 1, options, output, default,
            values.Overlaps(output) || targets.Overlaps(output));
    }

    /// <summary>Checks the shape and, for probabilities, their range; returns the number of rows.</summary>
    private static int CheckInput<T>(Input input, ReadOnlySpan<T> values, int classes, ReadOnlySpan<T> classWeights, double labelSmoothing)
        where T : IFloatingPointIeee754<T>
    {
        string name = input switch
        {
            Input.Logits => "logits",
            Input.Probabilities => "probabilities",
            _ => "logProbabilities",
        };
        int rows = CheckShape(values, name, classes, classWeights, labelSmoothing);
        if (input == Input.Probabilities)
        {
            ThrowHelper.CheckProbabilities(values);
        }

        return rows;
    }

    /// <summary>
    /// Runs the kernel over every row; <paramref name="inOrder"/> where the losses lie over the rows they are computed from
    /// (see <see cref="Parallelism.Run"/>).
    /// </summary>
    private static double Run<T>(Input input, ReadOnlySpan<T> values, ReadOnlySpan<int> labels, ReadOnlySpan<T> targets, int classes,
        ReadOnlySpan<T> classWeights, int ignoreIndex, double labelSmoothing, double gradientScale, Options<T> options, Span<T> losses,
        Span<T> gradient, bool inOrder = false)
        where T : IFloatingPointIeee754<T>
    {
        var kernel = new CrossEntropyKernel<T>
        {
            Input = input,
            Values = values,
            Labels = labels,
            Targets = targets,
            Classes = classes,
            ClassWeights = classWeights,
            IgnoreIndex = ignoreIndex,
            LabelSmoothing = labelSmoothing,
            GradientScale = gradientScale,
            SampleWeights = options.SampleWeights,
            SoftCap = options.SoftCap,
            ZLoss = options.ZLoss,
            LogSumExp = options.LogSumExp,
            Losses = losses,
            Gradient = gradient,
        };
        return Simd.Run<CrossEntropyKernel<T>, T>(ref kernel, values.Length / classes, classes, inOrder);
    }

    /// <summary>Checks the arguments every overload shares and returns the number of rows.</summary>
    private static int CheckShape<T>(ReadOnlySpan<T> input, string inputName, int classes, ReadOnlySpan<T> classWeights, double labelSmoothing)
    {
        int rows = ThrowHelper.Rows(input.Length, classes, inputName);
        if (!classWeights.IsEmpty && classWeights.Length != classes)
        {
            throw new ArgumentException($"classWeights has {classWeights.Length} entries; it must be empty or have one per class ({classes}).", nameof(classWeights));
        }

        ThrowHelper.CheckLabelSmoothing(labelSmoothing);
        return rows;
    }

    /// <summary>Checks the labels' count and each label, and returns the Mean denominator (see <see cref="LabelDenominator"/>).</summary>
    private static double CheckLabels<T>(ReadOnlySpan<int> labels, int rows, int classes, ReadOnlySpan<T> classWeights, int ignoreIndex)
        where T : IFloatingPointIeee754<T>
    {
        ThrowHelper.CheckLabelCount(labels.Length, rows, classes);
        return LabelDenominator(labels, classes, classWeights, ignoreIndex);
    }

    /// <summary>
    /// Checks each label, in <c>[0, classes)</c> or <paramref name="ignoreIndex"/>, and returns the Mean denominator: the summed
    /// class weights of the non-ignored labels (their count without class weights).
    /// </summary>
    private static double LabelDenominator<T>(ReadOnlySpan<int> labels, int classes, ReadOnlySpan<T> classWeights, int ignoreIndex)
        where T : IFloatingPointIeee754<T>
    {
        double denominator = 0;
        foreach (int label in labels)
        {
            if (label == ignoreIndex)
            {
                continue;
            }

            if ((uint)label >= (uint)classes)
            {
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"A label must be in [0, {classes}) or equal ignoreIndex ({ignoreIndex}).");
            }

            denominator += classWeights.IsEmpty ? 1 : double.CreateTruncating(classWeights[label]);
        }

        return denominator;
    }

    /// <summary>
    /// Checks a per-row losses output: room for every row, and the part written either starting at the input's or the targets'
    /// first element or sharing none of their memory, and none of the class weights'. Returns that part.
    /// </summary>
    private static Span<T> CheckLosses<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, ReadOnlySpan<T> classWeights, ReadOnlySpan<T> sampleWeights,
        Span<T> losses, int rows, int classes)
    {
        Span<T> written = ThrowHelper.CheckOutput(input, losses, rows, nameof(losses), classes);
        ThrowHelper.CheckNoPartialOverlap(targets, written, nameof(losses));
        ThrowHelper.CheckSeparateOutput(classWeights, written, rows, nameof(losses));
        ThrowHelper.CheckSeparateOutput(sampleWeights, written, rows, nameof(losses));
        return written;
    }

    /// <summary>Checks a gradient output, which may be the input's or the targets' memory, and returns the part that receives the gradient.</summary>
    private static Span<T> CheckGradient<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, ReadOnlySpan<T> classWeights, ReadOnlySpan<T> sampleWeights,
        Span<T> gradient, int classes)
    {
        Span<T> written = ThrowHelper.CheckOutput(input, gradient, input.Length, nameof(gradient), classes);
        ThrowHelper.CheckNoPartialOverlap(targets, written, nameof(gradient));
        ThrowHelper.CheckSeparateOutput(classWeights, written, input.Length, nameof(gradient));
        ThrowHelper.CheckSeparateOutput(sampleWeights, written, input.Length, nameof(gradient));
        return written;
    }

    private ref struct CrossEntropyKernel<T> : IKernel
        where T : IFloatingPointIeee754<T>
    {
        public Input Input;
        public ReadOnlySpan<T> Values;
        public ReadOnlySpan<int> Labels;
        public ReadOnlySpan<T> Targets;
        public int Classes;
        public ReadOnlySpan<T> ClassWeights;
        public int IgnoreIndex;
        public double LabelSmoothing;
        public double GradientScale;
        public ReadOnlySpan<T> SampleWeights;
        public double SoftCap;
        public double ZLoss;
        public Span<T> LogSumExp;
        public Span<T> Losses;
        public Span<T> Gradient;

        public readonly double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute>
        {
            int offset = start * Classes;
            int length = (end - start) * Classes;
            ReadOnlySpan<T> values = Values.Slice(offset, length);
            ReadOnlySpan<int> labels = Simd.Part(Labels, start, end - start);
            ReadOnlySpan<T> targets = Simd.Part(Targets, offset, length);
            Span<T> losses = Simd.Part(Losses, start, end - start);
            Span<T> gradient = Simd.Part(Gradient, offset, length);
            ReadOnlySpan<T> sampleWeights = Simd.Part(SampleWeights, start, end - start);
            return Input switch
            {
                Input.Logits => Kernel<TBlock, TCompute, T>.CrossEntropyFromLogits(values, labels, targets, Classes, ClassWeights, IgnoreIndex,
                    LabelSmoothing, GradientScale, sampleWeights, SoftCap, ZLoss, losses, gradient, Simd.Part(LogSumExp, start, end - start)),
                Input.Probabilities => Kernel<TBlock, TCompute, T>.CrossEntropyFromProbabilities<Yes>(values, labels, targets, Classes,
                    ClassWeights, IgnoreIndex, LabelSmoothing, GradientScale, sampleWeights, losses, gradient),
                _ => Kernel<TBlock, TCompute, T>.CrossEntropyFromProbabilities<No>(values, labels, targets, Classes,
                    ClassWeights, IgnoreIndex, LabelSmoothing, GradientScale, sampleWeights, losses, gradient),
            };
        }
    }
}
