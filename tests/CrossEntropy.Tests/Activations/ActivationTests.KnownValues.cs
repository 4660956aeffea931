using System;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Activations;

/// <summary>Published values and the cases naive implementations get wrong, on every width.</summary>
public abstract partial class ActivationTests<T>
{
    /// <summary>Runs a single-row operation and requires exactly the expected values (as numbers: -0 equals +0).</summary>
    private static void Exactly(string name, RowsOperation operation, double[] input, double[] expected)
    {
        T[] x = Array.ConvertAll(input, T.CreateTruncating);
        T[] destination = new T[x.Length];
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                operation(x, destination, Math.Max(x.Length, 1));
            }

            for (int i = 0; i < expected.Length; i++)
            {
                if (!(destination[i] == T.CreateTruncating(expected[i]) || (double.IsNaN(expected[i]) && T.IsNaN(destination[i]))))
                {
                    Assert.Fail($"{name}, index {i}, {width}: expected exactly {expected[i]:R}, actual {destination[i]}.");
                }
            }
        }
    }

    /// <summary>Runs a single-row operation and compares with known values within <see cref="Tolerance{T}"/>.</summary>
    private static void Nearly(string name, RowsOperation operation, double[] input, double[] expected)
    {
        T[] x = Array.ConvertAll(input, T.CreateTruncating);
        T[] destination = new T[x.Length];
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                operation(x, destination, Math.Max(x.Length, 1));
            }

            for (int i = 0; i < expected.Length; i++)
            {
                Check<T>.Close(expected[i], destination[i], $"{name}, index {i}, {width}");
            }
        }
    }

    [Fact]
    public void Softmax_OfEqualLargeLogits_IsUniform() =>
        Exactly("Softmax([1000, 1000])", SoftmaxRow, [1000, 1000], [0.5, 0.5]);

    [Fact]
    public void Softmax_OfWidelySpreadLogits_IsOneHot() =>
        Exactly("Softmax([1e4, 0, -1e4])", SoftmaxRow, [1e4, 0, -1e4], [1, 0, 0]);

    [Fact]
    public void Softmax_OfOneTwoThree_IsThePublishedValue() =>
        Nearly("Softmax([1, 2, 3])", SoftmaxRow, [1, 2, 3], [0.09003057317038046, 0.24472847105479767, 0.6652409557748219]);

    [Fact]
    public void Softmax_OfMinusInfinityEntries_GivesThemZero() =>
        Exactly("Softmax([-inf, 0, -inf, 0])", SoftmaxRow, [double.NegativeInfinity, 0, double.NegativeInfinity, 0], [0, 0.5, 0, 0.5]);

    [Fact]
    public void Softmax_OfOnlyMinusInfinity_IsNaN() =>
        Exactly("Softmax([-inf, -inf])", SoftmaxRow, [double.NegativeInfinity, double.NegativeInfinity], [double.NaN, double.NaN]);

    [Fact]
    public void Softmax_WithPlusInfinity_IsNaN() =>
        Exactly("Softmax([1, +inf, -inf])", SoftmaxRow, [1, double.PositiveInfinity, double.NegativeInfinity], [double.NaN, double.NaN, double.NaN]);

    [Fact]
    public void Softmax_OfOneElement_IsOne() =>
        Exactly("Softmax([-7.5])", SoftmaxRow, [-7.5], [1]);

    [Fact]
    public void LogSoftmax_OfWidelySpreadLogits_IsExact() =>
        Exactly("LogSoftmax([1e4, 0, -1e4])", LogSoftmaxRow, [1e4, 0, -1e4], [0, -1e4, -2e4]);

    [Fact]
    public void LogSoftmax_OfOneTwoThree_IsThePublishedValue() =>
        Nearly("LogSoftmax([1, 2, 3])", LogSoftmaxRow, [1, 2, 3], [-2.4076059644443806, -1.4076059644443804, -0.4076059644443804]);

    [Fact]
    public void LogSoftmax_OfAConfidentRow_KeepsTheTinyLogProbability() =>
        Nearly("LogSoftmax([0, -40])", LogSoftmaxRow, [0, -40], [-4.248354255291589e-18, -40.0]);

    [Fact]
    public void LogSoftmax_OfMinusInfinity_IsMinusInfinity() =>
        Nearly("LogSoftmax([-inf, 0, 0])", LogSoftmaxRow, [double.NegativeInfinity, 0, 0], [double.NegativeInfinity, -Math.Log(2), -Math.Log(2)]);

    [Fact]
    public void LogSumExp_KnownValues()
    {
        (double[] Input, double Expected)[] cases =
        [
            ([], double.NegativeInfinity),
            ([0, 0], Math.Log(2)),
            ([1000, 1000], 1000 + Math.Log(2)),
            ([-1000, -1000], -1000 + Math.Log(2)),
            ([1, 2, 3], 3.4076059644443806),
            ([0, -40], 4.248354255291589e-18),
            ([double.NegativeInfinity, double.NegativeInfinity], double.NegativeInfinity),
            ([double.NegativeInfinity, 2], 2),
            ([1, double.PositiveInfinity, double.NegativeInfinity], double.PositiveInfinity),
            ([double.NaN, double.PositiveInfinity], double.NaN),
            ([double.PositiveInfinity, double.NaN], double.NaN),
        ];
        foreach ((double[] input, double expected) in cases)
        {
            T[] x = Array.ConvertAll(input, T.CreateTruncating);
            foreach (VectorWidth width in Widths.All)
            {
                T actual;
                using (Widths.Limit(width))
                {
                    actual = CrossEntropy.Activations.LogSumExp<T>(x);
                }

                Check<T>.Close(expected, actual, $"LogSumExp([{string.Join(", ", input)}]), {width}");
            }
        }
    }

    [Fact]
    public void Sigmoid_KnownValues() =>
        Nearly(
            "Sigmoid",
            SigmoidOperation,
            [0, 1, -1, 10, -100, double.PositiveInfinity, double.NegativeInfinity, double.NaN],
            [0.5, 0.7310585786300049, 0.2689414213699951, 0.9999546021312976, 3.720075976020836e-44, 1, 0, double.NaN]);

    [Fact]
    public void Sigmoid_OfZero_IsExactlyOneHalf() =>
        Exactly("Sigmoid([0, -0])", SigmoidOperation, [0, -0.0], [0.5, 0.5]);

    [Fact]
    public void LogSigmoid_KnownValues() =>
        Nearly(
            "LogSigmoid",
            LogSigmoidOperation,
            [0, 1, -1, 40, double.PositiveInfinity, double.NegativeInfinity, double.NaN],
            [-Math.Log(2), -0.31326168751822286, -1.3132616875182228, -4.248354255291589e-18, 0, double.NegativeInfinity, double.NaN]);

    [Fact]
    public void LogSigmoid_OfLargeNegative_IsTheInput() =>
        Exactly("LogSigmoid([-1000, -200])", LogSigmoidOperation, [-1000, -200], [-1000, -200]);

    [Fact]
    public void Backward_KnownValues()
    {
        T[] gradient = new T[2];
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                CrossEntropy.Activations.SoftmaxBackward<T>([T.CreateTruncating(0.5), T.CreateTruncating(0.5)], [T.One, T.Zero], gradient, 2);
                Check<T>.Close(0.25, gradient[0], $"SoftmaxBackward, {width}");
                Check<T>.Close(-0.25, gradient[1], $"SoftmaxBackward, {width}");

                CrossEntropy.Activations.LogSoftmaxBackward<T>([T.Zero, T.NegativeInfinity], [T.CreateTruncating(0.5), T.CreateTruncating(-1.5)], gradient, 2);
                Check<T>.Close(1.5, gradient[0], $"LogSoftmaxBackward, {width}");
                Check<T>.Close(-1.5, gradient[1], $"LogSoftmaxBackward, {width}");

                CrossEntropy.Activations.SigmoidBackward<T>([T.CreateTruncating(0.5), T.CreateTruncating(0.75)], [T.One, T.CreateTruncating(-2)], gradient);
                Check<T>.Close(0.25, gradient[0], $"SigmoidBackward, {width}");
                Check<T>.Close(-0.375, gradient[1], $"SigmoidBackward, {width}");
            }
        }
    }
}
