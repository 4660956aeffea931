using System;
using System.Collections.Generic;
using Xunit;

namespace CrossEntropy.Tests.Determinism;

/// <summary>
/// Half, computed in float and rounded once, on a few shapes of each method family: the same bits on every width and
/// thread count, and from every placement in memory.
/// </summary>
public sealed class HalfDeterminismTests
{
    [Theory]
    [InlineData("Softmax")]
    [InlineData("LogSoftmax")]
    [InlineData("LogSumExp")]
    [InlineData("SoftmaxBackward")]
    [InlineData("LogSoftmaxBackward")]
    [InlineData("Sigmoid")]
    [InlineData("LogSigmoid")]
    [InlineData("SigmoidBackward")]
    [InlineData("CategoricalLabels")]
    [InlineData("CategoricalTargets")]
    [InlineData("Binary")]
    [InlineData("SpecialValues")]
    public void SameBitsOnEveryWidthThreadCountAndPlacement(string family)
    {
        var failures = new List<string>();
        Case<Half>[] cases = Cases(family);
        foreach (Case<Half> c in cases)
        {
            Sweep.AllWidthsAndThreads(c, failures);
            Sweep.AllPlacements(c, failures);
        }

        Sweep.AssertNone(failures, cases.Length);
    }

    private static Case<Half>[] Cases(string family) => family switch
    {
        "Softmax" => [DeterminismCases.Softmax<Half>(65, 17), DeterminismCases.Softmax<Half>(2, 1003)],
        "LogSoftmax" => [DeterminismCases.LogSoftmax<Half>(65, 17), DeterminismCases.LogSoftmax<Half>(3, 33)],
        "LogSumExp" => [DeterminismCases.LogSumExp<Half>(65, 7), DeterminismCases.LogSumExp<Half>(2, 1003)],
        "SoftmaxBackward" => [DeterminismCases.SoftmaxBackward<Half>(64, 15)],
        "LogSoftmaxBackward" => [DeterminismCases.LogSoftmaxBackward<Half>(63, 17)],
        "Sigmoid" => [DeterminismCases.Sigmoid<Half>(65), DeterminismCases.Sigmoid<Half>(4161)],
        "LogSigmoid" => [DeterminismCases.LogSigmoid<Half>(4097)],
        "SigmoidBackward" => [DeterminismCases.SigmoidBackward<Half>(4161)],
        "CategoricalLabels" =>
        [
            DeterminismCases.CategoricalLabels<Half>(65, 17, fromLogits: true, weighted: true, smoothing: 0, meanReduced: true),
            DeterminismCases.CategoricalLabels<Half>(65, 7, fromLogits: true, weighted: false, smoothing: 0.1, meanReduced: false),
            DeterminismCases.CategoricalLabels<Half>(64, 15, fromLogits: false, weighted: true, smoothing: 0.25, meanReduced: true),
        ],
        "CategoricalTargets" =>
        [
            DeterminismCases.CategoricalTargets<Half>(65, 17, fromLogits: true, weighted: true, smoothing: 0.1, meanReduced: false),
            DeterminismCases.CategoricalTargets<Half>(63, 7, fromLogits: false, weighted: false, smoothing: 0, meanReduced: true),
        ],
        "Binary" =>
        [
            DeterminismCases.Binary<Half>(65, 17, fromLogits: true, weighted: true, positiveWeighted: true, smoothing: 0.1, meanReduced: true),
            DeterminismCases.Binary<Half>(130, 33, fromLogits: false, weighted: true, positiveWeighted: false, smoothing: 0, meanReduced: false),
        ],
        "SpecialValues" => [DeterminismCases.Specials<Half>(16, 7), DeterminismCases.Specials<Half>(65, 17)],
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "unknown family"),
    };
}
