using System;
using System.Linq;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using FsCheck.Xunit;
using Xunit;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// FsCheck properties of the training-loop options and of the losses from log-probabilities, on the wide logits of
/// <see cref="LossArbitraries"/> (up to ±1e4 and beyond), each sample on the SIMD width it carries.
/// </summary>
[Properties(Arbitrary = new[] { typeof(LossArbitraries) })]
public sealed class TrainingOptionPropertyTests
{
    [Property(MaxTest = 40)]
    public void NeutralOptionsGiveTheSameBits(LabelledLogits sample) => NeutralOptions<double>(sample);

    [Property(MaxTest = 40)]
    public void NeutralOptionsGiveTheSameBitsInFloat(LabelledLogits sample) => NeutralOptions<float>(sample);

    [Property(MaxTest = 40)]
    public void LogProbabilitiesOfLogSoftmaxGiveTheLossFromLogits(LabelledLogits sample) => LogSoftmaxThenNll<double>(sample);

    [Property(MaxTest = 40)]
    public void LogProbabilitiesOfLogSoftmaxGiveTheLossFromLogitsInFloat(LabelledLogits sample) => LogSoftmaxThenNll<float>(sample);

    /// <summary>Sample weights of 1, a normalizer of 0, no cap, no z-loss and a log-sum-exp output change no bit.</summary>
    private static void NeutralOptions<T>(LabelledLogits sample)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using (Widths.Limit((VectorWidth)sample.Width))
        {
            T[] x = TestData.To<T>(sample.Logits);
            int rows = sample.Labels.Length;
            T[] plain = new T[x.Length], neutral = new T[x.Length];
            T a = CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, sample.Labels, plain, sample.Classes, labelSmoothing: 0.1);
            T b = CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, sample.Labels, neutral, sample.Classes, labelSmoothing: 0.1,
                sampleWeights: Enumerable.Repeat(T.One, rows).ToArray(), normalizer: 0, softCap: 0, zLoss: 0, logSumExp: new T[rows]);
            That.Holds(Check<T>.SameBits(a, b), $"{a} vs {b}");
            Check<T>.SameBits(plain, neutral, "gradient");
        }
    }

    /// <summary>
    /// nll_loss(log_softmax(x)) is cross_entropy(x): the per-row losses within the loss tolerance, measured against the
    /// magnitude of the log-probabilities summed (which is what rounding log_softmax can move).
    /// </summary>
    private static void LogSoftmaxThenNll<T>(LabelledLogits sample)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using (Widths.Limit((VectorWidth)sample.Width))
        {
            T[] x = TestData.To<T>(sample.Logits);
            int rows = sample.Labels.Length;
            T[] logProbabilities = new T[x.Length];
            CrossEntropy.Activations.LogSoftmax<T>(x, logProbabilities, sample.Classes);
            T[] fromLogits = new T[rows], fromLogs = new T[rows];
            CategoricalCrossEntropy.FromLogits<T>(x, sample.Labels, fromLogits, sample.Classes);
            CategoricalCrossEntropy.FromLogProbabilities<T>(logProbabilities, sample.Labels, fromLogs, sample.Classes);
            for (int r = 0; r < rows; r++)
            {
                double expected = double.CreateTruncating(fromLogits[r]);
                double actual = double.CreateTruncating(fromLogs[r]);
                double scale = Math.Abs(expected) + Math.Abs(double.CreateTruncating(x[r * sample.Classes + sample.Labels[r]])) + 1;
                That.Holds(Math.Abs(actual - expected) <= Tolerance<T>.Loss * scale, $"row {r}: {actual:R} vs {expected:R}");
            }
        }
    }
}
