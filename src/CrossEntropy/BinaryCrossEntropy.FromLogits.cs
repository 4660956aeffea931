using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

public static partial class BinaryCrossEntropy
{
    /// <summary>Computes the binary cross-entropy of logits against targets, reduced to one value.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits x.</param>
    /// <param name="targets">The targets y, usually in [0, 1]; the length of <paramref name="logits"/>.</param>
    /// <param name="reduction">Mean divides the summed losses by the number of elements; Sum adds them; a positive <paramref name="normalizer"/> overrides both.</param>
    /// <param name="weights">Empty, or weights w whose length divides the input's, used cyclically (PyTorch's <c>weight</c>).</param>
    /// <param name="positiveWeights">Empty, or weights pw on the positive term whose length divides the input's, used cyclically (PyTorch's <c>pos_weight</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: each target y becomes <c>y (1 - s) + 0.5 s</c>.</param>
    /// <param name="normalizer">0, or a positive count the summed loss is divided by whatever <paramref name="reduction"/> says (Hugging Face's <c>num_items_in_batch</c>).</param>
    /// <returns>The reduced loss. Mean of an empty input is NaN; Sum is 0.</returns>
    /// <remarks>
    /// <para>Effectively computes <c>loss[i] = -w [pw y log(sigmoid(x)) + (1 - y) log(1 - sigmoid(x))]</c>, as PyTorch's
    /// <c>torch.nn.functional.binary_cross_entropy_with_logits(x, y, weight, pos_weight=pw)</c>, evaluated as
    /// <c>w [(x &gt;= 0 ? (1 - y) x : -pw y x) + (1 + (pw - 1) y) log1p(exp(-|x|))]</c>: no overflow at any magnitude and no
    /// cancellation, so tiny losses keep their relative precision.</para>
    /// <para>A NaN logit gives NaN. An infinite logit gives the limit: 0 where the target agrees with it (1 at +infinity, 0 at
    /// -infinity), +infinity where it does not (any target in between, smoothed ones included), and 0 where a zero weight or
    /// positive weight takes the disagreeing term away. PyTorch gives NaN where it computes <c>0 * infinity</c> there.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logits"/> differ in length.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="weights"/> or <paramref name="positiveWeights"/> does not divide the input's.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    public static T FromLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> weights = default, ReadOnlySpan<T> positiveWeights = default, double labelSmoothing = 0, double normalizer = 0)
        where T : IFloatingPointIeee754<T>
    {
        CheckArguments(logits, targets, weights, positiveWeights, labelSmoothing);
        ThrowHelper.CheckReduction(reduction);
        ThrowHelper.CheckNonNegative(normalizer, nameof(normalizer));
        return Run<LogitsOperator, T>(logits, targets, reduction, weights, positiveWeights, labelSmoothing, default, default, normalizer);
    }

    /// <summary>Computes the binary cross-entropy of each logit against its target (PyTorch's <c>reduction='none'</c>).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits x.</param>
    /// <param name="targets">The targets y, usually in [0, 1]; the length of <paramref name="logits"/>.</param>
    /// <param name="losses">Receives one loss per element; may be <paramref name="logits"/> or <paramref name="targets"/> itself.</param>
    /// <param name="weights">Empty, or weights w whose length divides the input's, used cyclically (PyTorch's <c>weight</c>).</param>
    /// <param name="positiveWeights">Empty, or weights pw on the positive term whose length divides the input's, used cyclically (PyTorch's <c>pos_weight</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: each target y becomes <c>y (1 - s) + 0.5 s</c>.</param>
    /// <remarks>
    /// <para>Effectively computes <c>losses[i] = -w [pw y log(sigmoid(x)) + (1 - y) log(1 - sigmoid(x))]</c>, as PyTorch's
    /// <c>binary_cross_entropy_with_logits(..., reduction='none')</c>, without overflow or cancellation.</para>
    /// <para>A NaN logit gives NaN. An infinite logit gives the limit: 0 where the target agrees with it, +infinity where it does
    /// not, 0 under a zero weight (PyTorch gives NaN where it computes <c>0 * infinity</c>).</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logits"/> differ in length.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="weights"/> or <paramref name="positiveWeights"/> does not divide the input's.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="losses"/> is shorter than <paramref name="logits"/>, or overlaps an input other than as the same memory as <paramref name="logits"/> or <paramref name="targets"/>.</exception>
    public static void FromLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, Span<T> losses,
        ReadOnlySpan<T> weights = default, ReadOnlySpan<T> positiveWeights = default, double labelSmoothing = 0)
        where T : IFloatingPointIeee754<T>
    {
        CheckArguments(logits, targets, weights, positiveWeights, labelSmoothing);
        Span<T> output = CheckOutput(logits, targets, weights, positiveWeights, losses, nameof(losses));
        Run<LogitsOperator, T>(logits, targets, Reduction.Sum, weights, positiveWeights, labelSmoothing, output, default, 0);
    }

    /// <summary>Computes the reduced binary cross-entropy of logits against targets, and its gradient with respect to the logits.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits x.</param>
    /// <param name="targets">The targets y, usually in [0, 1]; the length of <paramref name="logits"/>.</param>
    /// <param name="gradient">Receives d(loss)/d(logits); may be <paramref name="logits"/> or <paramref name="targets"/> itself.</param>
    /// <param name="reduction">Mean divides the summed losses by the number of elements; Sum adds them; a positive <paramref name="normalizer"/> overrides both.</param>
    /// <param name="weights">Empty, or weights w whose length divides the input's, used cyclically (PyTorch's <c>weight</c>).</param>
    /// <param name="positiveWeights">Empty, or weights pw on the positive term whose length divides the input's, used cyclically (PyTorch's <c>pos_weight</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: each target y becomes <c>y (1 - s) + 0.5 s</c>.</param>
    /// <param name="normalizer">0, or a positive count the summed loss is divided by whatever <paramref name="reduction"/> says (Hugging Face's <c>num_items_in_batch</c>).</param>
    /// <returns>The reduced loss, as <see cref="FromLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T}, ReadOnlySpan{T}, double, double)"/>.</returns>
    /// <remarks>
    /// <para>Loss and gradient come out of one pass. With D the number of elements for Mean (1 for Sum, the normalizer where it is positive), effectively computes
    /// <c>gradient[i] = w [(1 - y) sigmoid(x) - pw y sigmoid(-x)] / D</c>, which is <c>w (sigmoid(x) - y) / D</c> without
    /// <paramref name="positiveWeights"/>: what PyTorch's autograd gives for <c>binary_cross_entropy_with_logits</c>.</para>
    /// <para>A NaN logit gives a NaN loss and gradient. An infinite logit gives the loss's limit (0 where the target agrees, else
    /// +infinity) and the gradient's, <c>w [(1 - y) sigmoid(x) - pw y sigmoid(-x)] / D</c> at the infinity: finite.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logits"/> differ in length.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="weights"/> or <paramref name="positiveWeights"/> does not divide the input's.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradient"/> is shorter than <paramref name="logits"/>, or overlaps an input other than as the same memory as <paramref name="logits"/> or <paramref name="targets"/>.</exception>
    public static T FromLogitsWithGradient<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, Span<T> gradient, Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> weights = default, ReadOnlySpan<T> positiveWeights = default, double labelSmoothing = 0, double normalizer = 0)
        where T : IFloatingPointIeee754<T>
    {
        CheckArguments(logits, targets, weights, positiveWeights, labelSmoothing);
        ThrowHelper.CheckReduction(reduction);
        ThrowHelper.CheckNonNegative(normalizer, nameof(normalizer));
        Span<T> output = CheckOutput(logits, targets, weights, positiveWeights, gradient, nameof(gradient));
        return Run<LogitsOperator, T>(logits, targets, reduction, weights, positiveWeights, labelSmoothing, default, output, normalizer);
    }

    private readonly struct LogitsOperator : IBinaryLossOperator
    {
        public static double Fill => 0;

        /// <summary>
        /// sigmoid(x) - y as small - y where x &lt; 0, (1 - y) - small elsewhere: no cancellation for y in {0, 1}; the loss
        /// <c>linear |x| + log1p(e^-|x|)</c>, its linear coefficient y where x &lt; 0, 1 - y elsewhere.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool BelowNormal<TBlock, T>(TBlock x)
            where TBlock : struct, IBlock<TBlock, T>
            where T : unmanaged, IFloatingPointIeee754<T> =>
            BlockMath<TBlock, T>.ExpBelowNormal(BlockMath<TBlock, T>.NegativeAbs(x));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TBlock Invoke<TBlock, T>(TBlock x, TBlock y, out TBlock gradient, bool belowNormal)
            where TBlock : struct, IBlock<TBlock, T>
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            TBlock one = BlockMath<TBlock, T>.One;
            TBlock negative = TBlock.LessThan(x, BlockMath<TBlock, T>.Zero);
            TBlock z = BlockMath<TBlock, T>.ExpNonPositive(BlockMath<TBlock, T>.NegativeAbs(x), belowNormal);
            TBlock negativeTarget = one - y;
            TBlock small = z / (one + z);
            gradient = TBlock.Select(negative, small - y, negativeTarget - small);
            TBlock linear = TBlock.Select(negative, y, negativeTarget);
            return TBlock.FusedMultiplyAdd(linear, Magnitude<TBlock, T>(x, linear), BlockMath<TBlock, T>.Log1PUnit(z, one / (one + z)));
        }

        /// <summary>
        /// With pos_weight: the gradient (1 - y) sigmoid(x) - pw y sigmoid(-x), and the loss
        /// (1 - y) x + (1 + (pw - 1) y) (log1p(e^-|x|) + max(-x, 0)), its linear part -pw y x where x &lt; 0, (1 - y) x elsewhere.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TBlock Invoke<TBlock, T>(TBlock x, TBlock y, TBlock positiveWeight, out TBlock gradient, bool belowNormal)
            where TBlock : struct, IBlock<TBlock, T>
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            TBlock one = BlockMath<TBlock, T>.One;
            TBlock negative = TBlock.LessThan(x, BlockMath<TBlock, T>.Zero);
            TBlock z = BlockMath<TBlock, T>.ExpNonPositive(BlockMath<TBlock, T>.NegativeAbs(x), belowNormal);
            TBlock negativeTarget = one - y;
            TBlock large = one / (one + z);
            TBlock small = z * large;
            TBlock positiveTarget = positiveWeight * y;
            gradient = negativeTarget * TBlock.Select(negative, small, large) - positiveTarget * TBlock.Select(negative, large, small);
            TBlock coefficient = TBlock.Select(negative, positiveTarget, negativeTarget);
            TBlock linear = coefficient * Magnitude<TBlock, T>(x, coefficient);
            return TBlock.FusedMultiplyAdd(one + positiveTarget - y, BlockMath<TBlock, T>.Log1PUnit(z, large), linear);
        }

        /// <summary>|x|, or 0 where the linear term's <paramref name="coefficient"/> is 0: an infinite logit whose target agrees with it costs 0, not 0 * infinity.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TBlock Magnitude<TBlock, T>(TBlock x, TBlock coefficient)
            where TBlock : struct, IBlock<TBlock, T>
            where T : unmanaged, IFloatingPointIeee754<T> =>
            TBlock.Select(TBlock.Equals(coefficient, BlockMath<TBlock, T>.Zero), BlockMath<TBlock, T>.Zero, BlockMath<TBlock, T>.Abs(x));
    }
}
