using System;
using System.Collections.Generic;
using System.Numerics;
using Xunit;
using static CrossEntropy.Tests.Determinism.DeterminismData;

namespace CrossEntropy.Tests.Determinism;

/// <summary>
/// Every public batched method, on every shape of <see cref="DeterminismData.Shapes"/> (or every count of
/// <see cref="DeterminismData.ElementCounts"/>), run under each of the four SIMD widths times 1, 2, 3 and 4 forced threads:
/// every output element and every returned loss must have the bits of the Vector512, single-threaded run. Each test
/// reports all the cases and runs that differ.
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

    [Theory]
    [InlineData(true, false, 0.0)]
    [InlineData(true, true, 0.0)]
    [InlineData(true, false, 0.1)]
    [InlineData(true, true, 0.25)]
    [InlineData(false, false, 0.0)]
    [InlineData(false, true, 0.0)]
    [InlineData(false, false, 0.1)]
    [InlineData(false, true, 0.25)]
    public void CategoricalWithLabels(bool fromLogits, bool weighted, double smoothing) =>
        OverShapes((rows, classes) => DeterminismCases.CategoricalLabels<T>(rows, classes, fromLogits, weighted, smoothing));

    [Theory]
    [InlineData(true, false, 0.0)]
    [InlineData(true, true, 0.0)]
    [InlineData(true, false, 0.1)]
    [InlineData(true, true, 0.25)]
    [InlineData(false, false, 0.0)]
    [InlineData(false, true, 0.0)]
    [InlineData(false, false, 0.1)]
    [InlineData(false, true, 0.25)]
    public void CategoricalWithSoftTargets(bool fromLogits, bool weighted, double smoothing) =>
        OverShapes((rows, classes) => DeterminismCases.CategoricalTargets<T>(rows, classes, fromLogits, weighted, smoothing));

    [Theory]
    [InlineData(false, false, 0.0)]
    [InlineData(true, false, 0.0)]
    [InlineData(false, true, 0.0)]
    [InlineData(true, true, 0.1)]
    public void BinaryFromLogits(bool weighted, bool positiveWeighted, double smoothing) =>
        OverShapes((rows, columns) => DeterminismCases.Binary<T>(rows, columns, fromLogits: true, weighted, positiveWeighted, smoothing));

    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(true, 0.0)]
    [InlineData(true, 0.2)]
    public void BinaryFromProbabilities(bool weighted, double smoothing) =>
        OverShapes((rows, columns) => DeterminismCases.Binary<T>(rows, columns, fromLogits: false, weighted, positiveWeighted: false, smoothing));

    /// <summary>NaN, infinities, signed zeros, extremes and subnormals, on shapes up to a few hundred rows.</summary>
    [Fact]
    public void SpecialValues()
    {
        var failures = new List<string>();
        int cases = 0;
        foreach ((int rows, int classes) in new[] { (8, 1), (16, 2), (65, 7), (130, 17), (257, 33), (9, 1003) })
        {
            Sweep.AllWidthsAndThreads(DeterminismCases.Specials<T>(rows, classes), failures);
            cases++;
        }

        Sweep.AssertNone(failures, cases);
    }

    private static void OverShapes(Func<int, int, Case<T>> build)
    {
        var failures = new List<string>();
        int cases = 0;
        foreach ((int rows, int classes) in Shapes())
        {
            Sweep.AllWidthsAndThreads(build(rows, classes), failures);
            cases++;
        }

        Sweep.AssertNone(failures, cases);
    }

    private static void OverCounts(Func<int, Case<T>> build)
    {
        var failures = new List<string>();
        int cases = 0;
        foreach (int count in ElementCounts)
        {
            Sweep.AllWidthsAndThreads(build(count), failures);
            cases++;
        }

        Sweep.AssertNone(failures, cases);
    }
}

public sealed class FloatWidthAndThreadDeterminismTests : WidthAndThreadDeterminismTests<float>;

public sealed class DoubleWidthAndThreadDeterminismTests : WidthAndThreadDeterminismTests<double>;
