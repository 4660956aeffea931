using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

public static partial class KLDivergence
{
    /// <summary>Computes the KL divergence of rows of log-probabilities from target distributions, reduced to one value.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logProbabilities">The model's log-probabilities x, <c>rows * classes</c> values.</param>
    /// <param name="targets">The target probabilities t (log-probabilities where <paramref name="logTargets"/>), the shape of <paramref name="logProbabilities"/>.</param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="reduction">Mean divides the summed row losses by the number of rows (PyTorch's <c>'batchmean'</c>); Sum adds them.</param>
    /// <param name="logTargets">Whether <paramref name="targets"/> holds log-probabilities (PyTorch's <c>log_target</c>).</param>
    /// <returns>The reduced loss. Mean of an empty batch is NaN; Sum is 0.</returns>
    /// <remarks>
    /// <para>Effectively computes <c>sum_c t[c] (log t[c] - x[c])</c> for each row (0 where t[c] = 0), or
    /// <c>sum_c exp(t[c]) (t[c] - x[c])</c> with <paramref name="logTargets"/>, as PyTorch's
    /// <c>torch.nn.functional.kl_div(x, t, reduction='batchmean' or 'sum', log_target=logTargets)</c>.</para>
    /// <para>A class whose target probability is 0 (t = 0, or an exp(t) of 0 with <paramref name="logTargets"/>, t = -infinity included)
    /// contributes 0, even where x is -infinity; PyTorch gives NaN there (0 x infinity). A NaN x or target gives NaN.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logProbabilities"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logProbabilities"/> differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    public static T FromLogProbabilities<T>(ReadOnlySpan<T> logProbabilities, ReadOnlySpan<T> targets, int classes, Reduction reduction = Reduction.Mean,
        bool logTargets = false)
        where T : IFloatingPointIeee754<T>
    {
        int rows = CheckShape(logProbabilities, nameof(logProbabilities), targets, classes);
        ThrowHelper.CheckReduction(reduction);
        return Reductions.Reduce<T>(RunLogProbabilities(logProbabilities, targets, classes, logTargets, 1, default, default), Reductions.Divisor(reduction, rows));
    }

    /// <summary>Computes the KL divergence of each row of log-probabilities from its target distribution.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logProbabilities">The model's log-probabilities x, <c>rows * classes</c> values.</param>
    /// <param name="targets">The target probabilities t (log-probabilities where <paramref name="logTargets"/>), the shape of <paramref name="logProbabilities"/>.</param>
    /// <param name="losses">
    /// Receives one loss per row. May start at the first element of <paramref name="logProbabilities"/> or of <paramref name="targets"/>:
    /// the rows are then computed in order on the calling thread, and the losses overwrite the start of that input.
    /// </param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="logTargets">Whether <paramref name="targets"/> holds log-probabilities (PyTorch's <c>log_target</c>).</param>
    /// <remarks>
    /// <para>Effectively computes <c>losses[r] = sum_c t[c] (log t[c] - x[c])</c> over row r (0 where t[c] = 0), or
    /// <c>sum_c exp(t[c]) (t[c] - x[c])</c> with <paramref name="logTargets"/>: PyTorch's <c>kl_div(..., reduction='none')</c> summed
    /// over each row.</para>
    /// <para>A class whose target probability is 0 (t = 0, or an exp(t) of 0 with <paramref name="logTargets"/>, t = -infinity included)
    /// contributes 0, even where x is -infinity; a NaN x or target gives NaN.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logProbabilities"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logProbabilities"/> differ in length.</exception>
    /// <exception cref="ArgumentException"><paramref name="losses"/> is shorter than the number of rows, or overlaps an input other than by starting at the first element of <paramref name="logProbabilities"/> or <paramref name="targets"/>.</exception>
    public static void FromLogProbabilities<T>(ReadOnlySpan<T> logProbabilities, ReadOnlySpan<T> targets, Span<T> losses, int classes, bool logTargets = false)
        where T : IFloatingPointIeee754<T>
    {
        int rows = CheckShape(logProbabilities, nameof(logProbabilities), targets, classes);
        Span<T> output = CheckOutput(logProbabilities, targets, losses, rows, nameof(losses), classes);
        RunLogProbabilities(logProbabilities, targets, classes, logTargets, 1, output, default, logProbabilities.Overlaps(output) || targets.Overlaps(output));
    }

    /// <summary>Computes the reduced KL divergence of rows of log-probabilities from target distributions, and its gradient with respect to the log-probabilities.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logProbabilities">The model's log-probabilities x, <c>rows * classes</c> values.</param>
    /// <param name="targets">The target probabilities t (log-probabilities where <paramref name="logTargets"/>), the shape of <paramref name="logProbabilities"/>.</param>
    /// <param name="gradient">Receives d(loss)/d(logProbabilities), their shape; may be <paramref name="logProbabilities"/> or <paramref name="targets"/> itself.</param>
    /// <param name="classes">The number of classes (the length of a row).</param>
    /// <param name="reduction">Mean divides the summed row losses by the number of rows (PyTorch's <c>'batchmean'</c>); Sum adds them.</param>
    /// <param name="logTargets">Whether <paramref name="targets"/> holds log-probabilities (PyTorch's <c>log_target</c>).</param>
    /// <returns>The reduced loss, as <see cref="FromLogProbabilities{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Reduction, bool)"/>.</returns>
    /// <remarks>
    /// <para>Loss and gradient come out of one pass. With D the number of rows for Mean (1 for Sum), effectively computes
    /// <c>gradient[i] = -t[i] / D</c>, or <c>-exp(t[i]) / D</c> with <paramref name="logTargets"/>: what PyTorch's autograd gives
    /// for <c>kl_div</c>.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logProbabilities"/> is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logProbabilities"/> differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradient"/> is shorter than <paramref name="logProbabilities"/>, or overlaps an input other than as the same memory as <paramref name="logProbabilities"/> or <paramref name="targets"/>.</exception>
    public static T FromLogProbabilitiesWithGradient<T>(ReadOnlySpan<T> logProbabilities, ReadOnlySpan<T> targets, Span<T> gradient, int classes,
        Reduction reduction = Reduction.Mean, bool logTargets = false)
        where T : IFloatingPointIeee754<T>
    {
        int rows = CheckShape(logProbabilities, nameof(logProbabilities), targets, classes);
        ThrowHelper.CheckReduction(reduction);
        Span<T> output = CheckOutput(logProbabilities, targets, gradient, logProbabilities.Length, nameof(gradient), classes);
        double divisor = Reductions.Divisor(reduction, rows);
        double total = RunLogProbabilities(logProbabilities, targets, classes, logTargets, 1 / divisor, default, output);
        return Reductions.Reduce<T>(total, divisor);
    }

    private static double RunLogProbabilities<T>(ReadOnlySpan<T> logProbabilities, ReadOnlySpan<T> targets, int classes, bool logTargets,
        double gradientScale, Span<T> losses, Span<T> gradient, bool inOrder = false)
        where T : IFloatingPointIeee754<T>
    {
        var kernel = new LogProbabilitiesKernel<T>
        {
            LogProbabilities = logProbabilities,
            Targets = targets,
            Classes = classes,
            LogTargets = logTargets,
            GradientScale = gradientScale,
            Losses = losses,
            Gradient = gradient,
        };
        return Simd.Run<LogProbabilitiesKernel<T>, T>(ref kernel, logProbabilities.Length / classes, classes, inOrder);
    }

    private ref struct LogProbabilitiesKernel<T> : IKernel
        where T : IFloatingPointIeee754<T>
    {
        public ReadOnlySpan<T> LogProbabilities;
        public ReadOnlySpan<T> Targets;
        public int Classes;
        public bool LogTargets;
        public double GradientScale;
        public Span<T> Losses;
        public Span<T> Gradient;

        public readonly double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute>
        {
            int offset = start * Classes;
            int length = (end - start) * Classes;
            ReadOnlySpan<T> x = LogProbabilities.Slice(offset, length);
            ReadOnlySpan<T> t = Targets.Slice(offset, length);
            Span<T> losses = Simd.Part(Losses, start, end - start);
            Span<T> gradient = Simd.Part(Gradient, offset, length);
            return LogTargets
                ? Kernel<TBlock, TCompute, T>.KLDivergence<Yes>(x, t, Classes, GradientScale, losses, gradient)
                : Kernel<TBlock, TCompute, T>.KLDivergence<No>(x, t, Classes, GradientScale, losses, gradient);
        }
    }
}

internal static partial class Kernel<TBlock, T, TMemory>
{
    /// <summary>
    /// The KL divergence of rows of log-probabilities x from targets t: each row's sum of <c>t (log t - x)</c> (0 where t = 0), or
    /// of <c>exp(t) (t - x)</c> where <typeparamref name="TLogTargets"/>, in the row's fixed blocks; writes the row losses and the
    /// gradient <c>-t</c> or <c>-exp(t)</c> (times <paramref name="gradientScale"/>) where those spans are not empty, and returns the
    /// sum of the row losses in row order. Each block is read before the gradient's block at its place is written.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static double KLDivergence<TLogTargets>(ReadOnlySpan<TMemory> x, ReadOnlySpan<TMemory> targets, int classes, double gradientScale,
        Span<TMemory> losses, Span<TMemory> gradient)
        where TLogTargets : struct, IOption
    {
        TBlock zero = BlockMath<TBlock, T>.Zero;
        TBlock scale = TBlock.Create(-T.CreateTruncating(gradientScale));
        double total = 0;
        for (int start = 0, r = 0; start < x.Length; start += classes, r++)
        {
            ReadOnlySpan<TMemory> row = x.Slice(start, classes);
            ReadOnlySpan<TMemory> targetRow = targets.Slice(start, classes);
            Span<TMemory> gradientRow = gradient.IsEmpty ? default : gradient.Slice(start, classes);

            // Past the row's end x and t are 0, whose term is 0 either way.
            TBlock rowTail = Tail(row, T.Zero);
            TBlock targetTail = Tail(targetRow, T.Zero);
            CompensatedSum sum = default;
            TBlock last = zero;
            for (int i = 0; (uint)i < (uint)classes; i += Width)
            {
                TBlock xs = Load(row, i, rowTail);
                TBlock t = Load(targetRow, i, targetTail);

                // w is the target probability; where it is 0 the term is 0, x = -infinity included, unless x is NaN.
                TBlock w = TLogTargets.IsSet ? Exp(t) : t;
                TBlock term = w * ((TLogTargets.IsSet ? t : BlockMath<TBlock, T>.Log(t)) - xs);
                term = TBlock.Select(TBlock.Equals(w, zero) & TBlock.Equals(xs, xs), zero, term);
                if (!gradient.IsEmpty)
                {
                    if (i <= classes - Width)
                    {
                        Store(w * scale, gradientRow, i);
                    }
                    else
                    {
                        last = w * scale;
                    }
                }

                sum.Add(term, i);
            }

            T value = sum.Total;
            if (!gradient.IsEmpty)
            {
                StoreTail(last, gradientRow, classes);
            }

            if (!losses.IsEmpty)
            {
                losses[r] = ToMemory(value);
            }

            total += double.CreateTruncating(value);
        }

        return total;
    }
}
