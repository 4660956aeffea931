using System;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Activations;

public abstract partial class ActivationTests<T>
{
    private static readonly RowsOperation LogSoftmaxRow = (x, destination, _) => CrossEntropy.Activations.LogSoftmax(x, destination);
    private static readonly RowsOperation LogSoftmaxRows = CrossEntropy.Activations.LogSoftmax<T>;

    /// <summary>Log-probabilities are compared relative to their own magnitude: (x - max) and the log of the sum add without cancelling.</summary>
    private static readonly ReferenceRow LogSoftmaxReference = Relative((row, result) => Reference.LogSoftmax(row, result));
    private static readonly BackwardOperation LogSoftmaxBackwardOperation = CrossEntropy.Activations.LogSoftmaxBackward<T>;

    /// <summary>g[i] - exp(y[i]) sum_j g[j] cancels, so its tolerance is relative to |g[i]| + exp(y[i]) sum_j |g[j]|.</summary>
    private static readonly ReferenceBackward LogSoftmaxBackwardReference = (y, g, expected, scale) =>
    {
        Reference.LogSoftmaxBackward(y, g, expected);
        double magnitude = 0;
        foreach (double value in g)
        {
            magnitude += Math.Abs(value);
        }

        for (int i = 0; i < y.Length; i++)
        {
            scale[i] = Math.Abs(g[i]) + Math.Exp(y[i]) * magnitude;
        }
    };

    [Fact]
    public void LogSoftmax_EveryLength_MatchesReference() =>
        EveryLengthMatchesReference("LogSoftmax(x, destination)", LogSoftmaxRow, LogSoftmaxReference, rows: 1);

    [Fact]
    public void LogSoftmax_BatchesOfEveryRowLength_MatchReference()
    {
        EveryLengthMatchesReference("LogSoftmax(x, destination, classes)", LogSoftmaxRows, LogSoftmaxReference, rows: 3);
        EveryLengthMatchesReference("LogSoftmax(x, destination, classes)", LogSoftmaxRows, LogSoftmaxReference, rows: GroupRows, maxLength: GroupClasses);
    }

    [Fact]
    public void LogSoftmax_InPlace_IsBitwiseOutOfPlace()
    {
        InPlaceIsBitwiseOutOfPlace("LogSoftmax(x, destination)", LogSoftmaxRow, rows: 1);
        InPlaceIsBitwiseOutOfPlace("LogSoftmax(x, destination, classes)", LogSoftmaxRows, rows: 3);
        InPlaceIsBitwiseOutOfPlace("LogSoftmax(x, destination, classes)", LogSoftmaxRows, rows: GroupRows, maxLength: GroupClasses);
    }

    [Fact]
    public void LogSoftmax_SpecialValues_FollowPyTorch() =>
        SpecialValuesMatchReference("LogSoftmax", LogSoftmaxRows, LogSoftmaxReference);

    [Fact]
    public void LogSoftmax_LongerDestination_KeepsItsTail()
    {
        LongerDestinationKeepsItsTail("LogSoftmax(x, destination)", LogSoftmaxRow);
        LongerDestinationKeepsItsTail("LogSoftmax(x, destination, classes)", LogSoftmaxRows);
    }

    [Fact]
    public void LogSoftmax_InvalidArguments_ThrowWithoutWriting()
    {
        RejectsInvalidArguments("LogSoftmax(x, destination)", LogSoftmaxRow, usesClasses: false);
        RejectsInvalidArguments("LogSoftmax(x, destination, classes)", LogSoftmaxRows, usesClasses: true);
    }

    [Fact]
    public void LogSoftmaxBackward_EveryLength_MatchesReference()
    {
        BackwardMatchesReference("LogSoftmaxBackward", LogSoftmaxBackwardOperation, LogSoftmaxBackwardReference, low: -Bound, high: 0, rows: 1);
        BackwardMatchesReference("LogSoftmaxBackward", LogSoftmaxBackwardOperation, LogSoftmaxBackwardReference, low: -Bound, high: 0, rows: 3);
    }

    /// <summary>
    /// The outputs passed in need not come from a log-softmax: entries past 0, around where e^y overflows (88.7 for float, 709.8
    /// for double) and beyond, and +-infinity, among ordinary ones, in rows of every length around the blocks. A one-element row
    /// with g = 1 gives 1 - e^y: +infinity gives -infinity, as in PyTorch.
    /// </summary>
    [Fact]
    public void LogSoftmaxBackward_AnyOutput_MatchesReference()
    {
        double[] large = [0.5, 10, 80, 87, 87.5, 88.5, 88.75, 89, 100, 700, 708.5, 709.5, 710, 1000, double.PositiveInfinity, double.NegativeInfinity];
        var random = new Random(Seed);
        foreach (int classes in SpecialClasses)
        {
            using BoundedMemory<T> y = BoundedMemory.Allocate<T>(3 * classes);
            using BoundedMemory<T> g = BoundedMemory.Allocate<T>(3 * classes);
            FillBackwardInputs(random, y.Span, g.Span, -Bound, Bound);
            for (int i = 0; i < y.Length; i++)
            {
                if (random.Next(3) == 0)
                {
                    y.Span[i] = T.CreateTruncating(large[random.Next(large.Length)]);
                }
            }

            CompareBackwardWithReference($"LogSoftmaxBackward, large outputs, classes {classes}", LogSoftmaxBackwardOperation, OverflowingReference, y.Span, g.Span, classes, Widths.All);
        }

        T[] outputs = Array.ConvertAll(large, T.CreateTruncating);
        CompareBackwardWithReference("LogSoftmaxBackward, one-element rows", LogSoftmaxBackwardOperation, OverflowingReference, outputs, Filled(large.Length, T.One), 1, Widths.All);
    }

    /// <summary>
    /// <see cref="LogSoftmaxBackwardReference"/> where e^y overflows the type the kernel computes in (float for float and Half,
    /// past 88.7), as e^y does in PyTorch: the product with the sum is then infinite even where the exact one is not.
    /// </summary>
    private static readonly ReferenceBackward OverflowingReference = (y, g, expected, scale) =>
    {
        double[] outputs = y.ToArray();
        for (int i = 0; i < outputs.Length; i++)
        {
            if (typeof(T) != typeof(double) && float.IsPositiveInfinity((float)Math.Exp(outputs[i])))
            {
                outputs[i] = double.PositiveInfinity;
            }
        }

        LogSoftmaxBackwardReference(outputs, g, expected, scale);
    };

    [Fact]
    public void LogSoftmaxBackward_InPlace_IsBitwiseOutOfPlace() =>
        BackwardInPlaceIsBitwiseOutOfPlace("LogSoftmaxBackward", LogSoftmaxBackwardOperation);

    [Fact]
    public void LogSoftmaxBackward_NaN_Propagates() =>
        BackwardNaNMatchesReference("LogSoftmaxBackward", LogSoftmaxBackwardOperation, LogSoftmaxBackwardReference, low: -Bound, high: 0);

    [Fact]
    public void LogSoftmaxBackward_InvalidArguments_ThrowWithoutWriting() =>
        BackwardRejectsInvalidArguments("LogSoftmaxBackward", LogSoftmaxBackwardOperation, usesClasses: true);
}
