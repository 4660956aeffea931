using System;
using CrossEntropy.Tests.Infrastructure;
using FsCheck.Xunit;
using Xunit;

namespace CrossEntropy.Tests.Activations;

/// <summary>
/// Each double backward pass is the gradient of its forward: for a random output gradient g, the input gradient at a
/// probed index i must equal the central difference (L(x + h e_i) - L(x - h e_i)) / 2h of the loss L(x) = sum_j g[j] f(x)[j],
/// with f the double <see cref="Reference"/> forward. The backward runs on what the library's forward wrote, on every width.
/// </summary>
public sealed class BackwardFiniteDifferences
{
    private const double Step = 1e-3;

    /// <summary>The spacing of doubles at 1, 2^-52.</summary>
    private const double MachineEpsilon = 2.220446049250313e-16;

    private delegate void Forward(ReadOnlySpan<double> row, Span<double> result);

    private delegate void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> g, Span<double> inputGradient, int classes);

    /// <summary>
    /// The error of a central difference: truncation h^2/6 |L'''|, bounded here by h^2 * <paramref name="curvature"/>, plus
    /// rounding, a few ulps of every term of L divided by the step.
    /// </summary>
    private static void MatchesFiniteDifferences(BackwardCase test, Forward forward, Backward backward, Func<double[], double[], double> curvature)
    {
        int classes = test.Classes;
        double[] gradient = new double[test.Values.Length];
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                backward(test.Values, test.Gradient, gradient, classes);
            }

            foreach (int probe in test.Probes)
            {
                int start = probe - probe % classes;
                double[] row = test.Values[start..(start + classes)];
                double[] g = test.Gradient[start..(start + classes)];
                int i = probe - start;

                double[] plus = (double[])row.Clone();
                double[] minus = (double[])row.Clone();
                plus[i] += Step;
                minus[i] -= Step;
                double actualStep = plus[i] - minus[i];
                double difference = (Loss(forward, plus, g, out double magnitude) - Loss(forward, minus, g, out _)) / actualStep;
                double tolerance = Step * Step * curvature(row, g) + 16 * MachineEpsilon * magnitude / actualStep + 1e-12;
                That.Holds(
                    Math.Abs(gradient[probe] - difference) <= tolerance,
                    $"index {probe}: backward {gradient[probe]:R}, central difference {difference:R}, tolerance {tolerance:R}, {width}");
            }
        }
    }

    /// <summary>sum_j g[j] f(x)[j], and the sum of the magnitudes of its terms.</summary>
    private static double Loss(Forward forward, double[] x, double[] g, out double magnitude)
    {
        double[] f = new double[x.Length];
        forward(x, f);
        double[] terms = new double[x.Length];
        magnitude = 0;
        for (int j = 0; j < x.Length; j++)
        {
            terms[j] = g[j] * f[j];
            magnitude += Math.Abs(terms[j]);
        }

        return Reference.Sum(terms);
    }

    private static double MaxAbs(double[] values)
    {
        double max = 0;
        foreach (double value in values)
        {
            max = Math.Max(max, Math.Abs(value));
        }

        return max;
    }

    /// <summary>The third derivatives of the probabilities along one logit add up to at most a small constant, so |L'''| is bounded by a multiple of max |g|.</summary>
    [Property(Arbitrary = new[] { typeof(Generators) })]
    public void SoftmaxBackward_IsTheGradientOfSoftmax(BackwardCase test) =>
        MatchesFiniteDifferences(
            test,
            Reference.Softmax,
            (x, g, inputGradient, classes) =>
            {
                double[] y = new double[x.Length];
                CrossEntropy.Activations.Softmax(x, y, classes);
                CrossEntropy.Activations.SoftmaxBackward(y, g, inputGradient, classes);
            },
            (row, g) => 1 + MaxAbs(g));

    /// <summary>L = sum g x - (sum g) logsumexp(x), whose third derivative along one logit is at most |sum g| / 10.</summary>
    [Property(Arbitrary = new[] { typeof(Generators) })]
    public void LogSoftmaxBackward_IsTheGradientOfLogSoftmax(BackwardCase test) =>
        MatchesFiniteDifferences(
            test,
            Reference.LogSoftmax,
            (x, g, inputGradient, classes) =>
            {
                double[] y = new double[x.Length];
                CrossEntropy.Activations.LogSoftmax(x, y, classes);
                CrossEntropy.Activations.LogSoftmaxBackward(y, g, inputGradient, classes);
            },
            (row, g) => 1 + Math.Abs(Reference.Sum(g)));

    /// <summary>Element-wise, so each probe is its own row of one; |sigmoid'''| &lt;= 1/8.</summary>
    [Property(Arbitrary = new[] { typeof(Generators) })]
    public void SigmoidBackward_IsTheGradientOfSigmoid(BackwardCase test) =>
        MatchesFiniteDifferences(
            test with { Classes = 1 },
            (row, result) => result[0] = Reference.Sigmoid(row[0]),
            (x, g, inputGradient, _) =>
            {
                double[] y = new double[x.Length];
                CrossEntropy.Activations.Sigmoid(x, y);
                CrossEntropy.Activations.SigmoidBackward(y, g, inputGradient);
            },
            (row, g) => Math.Abs(g[0]));
}
