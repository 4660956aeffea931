using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

public static partial class CategoricalCrossEntropy
{
    /// <summary>Computes the focal loss of rows of logits against integer labels, reduced to one value.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits, <c>rows * classes</c> values.</param>
    /// <param name="labels">One class index per row, in <c>[0, classes)</c>, or <paramref name="ignoreIndex"/> to skip the row.</param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="reduction">Mean divides the summed row losses by the summed class weights of the non-ignored labels; Sum adds them; a positive <paramref name="normalizer"/> overrides both.</param>
    /// <param name="gamma">The focusing exponent, 0 or positive: 0 gives the cross-entropy.</param>
    /// <param name="classWeights">Empty, or one weight per class.</param>
    /// <param name="ignoreIndex">A label value whose rows contribute nothing.</param>
    /// <param name="normalizer">0, or a positive count the summed loss is divided by whatever <paramref name="reduction"/> says (Hugging Face's <c>num_items_in_batch</c>).</param>
    /// <returns>The reduced loss. Mean of an empty batch, or of a batch whose rows are all ignored, is NaN (0 with a normalizer); Sum is 0.</returns>
    /// <remarks>
    /// <para>Effectively computes, for each non-ignored row with label y and <c>p = softmax(row)</c>,
    /// <c>loss = -w[y] (1 - p[y])^gamma log p[y]</c> (Lin et al. 2017), with Mean as PyTorch's <c>cross_entropy</c> takes it.</para>
    /// <para><c>1 - p[y]</c> comes from the row's other probabilities, never as 1 minus a rounded p[y], and its power is taken in log
    /// space: accurate where p[y] is near 1 and for any gamma.</para>
    /// <para>A row with a NaN or +infinity logit has a NaN loss; a -infinity logit on the label gives +infinity.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside <c>[0, classes)</c> and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gamma"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    public static T FocalFromLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int classes, Reduction reduction = Reduction.Mean,
        double gamma = 2, ReadOnlySpan<T> classWeights = default, int ignoreIndex = -100, double normalizer = 0)
        where T : IFloatingPointIeee754<T> =>
        FocalReduced(logits, labels, default, false, classes, reduction, gamma, classWeights, ignoreIndex, normalizer);

    /// <summary>Computes the focal loss of each row of logits against its integer label.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits, <c>rows * classes</c> values.</param>
    /// <param name="labels">One class index per row, in <c>[0, classes)</c>, or <paramref name="ignoreIndex"/> to skip the row.</param>
    /// <param name="losses">
    /// Receives one loss per row; ignored rows get 0. May start at <paramref name="logits"/>'s first element: the rows are then
    /// computed in order on the calling thread, and the losses overwrite the start of <paramref name="logits"/>.
    /// </param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="gamma">The focusing exponent, 0 or positive: 0 gives the cross-entropy.</param>
    /// <param name="classWeights">Empty, or one weight per class.</param>
    /// <param name="ignoreIndex">A label value whose rows contribute nothing.</param>
    /// <remarks>
    /// <para>Effectively computes <c>losses[r] = -w[y] (1 - p[y])^gamma log p[y]</c> with <c>p = softmax(row r)</c>, with
    /// <c>1 - p[y]</c> taken from the row's other probabilities.</para>
    /// <para>A row with a NaN or +infinity logit has a NaN loss; a -infinity logit on the label gives +infinity.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside <c>[0, classes)</c> and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gamma"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="losses"/> is shorter than the number of rows, or overlaps an input other than by starting at the first element of <paramref name="logits"/>.</exception>
    public static void FocalFromLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, Span<T> losses, int classes,
        double gamma = 2, ReadOnlySpan<T> classWeights = default, int ignoreIndex = -100)
        where T : IFloatingPointIeee754<T>
    {
        int rows = CheckShape(logits, nameof(logits), classes, classWeights, 0);
        ThrowHelper.CheckNonNegative(gamma, nameof(gamma));
        CheckLabels(labels, rows, classes, classWeights, ignoreIndex);
        Span<T> output = CheckLosses(logits, default, classWeights, default, losses, rows, classes);
        RunFocal(logits, labels, classes, gamma, classWeights, ignoreIndex, 1, output, default, logits.Overlaps(output));
    }

    /// <summary>Computes the reduced focal loss of rows of logits against integer labels, and its gradient with respect to the logits.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits, <c>rows * classes</c> values.</param>
    /// <param name="labels">One class index per row, in <c>[0, classes)</c>, or <paramref name="ignoreIndex"/> to skip the row.</param>
    /// <param name="gradient">Receives d(loss)/d(logits), the same shape as <paramref name="logits"/>; may be <paramref name="logits"/> itself.</param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="reduction">Mean divides the summed row losses by the summed class weights of the non-ignored labels; Sum adds them; a positive <paramref name="normalizer"/> overrides both.</param>
    /// <param name="gamma">The focusing exponent, 0 or positive: 0 gives the cross-entropy.</param>
    /// <param name="classWeights">Empty, or one weight per class.</param>
    /// <param name="ignoreIndex">A label value whose rows contribute nothing.</param>
    /// <param name="normalizer">0, or a positive count the summed loss is divided by whatever <paramref name="reduction"/> says (Hugging Face's <c>num_items_in_batch</c>).</param>
    /// <returns>The reduced loss, as <see cref="FocalFromLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, double, ReadOnlySpan{T}, int, double)"/>.</returns>
    /// <remarks>
    /// <para>Loss and gradient come out of one fused pass per row. With <c>p = softmax(row)</c>, <c>q = 1 - p[y]</c> and D the Mean
    /// denominator (1 for Sum, the normalizer where it is positive), effectively computes the exact derivative
    /// <c>gradient[c] = G (one_hot(y)[c] - p[c]) / D</c> with <c>G = w[y] q^gamma (gamma p[y] log p[y] / q - 1)</c>, the ratio
    /// <c>p[y] log p[y] / q</c> taken in a form that stays finite as q goes to 0, so gamma below 1 is fine. Ignored rows get a zero
    /// gradient.</para>
    /// <para>A row with a NaN or +infinity logit gets a NaN loss and a NaN gradient row.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one entry per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside <c>[0, classes)</c> and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="classWeights"/> is neither empty nor of length <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gamma"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradient"/> is shorter than <paramref name="logits"/>, or overlaps an input other than as the same memory as <paramref name="logits"/>.</exception>
    public static T FocalFromLogitsWithGradient<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, Span<T> gradient, int classes,
        Reduction reduction = Reduction.Mean, double gamma = 2, ReadOnlySpan<T> classWeights = default, int ignoreIndex = -100, double normalizer = 0)
        where T : IFloatingPointIeee754<T> =>
        FocalReduced(logits, labels, gradient, true, classes, reduction, gamma, classWeights, ignoreIndex, normalizer);

    /// <summary>
    /// The reduced focal loss, with its gradient where <paramref name="withGradient"/>: every check, then one kernel. A Mean over
    /// a zero denominator scales by 1 / 0, as PyTorch's division does: ignored rows stay 0, the others become ±infinity or NaN.
    /// </summary>
    private static T FocalReduced<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, Span<T> gradient, bool withGradient, int classes,
        Reduction reduction, double gamma, ReadOnlySpan<T> classWeights, int ignoreIndex, double normalizer)
        where T : IFloatingPointIeee754<T>
    {
        int rows = CheckShape(logits, nameof(logits), classes, classWeights, 0);
        ThrowHelper.CheckReduction(reduction);
        ThrowHelper.CheckNonNegative(gamma, nameof(gamma));
        ThrowHelper.CheckNonNegative(normalizer, nameof(normalizer));
        double denominator = CheckLabels(labels, rows, classes, classWeights, ignoreIndex);
        Span<T> gradientOutput = withGradient ? CheckGradient(logits, default, classWeights, default, gradient, classes) : default;
        double divisor = Reductions.Divisor(reduction, denominator, normalizer);
        double total = RunFocal(logits, labels, classes, gamma, classWeights, ignoreIndex, 1 / divisor, default, gradientOutput);
        return Reductions.Reduce<T>(total, divisor);
    }

    private static double RunFocal<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int classes, double gamma, ReadOnlySpan<T> classWeights,
        int ignoreIndex, double gradientScale, Span<T> losses, Span<T> gradient, bool inOrder = false)
        where T : IFloatingPointIeee754<T>
    {
        var kernel = new FocalKernel<T>
        {
            Logits = logits,
            Labels = labels,
            Classes = classes,
            Gamma = gamma,
            ClassWeights = classWeights,
            IgnoreIndex = ignoreIndex,
            GradientScale = gradientScale,
            Losses = losses,
            Gradient = gradient,
        };
        return Simd.Run<FocalKernel<T>, T>(ref kernel, logits.Length / classes, classes, inOrder);
    }

    private ref struct FocalKernel<T> : IKernel
        where T : IFloatingPointIeee754<T>
    {
        public ReadOnlySpan<T> Logits;
        public ReadOnlySpan<int> Labels;
        public int Classes;
        public double Gamma;
        public ReadOnlySpan<T> ClassWeights;
        public int IgnoreIndex;
        public double GradientScale;
        public Span<T> Losses;
        public Span<T> Gradient;

        public readonly double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute>
        {
            int offset = start * Classes;
            int length = (end - start) * Classes;
            return Kernel<TBlock, TCompute, T>.FocalFromLogits(Logits.Slice(offset, length), Labels.Slice(start, end - start), Classes, ClassWeights,
                IgnoreIndex, Gamma, GradientScale, Simd.Part(Losses, start, end - start), Simd.Part(Gradient, offset, length));
        }
    }
}

internal static partial class Kernel<TBlock, T, TMemory>
{
    /// <summary>
    /// The categorical focal loss from logits: writes the row losses and the gradient rows where those spans are not empty, and
    /// returns the sum of the row losses.
    /// </summary>
    public static double FocalFromLogits(ReadOnlySpan<TMemory> logits, ReadOnlySpan<int> labels, int classes, ReadOnlySpan<TMemory> classWeights,
        int ignoreIndex, double gamma, double gradientScale, Span<TMemory> losses, Span<TMemory> gradient)
    {
        var op = new FocalRow(labels, classWeights, ignoreIndex, gamma, gradientScale, losses, gradient);
        return Rows(ref op, logits, gradient, classes);
    }

    /// <summary>
    /// One row's focal loss <c>-w[y] q^gamma log p[y]</c> with <c>q = 1 - p[y]</c>, and its gradient <c>G (one_hot(y) - p)</c> scaled
    /// by the gradient scale where there is a gradient, <c>G = w[y] q^gamma (gamma p[y] log p[y] / q - 1)</c>. Where the label holds
    /// the row's maximum, q is the sum beside the maximum over the whole sum, so it keeps its precision however close p[y] is
    /// to 1; elsewhere p[y] is at most 1/2 and 1 - p[y] is exact enough. Rows may run across lanes; the label's logit and weight
    /// are then read per lane.
    /// </summary>
    private ref struct FocalRow : IRowOperator
    {
        private readonly ReadOnlySpan<int> _labels;
        private readonly ReadOnlySpan<TMemory> _weights;
        private readonly Span<TMemory> _losses;
        private readonly int _ignoreIndex;
        private readonly T _gamma;
        private readonly T _scale;

        // Per row (in every lane) or per lane: the label as a number (-1 where a row is skipped), its logit and w[y]; then the
        // label's gradient entry.
        private TBlock _label;
        private TBlock _labelLogit;
        private TBlock _labelWeight;
        private TBlock _labelEntry;

        // What Finish needs of the rows whose values are deferred, one per lane, as Start read it.
        private Lanes<T> _deferredLabels;
        private Lanes<T> _deferredLogits;
        private Lanes<T> _deferredWeights;

        public FocalRow(ReadOnlySpan<int> labels, ReadOnlySpan<TMemory> classWeights, int ignoreIndex, double gamma, double gradientScale,
            Span<TMemory> losses, Span<TMemory> gradient)
        {
            _labels = labels;
            _weights = classWeights;
            _losses = losses;
            _ignoreIndex = ignoreIndex;
            _gamma = T.CreateTruncating(gamma);
            _scale = T.CreateTruncating(gradientScale);
            WritesRows = !gradient.IsEmpty;
        }

        public static bool BesideMax => true;

        public static bool Differences => false;

        public static bool Reduces => true;

        public bool WritesRows { get; }

        // The gradient may be the logits' memory: only the label's logit is read again, and Start reads it before any pass writes.
        public readonly bool KeepsInOutput => true;

        public readonly bool WithCoefficients => false;

        public readonly bool AcrossLanes => true;

        /// <summary>Where there is no gradient: the label's gradient entry needs the logs that the loss does.</summary>
        public readonly bool DefersValues => !WritesRows;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TBlock Input(TBlock x) => x;

        public readonly bool Skips(int row) => _labels[row] == _ignoreIndex;

        public readonly T NonFinite(int row, ReadOnlySpan<TMemory> x, T max, Span<TMemory> output)
        {
            output.Fill(TMemory.NaN);
            return T.NaN;
        }

        /// <summary>Reads the label's logit and weight, before the gradient may overwrite the logits.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Start(int row, ReadOnlySpan<TMemory> x)
        {
            int label = _labels[row];
            _label = TBlock.Create(T.CreateTruncating(label));
            _labelLogit = TBlock.Create(ToCompute(x[label]));
            _labelWeight = TBlock.Create(_weights.IsEmpty ? T.One : ToCompute(_weights[label]));
        }

        public void StartLanes(int row, ref LaneBlocks<TBlock> values, int classes) =>
            _label = LaneLabels(_labels, row, _ignoreIndex, ref values, classes, _weights, out _labelLogit, out _labelWeight);

        public readonly TBlock CoefficientsTail(int start) => BlockMath<TBlock, T>.Zero;

        public readonly TBlock Coefficients(int start, int index, TBlock tail) => BlockMath<TBlock, T>.Zero;

        public readonly TBlock LaneCoefficients(int c) => BlockMath<TBlock, T>.Zero;

        /// <summary>
        /// The loss and the label's gradient entry from the sum beside the maximum S and e = exp(x[y] - max):
        /// <c>log p[y] = (x[y] - max) - log1p(S)</c> and <c>q = (S - (e - 1)) / (1 + S)</c>, which is S / (1 + S) where the label holds
        /// the maximum, and at least 1/2 elsewhere; where the label holds the maximum, <c>p[y] log p[y] / q = -log1p(S) / S</c> (-1 at S = 0).
        /// Once per row (or group of rows), and not inline, so that the JIT keeps its inlining for the drivers' loops.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public TBlock Finish(in RowSums sums, out TBlock value)
        {
            TBlock zero = BlockMath<TBlock, T>.Zero;
            TBlock one = BlockMath<TBlock, T>.One;
            TBlock s = sums.Sum;
            TBlock logSum = BlockMath<TBlock, T>.Log1P(s);
            TBlock shifted = _labelLogit - sums.Max;
            TBlock sum = one + s;
            TBlock atMax = TBlock.Equals(shifted, zero);
            TBlock e = ExpDifference(_labelLogit, sums.Max);
            TBlock p = e / sum;
            TBlock q = (s - (e - one)) / sum;
            TBlock ratio = TBlock.Select(atMax,
                TBlock.Select(TBlock.Equals(s, zero), zero - one, (zero - logSum) / s),
                TBlock.Select(TBlock.Equals(p, zero), zero, p * (shifted - logSum) / q));
            TBlock modulation = one;
            if (_gamma != T.Zero)
            {
                TBlock logQ = BlockMath<TBlock, T>.Log(TBlock.Select(atMax, s, q)) - TBlock.Select(atMax, logSum, zero);
                modulation = BlockMath<TBlock, T>.ExpNonPositive(TBlock.Min(zero, TBlock.Create(_gamma) * logQ));
            }

            // A zero weight takes even an infinite loss (a -infinity label logit) away; a NaN in the row stays NaN.
            TBlock loss = _labelWeight * (logSum - shifted) * modulation;
            loss = TBlock.Select(TBlock.Equals(_labelWeight, zero), zero, loss);
            loss = TBlock.Select(TBlock.Equals(s, s), loss, TBlock.Create(T.NaN));
            value = TBlock.Select(TBlock.Equals(_label, TBlock.Create(T.NegativeOne)), zero, loss);

            TBlock g = _labelWeight * modulation * TBlock.FusedMultiplyAdd(TBlock.Create(_gamma), ratio, zero - one);
            TBlock scale = TBlock.Create(_scale);
            _labelEntry = scale * (g * q);
            return (zero - g) / sum * scale;
        }

        /// <summary>Keeps the label, its logit and its weight; there is no gradient, and so no factor.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TBlock Defer(in RowSums sums, int lane)
        {
            _deferredLabels[lane] = TBlock.First(_label);
            _deferredLogits[lane] = TBlock.First(_labelLogit);
            _deferredWeights[lane] = TBlock.First(_labelWeight);
            return default;
        }

        public void StartDeferred()
        {
            _label = TBlock.Load(in _deferredLabels[0]);
            _labelLogit = TBlock.Load(in _deferredLogits[0]);
            _labelWeight = TBlock.Load(in _deferredWeights[0]);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TBlock Final(TBlock value, TBlock factor, int start, int index, TBlock coefficientsTail, bool withCoefficients) => value * factor;

        /// <summary>The gradient of class <paramref name="c"/> across lanes: the label's entry where c is the label, 0 in rows skipped.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TBlock LaneFinal(TBlock value, TBlock factor, int c)
        {
            TBlock g = TBlock.Select(TBlock.Equals(_label, TBlock.Create(T.CreateTruncating(c))), _labelEntry, value * factor);
            return TBlock.Select(TBlock.Equals(_label, TBlock.Create(T.NegativeOne)), BlockMath<TBlock, T>.Zero, g);
        }

        /// <summary>Writes the label's entry.</summary>
        public readonly void AfterRow(int row, Span<TMemory> output) => output[_labels[row]] = ToMemory(TBlock.First(_labelEntry));

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
