using System;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Activations;

public abstract partial class ActivationTests<T>
{
    /// <summary>
    /// Rows of 10, 1000 and 128000 logits from [-16, 16]: Softmax and LogSoftmax stay within the relative tolerance of the
    /// double reference on every width (probabilities below the smallest normal number excepted). The largest relative
    /// errors are written to the test output.
    /// </summary>
    [Fact]
    public void SoftmaxAndLogSoftmax_LongRows_StayWithinTolerance()
    {
        var random = new Random(Seed);
        foreach (int length in new[] { 10, 1000, 128000 })
        {
            using BoundedMemory<T> x = BoundedMemory.Holding<T>(TestData.Uniform(random, length, Bound));
            using BoundedMemory<T> destination = BoundedMemory.Allocate<T>(length);
            double[] values = TestData.ToDouble<T>(x.Span);
            double[] probabilities = new double[length];
            double[] logProbabilities = new double[length];
            Reference.Softmax(values, probabilities);
            Reference.LogSoftmax(values, logProbabilities);
            foreach (VectorWidth width in Widths.All)
            {
                using (Widths.Limit(width))
                {
                    CrossEntropy.Activations.Softmax<T>(x.Span, destination.Span);
                }

                double softmaxError = MaxRelativeError(probabilities, destination.Span);
                using (Widths.Limit(width))
                {
                    CrossEntropy.Activations.LogSoftmax<T>(x.Span, destination.Span);
                }

                double logSoftmaxError = MaxRelativeError(logProbabilities, destination.Span);
                output.WriteLine($"{typeof(T).Name} length {length} {width}: Softmax max relative error {softmaxError:E3}, LogSoftmax {logSoftmaxError:E3}");
                That.Holds(softmaxError <= Tolerance<T>.Relative, $"Softmax, length {length}, {width}: relative error {softmaxError:E3}");
                That.Holds(logSoftmaxError <= Tolerance<T>.Relative, $"LogSoftmax, length {length}, {width}: relative error {logSoftmaxError:E3}");
            }
        }
    }

    /// <summary>The largest |actual - expected| / |expected| over the expected values of normal magnitude in <typeparamref name="T"/>.</summary>
    private static double MaxRelativeError(ReadOnlySpan<double> expected, ReadOnlySpan<T> actual)
    {
        double largest = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (Math.Abs(expected[i]) >= Tolerance<T>.MinNormal)
            {
                largest = Math.Max(largest, Math.Abs(double.CreateTruncating(actual[i]) - expected[i]) / Math.Abs(expected[i]));
            }
        }

        return largest;
    }
}
