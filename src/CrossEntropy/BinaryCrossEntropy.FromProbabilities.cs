using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

public static partial class BinaryCrossEntropy
{
    /// <summary>Computes the binary cross-entropy of probabilities against targets, reduced to one value.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="probabilities">The predicted probabilities p, each in [0, 1].</param>
    /// <param name="targets">The targets y, usually in [0, 1]; the length of <paramref name="probabilities"/>.</param>
    /// <param name="reduction">Mean divides the summed losses by the number of elements; Sum adds them; a positive <paramref name="normalizer"/> overrides both.</param>
    /// <param name="weights">Empty, or weights w whose length divides the input's, used cyclically (PyTorch's <c>weight</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: each target y becomes <c>y (1 - s) + 0.5 s</c>.</param>
    /// <param name="normalizer">0, or a positive count the summed loss is divided by whatever <paramref name="reduction"/> says (Hugging Face's <c>num_items_in_batch</c>).</param>
    /// <returns>The reduced loss. Mean of an empty input is NaN; Sum is 0.</returns>
    /// <remarks>
    /// <para>Effectively computes <c>loss[i] = -w [y max(log p, -100) + (1 - y) max(log(1 - p), -100)]</c>, as PyTorch's
    /// <c>torch.nn.functional.binary_cross_entropy(p, y, weight)</c>, with <c>log(1 - p)</c> taken as <c>log1p(-p)</c> so
    /// that tiny losses keep their relative precision. The clamp at -100 keeps p = 0 and p = 1 finite.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="probabilities"/> differ in length.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="weights"/> does not divide the input's.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A probability is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    public static T FromProbabilities<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<T> targets, Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> weights = default, double labelSmoothing = 0, double normalizer = 0)
        where T : IFloatingPointIeee754<T>
    {
        CheckProbabilities(probabilities, targets, weights, labelSmoothing);
        ThrowHelper.CheckReduction(reduction);
        ThrowHelper.CheckNonNegative(normalizer, nameof(normalizer));
        return Run<ProbabilitiesOperator, T>(probabilities, targets, reduction, weights, default, labelSmoothing, default, default, normalizer);
    }

    /// <summary>Computes the binary cross-entropy of each probability against its target (PyTorch's <c>reduction='none'</c>).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="probabilities">The predicted probabilities p, each in [0, 1].</param>
    /// <param name="targets">The targets y, usually in [0, 1]; the length of <paramref name="probabilities"/>.</param>
    /// <param name="losses">Receives one loss per element; may be <paramref name="probabilities"/> or <paramref name="targets"/> itself.</param>
    /// <param name="weights">Empty, or weights w whose length divides the input's, used cyclically (PyTorch's <c>weight</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: each target y becomes <c>y (1 - s) + 0.5 s</c>.</param>
    /// <remarks>
    /// <para>Effectively computes <c>losses[i] = -w [y max(log p, -100) + (1 - y) max(log(1 - p), -100)]</c>, as PyTorch's
    /// <c>binary_cross_entropy(..., reduction='none')</c>.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="probabilities"/> differ in length.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="weights"/> does not divide the input's.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A probability is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="losses"/> is shorter than <paramref name="probabilities"/>, or overlaps an input other than as the same memory as <paramref name="probabilities"/> or <paramref name="targets"/>.</exception>
    public static void FromProbabilities<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<T> targets, Span<T> losses,
        ReadOnlySpan<T> weights = default, double labelSmoothing = 0)
        where T : IFloatingPointIeee754<T>
    {
        CheckProbabilities(probabilities, targets, weights, labelSmoothing);
        Span<T> output = CheckOutput(probabilities, targets, weights, default, losses, nameof(losses));
        Run<ProbabilitiesOperator, T>(probabilities, targets, Reduction.Sum, weights, default, labelSmoothing, output, default, 0);
    }

    /// <summary>Computes the reduced binary cross-entropy of probabilities against targets, and its gradient with respect to the probabilities.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="probabilities">The predicted probabilities p, each in [0, 1].</param>
    /// <param name="targets">The targets y, usually in [0, 1]; the length of <paramref name="probabilities"/>.</param>
    /// <param name="gradient">Receives d(loss)/d(probabilities); may be <paramref name="probabilities"/> or <paramref name="targets"/> itself.</param>
    /// <param name="reduction">Mean divides the summed losses by the number of elements; Sum adds them; a positive <paramref name="normalizer"/> overrides both.</param>
    /// <param name="weights">Empty, or weights w whose length divides the input's, used cyclically (PyTorch's <c>weight</c>).</param>
    /// <param name="labelSmoothing">s in [0, 1]: each target y becomes <c>y (1 - s) + 0.5 s</c>.</param>
    /// <param name="normalizer">0, or a positive count the summed loss is divided by whatever <paramref name="reduction"/> says (Hugging Face's <c>num_items_in_batch</c>).</param>
    /// <returns>The reduced loss, as <see cref="FromProbabilities{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T}, double, double)"/>.</returns>
    /// <remarks>
    /// <para>With D the number of elements for Mean (1 for Sum, the normalizer where it is positive), effectively computes
    /// <c>gradient[i] = w (p - y) / (max(p (1 - p), 1e-12) D)</c>: the clamp PyTorch's <c>binary_cross_entropy</c> backward applies,
    /// so p = 0 and p = 1 give finite gradients.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="probabilities"/> differ in length.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="weights"/> does not divide the input's.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A probability is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradient"/> is shorter than <paramref name="probabilities"/>, or overlaps an input other than as the same memory as <paramref name="probabilities"/> or <paramref name="targets"/>.</exception>
    public static T FromProbabilitiesWithGradient<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<T> targets, Span<T> gradient,
        Reduction reduction = Reduction.Mean, ReadOnlySpan<T> weights = default, double labelSmoothing = 0, double normalizer = 0)
        where T : IFloatingPointIeee754<T>
    {
        CheckProbabilities(probabilities, targets, weights, labelSmoothing);
        ThrowHelper.CheckReduction(reduction);
        ThrowHelper.CheckNonNegative(normalizer, nameof(normalizer));
        Span<T> output = CheckOutput(probabilities, targets, weights, default, gradient, nameof(gradient));
        return Run<ProbabilitiesOperator, T>(probabilities, targets, reduction, weights, default, labelSmoothing, default, output, normalizer);
    }

    private static void CheckProbabilities<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, double labelSmoothing)
        where T : IFloatingPointIeee754<T>
    {
        CheckArguments(probabilities, targets, weights, default, labelSmoothing);
        ThrowHelper.CheckProbabilities(probabilities);
    }

    private readonly struct ProbabilitiesOperator : IBinaryLossOperator
    {
        public static double Fill => 0.5;

        /// <summary>The loss of probabilities takes no exponential.</summary>
        public static bool BelowNormal<TBlock, T>(TBlock p)
            where TBlock : struct, IBlock<TBlock, T>
            where T : unmanaged, IFloatingPointIeee754<T> =>
            false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TBlock Invoke<TBlock, T>(TBlock p, TBlock y, out TBlock gradient, bool belowNormal)
            where TBlock : struct, IBlock<TBlock, T>
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            TBlock one = BlockMath<TBlock, T>.One;
            TBlock floor = TBlock.Create(T.CreateTruncating(-100));
            gradient = (p - y) / TBlock.Max(p * (one - p), TBlock.Create(T.CreateTruncating(1e-12)));
            TBlock logP = TBlock.Max(BlockMath<TBlock, T>.Log(p), floor);
            TBlock log1MinusP = TBlock.Max(BlockMath<TBlock, T>.Log1P(BlockMath<TBlock, T>.Zero - p), floor);
            return BlockMath<TBlock, T>.Zero - TBlock.FusedMultiplyAdd(y, logP, (one - y) * log1MinusP);
        }

        /// <summary>The loss of probabilities takes no positive weights: they are all ones here.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TBlock Invoke<TBlock, T>(TBlock p, TBlock y, TBlock positiveWeight, out TBlock gradient, bool belowNormal)
            where TBlock : struct, IBlock<TBlock, T>
            where T : unmanaged, IFloatingPointIeee754<T> =>
            Invoke<TBlock, T>(p, y, out gradient, belowNormal);
    }
}
