using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// Randomized comparisons of <see cref="BinaryCrossEntropy"/> with <see cref="LossReference"/>: from logits and from
/// probabilities, weights and positive weights of length 0 (none), 1, a divisor of the input length and the input length,
/// label smoothing 0, 0.1 and 1, every reduction and the gradients, on every SIMD width (the scalar path, slow in a test
/// build, up to 300 elements) with the same bits on each.
/// </summary>
public abstract class BinaryCrossEntropyTests<T>(ITestOutputHelper output)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Seed = 8086;

    private static readonly double[] Smoothings = [0, 0.1, 1];

    public static TheoryData<int> Lengths => new() { 0, 1, 2, 3, 7, 16, 17, 33, 64, 100, 257, 1000, 4096 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void EveryOptionMatchesReference(int length)
    {
        var random = new Random(Seed + length);
        var check = new Check<T>();
        int[] weightLengths = WeightLengths(length);
        VectorWidth[] widths = length switch
        {
            <= 300 => Widths.All,
            _ => [VectorWidth.Vector512, VectorWidth.Vector256, VectorWidth.Vector128],
        };
        foreach (double smoothing in Smoothings)
        {
            foreach (int weights in weightLengths)
            {
                CompareWithReference(random, check, length, fromLogits: false, weights, 0, smoothing, widths);
                foreach (int positiveWeights in weightLengths)
                {
                    CompareWithReference(random, check, length, fromLogits: true, weights, positiveWeights, smoothing, widths);
                }
            }
        }

        output.WriteLine(check.Summary($"binary cross-entropy, length {length}"));
        check.AssertNoMismatch();
    }

    /// <summary>Weight lengths that divide <paramref name="length"/>: none (0), 1, the smallest divisor above 1 and below the length, and the length.</summary>
    private static int[] WeightLengths(int length)
    {
        var lengths = new SortedSet<int> { 0, 1 };
        int divisor = Enumerable.Range(2, Math.Max(0, length - 2)).FirstOrDefault(d => length % d == 0);
        if (divisor != 0)
        {
            lengths.Add(divisor);
        }

        if (length == 0)
        {
            // Any length divides 0.
            lengths.Add(3);
        }

        lengths.Add(length);
        return [.. lengths];
    }

    /// <summary>One random case of the given length and options against the reference on each of <paramref name="widths"/>, with the same bits on each.</summary>
    internal static void CompareWithReference(Random random, Check<T> check, int length, bool fromLogits, int weightsLength, int positiveWeightsLength,
        double smoothing, VectorWidth[] widths)
    {
        T[] input = TestData.To<T>(fromLogits ? TestData.Logits(random, 1, length) : TestData.BinaryProbabilities(random, length));
        T[] targets = TestData.To<T>(TestData.BinaryTargets(random, length));
        T[] weights = TestData.To<T>(TestData.Weights(random, weightsLength));
        T[] positiveWeights = TestData.To<T>(TestData.Weights(random, positiveWeightsLength));
        double[] exactInput = TestData.ToDouble<T>(input);
        double[] exactTargets = TestData.ToDouble<T>(targets);
        LossReference.Result reference = fromLogits
            ? LossReference.BinaryFromLogits(exactInput, exactTargets, TestData.ToDouble<T>(weights), TestData.ToDouble<T>(positiveWeights), smoothing)
            : LossReference.BinaryFromProbabilities(exactInput, exactTargets, TestData.ToDouble<T>(weights), smoothing);
        var call = new BinaryCall<T>
        {
            FromLogits = fromLogits, Input = input, Targets = targets, Weights = weights, PositiveWeights = positiveWeights, Smoothing = smoothing,
        };

        LossOutcome<T>? first = null;
        foreach (VectorWidth width in widths)
        {
            LossOutcome<T> outcome;
            using (Widths.Limit(width))
            {
                outcome = Run(call);
            }

            string context = $"{call.Describe()}, {width}";
            outcome.AssertMatches(reference, check, context);
            if (first is null)
            {
                first = outcome;
            }
            else
            {
                outcome.AssertSameBits(first, context);
            }
        }
    }

    /// <summary>
    /// Logits within [-5, 5] but for a few in the middle whose e^-|x| falls below the normal range (or to 0), where the kernel
    /// leaves its loop without that care for one with it: every loss and gradient entry before, at and after them, and the
    /// reduced losses, against the reference on every width, with the same bits on each.
    /// </summary>
    [Fact]
    public void LogitsBelowTheNormalExponentialsMidway()
    {
        var random = new Random(Seed + 1);
        var check = new Check<T>();
        double[] logits = TestData.Uniform(random, 1000, 5);
        logits[517] = -95;
        logits[518] = 96;
        logits[700] = -1e4;
        T[] input = TestData.To<T>(logits);
        T[] targets = TestData.To<T>(TestData.BinaryTargets(random, logits.Length));
        targets[517] = T.Zero;
        LossReference.Result reference = LossReference.BinaryFromLogits(TestData.ToDouble<T>(input), TestData.ToDouble<T>(targets), [], [], 0);
        var call = new BinaryCall<T> { FromLogits = true, Input = input, Targets = targets, Weights = [], PositiveWeights = [], Smoothing = 0 };
        LossOutcome<T>? first = null;
        foreach (VectorWidth width in Widths.All)
        {
            LossOutcome<T> outcome;
            using (Widths.Limit(width))
            {
                outcome = Run(call);
            }

            outcome.AssertMatches(reference, check, $"{call.Describe()}, {width}");
            if (first is null)
            {
                first = outcome;
            }
            else
            {
                outcome.AssertSameBits(first, $"{call.Describe()}, {width}");
            }
        }

        check.AssertNoMismatch();
    }

    /// <summary>
    /// Inputs of every length 1..70 at offsets 0..3 inside arrays padded with NaN, weights of length 1, 2 or the input's,
    /// on every width (the scalar path at offset 0): the bits of a call on exact arrays on the widest path.
    /// </summary>
    [Fact]
    public void SameBitsOnEveryWidthAndOffset()
    {
        var random = new Random(Seed);
        VectorWidth[] vectorWidths = [VectorWidth.Vector512, VectorWidth.Vector256, VectorWidth.Vector128];
        for (int length = 1; length <= 70; length++)
        {
            foreach (bool fromLogits in new[] { true, false })
            {
                int weightsLength = random.Next(3) switch { 0 => 1, 1 => length % 2 == 0 ? 2 : 1, _ => length };
                double smoothing = Smoothings[random.Next(Smoothings.Length)];
                T[] input = TestData.To<T>(fromLogits ? TestData.Logits(random, 1, length) : TestData.BinaryProbabilities(random, length));
                T[] targets = TestData.To<T>(TestData.BinaryTargets(random, length));
                T[] weights = TestData.To<T>(TestData.Weights(random, weightsLength));
                T[] positiveWeights = fromLogits ? TestData.To<T>(TestData.Weights(random, length)) : [];
                LossOutcome<T> baseline;
                using (Widths.Limit(VectorWidth.Vector512))
                {
                    baseline = Run(new BinaryCall<T>
                    {
                        FromLogits = fromLogits, Input = input, Targets = targets, Weights = weights, PositiveWeights = positiveWeights, Smoothing = smoothing,
                    });
                }

                for (int offset = 0; offset < 4; offset++)
                {
                    T[] paddedInput = LossBuffers<T>.Padded(input, offset);
                    T[] paddedTargets = LossBuffers<T>.Padded(targets, offset);
                    T[] paddedWeights = LossBuffers<T>.Padded(weights, offset);
                    T[] paddedPositiveWeights = LossBuffers<T>.Padded(positiveWeights, offset);
                    var call = new BinaryCall<T>
                    {
                        FromLogits = fromLogits, Input = paddedInput.AsSpan(offset, length), Targets = paddedTargets.AsSpan(offset, length),
                        Weights = paddedWeights.AsSpan(offset, weightsLength), PositiveWeights = paddedPositiveWeights.AsSpan(offset, positiveWeights.Length),
                        Smoothing = smoothing,
                    };
                    foreach (VectorWidth width in offset == 0 ? Widths.All : vectorWidths)
                    {
                        LossOutcome<T> outcome;
                        using (Widths.Limit(width))
                        {
                            outcome = Run(call, offset);
                        }

                        outcome.AssertSameBits(baseline, $"{call.Describe()}, offset {offset}, {width}");
                    }
                }
            }
        }
    }

    private static LossOutcome<T> Run(BinaryCall<T> call, int offset = 0)
    {
        int length = call.Input.Length;
        T[] losses = LossBuffers<T>.Filled(offset + length + 3);
        T[] meanGradient = LossBuffers<T>.Filled(offset + length + 3);
        T[] sumGradient = LossBuffers<T>.Filled(offset + length + 3);
        T mean = call.Loss(Reduction.Mean);
        T sum = call.Loss(Reduction.Sum);
        call.Losses(losses.AsSpan(offset));
        T meanWithGradient = call.WithGradient(meanGradient.AsSpan(offset), Reduction.Mean);
        T sumWithGradient = call.WithGradient(sumGradient.AsSpan(offset), Reduction.Sum);
        return new LossOutcome<T>(mean, sum, meanWithGradient, sumWithGradient,
            losses.AsSpan(offset, length).ToArray(), meanGradient.AsSpan(offset, length).ToArray(), sumGradient.AsSpan(offset, length).ToArray(),
            LossBuffers<T>.UntouchedOutside(losses, offset, length) && LossBuffers<T>.UntouchedOutside(meanGradient, offset, length)
            && LossBuffers<T>.UntouchedOutside(sumGradient, offset, length));
    }
}

public sealed class FloatBinaryCrossEntropyTests(ITestOutputHelper output) : BinaryCrossEntropyTests<float>(output);

public sealed class DoubleBinaryCrossEntropyTests(ITestOutputHelper output) : BinaryCrossEntropyTests<double>(output);
