using System;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// The <c>normalizer</c> of <see cref="BinaryCrossEntropy"/>'s reduced methods: the weighted sum divided by it under either
/// reduction, the gradient scaled to match, against <see cref="LossReference"/> on every width with the same bits on each;
/// 0 leaves the reduction's own result bit for bit; negative or NaN is rejected before anything is written.
/// </summary>
public abstract class BinaryNormalizerTests<T>(ITestOutputHelper output)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Seed = 2718;

    public static TheoryData<int> Lengths => new() { 0, 1, 17, 300 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void DividesTheWeightedSumWhateverTheReduction(int length)
    {
        var random = new Random(Seed + length);
        var check = new Check<T>();
        foreach (bool fromLogits in new[] { true, false })
        {
            foreach (double normalizer in new[] { 0.5, 1e6 })
            {
                T[] input = TestData.To<T>(fromLogits ? TestData.Logits(random, 1, length) : TestData.BinaryProbabilities(random, length));
                T[] targets = TestData.To<T>(TestData.BinaryTargets(random, length));
                T[] weights = TestData.To<T>(TestData.Weights(random, length == 0 ? 0 : 1));
                double[] x = TestData.ToDouble<T>(input);
                double[] y = TestData.ToDouble<T>(targets);
                LossReference.Result reference = fromLogits
                    ? LossReference.BinaryFromLogits(x, y, TestData.ToDouble<T>(weights), [], 0)
                    : LossReference.BinaryFromProbabilities(x, y, TestData.ToDouble<T>(weights), 0);
                double[] expectedGradient = Array.ConvertAll(reference.Gradient(Reduction.Sum), g => g / normalizer);
                double[] magnitude = Array.ConvertAll(reference.Magnitude(Reduction.Sum), m => m / normalizer);
                T[]? first = null;
                foreach (VectorWidth width in Widths.All)
                {
                    using (Widths.Limit(width))
                    {
                        foreach (Reduction reduction in new[] { Reduction.Mean, Reduction.Sum })
                        {
                            string context = $"{(fromLogits ? "logits" : "probabilities")}, length {length}, normalizer {normalizer}, {reduction}, {width}";
                            T[] gradient = new T[length];
                            T loss = fromLogits
                                ? BinaryCrossEntropy.FromLogits<T>(input, targets, reduction, weights, normalizer: normalizer)
                                : BinaryCrossEntropy.FromProbabilities<T>(input, targets, reduction, weights, normalizer: normalizer);
                            T withGradient = fromLogits
                                ? BinaryCrossEntropy.FromLogitsWithGradient<T>(input, targets, gradient, reduction, weights, normalizer: normalizer)
                                : BinaryCrossEntropy.FromProbabilitiesWithGradient<T>(input, targets, gradient, reduction, weights, normalizer: normalizer);
                            check.Loss(reference.Sum / normalizer, loss, context);
                            Assert.True(Check<T>.SameBits(loss, withGradient), context);
                            check.Gradient(expectedGradient, magnitude, gradient, context);
                            first ??= gradient;
                            Check<T>.SameBits(first, gradient, context);
                        }
                    }
                }
            }
        }

        output.WriteLine(check.Summary($"binary cross-entropy with a normalizer, length {length}"));
        check.AssertNoMismatch();
    }

    [Fact]
    public void ZeroLeavesTheReductionAsItWas()
    {
        var random = new Random(Seed);
        T[] logits = TestData.To<T>(TestData.Logits(random, 1, 77));
        T[] targets = TestData.To<T>(TestData.BinaryTargets(random, 77));
        foreach (Reduction reduction in new[] { Reduction.Mean, Reduction.Sum })
        {
            T[] plain = new T[77];
            T[] normalized = new T[77];
            T expected = BinaryCrossEntropy.FromLogitsWithGradient<T>(logits, targets, plain, reduction);
            T actual = BinaryCrossEntropy.FromLogitsWithGradient<T>(logits, targets, normalized, reduction, normalizer: 0);
            Assert.True(Check<T>.SameBits(expected, actual));
            Check<T>.SameBits(plain, normalized, $"{reduction}");
        }
    }

    /// <summary>An empty batch with a normalizer gives 0 under Mean, where it would be NaN without one.</summary>
    [Fact]
    public void EmptyBatchGivesZero()
    {
        Assert.Equal(T.Zero, BinaryCrossEntropy.FromLogits<T>([], [], Reduction.Mean, normalizer: 8));
        Assert.Equal(T.Zero, BinaryCrossEntropy.FromProbabilitiesWithGradient<T>([], [], [], Reduction.Mean, normalizer: 8));
        Assert.True(T.IsNaN(BinaryCrossEntropy.FromLogits<T>([], [], Reduction.Mean)));
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.NegativeInfinity)]
    public void RejectsNegativeOrNaNBeforeWriting(double normalizer)
    {
        T[] input = TestData.To<T>([0.25, 0.5, 0.75]);
        T[] targets = TestData.To<T>([0, 1, 0.5]);
        T sentinel = T.CreateTruncating(-7);
        T[] gradient = [sentinel, sentinel, sentinel];
        Assert.Equal("normalizer", Assert.Throws<ArgumentOutOfRangeException>(() => BinaryCrossEntropy.FromLogits<T>(input, targets, normalizer: normalizer)).ParamName);
        Assert.Equal("normalizer", Assert.Throws<ArgumentOutOfRangeException>(() => BinaryCrossEntropy.FromProbabilities<T>(input, targets, normalizer: normalizer)).ParamName);
        Assert.Equal("normalizer", Assert.Throws<ArgumentOutOfRangeException>(
            () => BinaryCrossEntropy.FromLogitsWithGradient<T>(input, targets, gradient, normalizer: normalizer)).ParamName);
        Assert.Equal("normalizer", Assert.Throws<ArgumentOutOfRangeException>(
            () => BinaryCrossEntropy.FromProbabilitiesWithGradient<T>(input, targets, gradient, normalizer: normalizer)).ParamName);
        Check<T>.Unchanged(gradient, sentinel, "gradient");
    }
}

public sealed class FloatBinaryNormalizerTests(ITestOutputHelper output) : BinaryNormalizerTests<float>(output);

public sealed class DoubleBinaryNormalizerTests(ITestOutputHelper output) : BinaryNormalizerTests<double>(output);
