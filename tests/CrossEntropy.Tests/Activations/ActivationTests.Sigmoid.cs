using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Activations;

public abstract partial class ActivationTests<T>
{
    private static readonly RowsOperation SigmoidOperation = (x, destination, _) => CrossEntropy.Activations.Sigmoid(x, destination);
    private static readonly RowsOperation LogSigmoidOperation = (x, destination, _) => CrossEntropy.Activations.LogSigmoid(x, destination);
    private static readonly ReferenceRow SigmoidReference = ElementWise(Reference.Sigmoid);
    private static readonly ReferenceRow LogSigmoidReference = ElementWise(Reference.LogSigmoid);
    private static readonly BackwardOperation SigmoidBackwardOperation = (y, g, inputGradient, _) => CrossEntropy.Activations.SigmoidBackward(y, g, inputGradient);

    /// <summary>g y (1 - y) is a product of terms that are exact or rounded once, so it is compared relative to its own magnitude.</summary>
    private static readonly ReferenceBackward SigmoidBackwardReference = (y, g, expected, scale) =>
    {
        for (int i = 0; i < y.Length; i++)
        {
            expected[i] = Reference.SigmoidBackward(y[i], g[i]);
            scale[i] = double.Abs(expected[i]);
        }
    };

    [Fact]
    public void Sigmoid_EveryLength_MatchesReference() =>
        EveryLengthMatchesReference("Sigmoid", SigmoidOperation, SigmoidReference, rows: 1, mixedScales: true);

    [Fact]
    public void Sigmoid_InPlace_IsBitwiseOutOfPlace() =>
        InPlaceIsBitwiseOutOfPlace("Sigmoid", SigmoidOperation, rows: 1);

    [Fact]
    public void Sigmoid_SpecialValues_FollowPyTorch() =>
        SpecialValuesMatchReference("Sigmoid", SigmoidOperation, SigmoidReference);

    [Fact]
    public void Sigmoid_LongerDestination_KeepsItsTail() =>
        LongerDestinationKeepsItsTail("Sigmoid", SigmoidOperation);

    [Fact]
    public void Sigmoid_InvalidArguments_ThrowWithoutWriting() =>
        RejectsInvalidArguments("Sigmoid", SigmoidOperation, usesClasses: false);

    [Fact]
    public void LogSigmoid_EveryLength_MatchesReference() =>
        EveryLengthMatchesReference("LogSigmoid", LogSigmoidOperation, LogSigmoidReference, rows: 1, mixedScales: true);

    [Fact]
    public void LogSigmoid_InPlace_IsBitwiseOutOfPlace() =>
        InPlaceIsBitwiseOutOfPlace("LogSigmoid", LogSigmoidOperation, rows: 1);

    [Fact]
    public void LogSigmoid_SpecialValues_FollowPyTorch() =>
        SpecialValuesMatchReference("LogSigmoid", LogSigmoidOperation, LogSigmoidReference);

    [Fact]
    public void LogSigmoid_LongerDestination_KeepsItsTail() =>
        LongerDestinationKeepsItsTail("LogSigmoid", LogSigmoidOperation);

    [Fact]
    public void LogSigmoid_InvalidArguments_ThrowWithoutWriting() =>
        RejectsInvalidArguments("LogSigmoid", LogSigmoidOperation, usesClasses: false);

    [Fact]
    public void SigmoidBackward_EveryLength_MatchesReference() =>
        BackwardMatchesReference("SigmoidBackward", SigmoidBackwardOperation, SigmoidBackwardReference, low: 0, high: 1, rows: 1);

    [Fact]
    public void SigmoidBackward_InPlace_IsBitwiseOutOfPlace() =>
        BackwardInPlaceIsBitwiseOutOfPlace("SigmoidBackward", SigmoidBackwardOperation);

    [Fact]
    public void SigmoidBackward_NaN_Propagates() =>
        BackwardNaNMatchesReference("SigmoidBackward", SigmoidBackwardOperation, SigmoidBackwardReference, low: 0, high: 1);

    [Fact]
    public void SigmoidBackward_InvalidArguments_ThrowWithoutWriting() =>
        BackwardRejectsInvalidArguments("SigmoidBackward", SigmoidBackwardOperation, usesClasses: false);
}
