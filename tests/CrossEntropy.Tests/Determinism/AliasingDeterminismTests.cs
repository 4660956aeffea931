using System;
using System.Collections.Generic;
using System.Numerics;
using Xunit;
using static CrossEntropy.Tests.Determinism.DeterminismData;

namespace CrossEntropy.Tests.Determinism;

/// <summary>
/// Outputs the API allows to be an input's own memory (softmax over its logits, a gradient over the logits or over the
/// targets, a backward pass over either of its inputs) must get the bits of a separate output buffer, on every width.
/// The fused loss kernels keep exp(x - max) in a separate gradient buffer but compute it again where the gradient is
/// the targets' memory, so this also compares those two routes.
/// </summary>
public abstract class AliasingDeterminismTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private delegate void Compute(ReadOnlySpan<T> first, ReadOnlySpan<T> second, Span<T> output);

    [Theory]
    [InlineData(65, 17)]
    [InlineData(3, 1003)]
    [InlineData(130, 2)]
    public void InPlaceOutputsMatchSeparateOutputs(int rows, int classes)
    {
        var random = new Random(Seed(55, rows, classes));
        int[] labels = Labels(random, rows, classes, ignore: true, -100);
        double[] logitValues = Logits(random, rows, classes, negativeInfinity: true, Array.ConvertAll(labels, label => label < 0 ? -1 : label));
        T[] logits = Convert<T>(logitValues);
        T[] targets = Convert<T>(SoftTargets(random, logitValues, classes));
        T[] weights = Convert<T>(Weights(random, classes));
        T[] binaryTargets = Convert<T>(BinaryTargets(random, rows * classes));
        T[] finiteLogits = Convert<T>(Logits(random, rows, classes, negativeInfinity: false));
        T[] probabilities = Convert<T>(Probabilities(random, rows, classes));
        T[] outputGradient = Convert<T>(Gradients(random, rows, classes));
        var failures = new List<string>();

        void Expect(string name, T[] first, T[] second, Compute compute, bool overSecond = false)
        {
            foreach (VectorWidth width in Widths.All)
            {
                using (Simd.Limit(width))
                using (Parallelism.Force(1 + (int)width % 3))
                {
                    T[] separate = new T[first.Length];
                    compute(first, second, separate);
                    T[] a = (T[])first.Clone();
                    T[] b = (T[])second.Clone();
                    compute(a, b, overSecond ? b : a);
                    T[] inPlace = overSecond ? b : a;
                    for (int i = 0; i < separate.Length; i++)
                    {
                        if (!Check<T>.SameBits(separate[i], inPlace[i]))
                        {
                            failures.Add($"{typeof(T).Name} {name} {rows} x {classes} on {width}, index {i}: separate {Sweep.Show(separate[i])}, " +
                                $"in place {Sweep.Show(inPlace[i])}");
                            break;
                        }
                    }
                }
            }
        }

        Expect("Softmax over its logits", logits, logits, (x, _, o) => Activations.Softmax(x, o, classes));
        Expect("LogSoftmax over its logits", logits, logits, (x, _, o) => Activations.LogSoftmax(x, o, classes));
        Expect("Sigmoid over its input", finiteLogits, finiteLogits, (x, _, o) => Activations.Sigmoid(x, o));
        Expect("SoftmaxBackward over the output", probabilities, outputGradient, (y, g, o) => Activations.SoftmaxBackward(y, g, o, classes));
        Expect("SoftmaxBackward over the output gradient", probabilities, outputGradient, (y, g, o) => Activations.SoftmaxBackward(y, g, o, classes), overSecond: true);
        Expect("LogSoftmaxBackward over the output gradient", probabilities, outputGradient,
            (y, g, o) => Activations.LogSoftmaxBackward(y, g, o, classes), overSecond: true);
        Expect("FromLogitsWithGradient (labels) over the logits", logits, logits,
            (x, _, o) => CategoricalCrossEntropy.FromLogitsWithGradient(x, labels, o, classes, Reduction.Mean, weights, labelSmoothing: 0));
        Expect("FromLogitsWithGradient (soft targets) over the logits", logits, targets,
            (x, t, o) => CategoricalCrossEntropy.FromLogitsWithGradient(x, t, o, classes, Reduction.Sum, weights));
        Expect("FromLogitsWithGradient (soft targets) over the targets", logits, targets,
            (x, t, o) => CategoricalCrossEntropy.FromLogitsWithGradient(x, t, o, classes, Reduction.Sum, weights), overSecond: true);
        Expect("FromProbabilitiesWithGradient (soft targets) over the probabilities", probabilities, targets,
            (p, t, o) => CategoricalCrossEntropy.FromProbabilitiesWithGradient(p, t, o, classes, Reduction.Mean, weights, labelSmoothing: 0.1));
        Expect("BinaryCrossEntropy.FromLogitsWithGradient over the targets", finiteLogits, binaryTargets,
            (x, t, o) => BinaryCrossEntropy.FromLogitsWithGradient(x, t, o, Reduction.Mean, weights, weights, 0.1), overSecond: true);
        Sweep.AssertNone(failures, 11);
    }
}

public sealed class FloatAliasingDeterminismTests : AliasingDeterminismTests<float>;

public sealed class DoubleAliasingDeterminismTests : AliasingDeterminismTests<double>;

public sealed class HalfAliasingDeterminismTests : AliasingDeterminismTests<Half>;
