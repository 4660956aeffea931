using System.Numerics;

namespace CrossEntropy;

/// <summary>How a reduced loss and its gradient are divided, for every loss.</summary>
internal static class Reductions
{
    /// <summary>
    /// The divisor of a reduced loss, whose inverse the gradient carries: <paramref name="normalizer"/> where it is positive,
    /// else <paramref name="meanDenominator"/> for Mean, 1 for Sum.
    /// </summary>
    public static double Divisor(Reduction reduction, double meanDenominator, double normalizer = 0) =>
        normalizer > 0 ? normalizer : reduction == Reduction.Mean ? meanDenominator : 1;

    /// <summary>
    /// The reduced loss from the sum of the losses, rounded once to <typeparamref name="T"/>: the sum itself for a divisor of 1.
    /// A zero divisor gives sum / 0, as in PyTorch: ±infinity, or NaN for 0 / 0 (an empty batch, every row ignored).
    /// </summary>
    public static T Reduce<T>(double total, double divisor)
        where T : IFloatingPointIeee754<T> =>
        T.CreateTruncating(total / divisor);
}
