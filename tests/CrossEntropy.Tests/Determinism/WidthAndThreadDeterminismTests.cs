using System;
using System.Collections.Generic;
using System.Numerics;
using Xunit;

namespace CrossEntropy.Tests.Determinism;

/// <summary>
/// Every public batched method, on every shape of <see cref="Sweep.Shapes"/> (or every count of
/// <see cref="Sweep.ElementCounts"/>), run under each of the four SIMD widths times 1, 2, 3 and 4 forced threads:
/// every output element and every returned loss must have the bits of the Vector512, single-threaded run. Each test
/// reports all the cases and runs that differ. The loss variants cover labels with ignored rows, soft targets, class
/// weights and label smoothing; the shapes alternate which reduction the reduced call and the call with gradient use.
/// </summary>
public abstract class WidthAndThreadDeterminismTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    [Fact]
    public void Softmax() => OverShapes(DeterminismCases.Softmax<T>);

    [Fact]
    public void LogSoftmax() => OverShapes(DeterminismCases.LogSoftmax<T>);

    [Fact]
    public void LogSumExp() => OverShapes(DeterminismCases.LogSumExp<T>);

    [Fact]
    public void SoftmaxBackward() => OverShapes(DeterminismCases.SoftmaxBackward<T>);

    [Fact]
    public void LogSoftmaxBackward() => OverShapes(DeterminismCases.LogSoftmaxBackward<T>);

    [Fact]
    public void Sigmoid() => OverCounts(DeterminismCases.Sigmoid<T>);

    [Fact]
    public void LogSigmoid() => OverCounts(DeterminismCases.LogSigmoid<T>);

    [Fact]
    public void SigmoidBackward() => OverCounts(DeterminismCases.SigmoidBackward<T>);

    /// <summary>
    /// Without smoothing the logits carry -infinity on other classes than the label; with class weights one class weighs 0.
    /// Without smoothing, from probabilities, only the label's probability is read.
    /// </summary>
    [Theory]
    [InlineData(true, false, 0.0)]
    [InlineData(true, true, 0.25)]
    [InlineData(false, false, 0.0)]
    [InlineData(false, true, 0.25)]
    public void CategoricalWithLabels(bool fromLogits, bool weighted, double smoothing) =>
        OverShapes((rows, classes, index) => DeterminismCases.CategoricalLabels<T>(rows, classes, fromLogits, weighted, smoothing, index % 2 == 0));

    [Theory]
    [InlineData(true, false, 0.0)]
    [InlineData(true, true, 0.25)]
    [InlineData(false, false, 0.0)]
    [InlineData(false, true, 0.25)]
    public void CategoricalWithSoftTargets(bool fromLogits, bool weighted, double smoothing) =>
        OverShapes((rows, classes, index) => DeterminismCases.CategoricalTargets<T>(rows, classes, fromLogits, weighted, smoothing, index % 2 == 0));

    [Theory]
    [InlineData(false, false, 0.0)]
    [InlineData(true, true, 0.1)]
    public void BinaryFromLogits(bool weighted, bool positiveWeighted, double smoothing) =>
        OverBinaryShapes((rows, columns, index) =>
            DeterminismCases.Binary<T>(rows, columns, fromLogits: true, weighted, positiveWeighted, smoothing, index % 2 == 0));

    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(true, 0.2)]
    public void BinaryFromProbabilities(bool weighted, double smoothing) =>
        OverBinaryShapes((rows, columns, index) =>
            DeterminismCases.Binary<T>(rows, columns, fromLogits: false, weighted, positiveWeighted: false, smoothing, index % 2 == 0));

    /// <summary>NaN, infinities, signed zeros, extremes and subnormals, on shapes up to a few hundred rows.</summary>
    [Fact]
    public void SpecialValues()
    {
        var failures = new List<string>();
        (int Rows, int Classes)[] shapes = [(8, 1), (16, 2), (65, 7), (130, 17), (3, 1003)];
        foreach ((int rows, int classes) in shapes)
        {
            Sweep.AllWidthsAndThreads(DeterminismCases.Specials<T>(rows, classes), failures);
        }

        Sweep.AssertNone(failures, shapes.Length);
    }

    /// <summary>
    /// Each method family on a few shapes, with its inputs and outputs copied to offsets 0, 1, 3, 5 and 7 of larger arrays
    /// and to guarded native memory, on every width: the bits must not depend on where the buffers sit.
    /// </summary>
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
    [InlineData("BinaryFromLogits")]
    [InlineData("BinaryFromProbabilities")]
    public void Placement(string family)
    {
        var failures = new List<string>();
        Case<T>[] cases = PlacementCases(family);
        foreach (Case<T> c in cases)
        {
            Sweep.AllPlacements(c, failures);
        }

        Sweep.AssertNone(failures, cases.Length);
    }

    private static Case<T>[] PlacementCases(string family) => family switch
    {
        "Softmax" => [DeterminismCases.Softmax<T>(65, 17), DeterminismCases.Softmax<T>(2, 1003)],
        "LogSoftmax" => [DeterminismCases.LogSoftmax<T>(65, 17), DeterminismCases.LogSoftmax<T>(2, 1003)],
        "LogSumExp" => [DeterminismCases.LogSumExp<T>(65, 17), DeterminismCases.LogSumExp<T>(2, 1003)],
        "SoftmaxBackward" => [DeterminismCases.SoftmaxBackward<T>(65, 17), DeterminismCases.SoftmaxBackward<T>(2, 1003)],
        "LogSoftmaxBackward" => [DeterminismCases.LogSoftmaxBackward<T>(65, 17), DeterminismCases.LogSoftmaxBackward<T>(2, 1003)],
        "Sigmoid" => [DeterminismCases.Sigmoid<T>(127), DeterminismCases.Sigmoid<T>(4161)],
        "LogSigmoid" => [DeterminismCases.LogSigmoid<T>(127), DeterminismCases.LogSigmoid<T>(4161)],
        "SigmoidBackward" => [DeterminismCases.SigmoidBackward<T>(127), DeterminismCases.SigmoidBackward<T>(4161)],
        "CategoricalLabels" =>
        [
            DeterminismCases.CategoricalLabels<T>(65, 17, fromLogits: true, weighted: true, smoothing: 0, meanReduced: true),
            DeterminismCases.CategoricalLabels<T>(3, 1003, fromLogits: true, weighted: false, smoothing: 0.1, meanReduced: false),
            DeterminismCases.CategoricalLabels<T>(65, 17, fromLogits: false, weighted: true, smoothing: 0.1, meanReduced: false),
        ],
        "CategoricalTargets" =>
        [
            DeterminismCases.CategoricalTargets<T>(65, 17, fromLogits: true, weighted: true, smoothing: 0, meanReduced: false),
            DeterminismCases.CategoricalTargets<T>(3, 1003, fromLogits: true, weighted: false, smoothing: 0.1, meanReduced: true),
            DeterminismCases.CategoricalTargets<T>(65, 17, fromLogits: false, weighted: true, smoothing: 0.1, meanReduced: true),
        ],
        "BinaryFromLogits" =>
        [
            DeterminismCases.Binary<T>(65, 17, fromLogits: true, weighted: true, positiveWeighted: true, smoothing: 0.1, meanReduced: true),
            DeterminismCases.Binary<T>(3, 1003, fromLogits: true, weighted: false, positiveWeighted: false, smoothing: 0, meanReduced: false),
        ],
        "BinaryFromProbabilities" =>
        [
            DeterminismCases.Binary<T>(65, 17, fromLogits: false, weighted: true, positiveWeighted: false, smoothing: 0.2, meanReduced: false),
            DeterminismCases.Binary<T>(3, 1003, fromLogits: false, weighted: false, positiveWeighted: false, smoothing: 0, meanReduced: true),
        ],
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "unknown family"),
    };

    private static void OverShapes(Func<int, int, Case<T>> build) => OverShapes((rows, classes, _) => build(rows, classes));

    private static void OverShapes(Func<int, int, int, Case<T>> build) => Over(Sweep.Shapes, build);

    private static void OverBinaryShapes(Func<int, int, int, Case<T>> build) => Over(Sweep.BinaryShapes, build);

    private static void Over(IEnumerable<(int Rows, int Classes)> shapes, Func<int, int, int, Case<T>> build)
    {
        var failures = new List<string>();
        int cases = 0;
        foreach ((int rows, int classes) in shapes)
        {
            Sweep.AllWidthsAndThreads(build(rows, classes, cases), failures);
            cases++;
        }

        Sweep.AssertNone(failures, cases);
    }

    private static void OverCounts(Func<int, Case<T>> build)
    {
        var failures = new List<string>();
        int cases = 0;
        foreach (int count in Sweep.ElementCounts)
        {
            Sweep.AllWidthsAndThreads(build(count), failures);
            cases++;
        }

        Sweep.AssertNone(failures, cases);
    }
}

public sealed class FloatWidthAndThreadDeterminismTests : WidthAndThreadDeterminismTests<float>;

public sealed class DoubleWidthAndThreadDeterminismTests : WidthAndThreadDeterminismTests<double>;
