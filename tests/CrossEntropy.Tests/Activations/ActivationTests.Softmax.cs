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
