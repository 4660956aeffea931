using System;
using System.Numerics;

namespace CrossEntropy;

/// <summary>The Kullback-Leibler divergence of rows of a model's distribution from target distributions, with its gradient.</summary>
/// <remarks>
/// <para>Batches are row-major: <c>rows * classes</c> values, one row per sample; <c>targets</c> has the input's shape and holds
/// probabilities, or log-probabilities where <c>logTargets</c> is set. Semantics follow PyTorch's
/// <c>torch.nn.functional.kl_div</c>, except that Mean is its <c>'batchmean'</c> (the summed divergence over the number of rows,
/// the true KL divergence), not its <c>'mean'</c> over every element, which its own documentation warns against. Targets outside
/// [0, 1] (above 0 as log-targets) are not rejected.</para>
/// <para>Every argument is checked before anything is written; nothing allocates on one thread (a batch spread over threads
/// allocates about 1.7 KB for the thread pool); results are bit-for-bit the same on every SIMD width and thread count; a NaN
/// result stays NaN, its sign and payload unspecified.</para>
/// <para>Batches large enough to spread over threads use at most as many as the AppContext setting
/// <c>CrossEntropy.MaxDegreeOfParallelism</c> allows (every core where it is unset); where it holds anything but a positive
/// integer, such a call throws <see cref="InvalidOperationException"/>.</para>
/// </remarks>
public static partial class KLDivergence
{
    /// <summary>Checks the shape and the targets' length, and returns the number of rows.</summary>
    private static int CheckShape<T>(ReadOnlySpan<T> input, string inputName, ReadOnlySpan<T> targets, int classes)
    {
        int rows = ThrowHelper.Rows(input.Length, classes, inputName);
        ThrowHelper.CheckSameLength(input.Length, targets.Length, nameof(targets), inputName);
        return rows;
    }

    /// <summary>
    /// Checks an output of <paramref name="length"/> elements (one per row, or the input's shape): room for it, and the part
    /// written either starting at the input's or the targets' first element or sharing none of their memory. Returns that part.
    /// </summary>
    private static Span<T> CheckOutput<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, Span<T> output, int length, string name, int classes)
    {
        Span<T> written = ThrowHelper.CheckOutput(input, output, length, name, classes);
        ThrowHelper.CheckNoPartialOverlap(targets, written, name);
        return written;
    }
}
