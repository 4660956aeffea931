using System;
using System.Collections.Generic;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// Randomized comparisons of <see cref="CategoricalCrossEntropy"/> with <see cref="LossReference"/> over every option
/// combination, on every SIMD width, plus bit-identity of the results across widths and buffer offsets.
/// </summary>
public abstract class CategoricalCrossEntropyTests<T>(ITestOutputHelper output)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Seed = 5150;

    /// <summary>The label of ignored rows when ignoreIndex is in use (PyTorch's default -100 marks "absent").</summary>
    private const int IgnoredLabel = -1;

    private static readonly double[] Smoothings = [0, 0.1, 1];

    /// <summary>The paths whose loads depend on where a buffer starts; the scalar path reads one element at a time.</summary>
    private static readonly VectorWidth[] VectorWidths = [VectorWidth.Vector512, VectorWidth.Vector256, VectorWidth.Vector128];

    public static TheoryData<int> ClassCounts => new() { 1, 2, 3, 7, 16, 17, 33, 1000, 32000 };

    /// <summary>Rows 0, 1 and many; few rows for the wide shapes (32000 classes get several rows in <see cref="WideRowsMatchReferenceOnEveryWidth"/>).</summary>
    private static int[] RowCounts(int classes) => classes switch
    {
        >= 32000 => [0, 1],
        >= 1000 => [0, 1, 3],
        _ => [0, 1, 37],
    };

    /// <summary>
    /// The widths a batch of <paramref name="elements"/> values is checked on in the full option matrix: all four for small
    /// batches, the vector widths up to a few thousand values, the widest beyond (the scalar path of a test build is slow;
    /// wide rows get every width in <see cref="WideRowsMatchReferenceOnEveryWidth"/>).
    /// </summary>
    private static VectorWidth[] WidthsFor(int elements) => elements switch
    {
        <= 300 => Widths.All,
        <= 5000 => [VectorWidth.Vector512, VectorWidth.Vector256, VectorWidth.Vector128],
        _ => [VectorWidth.Vector512],
    };

    /// <summary>
    /// Mean, Sum, per-row losses and both gradients, for logits and probabilities, labels and targets, with and without
    /// class weights, with and without ignored rows, label smoothing 0, 0.1 and 1, against the reference on the widths of
    /// <see cref="WidthsFor"/>, with the same bits on each.
    /// </summary>
    [Theory]
    [MemberData(nameof(ClassCounts))]
    public void EveryOptionMatchesReference(int classes)
    {
        var random = new Random(Seed + classes);
        var check = new Check<T>();
        foreach (int rows in RowCounts(classes))
        {
            foreach (bool fromLogits in new[] { true, false })
            {
                foreach (bool soft in new[] { false, true })
                {
                    foreach (bool weighted in new[] { false, true })
                    {
                        foreach (bool ignore in soft ? new[] { false } : new[] { false, true })
                        {
                            foreach (double smoothing in Smoothings)
                            {
                                CompareWithReference(random, check, rows, classes, fromLogits, soft, weighted, ignore, smoothing, WidthsFor(rows * classes));
                            }
                        }
                    }
                }
            }
        }

        output.WriteLine(check.Summary($"categorical cross-entropy, classes {classes}"));
        check.AssertNoMismatch();
    }

    /// <summary>
    /// Rows that run across lanes (32 of 5 classes) with an ignoreIndex that is itself a class, or an integer that T may not
    /// hold exactly, with and without class weights, on every width: ignored rows are found among the labels as numbers.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(int.MinValue)]
    [InlineData(16777217)]
    public void AnyIgnoreIndexMatchesReferenceAcrossLanes(int ignoreIndex)
    {
        var random = new Random(Seed);
        var check = new Check<T>();
        foreach (bool weighted in new[] { false, true })
        {
            CompareWithReference(random, check, 32, 5, fromLogits: true, soft: false, weighted, ignore: true, smoothing: 0.1, Widths.All, ignoreIndex);
        }

        output.WriteLine(check.Summary($"categorical cross-entropy, ignoreIndex {ignoreIndex}"));
        check.AssertNoMismatch();
    }

    /// <summary>
    /// Two rows of 32000 classes (and 2 x 16411, a prime), from logits with labels and from probabilities with targets, class
    /// weights and smoothing 0.1, on every width: against the reference and with the same bits on every width.
    /// </summary>
    [Theory]
    [InlineData(32000, true, false)]
    [InlineData(32000, false, true)]
    [InlineData(16411, true, true)]
    public void WideRowsMatchReferenceOnEveryWidth(int classes, bool fromLogits, bool soft)
    {
        var random = new Random(Seed + classes);
        var check = new Check<T>();
        CompareWithReference(random, check, 2, classes, fromLogits, soft, weighted: true, ignore: false, smoothing: 0.1, Widths.All);
        output.WriteLine(check.Summary($"categorical cross-entropy, 2 rows of {classes} classes"));
        check.AssertNoMismatch();
    }

    /// <summary>
    /// Label smoothing 1 gives each of 32000 classes the same target 1/C. Logits in [-1, 1] (loss about 10.5): the Mean loss
    /// on each vector width must be within the loss tolerance of the reference (for float, 1e-5 relative). The sums over
    /// the 32000 coefficients are where accumulated rounding would show.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LongRowWithFullSmoothingMatchesReference(bool soft)
    {
        const int Classes = 32000;
        var random = new Random(Seed);
        T[] logits = TestData.To<T>(TestData.Uniform(random, Classes, 1));
        int[] labels = [random.Next(Classes)];
        T[] targets = TestData.To<T>(TestData.SoftTargets(random, 1, Classes));
        LossReference.Result reference = LossReference.Categorical(TestData.ToDouble<T>(logits), true, Classes,
            soft ? null : labels, soft ? TestData.ToDouble<T>(targets) : null, [], -100, 1);
        var call = new CategoricalCall<T>
        {
            FromLogits = true, Input = logits, Classes = Classes, Soft = soft, Labels = labels, Targets = targets, IgnoreIndex = -100, Smoothing = 1,
        };
        var check = new Check<T>();
        foreach (VectorWidth width in VectorWidths)
        {
            using (Widths.Limit(width))
            {
                check.Loss(reference.Loss(Reduction.Mean), call.Loss(Reduction.Mean), $"{call.Describe()}, {width}, Mean");
            }
        }

        output.WriteLine(check.Summary("categorical cross-entropy, one row of 32000 classes, smoothing 1"));
        check.AssertNoMismatch();
    }

    /// <summary>
    /// Rows of every length 1..40 and around the vector widths, each call made with its buffers at offsets 0..3 inside
    /// larger arrays padded with NaN, on every width (the scalar path at offset 0): the losses and gradients must have the
    /// bits of a call on exact arrays on the widest path. A read of the padding would show up as a NaN.
    /// </summary>
    [Fact]
    public void SameBitsOnEveryWidthAndOffset()
    {
        var random = new Random(Seed);
        var classCounts = new List<int>();
        for (int classes = 1; classes <= 40; classes++)
        {
            classCounts.Add(classes);
        }

        classCounts.AddRange([63, 64, 65, 127, 128, 129, 255, 256, 257, 1000]);
        foreach (int classes in classCounts)
        {
            int rows = classes >= 255 ? 2 : 3;
            foreach (bool fromLogits in new[] { true, false })
            {
                foreach (bool soft in new[] { false, true })
                {
                    bool weighted = random.Next(2) == 0;
                    double smoothing = Smoothings[random.Next(Smoothings.Length)];
                    T[] input = TestData.To<T>(fromLogits ? TestData.Logits(random, rows, classes) : TestData.Probabilities(random, rows, classes));
                    int[] labels = soft ? [] : TestData.Labels(random, rows, classes, random.Next(2) == 0 ? IgnoredLabel : null);
                    T[] targets = soft ? TestData.To<T>(TestData.SoftTargets(random, rows, classes)) : [];
                    T[] weights = weighted ? TestData.To<T>(TestData.Weights(random, classes)) : [];
                    var exact = new CategoricalCall<T>
                    {
                        FromLogits = fromLogits, Input = input, Classes = classes, Soft = soft, Labels = labels,
                        Targets = targets, Weights = weights, IgnoreIndex = IgnoredLabel, Smoothing = smoothing,
                    };
                    LossOutcome<T> baseline;
                    using (Widths.Limit(VectorWidth.Vector512))
                    {
                        baseline = Run(exact, rows);
                    }

                    for (int offset = 0; offset < 4; offset++)
                    {
                        T[] paddedInput = LossBuffers<T>.Padded(input, offset);
                        T[] paddedTargets = LossBuffers<T>.Padded(targets, offset);
                        T[] paddedWeights = LossBuffers<T>.Padded(weights, offset);
                        var shifted = new CategoricalCall<T>
                        {
                            FromLogits = fromLogits, Input = paddedInput.AsSpan(offset, input.Length), Classes = classes, Soft = soft,
                            Labels = labels, Targets = paddedTargets.AsSpan(offset, targets.Length),
                            Weights = paddedWeights.AsSpan(offset, weights.Length), IgnoreIndex = IgnoredLabel, Smoothing = smoothing,
                        };
                        foreach (VectorWidth width in offset == 0 ? Widths.All : VectorWidths)
                        {
                            LossOutcome<T> outcome;
                            using (Widths.Limit(width))
                            {
                                outcome = Run(shifted, rows, offset);
                            }

                            outcome.AssertSameBits(baseline, $"{exact.Describe()}, offset {offset}, {width}");
                        }
                    }
                }
            }
        }
    }

    /// <summary>One random case of the given shape and options against the reference on each of <paramref name="widths"/>, with the same bits on each.</summary>
    internal static void CompareWithReference(Random random, Check<T> check, int rows, int classes, bool fromLogits, bool soft, bool weighted,
        bool ignore, double smoothing, VectorWidth[] widths, int ignoredLabel = IgnoredLabel)
    {
        T[] input = TestData.To<T>(fromLogits ? TestData.Logits(random, rows, classes) : TestData.Probabilities(random, rows, classes));
        int[] labels = soft ? [] : TestData.Labels(random, rows, classes, ignore ? ignoredLabel : null);
        T[] targets = soft ? TestData.To<T>(TestData.SoftTargets(random, rows, classes)) : [];
        T[] weights = weighted ? TestData.To<T>(TestData.Weights(random, classes)) : [];
        int ignoreIndex = ignore ? ignoredLabel : -100;
        LossReference.Result reference = LossReference.Categorical(TestData.ToDouble<T>(input), fromLogits, classes,
            soft ? null : labels, soft ? TestData.ToDouble<T>(targets) : null, TestData.ToDouble<T>(weights), ignoreIndex, smoothing);
        var call = new CategoricalCall<T>
        {
            FromLogits = fromLogits, Input = input, Classes = classes, Soft = soft, Labels = labels, Targets = targets,
            Weights = weights, IgnoreIndex = ignoreIndex, Smoothing = smoothing,
        };

        LossOutcome<T>? first = null;
        foreach (VectorWidth width in widths)
        {
            LossOutcome<T> outcome;
            using (Widths.Limit(width))
            {
                outcome = Run(call, rows);
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

    /// <summary>Every entry point once: Mean, Sum, per-row losses, and the gradient for Mean and for Sum.</summary>
    private static LossOutcome<T> Run(CategoricalCall<T> call, int rows, int offset = 0)
    {
        T[] losses = LossBuffers<T>.Filled(offset + rows + 3);
        T[] meanGradient = LossBuffers<T>.Filled(offset + call.Input.Length + 3);
        T[] sumGradient = LossBuffers<T>.Filled(offset + call.Input.Length + 3);
        T mean = call.Loss(Reduction.Mean);
        T sum = call.Loss(Reduction.Sum);
        call.Losses(losses.AsSpan(offset));
        T meanWithGradient = call.WithGradient(meanGradient.AsSpan(offset), Reduction.Mean);
        T sumWithGradient = call.WithGradient(sumGradient.AsSpan(offset), Reduction.Sum);
        return new LossOutcome<T>(mean, sum, meanWithGradient, sumWithGradient,
            losses.AsSpan(offset, rows).ToArray(), meanGradient.AsSpan(offset, call.Input.Length).ToArray(),
            sumGradient.AsSpan(offset, call.Input.Length).ToArray(),
            LossBuffers<T>.UntouchedOutside(losses, offset, rows) && LossBuffers<T>.UntouchedOutside(meanGradient, offset, call.Input.Length)
            && LossBuffers<T>.UntouchedOutside(sumGradient, offset, call.Input.Length));
    }
}

public sealed class FloatCategoricalCrossEntropyTests(ITestOutputHelper output) : CategoricalCrossEntropyTests<float>(output);

public sealed class DoubleCategoricalCrossEntropyTests(ITestOutputHelper output) : CategoricalCrossEntropyTests<double>(output);
