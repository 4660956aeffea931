using System;
using System.Linq;
using System.Numerics;
using System.Numerics.Tensors;
using CrossEntropy.Tests.Infrastructure;
using CrossEntropy.Tests.Losses;
using Xunit;

namespace CrossEntropy.Tests.Tensors;

/// <summary>
/// The overloads on tensors of any rank: PyTorch's <c>softmax(dim)</c>, <c>log_softmax</c>, <c>logsumexp</c>, <c>argmax</c> and
/// <c>cross_entropy</c> on <c>[N, C, d1..dk]</c>, checked against the double references of the rows (each position's classes
/// gathered into a row); the bits of the span overloads where the classes are last; the same bits on every width, thread
/// count, in place and through strided and transposed views; special values; every invalid argument rejected before a write.
/// </summary>
public abstract class TensorTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Seed = 20261206;

    private static readonly T Sentinel = T.CreateTruncating(42.125);

    /// <summary>
    /// Shapes and class dimensions: rank 1 to 5, negative dimensions, inner lengths around the 8- and 16-lane blocks, and
    /// beyond the runs of 128 and 256 positions the inner kernels take at once, the last run ending in a partial block; more
    /// classes than the inner kernels stage on the stack.
    /// </summary>
    private static readonly (int[] Lengths, int Dimension)[] Shapes =
    [
        ([37], 0), ([3, 20], 0), ([3, 20], 1), ([3, 20], -1), ([2, 7, 5, 19], 0), ([2, 7, 5, 19], 1), ([2, 7, 5, 19], 2),
        ([2, 7, 5, 19], -1), ([2, 7, 5, 19], -3), ([2, 3, 2, 3, 5], 2), ([2, 3, 2, 3, 5], -1), ([1, 33, 17], 1), ([2, 9, 16], 1),
        ([2, 3, 300], 1), ([1, 4, 5, 130], 1), ([1, 130, 20], 1),
    ];

    private delegate void Activation(in ReadOnlyTensorSpan<T> x, in TensorSpan<T> destination, int dimension);

    private static readonly Activation SoftmaxCall = CrossEntropy.Activations.Softmax;
    private static readonly Activation LogSoftmaxCall = CrossEntropy.Activations.LogSoftmax;
    private static readonly Activation LogSumExpCall = CrossEntropy.Activations.LogSumExp;

    private static double[] Logits(Random random, Split split) =>
        TestData.RoundTrip<T>(split.FromRows(TestData.Logits(random, split.Positions, split.Classes)));

    private static int[] Reduced(int[] lengths, int dimension)
    {
        int d = dimension < 0 ? dimension + lengths.Length : dimension;
        return lengths.Length == 1 ? [1] : [.. lengths[..d], .. lengths[(d + 1)..]];
    }

    private static T[] Run(Activation activation, TensorView<T> x, int[] outputLengths, int dimension)
    {
        var output = TensorView<T>.Dense(new double[outputLengths.Aggregate(1, (a, b) => a * b)], outputLengths);
        activation(x.Read, output.Write, dimension);
        return output.Memory;
    }

    private static int[] RunArgMax(TensorView<T> x, int[] outputLengths, int dimension)
    {
        int[] result = new int[outputLengths.Aggregate(1, (a, b) => a * b)];
        CrossEntropy.Activations.ArgMax(x.Read, new TensorSpan<int>(result, [.. outputLengths.Select(n => (nint)n)], default), dimension);
        return result;
    }

    /// <summary>torch.argmax: the first maximum, or the first NaN.</summary>
    private static int ArgMaxReference(ReadOnlySpan<double> row)
    {
        int best = 0;
        for (int c = 0; c < row.Length; c++)
        {
            if (double.IsNaN(row[c]))
            {
                return c;
            }

            if (row[c] > row[best])
            {
                best = c;
            }
        }

        return best;
    }

    /// <summary>Compares every activation of <paramref name="x"/> along <paramref name="dimension"/> with the references of its positions' rows.</summary>
    private static void MatchesReference(TensorView<T> x, int[] lengths, int dimension, string context)
    {
        Split split = Split.Of(lengths, dimension);
        double[] rows = split.ToRows(x.Values());
        T[] softmax = Run(SoftmaxCall, x, lengths, dimension);
        T[] logSoftmax = Run(LogSoftmaxCall, x, lengths, dimension);
        T[] logSumExp = Run(LogSumExpCall, x, Reduced(lengths, dimension), dimension);
        int[] argMax = RunArgMax(x, Reduced(lengths, dimension), dimension);
        double[] expected = new double[split.Classes];
        for (int p = 0; p < split.Positions; p++)
        {
            ReadOnlySpan<double> row = rows.AsSpan(p * split.Classes, split.Classes);
            string at = $"{context}, position {p}";
            // Rows of finite values take the references that carry the rounding error of x - max (logits reach 1e4); others PyTorch's rules.
            bool finite = row.ToArray().All(double.IsFinite);
            if (finite)
            {
                LossReference.Softmax(row).CopyTo(expected, 0);
            }
            else
            {
                Reference.Softmax(row, expected);
            }

            for (int c = 0; c < split.Classes; c++)
            {
                Check<T>.Close(expected[c], softmax[split.Index(p, c)], $"softmax {at}, class {c}");
            }

            if (finite)
            {
                LossReference.LogSoftmax(row).CopyTo(expected, 0);
            }
            else
            {
                Reference.LogSoftmax(row, expected);
            }

            for (int c = 0; c < split.Classes; c++)
            {
                Check<T>.Close(expected[c], logSoftmax[split.Index(p, c)], $"log_softmax {at}, class {c}");
            }

            double lse = Reference.LogSumExp(row);
            Check<T>.Close(lse, logSumExp[p], Math.Abs(lse) + Math.Abs(row.ToArray().Max()), $"logsumexp {at}");
            That.Holds(ArgMaxReference(row) == argMax[p], $"argmax {at}: expected {ArgMaxReference(row)}, actual {argMax[p]}");
        }
    }

    [Fact]
    public void Activations_EveryDimensionOfRanks1To5_MatchPyTorchReference()
    {
        var random = new Random(Seed);
        foreach ((int[] lengths, int dimension) in Shapes)
        {
            Split split = Split.Of(lengths, dimension);
            MatchesReference(TensorView<T>.Dense(Logits(random, split), lengths), lengths, dimension, $"[{string.Join(", ", lengths)}] dim {dimension}");
        }
    }

    /// <summary>A [C, N] tensor seen transposed as [N, C], an NHWC tensor seen as NCHW, and views with gaps, as PyTorch's views.</summary>
    [Fact]
    public void Activations_TransposedAndStridedViews_MatchPyTorchReference()
    {
        var random = new Random(Seed + 1);
        (int[] Lengths, int Dimension, int[] Order, int Step)[] views =
        [
            ([20, 6], -1, [1, 0], 1), ([20, 6], 0, [1, 0], 1), ([2, 5, 4, 3], 1, [0, 2, 3, 1], 1), ([2, 5, 4, 3], 1, [0, 1, 2, 3], 2),
            ([3, 17], 1, [0, 1], 3), ([2, 5, 4, 3], -1, [3, 0, 1, 2], 2),
        ];
        foreach ((int[] lengths, int dimension, int[] order, int step) in views)
        {
            Split split = Split.Of(lengths, dimension);
            var x = TensorView<T>.Strided(Logits(random, split), lengths, order, step, Sentinel);
            MatchesReference(x, lengths, dimension, $"[{string.Join(", ", lengths)}] dim {dimension}, stored [{string.Join(", ", order)}] step {step}");
        }
    }

    /// <summary>Row-major tensors whose classes are last (also before dimensions of length 1) give the bits of the span overloads.</summary>
    [Fact]
    public void ClassesLast_GiveTheSpanOverloadsBits()
    {
        var random = new Random(Seed + 2);
        foreach (int[] lengths in new[] { new[] { 5, 13 }, [3, 2, 40], [4, 7, 1], [1, 1000] })
        {
            int dimension = lengths[^1] == 1 ? -2 : -1;
            Split split = Split.Of(lengths, dimension);
            double[] values = Logits(random, split);
            T[] flat = TestData.To<T>(values);
            var x = TensorView<T>.Dense(values, lengths);
            string context = $"[{string.Join(", ", lengths)}]";

            T[] expected = new T[flat.Length];
            CrossEntropy.Activations.Softmax<T>(flat, expected, split.Classes);
            Check<T>.SameBits(expected, Run(SoftmaxCall, x, lengths, dimension), $"softmax {context}");
            CrossEntropy.Activations.LogSoftmax<T>(flat, expected, split.Classes);
            Check<T>.SameBits(expected, Run(LogSoftmaxCall, x, lengths, dimension), $"log_softmax {context}");
            CrossEntropy.Activations.LogSumExp<T>(flat, expected, split.Classes);
            Check<T>.SameBits(expected.AsSpan(0, split.Positions), Run(LogSumExpCall, x, Reduced(lengths, dimension), dimension), $"logsumexp {context}");
        }

        foreach (int[] lengths in new[] { new[] { 6, 11 }, [40, 3], [5, 20, 1, 1] })
        {
            Split split = Split.Of(lengths, 1);
            double[] values = Logits(random, split);
            T[] flat = TestData.To<T>(values);
            int[] labels = TestData.Labels(random, split.Positions, split.Classes, -100);
            T[] weights = TestData.To<T>(TestData.Weights(random, split.Classes));
            var x = TensorView<T>.Dense(values, lengths);
            var y = new ReadOnlyTensorSpan<int>(labels, [.. Reduced(lengths, 1).Select(n => (nint)n)], default);
            string context = $"[{string.Join(", ", lengths)}]";

            T spanLoss = CategoricalCrossEntropy.FromLogits<T>(flat, labels, split.Classes, Reduction.Mean, weights, -100, 0.1);
            That.Holds(Check<T>.SameBits(spanLoss, CategoricalCrossEntropy.FromLogits(x.Read, y, Reduction.Mean, weights, -100, 0.1)), $"loss {context}");

            T[] spanLosses = new T[split.Positions];
            T[] losses = new T[split.Positions];
            CategoricalCrossEntropy.FromLogits<T>(flat, labels, spanLosses, split.Classes, weights, -100, 0.1);
            CategoricalCrossEntropy.FromLogits(x.Read, y, new TensorSpan<T>(losses, [.. Reduced(lengths, 1).Select(n => (nint)n)], default), weights, -100, 0.1);
            Check<T>.SameBits(spanLosses, losses, $"losses {context}");

            T[] spanGradient = new T[flat.Length];
            var gradient = TensorView<T>.Dense(new double[flat.Length], lengths);
            spanLoss = CategoricalCrossEntropy.FromLogitsWithGradient<T>(flat, labels, spanGradient, split.Classes, Reduction.Sum, default, -100, 0.2);
            T loss = CategoricalCrossEntropy.FromLogitsWithGradient(x.Read, y, gradient.Write, Reduction.Sum, default, -100, 0.2);
            That.Holds(Check<T>.SameBits(spanLoss, loss), $"loss with gradient {context}");
            Check<T>.SameBits(spanGradient, gradient.Memory, $"gradient {context}");
        }
    }

    /// <summary>Every output of every method on one case along dimension 1, concatenated.</summary>
    private static T[] Everything(TensorView<T> x, int[] lengths, int[] labels, T[] weights)
    {
        T[] softmax = Run(SoftmaxCall, x, lengths, 1);
        T[] logSoftmax = Run(LogSoftmaxCall, x, lengths, 1);
        T[] logSumExp = Run(LogSumExpCall, x, Reduced(lengths, 1), 1);
        T[] argMax = Array.ConvertAll(RunArgMax(x, Reduced(lengths, 1), 1), T.CreateTruncating);
        var y = new ReadOnlyTensorSpan<int>(labels, [.. Reduced(lengths, 1).Select(n => (nint)n)], default);
        var losses = TensorView<T>.Dense(new double[labels.Length], Reduced(lengths, 1));
        CategoricalCrossEntropy.FromLogits(x.Read, y, losses.Write, weights, -100, 0.25);
        var gradient = TensorView<T>.Dense(new double[x.Length], lengths);
        T loss = CategoricalCrossEntropy.FromLogitsWithGradient(x.Read, y, gradient.Write, Reduction.Mean, weights, -100, 0.25);
        T plain = CategoricalCrossEntropy.FromLogits(x.Read, y, Reduction.Sum);
        return [.. softmax, .. logSoftmax, .. logSumExp, .. argMax, .. losses.Memory, .. gradient.Memory, loss, plain];
    }

    [Fact]
    public void ClassesNotLast_SameBitsOnEveryWidth()
    {
        var random = new Random(Seed + 3);
        int[] lengths = [2, 21, 3, 13];
        Split split = Split.Of(lengths, 1);
        var x = TensorView<T>.Dense(Logits(random, split), lengths);
        int[] labels = TestData.Labels(random, split.Positions, split.Classes, -100);
        T[] weights = TestData.To<T>(TestData.Weights(random, split.Classes, withZero: true));
        T[]? first = null;
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                T[] results = Everything(x, lengths, labels, weights);
                if (first is null)
                {
                    first = results;
                }
                else
                {
                    Check<T>.SameBits(first, results, $"{width} against {Widths.All[0]}");
                }
            }
        }
    }

    [Fact]
    public void ClassesNotLast_SameBitsOnEveryThreadCount()
    {
        var random = new Random(Seed + 4);
        int[] lengths = [3, 10, 20, 25];
        Split split = Split.Of(lengths, 1);
        var x = TensorView<T>.Dense(Logits(random, split), lengths);
        int[] labels = TestData.Labels(random, split.Positions, split.Classes, -100);
        T[] weights = TestData.To<T>(TestData.Weights(random, split.Classes));
        T[] one;
        using (Parallelism.Force(1, minChunkElements: 512))
        {
            one = Everything(x, lengths, labels, weights);
        }

        foreach (int threads in new[] { 2, 5 })
        {
            using (Parallelism.Force(threads, minChunkElements: 512, lastFirst: true))
            {
                Check<T>.SameBits(one, Everything(x, lengths, labels, weights), $"{threads} threads");
            }
        }
    }

    /// <summary>A view and its row-major copy give the same bits; outputs written through strides leave the gaps untouched.</summary>
    [Fact]
    public void StridedInputsAndOutputs_GiveTheBitsOfRowMajorCopies()
    {
        var random = new Random(Seed + 5);
        foreach ((int[] lengths, int[] order, int step) in new[] { (new[] { 2, 5, 4, 9 }, new[] { 0, 2, 3, 1 }, 1), ([3, 6, 20], [0, 1, 2], 2), ([12, 7], [1, 0], 1) })
        {
            Split split = Split.Of(lengths, 1);
            double[] values = Logits(random, split);
            var dense = TensorView<T>.Dense(values, lengths);
            var strided = TensorView<T>.Strided(values, lengths, order, step, Sentinel);
            string context = $"[{string.Join(", ", lengths)}] stored [{string.Join(", ", order)}] step {step}";
            foreach ((Activation activation, string name) in new[] { (SoftmaxCall, "softmax"), (LogSoftmaxCall, "log_softmax") })
            {
                T[] expected = Run(activation, dense, lengths, 1);
                var output = TensorView<T>.Strided(new double[values.Length], lengths, order, step, Sentinel);
                activation(strided.Read, output.Write, 1);
                Check<T>.SameBits(expected, TestData.To<T>(output.Values()), $"{name} {context}");
                Assert.Equal(output.Memory.Length - values.Length, output.Memory.Count(v => Check<T>.SameBits(v, Sentinel)));
            }

            int[] labels = TestData.Labels(random, split.Positions, split.Classes, -100);
            var y = new ReadOnlyTensorSpan<int>(labels, [.. Reduced(lengths, 1).Select(n => (nint)n)], default);
            var denseGradient = TensorView<T>.Dense(new double[values.Length], lengths);
            T expectedLoss = CategoricalCrossEntropy.FromLogitsWithGradient(dense.Read, y, denseGradient.Write);
            var gradient = TensorView<T>.Strided(new double[values.Length], lengths, order, step, Sentinel);
            That.Holds(Check<T>.SameBits(expectedLoss, CategoricalCrossEntropy.FromLogitsWithGradient(strided.Read, y, gradient.Write)), $"loss {context}");
            Check<T>.SameBits(denseGradient.Memory, TestData.To<T>(gradient.Values()), $"gradient {context}");

            // Labels and losses as strided views of their own: every other element of a longer buffer.
            int[] sparseLabels = new int[2 * labels.Length];
            for (int i = 0; i < labels.Length; i++)
            {
                sparseLabels[2 * i] = labels[i];
                sparseLabels[2 * i + 1] = int.MaxValue;
            }

            nint[] labelLengths = [.. Reduced(lengths, 1).Select(n => (nint)n)];
            nint[] labelStrides = new nint[labelLengths.Length];
            for (int k = labelLengths.Length - 1, stride = 2; k >= 0; stride *= (int)labelLengths[k], k--)
            {
                labelStrides[k] = stride;
            }

            var stridedLabels = new ReadOnlyTensorSpan<int>(sparseLabels, 0, labelLengths, labelStrides);
            T[] expectedLosses = new T[labels.Length];
            CategoricalCrossEntropy.FromLogits(dense.Read, y, new TensorSpan<T>(expectedLosses, labelLengths, default));
            T[] sparseLosses = Enumerable.Repeat(Sentinel, 2 * labels.Length).ToArray();
            CategoricalCrossEntropy.FromLogits(strided.Read, stridedLabels, new TensorSpan<T>(sparseLosses, 0, labelLengths, labelStrides));
            for (int i = 0; i < labels.Length; i++)
            {
                That.Holds(Check<T>.SameBits(expectedLosses[i], sparseLosses[2 * i]), $"losses {context}, position {i}");
                That.Holds(Check<T>.SameBits(Sentinel, sparseLosses[2 * i + 1]), $"losses {context}, gap {i}");
            }
        }
    }

    [Fact]
    public void InPlace_GivesTheOutOfPlaceBits()
    {
        var random = new Random(Seed + 6);
        foreach ((int[] lengths, int[] order, int step) in new[] { (new[] { 2, 9, 5, 7 }, new[] { 0, 1, 2, 3 }, 1), ([4, 6, 11], [0, 2, 1], 2), ([5, 30], [0, 1], 1) })
        {
            Split split = Split.Of(lengths, 1);
            double[] values = Logits(random, split);
            string context = $"[{string.Join(", ", lengths)}] stored [{string.Join(", ", order)}] step {step}";
            foreach ((Activation activation, string name) in new[] { (SoftmaxCall, "softmax"), (LogSoftmaxCall, "log_softmax") })
            {
                T[] expected = Run(activation, TensorView<T>.Dense(values, lengths), lengths, 1);
                var x = TensorView<T>.Strided(values, lengths, order, step, Sentinel);
                activation(x.Read, x.Write, 1);
                Check<T>.SameBits(expected, TestData.To<T>(x.Values()), $"{name} {context}");
            }

            int[] labels = TestData.Labels(random, split.Positions, split.Classes, -100);
            var y = new ReadOnlyTensorSpan<int>(labels, [.. Reduced(lengths, 1).Select(n => (nint)n)], default);
            var gradient = TensorView<T>.Dense(new double[values.Length], lengths);
            T loss = CategoricalCrossEntropy.FromLogitsWithGradient(TensorView<T>.Dense(values, lengths).Read, y, gradient.Write, Reduction.Mean, default, -100, 0.1);
            var logits = TensorView<T>.Strided(values, lengths, order, step, Sentinel);
            That.Holds(Check<T>.SameBits(loss, CategoricalCrossEntropy.FromLogitsWithGradient(logits.Read, y, logits.Write, Reduction.Mean, default, -100, 0.1)), $"loss {context}");
            Check<T>.SameBits(gradient.Memory, TestData.To<T>(logits.Values()), $"gradient in place {context}");
        }
    }

    /// <summary>
    /// Positions of special values along dimension 1, each its own kind: NaN, +infinity, only -infinity, some -infinity,
    /// signed zeros, two maxima; PyTorch's softmax, log_softmax, logsumexp and argmax of each, and cross_entropy's NaN.
    /// </summary>
    [Fact]
    public void SpecialValues_FollowPyTorch()
    {
        double inf = double.PositiveInfinity;
        double[][] positions =
        [
            [1, double.NaN, 2, 3, double.NaN], [1, inf, 2, -inf, 0], [-inf, -inf, -inf, -inf, -inf], [-inf, 2, -inf, 1, 0],
            [0.0, -0.0, 0.0, -0.0, 0.0], [3, 1, 3, 2, 3], [inf, 1, inf, 0, 0], [double.NaN, inf, -inf, 1, 2], [-inf, -inf, 5, -inf, -inf],
        ];
        int[] lengths = [1, 5, positions.Length];
        Split split = Split.Of(lengths, 1);
        double[] rows = [.. positions.SelectMany(row => row)];
        var x = TensorView<T>.Dense(split.FromRows(rows), lengths);
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                MatchesReference(x, lengths, 1, $"special values, {width}");
                int[] labels = [.. Enumerable.Range(0, positions.Length).Select(p => p % 5)];
                var gradient = TensorView<T>.Dense(new double[rows.Length], lengths);
                var losses = TensorView<T>.Dense(new double[positions.Length], [1, positions.Length]);
                var y = new ReadOnlyTensorSpan<int>(labels, [1, positions.Length], default);
                CategoricalCrossEntropy.FromLogitsWithGradient(x.Read, y, gradient.Write, Reduction.Sum);
                CategoricalCrossEntropy.FromLogits(x.Read, y, losses.Write);
                foreach (int p in new[] { 0, 1, 2, 6, 7 })
                {
                    That.Holds(T.IsNaN(losses.Memory[p]), $"loss of position {p}, {width}");
                    That.Holds(Enumerable.Range(0, 5).All(c => T.IsNaN(gradient.Memory[split.Index(p, c)])), $"gradient of position {p}, {width}");
                }

                // Position 3 has -infinity logits on classes it puts no target on: finite; position 8's label 3 has a -infinity logit: +infinity.
                That.Holds(T.IsFinite(losses.Memory[3]), $"loss of position 3, {width}");
                That.Holds(T.IsPositiveInfinity(losses.Memory[8]), $"loss of position 8, {width}");
            }
        }
    }

    /// <summary>
    /// cross_entropy on [N, C, H, W] with class weights, ignore_index and label smoothing, every reduction and output, also with
    /// more classes than the inner kernels stage on the stack, and with whole blocks of positions without class weights, whose
    /// labels are read as a block.
    /// </summary>
    [Fact]
    public void CrossEntropy_OnImageShapes_MatchesPyTorchReference()
    {
        var random = new Random(Seed + 7);
        foreach ((int[] lengths, bool weighted, double smoothing) in new[] { (new[] { 3, 6, 4, 5 }, true, 0.1), ([2, 11, 7], false, 0.0), ([2, 4, 3, 2, 3], true, 0.0), ([2, 5, 9], false, 0.3),
            ([1, 130, 20], true, 0.1), ([2, 7, 40], false, 0.0) })
        {
            Split split = Split.Of(lengths, 1);
            double[] values = Logits(random, split);
            double[] rows = split.ToRows(values);
            int[] labels = TestData.Labels(random, split.Positions, split.Classes, -100);
            double[] weights = weighted ? TestData.RoundTrip<T>(TestData.Weights(random, split.Classes, withZero: true)) : [];
            LossReference.Result reference = LossReference.Categorical(rows, true, split.Classes, labels, null, weights, -100, smoothing);
            var x = TensorView<T>.Dense(values, lengths);
            var y = new ReadOnlyTensorSpan<int>(labels, [.. Reduced(lengths, 1).Select(n => (nint)n)], default);
            T[] w = TestData.To<T>(weights);
            string context = $"[{string.Join(", ", lengths)}] weighted {weighted} smoothing {smoothing}";

            var losses = TensorView<T>.Dense(new double[labels.Length], Reduced(lengths, 1));
            CategoricalCrossEntropy.FromLogits(x.Read, y, losses.Write, w, -100, smoothing);
            for (int p = 0; p < labels.Length; p++)
            {
                Check<T>.Close(reference.RowLosses[p], losses.Memory[p], Tolerance<T>.Loss / Tolerance<T>.Relative * Math.Abs(reference.RowLosses[p]), $"loss {context}, position {p}");
            }

            foreach (Reduction reduction in new[] { Reduction.Mean, Reduction.Sum })
            {
                double expected = reference.Loss(reduction);
                double scale = Tolerance<T>.Loss / Tolerance<T>.Relative * Math.Abs(expected);
                Check<T>.Close(expected, CategoricalCrossEntropy.FromLogits(x.Read, y, reduction, w, -100, smoothing), scale, $"{reduction} {context}");
                var gradient = TensorView<T>.Dense(new double[values.Length], lengths);
                Check<T>.Close(expected, CategoricalCrossEntropy.FromLogitsWithGradient(x.Read, y, gradient.Write, reduction, w, -100, smoothing), scale, $"{reduction} with gradient {context}");
                double[] expectedGradient = reference.Gradient(reduction);
                double[] magnitude = reference.Magnitude(reduction);
                for (int p = 0; p < labels.Length; p++)
                {
                    for (int c = 0; c < split.Classes; c++)
                    {
                        double e = expectedGradient[p * split.Classes + c];
                        double bound = Tolerance<T>.Loss * Math.Abs(e) + Tolerance<T>.Cancellation * magnitude[p * split.Classes + c] + Tolerance<T>.Absolute;
                        double actual = double.CreateTruncating(gradient.Memory[split.Index(p, c)]);
                        That.Holds(Math.Abs(actual - e) <= bound, $"gradient {reduction} {context}, position {p}, class {c}: expected {e:R}, actual {actual:R}");
                    }
                }
            }
        }
    }

    /// <summary>Every invalid argument throws the documented exception naming its parameter, and leaves the outputs as they were.</summary>
    [Fact]
    public void InvalidArguments_ThrowNamingTheParameter_WithoutWriting()
    {
        T[] memory = TestData.To<T>(Enumerable.Range(0, 120).Select(i => i * 0.25).ToArray());
        T[] output = Enumerable.Repeat(Sentinel, 120).ToArray();
        int[] indices = Enumerable.Repeat(-7, 30).ToArray();
        int[] labels = new int[30];
        ReadOnlyTensorSpan<T> x() => new(memory, [2, 4, 15], default);
        TensorSpan<T> o(params nint[] lengths) => new(output, lengths, default);

        void Throws<TException>(string name, Action call)
            where TException : ArgumentException
        {
            TException exception = Assert.Throws<TException>(call);
            Assert.Equal(name, exception.ParamName);
            Check<T>.Unchanged(output, Sentinel, name);
            Assert.All(indices, i => Assert.Equal(-7, i));
        }

        Throws<ArgumentOutOfRangeException>("dimension", () => CrossEntropy.Activations.Softmax(x(), o(2, 4, 15), 3));
        Throws<ArgumentOutOfRangeException>("dimension", () => CrossEntropy.Activations.LogSoftmax(x(), o(2, 4, 15), -4));
        Throws<ArgumentOutOfRangeException>("dimension", () => CrossEntropy.Activations.LogSumExp(x(), o(2, 15), 5));
        Throws<ArgumentOutOfRangeException>("dimension", () => CrossEntropy.Activations.ArgMax(x(), new TensorSpan<int>(indices, [2, 15], default), -9));
        Throws<ArgumentException>("destination", () => CrossEntropy.Activations.Softmax(x(), o(2, 15, 4), 1));
        Throws<ArgumentException>("destination", () => CrossEntropy.Activations.LogSoftmax(x(), o(8, 15), 1));
        Throws<ArgumentException>("destination", () => CrossEntropy.Activations.Softmax(x(), o(2, 4, 14), -1));
        Throws<ArgumentException>("destination", () => CrossEntropy.Activations.LogSoftmax(x(), o(2, 60), 2));
        Throws<ArgumentException>("destination", () => CrossEntropy.Activations.LogSumExp(x(), o(2, 4), 1));
        Throws<ArgumentException>("destination", () => CrossEntropy.Activations.LogSumExp(x(), o(2, 4, 15), 1));
        Throws<ArgumentException>("destination", () => CrossEntropy.Activations.ArgMax(x(), new TensorSpan<int>(indices, [15, 2], default), 1));
        Throws<ArgumentException>("destination", () => CrossEntropy.Activations.Softmax(x(), new TensorSpan<T>(output, 0, [2, 4, 15], [0, 15, 1]), 1));

        // Partial overlaps: the output one element past the input's start, and the input seen through other strides.
        T[] shared = new T[130];
        memory.CopyTo(shared, 0);
        T[] before = (T[])shared.Clone();
        ReadOnlyTensorSpan<T> input() => new(shared, 0, [2, 4, 15], [60, 15, 1]);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => CrossEntropy.Activations.Softmax(input(), new TensorSpan<T>(shared, 1, [2, 4, 15], [60, 15, 1]), 1)).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => CrossEntropy.Activations.Softmax(input(), new TensorSpan<T>(shared, 1, [2, 4, 15], [60, 15, 1]), -1)).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => CrossEntropy.Activations.LogSoftmax(input(), new TensorSpan<T>(shared, 0, [2, 4, 15], [60, 1, 4]), 1)).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => CrossEntropy.Activations.LogSumExp(input(), new TensorSpan<T>(shared, 0, [2, 15], default), 1)).ParamName);
        Assert.Equal("gradient", Assert.Throws<ArgumentException>(() => CategoricalCrossEntropy.FromLogitsWithGradient(input(), new ReadOnlyTensorSpan<int>(labels, [2, 15], default), new TensorSpan<T>(shared, 10, [2, 4, 15], default))).ParamName);
        Assert.Equal("losses", Assert.Throws<ArgumentException>(() => CategoricalCrossEntropy.FromLogits(input(), new ReadOnlyTensorSpan<int>(labels, [2, 15], default), new TensorSpan<T>(shared, 100, [2, 15], default))).ParamName);
        Check<T>.SameBits(before, shared, "overlapped memory");

        ReadOnlyTensorSpan<int> y(params nint[] lengths) => new(labels, lengths, default);
        Throws<ArgumentException>("logits", () => CategoricalCrossEntropy.FromLogits(new ReadOnlyTensorSpan<T>(memory, [120], default), y(1)));
        Throws<ArgumentException>("labels", () => CategoricalCrossEntropy.FromLogits(x(), y(2, 4)));
        Throws<ArgumentException>("labels", () => CategoricalCrossEntropy.FromLogits(x(), y(30)));
        Throws<ArgumentException>("classWeights", () => CategoricalCrossEntropy.FromLogits(x(), y(2, 15), Reduction.Mean, new T[3]));
        Throws<ArgumentOutOfRangeException>("labelSmoothing", () => CategoricalCrossEntropy.FromLogits(x(), y(2, 15), Reduction.Mean, default, -100, 1.5));
        Throws<ArgumentOutOfRangeException>("reduction", () => CategoricalCrossEntropy.FromLogitsWithGradient(x(), y(2, 15), o(2, 4, 15), (Reduction)7));
        Throws<ArgumentException>("losses", () => CategoricalCrossEntropy.FromLogits(x(), y(2, 15), o(2, 4)));
        Throws<ArgumentException>("gradient", () => CategoricalCrossEntropy.FromLogitsWithGradient(x(), y(2, 15), o(2, 15, 4)));
        Throws<ArgumentException>("gradient", () => CategoricalCrossEntropy.FromLogitsWithGradient(x(), y(2, 15), o(120)));
        labels[29] = 4;
        Throws<ArgumentOutOfRangeException>("labels", () => CategoricalCrossEntropy.FromLogitsWithGradient(x(), y(2, 15), o(2, 4, 15)));
        labels[29] = -1;
        Throws<ArgumentOutOfRangeException>("labels", () => CategoricalCrossEntropy.FromLogits(x(), y(2, 15), o(2, 15)));
    }

    /// <summary>On row-major tensors, one thread: no call allocates, on any layout or width (the first calls warm up the JIT).</summary>
    [Fact]
    public void RowMajorTensors_AllocateNothingOnOneThread()
    {
        var random = new Random(Seed + 8);
        foreach (int[] lengths in new[] { new[] { 2, 9, 5, 7 }, [6, 12] })
        {
            Split split = Split.Of(lengths, 1);
            T[] x = TestData.To<T>(Logits(random, split));
            T[] output = new T[x.Length];
            int[] labels = TestData.Labels(random, split.Positions, split.Classes, -100);
            int[] indices = new int[split.Positions];
            nint[] shape = [.. lengths.Select(n => (nint)n)];
            nint[] reduced = [.. Reduced(lengths, 1).Select(n => (nint)n)];
            string[] names = ["Softmax", "LogSoftmax", "LogSumExp", "ArgMax", "FromLogits", "FromLogits(losses)", "FromLogitsWithGradient"];
            Action[] calls =
            [
                () => CrossEntropy.Activations.Softmax(new ReadOnlyTensorSpan<T>(x, shape, default), new TensorSpan<T>(output, shape, default), 1),
                () => CrossEntropy.Activations.LogSoftmax(new ReadOnlyTensorSpan<T>(x, shape, default), new TensorSpan<T>(output, shape, default), 1),
                () => CrossEntropy.Activations.LogSumExp(new ReadOnlyTensorSpan<T>(x, shape, default), new TensorSpan<T>(output, reduced, default), 1),
                () => CrossEntropy.Activations.ArgMax(new ReadOnlyTensorSpan<T>(x, shape, default), new TensorSpan<int>(indices, reduced, default), 1),
                () => CategoricalCrossEntropy.FromLogits(new ReadOnlyTensorSpan<T>(x, shape, default), new ReadOnlyTensorSpan<int>(labels, reduced, default), Reduction.Mean, default, -100, 0.1),
                () => CategoricalCrossEntropy.FromLogits(new ReadOnlyTensorSpan<T>(x, shape, default), new ReadOnlyTensorSpan<int>(labels, reduced, default), new TensorSpan<T>(output, reduced, default)),
                () => CategoricalCrossEntropy.FromLogitsWithGradient(new ReadOnlyTensorSpan<T>(x, shape, default), new ReadOnlyTensorSpan<int>(labels, reduced, default), new TensorSpan<T>(output, shape, default)),
            ];
            foreach (VectorWidth width in Widths.All)
            {
                using (Widths.Limit(width))
                using (Parallelism.Force(1))
                {
                    for (int i = 0; i < calls.Length; i++)
                    {
                        long bytes = Allocations.Fewest(calls[i]);
                        That.Holds(bytes == 0, $"{names[i]} on [{string.Join(", ", lengths)}], {width}, allocated {bytes} bytes");
                    }
                }
            }
        }
    }

    /// <summary>A position that is its own dimension: rank 1 reduces to one value, and a class dimension of length 1 is softmax 1.</summary>
    [Fact]
    public void EdgeShapes_FollowPyTorch()
    {
        T[] values = TestData.To<T>([1, 3, 3, -2]);
        T[] lse = [Sentinel];
        CrossEntropy.Activations.LogSumExp(new ReadOnlyTensorSpan<T>(values), new TensorSpan<T>(lse), 0);
        Check<T>.Close(Reference.LogSumExp([1, 3, 3, -2]), lse[0], "logsumexp of a rank-1 tensor");
        int[] index = [-1];
        CrossEntropy.Activations.ArgMax(new ReadOnlyTensorSpan<T>(values), new TensorSpan<int>(index), -1);
        Assert.Equal(1, index[0]);

        T[] single = new T[4];
        CrossEntropy.Activations.Softmax(new ReadOnlyTensorSpan<T>(values, [2, 1, 2], default), new TensorSpan<T>(single, [2, 1, 2], default), 1);
        Assert.All(single, p => Assert.Equal(T.One, p));

        // Empty tensors: nothing to write; a reduction over a dimension of length 0 is -infinity, as torch.logsumexp.
        CrossEntropy.Activations.Softmax(new ReadOnlyTensorSpan<T>(values, [0, 4], default), new TensorSpan<T>(single, [0, 4], default), 1);
        T[] empty = [Sentinel, Sentinel];
        CrossEntropy.Activations.LogSumExp(new ReadOnlyTensorSpan<T>(values, [2, 0], default), new TensorSpan<T>(empty, [2], default), 1);
        Assert.All(empty, v => Assert.Equal(T.NegativeInfinity, v));
        Assert.Throws<ArgumentException>(() => CrossEntropy.Activations.ArgMax(new ReadOnlyTensorSpan<T>(values, [2, 0], default), new TensorSpan<int>(new int[2], [2], default), 1));
        Assert.True(T.IsNaN(CategoricalCrossEntropy.FromLogits(new ReadOnlyTensorSpan<T>(values, [0, 4, 3], default), new ReadOnlyTensorSpan<int>(new int[1], [0, 3], default))));
    }
}

public sealed class FloatTensorTests : TensorTests<float>
{
    /// <summary>Past 2^24 classes along a dimension that is not last, indices no longer fit a float lane: the argmax goes position by position.</summary>
    [Fact]
    public void ArgMax_MoreClassesThanAFloatCounts_IsExact()
    {
        const int classes = (1 << 24) + 1;
        float[] x = new float[2 * classes];
        x[2 * classes - 1] = 1;
        x[2 * classes - 4] = 1;
        int[] index = [-1, -1];
        CrossEntropy.Activations.ArgMax(new ReadOnlyTensorSpan<float>(x, [classes, 2], default), new TensorSpan<int>(index), 0);
        Assert.Equal([classes - 2, classes - 1], index);
    }
}

public sealed class DoubleTensorTests : TensorTests<double>
{
    /// <summary>The gradient of the reduced loss on [N, C, H, W] is the central finite difference of the loss.</summary>
    [Fact]
    public void CrossEntropyGradient_IsTheFiniteDifferenceOfTheLoss()
    {
        var random = new Random(7);
        int[] lengths = [2, 5, 3, 4];
        Split split = Split.Of(lengths, 1);
        double[] values = split.FromRows(TestData.Uniform(random, split.Positions * split.Classes, 3));
        int[] labels = TestData.Labels(random, split.Positions, split.Classes, -100);
        double[] weights = TestData.Weights(random, split.Classes);
        ReadOnlyTensorSpan<int> y() => new(labels, [2, 3, 4], default);
        double[] gradient = new double[values.Length];
        CategoricalCrossEntropy.FromLogitsWithGradient(new ReadOnlyTensorSpan<double>(values, [2, 5, 3, 4], default), y(),
            new TensorSpan<double>(gradient, [2, 5, 3, 4], default), Reduction.Mean, weights, -100, 0.15);
        const double h = 1e-5;
        for (int i = 0; i < values.Length; i++)
        {
            double[] plus = (double[])values.Clone();
            double[] minus = (double[])values.Clone();
            plus[i] += h;
            minus[i] -= h;
            double difference = (Loss(plus) - Loss(minus)) / (2 * h);
            That.Holds(Math.Abs(difference - gradient[i]) <= 1e-8 + 1e-6 * Math.Abs(difference), $"index {i}: finite difference {difference:R}, gradient {gradient[i]:R}");
        }

        double Loss(double[] logits) =>
            CategoricalCrossEntropy.FromLogits(new ReadOnlyTensorSpan<double>(logits, [2, 5, 3, 4], default), y(), Reduction.Mean, weights, -100, 0.15);
    }
}

public sealed class HalfTensorTests : TensorTests<Half>;
