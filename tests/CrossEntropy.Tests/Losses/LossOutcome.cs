using System;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// What one input gives through every entry point: the Mean and Sum losses, the losses returned with the gradients,
/// the per-row (per-element) losses, the Mean and Sum gradients, and whether the output elements past the results kept
/// their sentinel.
/// </summary>
internal sealed record LossOutcome<T>(T Mean, T Sum, T MeanWithGradient, T SumWithGradient, T[] Losses, T[] MeanGradient, T[] SumGradient, bool TailsUntouched)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void AssertMatches(LossReference.Result reference, Check<T> check, string context)
    {
        That.Holds(TailsUntouched, $"{context}: an output element outside the result changed.");
        check.Loss(reference.Loss(Reduction.Mean), Mean, $"{context}, Mean");
        check.Loss(reference.Loss(Reduction.Sum), Sum, $"{context}, Sum");
        check.Losses(reference.RowLosses, Losses, $"{context}, unreduced losses");
        check.Loss(reference.Loss(Reduction.Mean), MeanWithGradient, $"{context}, Mean returned with the gradient");
        check.Loss(reference.Loss(Reduction.Sum), SumWithGradient, $"{context}, Sum returned with the gradient");
        check.Gradient(reference.Gradient(Reduction.Mean), reference.Magnitude(Reduction.Mean), MeanGradient, $"{context}, Mean gradient");
        check.Gradient(reference.Gradient(Reduction.Sum), reference.Magnitude(Reduction.Sum), SumGradient, $"{context}, Sum gradient");
    }

    public void AssertSameBits(LossOutcome<T> other, string context)
    {
        That.Holds(TailsUntouched, $"{context}: an output element outside the result changed.");
        That.Holds(Check<T>.SameBits(other.Mean, Mean), $"{context}: Mean {Mean} differs from {other.Mean}.");
        That.Holds(Check<T>.SameBits(other.Sum, Sum), $"{context}: Sum {Sum} differs from {other.Sum}.");
        That.Holds(Check<T>.SameBits(other.MeanWithGradient, MeanWithGradient), $"{context}: Mean with gradient {MeanWithGradient} differs from {other.MeanWithGradient}.");
        That.Holds(Check<T>.SameBits(other.SumWithGradient, SumWithGradient), $"{context}: Sum with gradient {SumWithGradient} differs from {other.SumWithGradient}.");
        Check<T>.SameBits(other.Losses, Losses, $"{context}, unreduced losses");
        Check<T>.SameBits(other.MeanGradient, MeanGradient, $"{context}, Mean gradient");
        Check<T>.SameBits(other.SumGradient, SumGradient, $"{context}, Sum gradient");
    }
}

/// <summary>Output buffers with a sentinel past their end, and inputs placed at an offset in NaN padding.</summary>
internal static class LossBuffers<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Written into outputs before a call, to see which elements the call changed.</summary>
    public static readonly T Sentinel = T.CreateTruncating(-7.25);

    public static T[] Filled(int length)
    {
        T[] values = new T[length];
        values.AsSpan().Fill(Sentinel);
        return values;
    }

    /// <summary>Whether every element of <paramref name="values"/> outside [offset, offset + length) still holds the sentinel.</summary>
    public static bool UntouchedOutside(T[] values, int offset, int length)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if ((i < offset || i >= offset + length) && !Check<T>.SameBits(values[i], Sentinel))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The values at <paramref name="offset"/> in an array padded with NaN on both sides.</summary>
    public static T[] Padded(T[] values, int offset)
    {
        T[] result = new T[offset + values.Length + 5];
        result.AsSpan().Fill(T.NaN);
        values.CopyTo(result.AsSpan(offset));
        return result;
    }
}
