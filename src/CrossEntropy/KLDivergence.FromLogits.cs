using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

public static partial class KLDivergence
{
    /// <summary>Computes the KL divergence of the softmax of rows of logits, at a temperature, from target distributions, reduced to one value.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits x, <c>rows * classes</c> values.</param>
    /// <param name="targets">The target probabilities t (log-probabilities where <paramref name="logTargets"/>), the shape of <paramref name="logits"/>.</param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="reduction">Mean divides the summed row losses by the number of rows (PyTorch's <c>'batchmean'</c>); Sum adds them.</param>
    /// <param name="logTargets">Whether <paramref name="targets"/> holds log-probabilities (PyTorch's <c>log_target</c>).</param>
    /// <param name="temperature">The temperature T the logits are divided by, positive and finite; the loss is scaled by T^2.</param>
    /// <returns>The reduced loss. Mean of an empty batch is NaN; Sum is 0.</returns>
    /// <remarks>
    /// <para>Effectively computes, for each row, <c>T^2 sum_c t[c] (log t[c] - log_softmax(x / T)[c])</c> (0 where t[c] = 0, a log-target of -infinity included), as
    /// PyTorch's <c>kl_div(log_softmax(x / T), t, reduction='batchmean' or 'sum', log_target=logTargets) * T**2</c>: the distillation
    /// loss of Hinton et al. (2015). It is taken as the soft-target cross-entropy less the targets' entropy, so its rounding error
    /// is relative to the cross-entropy, not to a divergence near 0.</para>
    /// <para>A row with a NaN or +infinity logit has a NaN loss; target mass on a -infinity logit gives +infinity.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logits"/> differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not positive and finite.</exception>
    public static T FromLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int classes, Reduction reduction = Reduction.Mean,
        bool logTargets = false, double temperature = 1)
        where T : IFloatingPointIeee754<T>
    {
        int rows = CheckShape(logits, nameof(logits), targets, classes);
        ThrowHelper.CheckReduction(reduction);
        CheckTemperature(temperature);
        return Reductions.Reduce<T>(RunLogits(logits, targets, classes, logTargets, temperature, 1, default, default), Reductions.Divisor(reduction, rows));
    }

    /// <summary>Computes the KL divergence of the softmax of each row of logits, at a temperature, from its target distribution.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits x, <c>rows * classes</c> values.</param>
    /// <param name="targets">The target probabilities t (log-probabilities where <paramref name="logTargets"/>), the shape of <paramref name="logits"/>.</param>
    /// <param name="losses">
    /// Receives one loss per row. May start at the first element of <paramref name="logits"/> or of <paramref name="targets"/>: the
    /// rows are then computed in order on the calling thread, and the losses overwrite the start of that input.
    /// </param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="logTargets">Whether <paramref name="targets"/> holds log-probabilities (PyTorch's <c>log_target</c>).</param>
    /// <param name="temperature">The temperature T the logits are divided by, positive and finite; the loss is scaled by T^2.</param>
    /// <remarks>
    /// <para>Effectively computes <c>losses[r] = T^2 sum_c t[c] (log t[c] - log_softmax(x / T)[c])</c> over row r (0 where t[c] = 0, a log-target of -infinity included).</para>
    /// <para>A row with a NaN or +infinity logit has a NaN loss; target mass on a -infinity logit gives +infinity.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logits"/> differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not positive and finite.</exception>
    /// <exception cref="ArgumentException"><paramref name="losses"/> is shorter than the number of rows, or overlaps an input other than by starting at the first element of <paramref name="logits"/> or <paramref name="targets"/>.</exception>
    public static void FromLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, Span<T> losses, int classes, bool logTargets = false, double temperature = 1)
        where T : IFloatingPointIeee754<T>
    {
        int rows = CheckShape(logits, nameof(logits), targets, classes);
        CheckTemperature(temperature);
        Span<T> output = CheckOutput(logits, targets, losses, rows, nameof(losses), classes);
        RunLogits(logits, targets, classes, logTargets, temperature, 1, output, default, logits.Overlaps(output) || targets.Overlaps(output));
    }

    /// <summary>Computes the reduced KL divergence of the softmax of rows of logits, at a temperature, from target distributions, and its gradient with respect to the logits.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits x, <c>rows * classes</c> values.</param>
    /// <param name="targets">The target probabilities t (log-probabilities where <paramref name="logTargets"/>), the shape of <paramref name="logits"/>.</param>
    /// <param name="gradient">Receives d(loss)/d(logits), their shape; may be <paramref name="logits"/> or <paramref name="targets"/> itself.</param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="reduction">Mean divides the summed row losses by the number of rows (PyTorch's <c>'batchmean'</c>); Sum adds them.</param>
    /// <param name="logTargets">Whether <paramref name="targets"/> holds log-probabilities (PyTorch's <c>log_target</c>).</param>
    /// <param name="temperature">The temperature T the logits are divided by, positive and finite; the loss is scaled by T^2.</param>
    /// <returns>The reduced loss, as <see cref="FromLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Reduction, bool, double)"/>.</returns>
    /// <remarks>
    /// <para>Loss and gradient come out of one fused pass per row. With p the target probabilities and D the number of rows for Mean
    /// (1 for Sum), effectively computes <c>gradient[c] = T (softmax(x / T)[c] sum_j p[j] - p[c]) / D</c>, what PyTorch's autograd
    /// gives: <c>T (softmax(x / T) - p) / D</c> where the targets sum to 1.</para>
    /// <para>A row with a NaN or +infinity logit gets a NaN loss and a NaN gradient row.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logits"/> differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not positive and finite.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradient"/> is shorter than <paramref name="logits"/>, or overlaps an input other than as the same memory as <paramref name="logits"/> or <paramref name="targets"/>.</exception>
    public static T FromLogitsWithGradient<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, Span<T> gradient, int classes,
        Reduction reduction = Reduction.Mean, bool logTargets = false, double temperature = 1)
        where T : IFloatingPointIeee754<T>
    {
        int rows = CheckShape(logits, nameof(logits), targets, classes);
        ThrowHelper.CheckReduction(reduction);
        CheckTemperature(temperature);
        Span<T> output = CheckOutput(logits, targets, gradient, logits.Length, nameof(gradient), classes);
        double divisor = Reductions.Divisor(reduction, rows);
        double total = RunLogits(logits, targets, classes, logTargets, temperature, temperature * (1 / divisor), default, output);
        return Reductions.Reduce<T>(total, divisor);
    }

    private static void CheckTemperature(double temperature)
    {
        if (!(temperature > 0 && double.IsFinite(temperature)))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be positive and finite.");
        }
    }

    private static double RunLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int classes, bool logTargets, double temperature,
        double gradientScale, Span<T> losses, Span<T> gradient, bool inOrder = false)
        where T : IFloatingPointIeee754<T>
    {
        var kernel = new LogitsKernel<T>
        {
            Logits = logits,
            Targets = targets,
            Classes = classes,
            LogTargets = logTargets,
            Temperature = temperature,
            GradientScale = gradientScale,
            Losses = losses,
            Gradient = gradient,
        };
        return Simd.Run<LogitsKernel<T>, T>(ref kernel, logits.Length / classes, classes, inOrder);
    }

    private ref struct LogitsKernel<T> : IKernel
        where T : IFloatingPointIeee754<T>
    {
        public ReadOnlySpan<T> Logits;
        public ReadOnlySpan<T> Targets;
        public int Classes;
        public bool LogTargets;
        public double Temperature;
        public double GradientScale;
        public Span<T> Losses;
        public Span<T> Gradient;

        public readonly double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute>
        {
            int offset = start * Classes;
            int length = (end - start) * Classes;
            ReadOnlySpan<T> x = Logits.Slice(offset, length);
            ReadOnlySpan<T> t = Targets.Slice(offset, length);
            Span<T> losses = Simd.Part(Losses, start, end - start);
            Span<T> gradient = Simd.Part(Gradient, offset, length);
            return LogTargets
                ? Kernel<TBlock, TCompute, T>.KLDivergenceFromLogits<Yes>(x, t, Classes, Temperature, GradientScale, losses, gradient)
                : Kernel<TBlock, TCompute, T>.KLDivergenceFromLogits<No>(x, t, Classes, Temperature, GradientScale, losses, gradient);
        }
    }
}

internal static partial class Kernel<TBlock, T, TMemory>
{
    /// <summary>
    /// The KL divergence of softmax(x / temperature) from targets (log-targets where <typeparamref name="TLogTargets"/>), times
    /// temperature^2: writes the row losses and the gradient rows where those spans are not empty, and returns the sum of the row
    /// losses.
    /// </summary>
    public static double KLDivergenceFromLogits<TLogTargets>(ReadOnlySpan<TMemory> logits, ReadOnlySpan<TMemory> targets, int classes, double temperature,
        double gradientScale, Span<TMemory> losses, Span<TMemory> gradient)
        where TLogTargets : struct, IOption
    {
        if (temperature != 1)
        {
            var scaled = new DivergenceRow<TLogTargets, Yes>(targets, classes, temperature, gradientScale, losses, gradient);
            return Rows(ref scaled, logits, gradient, classes);
        }

        var op = new DivergenceRow<TLogTargets, No>(targets, classes, temperature, gradientScale, losses, gradient);
        return Rows(ref op, logits, gradient, classes);
    }

    /// <summary>
    /// One row's <c>T^2 sum_c p[c] (log p[c] - log_softmax(x / T)[c])</c> with p the target probabilities (exp of the targets where
    /// <typeparamref name="TLogTargets"/>): the soft-target cross-entropy from the driver's sums of p and p (x / T - max), less the
    /// sum of p log p, which <see cref="Start"/> adds up over the row's targets. The gradient is
    /// <c>T (softmax(x / T) sum p - p)</c> times the gradient scale.
    /// </summary>
    private ref struct DivergenceRow<TLogTargets, TTemperature> : IRowOperator
        where TLogTargets : struct, IOption
        where TTemperature : struct, IOption
    {
        private readonly ReadOnlySpan<TMemory> _targets;
        private readonly Span<TMemory> _losses;
        private readonly int _classes;
        private readonly T _temperature;
        private readonly T _squared;
        private readonly T _scale;
        private readonly TBlock _coefficientScale;

        // The sum of p log p of the row in hand, in every lane, or of the rows whose values are deferred, one per lane; those
        // rows' sums as Start adds them up.
        private TBlock _entropy;
        private Lanes<T> _deferredEntropies;

        public DivergenceRow(ReadOnlySpan<TMemory> targets, int classes, double temperature, double gradientScale, Span<TMemory> losses, Span<TMemory> gradient)
        {
            _targets = targets;
            _losses = losses;
            _classes = classes;
            _temperature = T.CreateTruncating(temperature);
            _squared = T.CreateTruncating(temperature * temperature);
            _scale = T.CreateTruncating(gradientScale);
            _coefficientScale = TBlock.Create(-_scale);
            WritesRows = !gradient.IsEmpty;

            // exp(x / T - max) may go to the gradient between passes, unless it is the targets' memory, which the last pass reads again.
            KeepsInOutput = !gradient.Overlaps(targets);
        }

        public static bool BesideMax => true;

        public static bool Differences => false;

        /// <summary>Division by a positive temperature keeps the order, so the maximum is that of the row as read, divided once.</summary>
        public static bool MonotoneInput => TTemperature.IsSet;

        public static bool Reduces => true;

        public bool WritesRows { get; }

        public bool KeepsInOutput { get; }

        public readonly bool WithCoefficients => true;

        public readonly bool AcrossLanes => false;

        /// <summary>The gradient needs no log; the loss needs nothing of a row beside its sums but the sum of p log p.</summary>
        public readonly bool DefersValues => true;

        /// <summary>x / temperature where <typeparamref name="TTemperature"/> is set (a type argument, so that the plain divergence's loops hold no division); x itself otherwise.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TBlock Input(TBlock x) => TTemperature.IsSet ? x / TBlock.Create(_temperature) : x;

        public readonly bool Skips(int row) => false;

        public readonly T NonFinite(int row, ReadOnlySpan<TMemory> x, T max, Span<TMemory> output)
        {
            output.Fill(TMemory.NaN);
            return T.NaN;
        }

        public void Start(int row, ReadOnlySpan<TMemory> x) => _entropy = TBlock.Create(Entropy(_targets.Slice(row * _classes, _classes)));

        /// <summary>
        /// The sum of p log p (0 where p is 0) over a row's targets, block by block in the order and with the compensation of the
        /// sum pass's sums. A loop of its own, so that the log takes none of the sum pass's inlining budget.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static T Entropy(ReadOnlySpan<TMemory> targets)
        {
            TBlock zero = BlockMath<TBlock, T>.Zero;
            TBlock tail = Tail(targets, TLogTargets.IsSet ? T.NegativeInfinity : T.Zero);
            CompensatedSum sum = default;
            for (int i = 0; (uint)i < (uint)targets.Length; i += Width)
            {
                TBlock t = i <= targets.Length - Width ? Load(targets, i) : tail;
                TBlock p = TLogTargets.IsSet ? Probabilities(t) : t;
                TBlock logP = TLogTargets.IsSet ? t : BlockMath<TBlock, T>.Log(t);
                sum.Add(TBlock.Select(TBlock.Equals(p, zero), zero, p * logP), i);
            }

            return sum.Total;
        }

        public readonly void StartLanes(int row, ref LaneBlocks<TBlock> values, int classes)
        {
        }

        /// <summary>The last, partial block of the row's targets, filled with a target whose probability is 0.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TBlock CoefficientsTail(int start) => Tail(_targets.Slice(start, _classes), TLogTargets.IsSet ? T.NegativeInfinity : T.Zero);

        /// <summary>The target probabilities p of the block at <paramref name="index"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TBlock Coefficients(int start, int index, TBlock tail)
        {
            TBlock t = index <= _classes - Width ? Load(_targets, start + index) : tail;
            return TLogTargets.IsSet ? Probabilities(t) : t;
        }

        /// <summary>
        /// exp of a block of log-targets. Not inline: in the drivers' loops it would spend the JIT's inlining budget that their
        /// block operations need on Vector128, even where the targets are probabilities.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static TBlock Probabilities(TBlock logTargets) => Exp(logTargets);

        public readonly TBlock LaneCoefficients(int c) => BlockMath<TBlock, T>.Zero;

        /// <summary>
        /// The loss <c>T^2 (logSum sum p - sum p (x / T - max) + sum p log p)</c> and the gradient factor <c>T sum p / sum</c>. Once
        /// per row, and not inline, so that the JIT keeps its inlining for the drivers' loops.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public TBlock Finish(in RowSums sums, out TBlock value)
        {
            TBlock logSum = BlockMath<TBlock, T>.Log1P(sums.Sum);
            TBlock crossEntropy = logSum * sums.CoefficientSum - sums.ShiftedSum;
            TBlock loss = TBlock.Create(_squared) * (crossEntropy + _entropy);

            // The maximum keeps a NaN only where it comes last in its lane; the sum of exp(x - max) keeps every NaN.
            value = TBlock.Select(TBlock.Equals(sums.Sum, sums.Sum), loss, TBlock.Create(T.NaN));
            return Factor(sums);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TBlock Defer(in RowSums sums, int lane)
        {
            _deferredEntropies[lane] = TBlock.First(_entropy);
            return Factor(sums);
        }

        public void StartDeferred() => _entropy = TBlock.Load(in _deferredEntropies[0]);

        /// <summary>The gradient's factor of the softmax, <c>sum p / sum</c> times the gradient scale.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly TBlock Factor(in RowSums sums) => sums.CoefficientSum / (BlockMath<TBlock, T>.One + sums.Sum) * TBlock.Create(_scale);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TBlock Final(TBlock value, TBlock factor, int start, int index, TBlock coefficientsTail, bool withCoefficients)
        {
            TBlock t = index <= _classes - Width ? Load(_targets, start + index) : coefficientsTail;
            return TBlock.FusedMultiplyAdd(TLogTargets.IsSet ? Probabilities(t) : t, _coefficientScale, value * factor);
        }

        public readonly TBlock LaneFinal(TBlock value, TBlock factor, int c) => value * factor;

        public readonly void AfterRow(int row, Span<TMemory> output)
        {
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
