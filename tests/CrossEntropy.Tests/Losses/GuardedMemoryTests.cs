using System;
using System.Collections.Generic;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// Every input and output in <see cref="BoundedMemory{T}"/> (the last element right before an inaccessible page, so any
/// read or write past the end crashes the run), for every length 0..256 on every SIMD width: the results match the
/// reference, and gradients (and binary losses) written over an input have the bits of those written elsewhere.
/// The scalar path, which reads one element at a time and is slow in a test build, runs only the gradient (written
/// elsewhere and over the input), and for categorical losses only on the first shape of each length.
/// </summary>
public abstract class GuardedMemoryTests<T>(ITestOutputHelper output)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int MaxLength = 256;
    private const int Seed = 4242;
    private const int IgnoredLabel = -1;

    private static readonly VectorWidth[] VectorWidths = [VectorWidth.Vector512, VectorWidth.Vector256, VectorWidth.Vector128];

    /// <summary>
    /// Logits and probabilities of every length with targets, weights of the same length, a positive weight of length 1 and
    /// smoothing 0.1: the Sum gradient, written elsewhere and over the input; on the vector paths also the Mean loss, the
    /// gradient over the targets, and the losses written elsewhere and over the input.
    /// </summary>
    [Fact]
    public void BinaryEveryLength()
    {
        var random = new Random(Seed);
        var check = new Check<T>();
        for (int length = 0; length <= MaxLength; length++)
        {
            using BoundedMemory<T> targets = BoundedMemory.Holding<T>(TestData.BinaryTargets(random, length));
            using BoundedMemory<T> weights = BoundedMemory.Holding<T>(TestData.Weights(random, length));
            using BoundedMemory<T> positiveWeights = BoundedMemory.Holding<T>(TestData.Weights(random, 1));
            using BoundedMemory<T> result = BoundedMemory.Allocate<T>(length);
            using BoundedMemory<T> overInput = BoundedMemory.Allocate<T>(length);
            foreach (bool fromLogits in new[] { true, false })
            {
                using BoundedMemory<T> input = BoundedMemory.Holding<T>(fromLogits ? TestData.Logits(random, 1, length) : TestData.BinaryProbabilities(random, length));
                LossReference.Result reference = fromLogits
                    ? LossReference.BinaryFromLogits(TestData.ToDouble<T>(input.Span), TestData.ToDouble<T>(targets.Span), TestData.ToDouble<T>(weights.Span), TestData.ToDouble<T>(positiveWeights.Span), 0.1)
                    : LossReference.BinaryFromProbabilities(TestData.ToDouble<T>(input.Span), TestData.ToDouble<T>(targets.Span), TestData.ToDouble<T>(weights.Span), 0.1);
                foreach (VectorWidth width in Widths.All)
                {
                    var call = new BinaryCall<T>
                    {
                        FromLogits = fromLogits, Input = input.Span, Targets = targets.Span, Weights = weights.Span,
                        PositiveWeights = fromLogits ? positiveWeights.Span : default, Smoothing = 0.1,
                    };
                    string context = $"{call.Describe()}, {width}";
                    using (Widths.Limit(width))
                    {
                        call.WithGradient(result.Span, Reduction.Sum);
                        check.Gradient(reference.Gradient(Reduction.Sum), reference.Magnitude(Reduction.Sum), result.Span, $"{context}, Sum gradient");
                        input.Span.CopyTo(overInput.Span);
                        (call with { Input = overInput.Span }).WithGradient(overInput.Span, Reduction.Sum);
                        Check<T>.SameBits(result.Span, overInput.Span, $"{context}, gradient over the input");
                        if (width == VectorWidth.Scalar)
                        {
                            continue;
                        }

                        check.Loss(reference.Loss(Reduction.Mean), call.Loss(Reduction.Mean), $"{context}, Mean");
                        targets.Span.CopyTo(overInput.Span);
                        (call with { Targets = overInput.Span }).WithGradient(overInput.Span, Reduction.Sum);
                        Check<T>.SameBits(result.Span, overInput.Span, $"{context}, gradient over the targets");
                        call.Losses(result.Span);
                        check.Losses(reference.RowLosses, result.Span, $"{context}, losses");
                        input.Span.CopyTo(overInput.Span);
                        (call with { Input = overInput.Span }).Losses(overInput.Span);
                        Check<T>.SameBits(result.Span, overInput.Span, $"{context}, losses over the input");
                    }
                }
            }
        }

        output.WriteLine(check.Summary("binary cross-entropy in guarded memory"));
        check.AssertNoMismatch();
    }

    /// <summary>
    /// Batches of every length as one row, as a few rows of the largest divisor, and (up to 40) as rows of one class; logits and
    /// probabilities, labels (some ignored) and targets, class weights, smoothing 0.1: the Mean loss and gradient, written
    /// elsewhere and over the input (every width for the first shape of each length, the vector widths for the others); on
    /// the vector paths also the Sum and the per-row losses.
    /// </summary>
    [Fact]
    public void CategoricalEveryLength()
    {
        var random = new Random(Seed);
        var check = new Check<T>();
        for (int length = 0; length <= MaxLength; length++)
        {
            bool first = true;
            foreach (int classes in ClassCounts(length))
            {
                int rows = length / classes;
                using BoundedMemory<T> targets = BoundedMemory.Holding<T>(TestData.SoftTargets(random, rows, classes));
                using BoundedMemory<T> weights = BoundedMemory.Holding<T>(TestData.Weights(random, classes));
                using BoundedMemory<int> labels = BoundedMemory.Allocate<int>(rows);
                TestData.Labels(random, rows, classes, rows > 1 ? IgnoredLabel : null).CopyTo(labels.Span);
                using BoundedMemory<T> losses = BoundedMemory.Allocate<T>(rows);
                using BoundedMemory<T> gradient = BoundedMemory.Allocate<T>(length);
                using BoundedMemory<T> overInput = BoundedMemory.Allocate<T>(length);
                foreach (bool fromLogits in new[] { true, false })
                {
                    using BoundedMemory<T> input = BoundedMemory.Holding<T>(fromLogits ? TestData.Logits(random, rows, classes) : TestData.Probabilities(random, rows, classes));
                    foreach (bool soft in new[] { false, true })
                    {
                        LossReference.Result reference = LossReference.Categorical(TestData.ToDouble<T>(input.Span), fromLogits, classes,
                            soft ? null : labels.Span.ToArray(), soft ? TestData.ToDouble<T>(targets.Span) : null, TestData.ToDouble<T>(weights.Span), IgnoredLabel, 0.1);
                        var call = new CategoricalCall<T>
                        {
                            FromLogits = fromLogits, Input = input.Span, Classes = classes, Soft = soft, Labels = labels.Span, Targets = targets.Span,
                            Weights = weights.Span, IgnoreIndex = IgnoredLabel, Smoothing = 0.1,
                        };
                        foreach (VectorWidth width in first ? Widths.All : VectorWidths)
                        {
                            string context = $"{call.Describe()}, {width}";
                            using (Widths.Limit(width))
                            {
                                check.Loss(reference.Loss(Reduction.Mean), call.WithGradient(gradient.Span, Reduction.Mean), $"{context}, Mean with gradient");
                                check.Gradient(reference.Gradient(Reduction.Mean), reference.Magnitude(Reduction.Mean), gradient.Span, $"{context}, Mean gradient");
                                input.Span.CopyTo(overInput.Span);
                                (call with { Input = overInput.Span }).WithGradient(overInput.Span, Reduction.Mean);
                                Check<T>.SameBits(gradient.Span, overInput.Span, $"{context}, gradient over the input");
                                if (width == VectorWidth.Scalar)
                                {
                                    continue;
                                }

                                check.Loss(reference.Loss(Reduction.Sum), call.Loss(Reduction.Sum), $"{context}, Sum");
                                call.Losses(losses.Span);
                                check.Losses(reference.RowLosses, losses.Span, $"{context}, losses");
                            }
                        }
                    }
                }

                first = false;
            }
        }

        output.WriteLine(check.Summary("categorical cross-entropy in guarded memory"));
        check.AssertNoMismatch();
    }

    /// <summary>
    /// With soft targets, the gradient may be written over the targets' memory (the contract allows an output to be exactly
    /// an input's memory): for every length in the shapes of <see cref="CategoricalEveryLength"/>, from logits and from
    /// probabilities, on the vector widths, it must have the bits of the gradient written elsewhere.
    /// </summary>
    [Fact]
    public void CategoricalGradientOverTheTargets()
    {
        var random = new Random(Seed);
        var mismatches = new List<string>();
        for (int length = 1; length <= MaxLength; length++)
        {
            foreach (int classes in ClassCounts(length))
            {
                int rows = length / classes;
                using BoundedMemory<T> targets = BoundedMemory.Holding<T>(TestData.SoftTargets(random, rows, classes));
                using BoundedMemory<T> gradient = BoundedMemory.Allocate<T>(length);
                using BoundedMemory<T> overTargets = BoundedMemory.Allocate<T>(length);
                foreach (bool fromLogits in new[] { true, false })
                {
                    using BoundedMemory<T> input = BoundedMemory.Holding<T>(fromLogits ? TestData.Logits(random, rows, classes) : TestData.Probabilities(random, rows, classes));
                    var call = new CategoricalCall<T> { FromLogits = fromLogits, Input = input.Span, Classes = classes, Soft = true, Targets = targets.Span, Smoothing = 0.1 };
                    foreach (VectorWidth width in VectorWidths)
                    {
                        using (Widths.Limit(width))
                        {
                            call.WithGradient(gradient.Span, Reduction.Mean);
                            targets.Span.CopyTo(overTargets.Span);
                            (call with { Targets = overTargets.Span }).WithGradient(overTargets.Span, Reduction.Mean);
                        }

                        for (int i = 0; i < length; i++)
                        {
                            if (!Check<T>.SameBits(gradient.Span[i], overTargets.Span[i]))
                            {
                                mismatches.Add($"{call.Describe()}, {width}, entry {i}: written elsewhere {gradient.Span[i]}, over the targets {overTargets.Span[i]}");
                                break;
                            }
                        }
                    }
                }
            }
        }

        That.Holds(mismatches.Count == 0, $"{mismatches.Count} cases differ; the first ones:{Environment.NewLine}{string.Join(Environment.NewLine, mismatches.GetRange(0, Math.Min(12, mismatches.Count)))}");
    }

    /// <summary>
    /// Row lengths for a batch of <paramref name="length"/> values: one row, rows of the largest divisor below the length
    /// (a few rows, each with its own tail), and rows of one class up to 40 rows (many rows are slow in a test build).
    /// </summary>
    private static IEnumerable<int> ClassCounts(int length)
    {
        if (length == 0)
        {
            return [1, 3];
        }

        var counts = new SortedSet<int> { length };
        for (int divisor = length / 2; divisor > 1; divisor--)
        {
            if (length % divisor == 0)
            {
                counts.Add(divisor);
                break;
            }
        }

        if (length <= 40)
        {
            counts.Add(1);
        }

        return counts;
    }
}

public sealed class FloatGuardedMemoryTests(ITestOutputHelper output) : GuardedMemoryTests<float>(output);

public sealed class DoubleGuardedMemoryTests(ITestOutputHelper output) : GuardedMemoryTests<double>(output);
