using System;
using System.Collections.Generic;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Determinism;

/// <summary>
/// Every output the API lets lie over an input (that input's memory from its first element) must get the bits of a separate
/// output buffer, and the call must return the same loss. Each batch runs on every width through the parallel path, forced
/// onto 2 to 4 threads in 64 chunks that run at once, handed out from the last: an output a chunk writes over rows an
/// earlier chunk has yet to read shows up as different bits on every run. The per-row outputs (log-sum-exp per row, per-row categorical losses) are shorter than their
/// input and cover its start, where one value per row lands on rows not yet read; the rest of the input must stay as it was.
/// The fused loss kernels keep exp(x - max) in the gradient but compute it again where the gradient is the targets' memory,
/// so this also compares those two routes.
/// </summary>
public abstract class AliasingDeterminismTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A call that reads <paramref name="first"/> and <paramref name="second"/> and writes <paramref name="output"/>; returns its loss, or 0.</summary>
    private delegate T Compute(ReadOnlySpan<T> first, ReadOnlySpan<T> second, Span<T> output);

    /// <summary>
    /// Rows of 1, 2 and 3 classes, where a per-row output overruns the rows fastest (with 1 it lands on its own row), rows of
    /// no whole block, and long rows.
    /// </summary>
    public static TheoryData<int, int> Shapes => new() { { 256, 1 }, { 500, 2 }, { 400, 3 }, { 70, 37 }, { 8, 1003 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void RowOutputsOverTheirInputsMatchSeparateOutputs(int rows, int classes)
    {
        var random = new Random(DeterminismCases.Seed(56, rows, classes));
        int[] labels = TestData.Labels(random, rows, classes, -100);
        double[] logitValues = TestData.Logits(random, rows, classes, negativeInfinity: true, Array.ConvertAll(labels, label => label < 0 ? -1 : label));
        T[] logits = TestData.To<T>(logitValues);
        T[] targets = TestData.To<T>(TestData.SoftTargets(random, rows, classes, logitValues));
        T[] probabilities = TestData.To<T>(TestData.Probabilities(random, rows, classes));
        T[] logProbabilities = TestData.To<T>(TestData.LogProbabilities(random, rows, classes));
        T[] outputGradient = TestData.To<T>(TestData.Gradients(random, rows, classes));
        T[] weights = TestData.To<T>(TestData.Weights(random, classes, withZero: true));
        var failures = new List<string>();
        string shape = $"{rows} x {classes}";
        int cases = 0;

        void Expect(string name, T[] first, T[] second, Compute compute, bool overSecond = false, bool perRow = false)
        {
            cases++;
            ExpectSameBits($"{name}, {shape}", first, second, compute, perRow ? rows : first.Length, overSecond, failures);
        }

        Expect("Softmax over its logits", logits, logits, (x, _, o) => { CrossEntropy.Activations.Softmax(x, o, classes); return T.Zero; });
        Expect("LogSoftmax over its logits", logits, logits, (x, _, o) => { CrossEntropy.Activations.LogSoftmax(x, o, classes); return T.Zero; });
        Expect("LogSumExp over its logits", logits, logits, (x, _, o) => { CrossEntropy.Activations.LogSumExp(x, o, classes); return T.Zero; }, perRow: true);
        Expect("categorical FromLogits losses (labels) over the logits", logits, logits,
            (x, _, o) => { CategoricalCrossEntropy.FromLogits(x, labels, o, classes, weights, labelSmoothing: 0.1); return T.Zero; }, perRow: true);
        Expect("categorical FromLogitsWithGradient (labels) over the logits", logits, logits,
            (x, _, o) => CategoricalCrossEntropy.FromLogitsWithGradient(x, labels, o, classes, Reduction.Mean, weights, labelSmoothing: 0.1));
        Expect("categorical FromProbabilities losses (labels) over the probabilities", probabilities, probabilities,
            (p, _, o) => { CategoricalCrossEntropy.FromProbabilities(p, labels, o, classes, weights, labelSmoothing: 0.1); return T.Zero; }, perRow: true);
        Expect("categorical FromProbabilitiesWithGradient (labels) over the probabilities", probabilities, probabilities,
            (p, _, o) => CategoricalCrossEntropy.FromProbabilitiesWithGradient(p, labels, o, classes, Reduction.Sum, weights, labelSmoothing: 0.1));
        foreach (bool overSecond in new[] { false, true })
        {
            string over = overSecond ? "over the second input" : "over the first input";
            Expect($"SoftmaxBackward {over}", probabilities, outputGradient,
                (y, g, o) => { CrossEntropy.Activations.SoftmaxBackward(y, g, o, classes); return T.Zero; }, overSecond);
            Expect($"LogSoftmaxBackward {over}", logProbabilities, outputGradient,
                (y, g, o) => { CrossEntropy.Activations.LogSoftmaxBackward(y, g, o, classes); return T.Zero; }, overSecond);
            Expect($"categorical FromLogits losses (soft targets) {over}", logits, targets,
                (x, t, o) => { CategoricalCrossEntropy.FromLogits(x, t, o, classes, weights, 0.1); return T.Zero; }, overSecond, perRow: true);
            Expect($"categorical FromLogitsWithGradient (soft targets) {over}", logits, targets,
                (x, t, o) => CategoricalCrossEntropy.FromLogitsWithGradient(x, t, o, classes, Reduction.Sum, weights), overSecond);
            Expect($"categorical FromProbabilities losses (soft targets) {over}", probabilities, targets,
                (p, t, o) => { CategoricalCrossEntropy.FromProbabilities(p, t, o, classes, weights); return T.Zero; }, overSecond, perRow: true);
            Expect($"categorical FromProbabilitiesWithGradient (soft targets) {over}", probabilities, targets,
                (p, t, o) => CategoricalCrossEntropy.FromProbabilitiesWithGradient(p, t, o, classes, Reduction.Mean, weights, 0.1), overSecond);
        }

        Sweep.AssertNone(failures, cases);
    }

    /// <summary>The element-wise calls, on a [130, 33] batch: 68 groups of 64 elements, with per-column weights cycling across chunks.</summary>
    [Fact]
    public void ElementOutputsOverTheirInputsMatchSeparateOutputs()
    {
        const int Rows = 130;
        const int Columns = 33;
        int n = Rows * Columns;
        var random = new Random(DeterminismCases.Seed(57, Rows, Columns));
        T[] logits = TestData.To<T>(TestData.Logits(random, Rows, Columns, negativeInfinity: false));
        T[] sigmoids = TestData.To<T>(TestData.Sigmoids(random, n));
        T[] outputGradient = TestData.To<T>(TestData.Gradients(random, Rows, Columns));
        T[] probabilities = TestData.To<T>(TestData.BinaryProbabilities(random, n));
        T[] targets = TestData.To<T>(TestData.BinaryTargets(random, n));
        T[] weights = TestData.To<T>(TestData.Weights(random, Columns, withZero: true));
        T[] positiveWeights = TestData.To<T>(TestData.Weights(random, Columns, withZero: true));
        var failures = new List<string>();
        int cases = 0;

        void Expect(string name, T[] first, T[] second, Compute compute, bool overSecond = false)
        {
            cases++;
            ExpectSameBits(name, first, second, compute, n, overSecond, failures);
        }

        Expect("Sigmoid over its input", logits, logits, (x, _, o) => { CrossEntropy.Activations.Sigmoid(x, o); return T.Zero; });
        Expect("LogSigmoid over its input", logits, logits, (x, _, o) => { CrossEntropy.Activations.LogSigmoid(x, o); return T.Zero; });
        foreach (bool overSecond in new[] { false, true })
        {
            string over = overSecond ? "over the second input" : "over the first input";
            Expect($"SigmoidBackward {over}", sigmoids, outputGradient, (y, g, o) => { CrossEntropy.Activations.SigmoidBackward(y, g, o); return T.Zero; }, overSecond);
            Expect($"binary FromLogits losses {over}", logits, targets,
                (x, t, o) => { BinaryCrossEntropy.FromLogits(x, t, o, weights, positiveWeights, 0.1); return T.Zero; }, overSecond);
            Expect($"binary FromLogitsWithGradient {over}", logits, targets,
                (x, t, o) => BinaryCrossEntropy.FromLogitsWithGradient(x, t, o, Reduction.Mean, weights, positiveWeights, 0.1), overSecond);
            Expect($"binary FromProbabilities losses {over}", probabilities, targets,
                (p, t, o) => { BinaryCrossEntropy.FromProbabilities(p, t, o, weights, 0.1); return T.Zero; }, overSecond);
            Expect($"binary FromProbabilitiesWithGradient {over}", probabilities, targets,
                (p, t, o) => BinaryCrossEntropy.FromProbabilitiesWithGradient(p, t, o, Reduction.Sum, weights), overSecond);
        }

        Sweep.AssertNone(failures, cases);
    }

    /// <summary>
    /// Runs <paramref name="compute"/> on every width, forced onto 2 to 4 threads in up to 64 chunks from the last, into a separate output and
    /// into the first <paramref name="length"/> elements of a copy of the first input (or of the second where
    /// <paramref name="overSecond"/>); adds a line to <paramref name="failures"/> where the outputs or returned losses differ in
    /// any bit, or the copy changed past the output.
    /// </summary>
    private static void ExpectSameBits(string name, T[] first, T[] second, Compute compute, int length, bool overSecond, List<string> failures)
    {
        for (int index = 0; index < Widths.All.Length; index++)
        {
            VectorWidth width = Widths.All[index];
            int threads = 2 + (index % 3);
            using (Widths.Limit(width))
            using (Parallelism.Force(threads, minChunkElements: Math.Max(1, first.Length / Parallelism.MaxChunks), lastFirst: true))
            {
                T[] separate = new T[length];
                T separateLoss = compute(first, second, separate);
                T[] a = (T[])first.Clone();
                T[] b = (T[])second.Clone();
                T[] over = overSecond ? b : a;
                T loss = compute(a, b, over.AsSpan(0, length));
                string run = $"{typeof(T).Name} {name} on {width}, {threads} threads";
                if (!Check<T>.SameBits(separateLoss, loss))
                {
                    failures.Add($"{run}: returned {Sweep.Show(loss)}, separately {Sweep.Show(separateLoss)}");
                }

                int differences = 0;
                int firstDifference = -1;
                for (int i = 0; i < length; i++)
                {
                    if (!Check<T>.SameBits(separate[i], over[i]))
                    {
                        firstDifference = differences++ == 0 ? i : firstDifference;
                    }
                }

                if (differences > 0)
                {
                    failures.Add($"{run}: {differences} of {length} outputs differ, the first at {firstDifference}: " +
                        $"separate {Sweep.Show(separate[firstDifference])}, in place {Sweep.Show(over[firstDifference])}");
                }

                T[] original = overSecond ? second : first;
                for (int i = length; i < over.Length; i++)
                {
                    if (!Check<T>.SameBits(original[i], over[i]))
                    {
                        failures.Add($"{run}: the input past the output changed at {i}");
                        break;
                    }
                }
            }
        }
    }
}

public sealed class FloatAliasingDeterminismTests : AliasingDeterminismTests<float>;

public sealed class DoubleAliasingDeterminismTests : AliasingDeterminismTests<double>;

public sealed class HalfAliasingDeterminismTests : AliasingDeterminismTests<Half>;
