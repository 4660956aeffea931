using System;
using Xunit;

namespace CrossEntropy.Tests;

public abstract partial class ActivationTests<T>
{
    private static readonly RowsOperation LogSoftmaxRow = (x, destination, _) => Activations.LogSoftmax(x, destination);
    private static readonly RowsOperation LogSoftmaxRows = Activations.LogSoftmax<T>;

    /// <summary>Log-probabilities are compared relative to their own magnitude: (x - max) and the log of the sum add without cancelling.</summary>
    private static readonly ReferenceRow LogSoftmaxReference = Relative((row, result) => Reference.LogSoftmax(row, result));
    private static readonly BackwardOperation LogSoftmaxBackwardOperation = Activations.LogSoftmaxBackward<T>;

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
    public void LogSoftmax_BatchesOfEveryRowLength_MatchReference() =>
        EveryLengthMatchesReference("LogSoftmax(x, destination, classes)", LogSoftmaxRows, LogSoftmaxReference, rows: 3);

    [Fact]
    public void LogSoftmax_InPlace_IsBitwiseOutOfPlace()
    {
        InPlaceIsBitwiseOutOfPlace("LogSoftmax(x, destination)", LogSoftmaxRow, rows: 1);
        InPlaceIsBitwiseOutOfPlace("LogSoftmax(x, destination, classes)", LogSoftmaxRows, rows: 3);
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
