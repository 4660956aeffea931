using System;
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

    /// <summary>
    /// Inputs whose e^-|x| falls below the normal range, through the subnormals to 0 (-104.5 to -86.5, -745.5 to -707.5 for
    /// double): fewer than a block of them alone, and a thousand after ordinary inputs, where the loop hands the rest of the
    /// array to its form that computes them. Each sigmoid, e^x / (1 + e^x) with 1 + e^x = 1, must lie within two of T's
    /// smallest steps of the reference, or a few ulps where it is normal: finer than the tolerances' floor, which would pass 0.
    /// </summary>
    [Fact]
    public void Sigmoid_ResultsBelowTheNormalRange_MatchReference()
    {
        bool isDouble = typeof(T) == typeof(double);
        double low = isDouble ? -745.5 : -104.5;
        double high = isDouble ? -707.5 : -86.5;
        double step = double.CreateTruncating(T.Epsilon);
        double relative = 4 * double.CreateTruncating(T.BitIncrement(T.One) - T.One);
        var random = new Random(Seed);
        double[] values = TestData.Uniform(random, 1040, Bound);
        for (int i = 40; i < values.Length; i++)
        {
            values[i] = low + (high - low) * random.NextDouble();
        }

        foreach ((int start, int length) in new[] { (40, 7), (0, values.Length) })
        {
            using BoundedMemory<T> x = BoundedMemory.Holding<T>(values.AsSpan(start, length));
            using BoundedMemory<T> destination = BoundedMemory.Allocate<T>(length);
            foreach (VectorWidth width in Widths.All)
            {
                using (Widths.Limit(width))
                {
                    CrossEntropy.Activations.Sigmoid<T>(x.Span, destination.Span);
                }

                for (int i = 0; i < length; i++)
                {
                    double expected = Reference.Sigmoid(double.CreateTruncating(x.Span[i]));
                    double actual = double.CreateTruncating(destination.Span[i]);
                    That.Holds(Math.Abs(actual - expected) <= Math.Max(relative * expected, 2 * step),
                        $"Sigmoid({x.Span[i]}) of {length} on {width}: {actual:R}, expected {expected:R}");
                }
            }
        }
    }

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
