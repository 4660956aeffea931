using System;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Activations;

public abstract partial class ActivationTests<T>
{
    private static readonly RowsOperation SoftmaxRow = (x, destination, _) => CrossEntropy.Activations.Softmax(x, destination);
    private static readonly RowsOperation SoftmaxRows = CrossEntropy.Activations.Softmax<T>;
    private static readonly ReferenceRow SoftmaxReference = Relative((row, result) => Reference.Softmax(row, result));
    private static readonly BackwardOperation SoftmaxBackwardOperation = CrossEntropy.Activations.SoftmaxBackward<T>;

    /// <summary>
    /// y[i] (g[i] - sum_j g[j] y[j]) cancels when g[i] is close to the sum, so its tolerance is relative to
    /// |y[i]| (|g[i]| + sum_j |g[j] y[j]|), the size of the terms before cancellation.
    /// </summary>
    private static readonly ReferenceBackward SoftmaxBackwardReference = (y, g, expected, scale) =>
    {
        Reference.SoftmaxBackward(y, g, expected);
        double magnitude = 0;
        for (int j = 0; j < y.Length; j++)
        {
            magnitude += Math.Abs(g[j] * y[j]);
        }

        for (int i = 0; i < y.Length; i++)
        {
            scale[i] = Math.Abs(y[i]) * (Math.Abs(g[i]) + magnitude);
        }
    };

    [Fact]
    public void Softmax_EveryLength_MatchesReference() =>
        EveryLengthMatchesReference("Softmax(x, destination)", SoftmaxRow, SoftmaxReference, rows: 1);

    [Fact]
    public void Softmax_BatchesOfEveryRowLength_MatchReference()
    {
        EveryLengthMatchesReference("Softmax(x, destination, classes)", SoftmaxRows, SoftmaxReference, rows: 3);
        EveryLengthMatchesReference("Softmax(x, destination, classes)", SoftmaxRows, SoftmaxReference, rows: GroupRows, maxLength: GroupClasses);
    }

    /// <summary>
    /// Rows of 100 with entries 86.5 to 104.5 below the row's maximum (707.5 to 745.5 for double), whose probabilities fall
    /// through the subnormals to 0: after 40 ordinary entries in some rows, where the sum pass hands the rest of the row to
    /// its form for such entries, and scattered from the second entry on in others (<see cref="SoftmaxMatchesReferenceNearZero"/>).
    /// </summary>
    [Fact]
    public void Softmax_ProbabilitiesBelowTheNormalRange_MatchReference()
    {
        const int Rows = 8;
        const int Classes = 100;
        bool isDouble = typeof(T) == typeof(double);
        double near = isDouble ? -707.5 : -86.5;
        double far = isDouble ? -745.5 : -104.5;
        var random = new Random(Seed);
        double[] values = TestData.Uniform(random, Rows * Classes, Bound);
        for (int r = 0; r < Rows; r++)
        {
            Span<double> row = values.AsSpan(r * Classes, Classes);
            double max = double.NegativeInfinity;
            foreach (double value in row)
            {
                max = Math.Max(max, value);
            }

            // The maximum is kept among the ordinary entries: the first 40, or the first. It and the distances below it are
            // multiples of 2^-12, so that the reference's x - max is exact in double too.
            int first = r < Rows / 2 ? 40 : 1;
            double rowMax = Math.Ceiling(Math.Max(max, row[0] + 1) * 4096) / 4096;
            row[0] = rowMax;
            for (int i = first; i < Classes; i++)
            {
                if (r < Rows / 2 || random.NextDouble() < 0.3)
                {
                    row[i] = rowMax + Math.Round((far + (near - far) * random.NextDouble()) * 4096) / 4096;
                }
            }
        }

        SoftmaxMatchesReferenceNearZero(values, Classes);
    }

    /// <summary>
    /// Rows of 300 with a tenth of their entries -infinity (masked), beside entries of four kinds: ordinary ones only, some
    /// 86.5 to 104.5 below the row's maximum (707.5 to 745.5 for double), whose probabilities need the care below the normal
    /// range, some 200 below (1000), whose probabilities are 0, and some 86 below (707), just short of that care
    /// (<see cref="SoftmaxMatchesReferenceNearZero"/>).
    /// </summary>
    [Fact]
    public void Softmax_RowsWithMinusInfinity_MatchReference()
    {
        const int Rows = 16;
        const int Classes = 300;
        bool isDouble = typeof(T) == typeof(double);
        double[][] below = isDouble ? [[], [-745.5, -707.5], [-1000, -1000], [-707, -707]] : [[], [-104.5, -86.5], [-200, -200], [-86, -86]];
        var random = new Random(Seed);
        double[] values = TestData.Uniform(random, Rows * Classes, Bound);
        for (int r = 0; r < Rows; r++)
        {
            Span<double> row = values.AsSpan(r * Classes, Classes);
            double[] band = below[r % below.Length];
            double rowMax = Math.Ceiling((Bound + 1) * 4096) / 4096;
            row[r % Classes] = rowMax;
            for (int i = 0; i < Classes; i++)
            {
                double u = random.NextDouble();
                if (i == r % Classes)
                {
                    continue;
                }
                else if (u < 0.1)
                {
                    row[i] = double.NegativeInfinity;
                }
                else if (band.Length > 0 && u < 0.3)
                {
                    row[i] = rowMax + Math.Round((band[0] + (band[1] - band[0]) * random.NextDouble()) * 4096) / 4096;
                }
            }
        }

        SoftmaxMatchesReferenceNearZero(values, Classes);
    }

    /// <summary>
    /// Checks <see cref="CrossEntropy.Activations.Softmax{T}(ReadOnlySpan{T}, Span{T}, int)"/> of <paramref name="values"/> on
    /// every width: each -infinity entry must get +0, and every other probability lie within two of T's smallest steps of the
    /// double reference, or within the relative tolerance where it is normal: finer than the tolerances' floor, which would
    /// pass 0.
    /// </summary>
    private static void SoftmaxMatchesReferenceNearZero(double[] values, int classes)
    {
        double step = double.CreateTruncating(T.Epsilon);
        using BoundedMemory<T> x = BoundedMemory.Holding<T>(values);
        using BoundedMemory<T> destination = BoundedMemory.Allocate<T>(values.Length);
        double[] rowValues = new double[classes];
        double[] expected = new double[classes];
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                CrossEntropy.Activations.Softmax<T>(x.Span, destination.Span, classes);
            }

            for (int r = 0; r < values.Length / classes; r++)
            {
                for (int i = 0; i < classes; i++)
                {
                    rowValues[i] = double.CreateTruncating(x.Span[r * classes + i]);
                }

                Reference.Softmax(rowValues, expected);
                for (int i = 0; i < classes; i++)
                {
                    T value = destination.Span[r * classes + i];
                    double actual = double.CreateTruncating(value);
                    bool matches = double.IsNegativeInfinity(rowValues[i])
                        ? T.IsZero(value) && T.IsPositive(value)
                        : Math.Abs(actual - expected[i]) <= Math.Max(Tolerance<T>.Relative * expected[i], 2 * step);
                    That.Holds(matches, $"Softmax row {r} class {i} (x = {rowValues[i]:R}) on {width}: {actual:R}, expected {expected[i]:R}");
                }
            }
        }
    }

    [Fact]
    public void Softmax_InPlace_IsBitwiseOutOfPlace()
    {
        InPlaceIsBitwiseOutOfPlace("Softmax(x, destination)", SoftmaxRow, rows: 1);
        InPlaceIsBitwiseOutOfPlace("Softmax(x, destination, classes)", SoftmaxRows, rows: 3);
        InPlaceIsBitwiseOutOfPlace("Softmax(x, destination, classes)", SoftmaxRows, rows: GroupRows, maxLength: GroupClasses);
    }

    [Fact]
    public void Softmax_SpecialValues_FollowPyTorch() =>
        SpecialValuesMatchReference("Softmax", SoftmaxRows, SoftmaxReference);

    [Fact]
    public void Softmax_LongerDestination_KeepsItsTail()
    {
        LongerDestinationKeepsItsTail("Softmax(x, destination)", SoftmaxRow);
        LongerDestinationKeepsItsTail("Softmax(x, destination, classes)", SoftmaxRows);
    }

    [Fact]
    public void Softmax_InvalidArguments_ThrowWithoutWriting()
    {
        RejectsInvalidArguments("Softmax(x, destination)", SoftmaxRow, usesClasses: false);
        RejectsInvalidArguments("Softmax(x, destination, classes)", SoftmaxRows, usesClasses: true);
    }

    [Fact]
    public void SoftmaxBackward_EveryLength_MatchesReference()
    {
        BackwardMatchesReference("SoftmaxBackward", SoftmaxBackwardOperation, SoftmaxBackwardReference, low: 0, high: 1, rows: 1);
        BackwardMatchesReference("SoftmaxBackward", SoftmaxBackwardOperation, SoftmaxBackwardReference, low: 0, high: 1, rows: 3);
    }

    [Fact]
    public void SoftmaxBackward_InPlace_IsBitwiseOutOfPlace() =>
        BackwardInPlaceIsBitwiseOutOfPlace("SoftmaxBackward", SoftmaxBackwardOperation);

    [Fact]
    public void SoftmaxBackward_NaN_Propagates() =>
        BackwardNaNMatchesReference("SoftmaxBackward", SoftmaxBackwardOperation, SoftmaxBackwardReference, low: 0, high: 1);

    [Fact]
    public void SoftmaxBackward_InvalidArguments_ThrowWithoutWriting() =>
        BackwardRejectsInvalidArguments("SoftmaxBackward", SoftmaxBackwardOperation, usesClasses: true);
}
