using System;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using FsCheck.Xunit;
using Xunit;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// FsCheck properties of the losses and their gradients, on inputs from <see cref="LossArbitraries"/>. Each sample carries
/// the SIMD width it runs on, so every path is exercised across the samples.
/// </summary>
[Properties(Arbitrary = new[] { typeof(LossArbitraries) })]
public sealed class LossPropertyTests
{
    /// <summary>
    /// From logits with labels, no weights and no smoothing, the Mean gradient is (softmax - one_hot) / rows, with the softmax
    /// of the double reference.
    /// </summary>
    [Property]
    public void GradientFromLogitsIsSoftmaxMinusOneHot(LabelledLogits sample) => SoftmaxMinusOneHot<double>(sample);

    [Property]
    public void GradientFromLogitsIsSoftmaxMinusOneHotInFloat(LabelledLogits sample) => SoftmaxMinusOneHot<float>(sample);

    /// <summary>
    /// Each gradient row from logits sums to 0: sum_c (softmax[c] sum_j a[j] - a[c]) = 0, which holds with class weights,
    /// smoothing and targets that do not sum to 1 as well. Allowed: the gradient tolerance's cancellation part, over the
    /// magnitudes of the terms of the row.
    /// </summary>
    [Property]
    public void GradientRowsFromLogitsSumToZero(WideCategorical sample) => RowsSumToZero<double>(sample.Sample);

    [Property]
    public void GradientRowsFromLogitsSumToZeroInFloat(WideCategorical sample) => RowsSumToZero<float>(sample.Sample);

    /// <summary>
    /// Adding a constant to one row of logits leaves every loss and gradient with the same bits where the shifted logits
    /// are exact (logits on a grid of 1/64, integer shifts); otherwise the shifted row's loss moves by at most the rounding of
    /// its shifted logits (one ulp of the largest), and the other rows keep their bits.
    /// </summary>
    [Property]
    public void ShiftingARowOfLogitsKeepsItsLoss(ShiftedLogits sample) => ShiftKeepsLoss<double>(sample);

    [Property]
    public void ShiftingARowOfLogitsKeepsItsLossInFloat(ShiftedLogits sample) => ShiftKeepsLoss<float>(sample);

    /// <summary>
    /// Each entry of the reduced gradient (Mean, or Sum when every row is ignored) equals the central difference
    /// (L(x + h) - L(x - h)) / 2h of the library's own double forward pass, h = 1e-4 for logits and 1e-6 for probabilities
    /// (kept in [0.05, 0.95], away from the clamps). Truncation (h^2 / 6 times the third derivative) and cancellation
    /// (1e-16 |L| / h) both stay below 1e-7 of the largest gradient entry; allowed: 1e-6 of it plus 1e-6 of the entry.
    /// </summary>
    [Property(MaxTest = 40)]
    public void CategoricalGradientMatchesFiniteDifferences(SmoothCategorical sample)
    {
        CategoricalSample s = sample.Sample;
        Reduction reduction = Reference(s).Denominator > 0 ? Reduction.Mean : Reduction.Sum;
        double[] input = (double[])s.Input.Clone();
        double[] gradient = new double[input.Length];
        using (Widths.Limit((VectorWidth)s.Width))
        {
            Call(s, input).WithGradient(gradient, reduction);
            AssertFiniteDifferences(input, gradient, s.FromLogits ? 1e-4 : 1e-6, x => Call(s, x).Loss(reduction), s.ToString());
        }
    }

    /// <summary>The same for binary cross-entropy: logits in [-8, 8] with h = 1e-4, probabilities in [0.05, 0.95] with h = 1e-6, Mean.</summary>
    [Property(MaxTest = 40)]
    public void BinaryGradientMatchesFiniteDifferences(SmoothBinary sample)
    {
        BinarySample s = sample.Sample;
        double[] input = (double[])s.Input.Clone();
        double[] gradient = new double[input.Length];
        using (Widths.Limit((VectorWidth)s.Width))
        {
            Call(s, input).WithGradient(gradient, Reduction.Mean);
            AssertFiniteDifferences(input, gradient, s.FromLogits ? 1e-4 : 1e-6, x => Call(s, x).Loss(Reduction.Mean), s.ToString());
        }
    }

    /// <summary>
    /// The per-row losses add up to the Sum reduction: within 1e-6 (float, where each row loss is rounded once more) or
    /// 1e-13 (double) of the summed magnitudes.
    /// </summary>
    [Property]
    public void CategoricalLossesAddUpToSum(WideCategorical sample) => CategoricalAddsUp<double>(sample.Sample);

    [Property]
    public void CategoricalLossesAddUpToSumInFloat(WideCategorical sample) => CategoricalAddsUp<float>(sample.Sample);

    [Property]
    public void BinaryLossesAddUpToSum(WideBinary sample) => BinaryAddsUp<double>(sample.Sample);

    [Property]
    public void BinaryLossesAddUpToSumInFloat(WideBinary sample) => BinaryAddsUp<float>(sample.Sample);

    private static void SoftmaxMinusOneHot<T>(LabelledLogits sample)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] logits = TestData.To<T>(sample.Logits);
        double[] exact = TestData.ToDouble<T>(logits);
        int rows = sample.Labels.Length;
        T[] gradient = new T[logits.Length];
        using (Widths.Limit((VectorWidth)sample.Width))
        {
            CategoricalCrossEntropy.FromLogitsWithGradient<T>(logits, sample.Labels, gradient, sample.Classes);
        }

        double[] expected = new double[logits.Length];
        double[] magnitude = new double[logits.Length];
        for (int row = 0; row < rows; row++)
        {
            double[] softmax = LossReference.Softmax(exact.AsSpan(row * sample.Classes, sample.Classes));
            for (int c = 0; c < sample.Classes; c++)
            {
                double oneHot = c == sample.Labels[row] ? 1 : 0;
                expected[row * sample.Classes + c] = (softmax[c] - oneHot) / rows;
                magnitude[row * sample.Classes + c] = (softmax[c] + oneHot) / rows;
            }
        }

        var check = new Check<T>();
        check.Gradient(expected, magnitude, gradient, sample.ToString());
        check.AssertNoMismatch();
    }

    private static void RowsSumToZero<T>(CategoricalSample sample)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CategoricalSample asLogits = sample with { FromLogits = true };
        T[] logits = TestData.To<T>(asLogits.Input);
        T[] targets = TestData.To<T>(asLogits.Targets ?? []);
        T[] weights = TestData.To<T>(asLogits.Weights);
        T[] gradient = new T[logits.Length];
        using (Widths.Limit((VectorWidth)sample.Width))
        {
            Call(asLogits, logits, targets, weights).WithGradient(gradient, Reduction.Sum);
        }

        LossReference.Result reference = LossReference.Categorical(TestData.ToDouble<T>(logits), true, sample.Classes, sample.Labels,
            sample.Labels is null ? TestData.ToDouble<T>(targets) : null, TestData.ToDouble<T>(weights), sample.IgnoreIndex, sample.Smoothing);
        double[] magnitude = reference.Magnitude(Reduction.Sum);
        for (int row = 0; row < sample.Rows; row++)
        {
            double sum = 0;
            double scale = 0;
            for (int c = 0; c < sample.Classes; c++)
            {
                sum += double.CreateTruncating(gradient[row * sample.Classes + c]);
                scale += magnitude[row * sample.Classes + c];
            }

            That.Holds(Math.Abs(sum) <= Tolerance<T>.Cancellation * scale + Tolerance<T>.Absolute,
                $"{sample}: row {row} of the gradient sums to {sum:R} (terms of magnitude {scale:R}).");
        }
    }

    private static void ShiftKeepsLoss<T>(ShiftedLogits sample)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        LabelledLogits s = sample.Sample;
        T[] logits = TestData.To<T>(s.Logits);
        T[] shifted = (T[])logits.Clone();
        T shift = T.CreateTruncating(sample.Shift);
        T largest = T.Zero;
        bool exact = true;
        for (int c = 0; c < s.Classes; c++)
        {
            int i = sample.Row * s.Classes + c;
            shifted[i] = logits[i] + shift;
            exact &= RoundingError(logits[i], shift, shifted[i]) == T.Zero;
            largest = T.Max(largest, T.Abs(shifted[i]));
        }

        int rows = s.Labels.Length;
        T[] losses = new T[rows];
        T[] shiftedLosses = new T[rows];
        T[] gradient = new T[logits.Length];
        T[] shiftedGradient = new T[logits.Length];
        using (Widths.Limit((VectorWidth)s.Width))
        {
            CategoricalCrossEntropy.FromLogits<T>(logits, s.Labels, losses, s.Classes);
            CategoricalCrossEntropy.FromLogits<T>(shifted, s.Labels, shiftedLosses, s.Classes);
            CategoricalCrossEntropy.FromLogitsWithGradient<T>(logits, s.Labels, gradient, s.Classes);
            CategoricalCrossEntropy.FromLogitsWithGradient<T>(shifted, s.Labels, shiftedGradient, s.Classes);
        }

        for (int row = 0; row < rows; row++)
        {
            if (exact || row != sample.Row)
            {
                That.Holds(Check<T>.SameBits(losses[row], shiftedLosses[row]), $"{sample}: row {row} loss {losses[row]} became {shiftedLosses[row]}.");
                Check<T>.SameBits(gradient.AsSpan(row * s.Classes, s.Classes), shiftedGradient.AsSpan(row * s.Classes, s.Classes), $"{sample}, gradient row {row}");
            }
            else
            {
                // Rounding each shifted logit moves it by at most half an ulp of the largest; the loss moves by at most
                // twice that (once through the label's logit, once through the log-sum-exp).
                double moved = double.CreateTruncating(T.BitIncrement(largest) - largest);
                double before = double.CreateTruncating(losses[row]);
                double after = double.CreateTruncating(shiftedLosses[row]);
                double allowed = moved + Tolerance<T>.Loss * (Math.Abs(before) + Math.Abs(after)) + Tolerance<T>.Absolute;
                That.Holds(Math.Abs(after - before) <= allowed, $"{sample}: row {row} loss {before:R} became {after:R} (allowed difference {allowed:R}).");
            }
        }
    }

    /// <summary>a + b - sum exactly (Knuth's TwoSum), for sum = a + b rounded.</summary>
    private static T RoundingError<T>(T a, T b, T sum)
        where T : IFloatingPointIeee754<T>
    {
        T virtualB = sum - a;
        T virtualA = sum - virtualB;
        return (a - virtualA) + (b - virtualB);
    }

    private static void AssertFiniteDifferences(double[] input, double[] gradient, double step, Func<double[], double> loss, string context)
    {
        double largest = 0;
        foreach (double g in gradient)
        {
            largest = Math.Max(largest, Math.Abs(g));
        }

        for (int i = 0; i < input.Length; i++)
        {
            double x = input[i];
            double plus = x + step;
            double minus = x - step;
            input[i] = plus;
            double upper = loss(input);
            input[i] = minus;
            double lower = loss(input);
            input[i] = x;
            double difference = (upper - lower) / (plus - minus);
            double allowed = 1e-6 * (largest + Math.Abs(gradient[i])) + 1e-9;
            That.Holds(Math.Abs(difference - gradient[i]) <= allowed,
                $"{context}: entry {i}: gradient {gradient[i]:R}, central difference {difference:R}, allowed difference {allowed:R}.");
        }
    }

    private static void CategoricalAddsUp<T>(CategoricalSample sample)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] input = TestData.To<T>(sample.Input);
        T[] targets = TestData.To<T>(sample.Targets ?? []);
        T[] weights = TestData.To<T>(sample.Weights);
        T[] losses = new T[sample.Rows];
        T sum;
        using (Widths.Limit((VectorWidth)sample.Width))
        {
            CategoricalCall<T> call = Call(sample, input, targets, weights);
            call.Losses(losses);
            sum = call.Loss(Reduction.Sum);
        }

        AssertAddsUp(losses, sum, sample.ToString());
    }

    private static void BinaryAddsUp<T>(BinarySample sample)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] input = TestData.To<T>(sample.Input);
        T[] losses = new T[input.Length];
        T sum;
        using (Widths.Limit((VectorWidth)sample.Width))
        {
            var call = new BinaryCall<T>
            {
                FromLogits = sample.FromLogits, Input = input, Targets = TestData.To<T>(sample.Targets), Weights = TestData.To<T>(sample.Weights),
                PositiveWeights = TestData.To<T>(sample.PositiveWeights), Smoothing = sample.Smoothing,
            };
            call.Losses(losses);
            sum = call.Loss(Reduction.Sum);
        }

        AssertAddsUp(losses, sum, sample.ToString());
    }

    private static void AssertAddsUp<T>(T[] losses, T sum, string context)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        double magnitude = 0;
        foreach (T loss in losses)
        {
            total += double.CreateTruncating(loss);
            magnitude += Math.Abs(double.CreateTruncating(loss));
        }

        double tolerance = (typeof(T) == typeof(float) ? 1e-6 : 1e-13) * magnitude + Tolerance<T>.Absolute;
        double actual = double.CreateTruncating(sum);
        That.Holds(Math.Abs(actual - total) <= tolerance, $"{context}: the losses add up to {total:R}, Sum is {actual:R}.");
    }

    private static LossReference.Result Reference(CategoricalSample s) =>
        LossReference.Categorical(s.Input, s.FromLogits, s.Classes, s.Labels, s.Targets, s.Weights, s.IgnoreIndex, s.Smoothing);

    private static CategoricalCall<double> Call(CategoricalSample s, double[] input) => Call(s, input, s.Targets ?? [], s.Weights);

    private static CategoricalCall<T> Call<T>(CategoricalSample s, T[] input, T[] targets, T[] weights)
        where T : IFloatingPointIeee754<T> =>
        new()
        {
            FromLogits = s.FromLogits, Input = input, Classes = s.Classes, Soft = s.Labels is null, Labels = s.Labels ?? [], Targets = targets,
            Weights = weights, IgnoreIndex = s.IgnoreIndex, Smoothing = s.Smoothing,
        };

    private static BinaryCall<double> Call(BinarySample s, double[] input) =>
        new()
        {
            FromLogits = s.FromLogits, Input = input, Targets = s.Targets, Weights = s.Weights, PositiveWeights = s.PositiveWeights, Smoothing = s.Smoothing,
        };
}
