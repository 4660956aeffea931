using System;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Activations;

public abstract partial class ActivationTests<T>
{
    private static readonly RowsOperation LogSumExpRows = CrossEntropy.Activations.LogSumExp<T>;

    /// <summary>
    /// max + ln(sum exp(x - max)) cancels when max is negative, so the tolerance is relative to |max| + ln(sum), the size
    /// of the two terms.
    /// </summary>
    private static readonly ReferenceRow LogSumExpReference = (row, expected, scale) =>
    {
        expected[0] = Reference.LogSumExp(row);
        scale[0] = LogSumExpScale(row, expected[0]);
    };

    private static double LogSumExpScale(ReadOnlySpan<double> row, double logSumExp)
    {
        double max = double.NegativeInfinity;
        foreach (double value in row)
        {
            max = Math.Max(max, value);
        }

        return Math.Abs(max) + Math.Abs(logSumExp - max);
    }

    [Fact]
    public void LogSumExp_EveryLength_MatchesReference()
    {
        var random = new Random(Seed);
        for (int length = 0; length <= MaxLength; length++)
        {
            using BoundedMemory<T> x = BoundedMemory.Holding<T>(TestData.Uniform(random, length, Bound));
            double[] values = TestData.ToDouble<T>(x.Span);
            double expected = Reference.LogSumExp(values);
            foreach (VectorWidth width in Widths.All)
            {
                T actual;
                using (Widths.Limit(width))
                {
                    actual = CrossEntropy.Activations.LogSumExp<T>(x.Span);
                }

                Check<T>.Close(expected, actual, LogSumExpScale(values, expected), $"LogSumExp(x), length {length}, {width}");
            }
        }
    }

    [Fact]
    public void LogSumExp_BatchesOfEveryRowLength_MatchReference() =>
        EveryLengthMatchesReference("LogSumExp(x, destination, classes)", LogSumExpRows, LogSumExpReference, rows: 3, reduction: true);

    [Fact]
    public void LogSumExp_InPlace_IsBitwiseOutOfPlace() =>
        InPlaceIsBitwiseOutOfPlace("LogSumExp(x, destination, classes)", LogSumExpRows, rows: 3, reduction: true);

    [Fact]
    public void LogSumExp_SpecialValues_FollowPyTorch() =>
        SpecialValuesMatchReference("LogSumExp", LogSumExpRows, LogSumExpReference, reduction: true);

    [Fact]
    public void LogSumExp_LongerDestination_KeepsItsTail() =>
        LongerDestinationKeepsItsTail("LogSumExp(x, destination, classes)", LogSumExpRows, reduction: true);

    [Fact]
    public void LogSumExp_InvalidArguments_ThrowWithoutWriting() =>
        RejectsInvalidArguments("LogSumExp(x, destination, classes)", LogSumExpRows, usesClasses: true, reduction: true);
}
