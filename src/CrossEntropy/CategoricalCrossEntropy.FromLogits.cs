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
        Span<TMemory> losses, Span<TMemory> gradient)
    {
        var op = new CrossEntropyRow(labels, targets, classes, classWeights, ignoreIndex, labelSmoothing, gradientScale, losses, gradient);
        return Rows(ref op, logits, gradient, classes);
    }

    /// <summary>
    /// One row's loss <c>-sum_c a[c] log_softmax(x)[c]</c>, and its gradient scaled by the gradient scale where there is a
    /// gradient. With a label, <c>a = (1 - s) w[label] one_hot + (s / C) w</c>; with targets, <c>a = w (t keep + perClass)</c>.
    /// The part over all classes, <c>factor * sum_c a[c] (-log_p[c])</c>, is summed in the sum pass where factor is not 0.
    /// Rows with labels may run across lanes; the label's logit, its weight w[y] and (1 - s) w[y] are then read per lane.
    /// </summary>
    private ref struct CrossEntropyRow : IRowOperator
    {
        private readonly ReadOnlySpan<int> _labels;
        private readonly ReadOnlySpan<TMemory> _targets;
        private readonly ReadOnlySpan<TMemory> _weights;
        private readonly Span<TMemory> _losses;
        private readonly int _classes;
        private readonly int _ignoreIndex;
        private readonly T _keep;
        private readonly T _perClass;
        private readonly T _scale;
        private readonly T _factor;
        private readonly TBlock _weightsTail;
        private readonly TBlock _coefficientScale;

        // Per row (in every lane) or per lane: the label as a number (-1 where a row is skipped), its logit, w[y] and (1 - s) w[y];
        // then the label's gradient entry.
        private TBlock _label;
        private TBlock _labelLogit;
        private TBlock _labelClassWeight;
        private TBlock _labelWeight;
        private TBlock _labelEntry;

        public CrossEntropyRow(ReadOnlySpan<int> labels, ReadOnlySpan<TMemory> targets, int classes, ReadOnlySpan<TMemory> classWeights,
            int ignoreIndex, double labelSmoothing, double gradientScale, Span<TMemory> losses, Span<TMemory> gradient)
        {
            T smoothing = T.CreateTruncating(labelSmoothing);
            _labels = labels;
            _targets = targets;
            _weights = classWeights;
            _losses = losses;
            _classes = classes;
            _ignoreIndex = ignoreIndex;
            _keep = T.One - smoothing;
            _perClass = smoothing / T.CreateTruncating(classes);
            _scale = T.CreateTruncating(gradientScale);
            _factor = targets.IsEmpty ? _perClass : T.One;
            _weightsTail = TailOrOnes(classWeights, classes);
            _coefficientScale = TBlock.Create(-(_factor * _scale));
            WritesRows = !gradient.IsEmpty;

            // exp(x - max) may go to the gradient between passes (which may be the logits' memory, but not the targets', which
            // the last pass reads again).
            KeepsInOutput = !gradient.Overlaps(targets);
        }

        public static bool BesideMax => true;

        public static bool Differences => false;

        public static bool Reduces => true;

        public bool WritesRows { get; }

        public bool KeepsInOutput { get; }

        public readonly bool WithCoefficients => _factor != T.Zero;

        public readonly bool AcrossLanes => _targets.IsEmpty;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TBlock Input(TBlock x) => x;

        public readonly bool Skips(int row) => _targets.IsEmpty && _labels[row] == _ignoreIndex;

        public readonly T NonFinite(ReadOnlySpan<TMemory> x, T max, Span<TMemory> output)
        {
            output.Fill(TMemory.NaN);
            return T.NaN;
        }

        /// <summary>Reads the label's logit and weights, before the gradient may overwrite the logits.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Start(int row, ReadOnlySpan<TMemory> x)
        {
            if (_targets.IsEmpty)
            {
                int label = _labels[row];
                _label = TBlock.Create(T.CreateTruncating(label));
                _labelLogit = TBlock.Create(ToCompute(x[label]));
                _labelClassWeight = TBlock.Create(_weights.IsEmpty ? T.One : ToCompute(_weights[label]));
                _labelWeight = TBlock.Create(_keep) * _labelClassWeight;
            }
        }

        public void StartLanes(int row, ReadOnlySpan<TMemory> x, int classes)
        {
            Lanes<T> label = default;
            Lanes<T> logit = default;
            Lanes<T> weight = default;
            for (int r = 0; r < Width; r++)
            {
                int y = _labels[row + r];
                bool skipped = y == _ignoreIndex;
                label[r] = skipped ? T.NegativeOne : T.CreateTruncating(y);
                logit[r] = skipped ? T.Zero : ToCompute(x[(row + r) * classes + y]);
                weight[r] = skipped || _weights.IsEmpty ? T.One : ToCompute(_weights[y]);
            }

            _label = TBlock.Load(in label[0]);
            _labelLogit = TBlock.Load(in logit[0]);
            _labelClassWeight = TBlock.Load(in weight[0]);
            _labelWeight = TBlock.Create(_keep) * _labelClassWeight;
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
        /// label's gradient entry: <c>softmax[y] - 1 = (e[y] - 1 - rest) / sum</c>, exact where e[y] = 1, unlike softmax[y] - 1.
        /// Once per row (or group of rows), and not inline: inline, it would leave the JIT no room to inline the drivers' loops.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public TBlock Finish(in RowSums sums, out TBlock value)
        {
            TBlock zero = BlockMath<TBlock, T>.Zero;
            TBlock one = BlockMath<TBlock, T>.One;
            TBlock logSum = BlockMath<TBlock, T>.Log1P(sums.Sum);
            TBlock loss = WithCoefficients ? TBlock.Create(_factor) * (logSum * sums.CoefficientSum - sums.ShiftedSum) : zero;
            loss = TBlock.Select(TBlock.Equals(_labelWeight, zero), loss, loss + _labelWeight * (logSum - (_labelLogit - sums.Max)));

            // The maximum keeps a NaN only where it comes last in its lane; the sum of exp(x - max) keeps every NaN.
            loss = TBlock.Select(TBlock.Equals(sums.Sum, sums.Sum), loss, TBlock.Create(T.NaN));
            TBlock sum = one + sums.Sum;
            TBlock scale = TBlock.Create(_scale);
            TBlock skipped = TBlock.Equals(_label, TBlock.Create(T.NegativeOne));
            value = TBlock.Select(skipped, zero, loss);
            if (WritesRows && _targets.IsEmpty)
            {
                TBlock e = ExpDifference(_labelLogit, sums.Max);
                _labelEntry = scale * (_labelWeight * (((e - one) - sums.Sum) / sum)
                    + TBlock.Create(_perClass) * ((e * sums.CoefficientSum) / sum - _labelClassWeight));
            }

            return (_labelWeight + TBlock.Create(_factor) * sums.CoefficientSum) / sum * scale;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TBlock Final(TBlock value, TBlock factor, int start, int index, TBlock coefficientsTail)
        {
            TBlock g = value * factor;
            return WithCoefficients ? TBlock.FusedMultiplyAdd(Coefficients(start, index, coefficientsTail), _coefficientScale, g) : g;
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

        /// <summary>Writes the label's entry.</summary>
        public readonly void AfterRow(int row, Span<TMemory> output)
        {
            if (_targets.IsEmpty)
            {
                output[_labels[row]] = ToMemory(TBlock.First(_labelEntry));
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
