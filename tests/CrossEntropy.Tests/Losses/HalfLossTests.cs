using System;
using CrossEntropy.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// Half inputs (computed in float, rounded once) for a few shapes of each loss: against the double reference within
/// <see cref="Tolerance{T}.Loss"/> for Half, with the same bits on every width.
/// </summary>
public sealed class HalfLossTests(ITestOutputHelper output)
{
    private const int Seed = 1616;

    [Theory]
    [InlineData(7, 5, true, false, 0.1)]
    [InlineData(33, 3, true, true, 0)]
    [InlineData(17, 4, false, false, 1)]
    [InlineData(16, 3, false, true, 0.1)]
    public void CategoricalMatchesReference(int classes, int rows, bool fromLogits, bool soft, double smoothing)
    {
        var check = new Check<Half>();
        var random = new Random(Seed + classes);
        foreach (bool weighted in new[] { false, true })
        {
            CategoricalCrossEntropyTests<Half>.CompareWithReference(random, check, rows, classes, fromLogits, soft, weighted, ignore: !soft, smoothing, Widths.All);
        }

        output.WriteLine(check.Summary($"categorical cross-entropy, {rows} x {classes}"));
        check.AssertNoMismatch();
    }

    [Theory]
    [InlineData(37, true, 0)]
    [InlineData(37, false, 0.1)]
    [InlineData(64, true, 1)]
    public void BinaryMatchesReference(int length, bool fromLogits, double smoothing)
    {
        var check = new Check<Half>();
        var random = new Random(Seed + length);
        CompareWithReference(random, check, length, fromLogits, 0, 0, smoothing);
        CompareWithReference(random, check, length, fromLogits, 1, fromLogits ? length : 0, smoothing);
        output.WriteLine(check.Summary($"binary cross-entropy, length {length}"));
        check.AssertNoMismatch();
    }

    private static void CompareWithReference(Random random, Check<Half> check, int length, bool fromLogits, int weights, int positiveWeights, double smoothing) =>
        BinaryCrossEntropyTests<Half>.CompareWithReference(random, check, length, fromLogits, weights, positiveWeights, smoothing, Widths.All);
}
