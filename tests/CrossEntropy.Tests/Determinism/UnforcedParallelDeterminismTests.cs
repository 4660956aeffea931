using System;
using System.Collections.Generic;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Determinism;

/// <summary>
/// A batch of 300 rows of 500 classes (150,000 elements) is above <see cref="Parallelism.MinParallelElements"/>, so without
/// <see cref="Parallelism.Force"/> the library spreads it over every core the runtime sees (two on the build machine).
/// Every output and loss must have the bits of the same call forced onto one thread.
/// </summary>
public abstract class UnforcedParallelDeterminismTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Rows = 300;
    private const int Classes = 500;

    [Fact]
    public void LargeBatchMatchesTheSingleThreadedRun()
    {
        Assert.True(Rows * Classes >= Parallelism.MinParallelElements, "the batch must be big enough to go parallel on its own");
        Case<T> c = LargeCase();
        Result<T> single;
        using (Parallelism.Force(1))
        {
            single = Sweep.RunUnforced(c);
        }

        var failures = new List<string>();
        Sweep.Compare(c, single, Sweep.RunUnforced(c), $"unforced, {Environment.ProcessorCount} processors", failures);
        Sweep.AssertNone(failures, 1);
    }

    /// <summary>
    /// Finite logits up to +-1e4 (so that the binary losses stay finite), labels with ignored rows, soft targets, class
    /// weights, and per-column binary weights; the softmax of the logits serves as probabilities.
    /// </summary>
    private static Case<T> LargeCase()
    {
        var random = new Random(DeterminismCases.Seed(99, Rows, Classes));
        int n = Rows * Classes;
        int[] labels = TestData.Labels(random, Rows, Classes, -100);
        double[] logits = TestData.Logits(random, Rows, Classes, negativeInfinity: false);
        return new Case<T>
        {
            Name = $"{typeof(T).Name} {Rows} x {Classes} batch",
            X = TestData.To<T>(logits),
            Y = TestData.To<T>(TestData.SoftTargets(random, Rows, Classes, logits)),
            W = TestData.To<T>(TestData.Weights(random, Classes, withZero: true)),
            V = TestData.To<T>(TestData.BinaryTargets(random, n)),
            Labels = labels,
            Parts =
            [
                new("softmax", n), new("logsumexp per row", Rows), new("per-row losses (labels)", Rows),
                new("gradient (labels, Mean)", n), new("gradient (soft targets, Sum)", n), new("gradient (probabilities, Mean)", n),
                new("per-element binary losses", n), new("binary gradient (Sum)", n),
            ],
            Scalars =
            [
                "labels Mean", "labels Sum", "labels Mean with gradient", "soft targets Mean", "soft targets Sum with gradient",
                "probabilities Mean with gradient", "binary Mean", "binary Sum with gradient",
            ],
            Call = (inputs, output, scalars) =>
            {
                ReadOnlySpan<T> x = inputs.X;
                ReadOnlySpan<T> t = inputs.Y;
                ReadOnlySpan<T> w = inputs.W;
                ReadOnlySpan<T> binaryTargets = inputs.V;
                ReadOnlySpan<int> y = inputs.Labels;
                Span<T> softmax = output[..n];
                CrossEntropy.Activations.Softmax(x, softmax, Classes);
                CrossEntropy.Activations.LogSumExp(x, output.Slice(n, Rows), Classes);
                CategoricalCrossEntropy.FromLogits(x, y, output.Slice(n + Rows, Rows), Classes, w, labelSmoothing: 0);
                int at = n + (2 * Rows);
                scalars[0] = CategoricalCrossEntropy.FromLogits(x, y, Classes, Reduction.Mean, w);
                scalars[1] = CategoricalCrossEntropy.FromLogits(x, y, Classes, Reduction.Sum, w);
                scalars[2] = CategoricalCrossEntropy.FromLogitsWithGradient(x, y, output.Slice(at, n), Classes, Reduction.Mean, w);
                scalars[3] = CategoricalCrossEntropy.FromLogits(x, t, Classes, Reduction.Mean, w);
                scalars[4] = CategoricalCrossEntropy.FromLogitsWithGradient(x, t, output.Slice(at + n, n), Classes, Reduction.Sum, w);
                scalars[5] = CategoricalCrossEntropy.FromProbabilitiesWithGradient(softmax, y, output.Slice(at + (2 * n), n), Classes,
                    Reduction.Mean, w, labelSmoothing: 0.1);
                scalars[6] = BinaryCrossEntropy.FromLogits(x, binaryTargets, Reduction.Mean, w, w);
                BinaryCrossEntropy.FromLogits(x, binaryTargets, output.Slice(at + (3 * n), n), w, w);
                scalars[7] = BinaryCrossEntropy.FromLogitsWithGradient(x, binaryTargets, output.Slice(at + (4 * n), n), Reduction.Sum, w, w);
            },
        };
    }
}

public sealed class FloatUnforcedParallelDeterminismTests : UnforcedParallelDeterminismTests<float>;

public sealed class DoubleUnforcedParallelDeterminismTests : UnforcedParallelDeterminismTests<double>;
