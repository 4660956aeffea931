using System;
using System.Linq;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using FsCheck;
using TestData = CrossEntropy.Tests.Infrastructure.TestData;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// A batch for <see cref="CategoricalCrossEntropy.FromLogitsChunkWithGradient{T}"/>: whole rows of logits, labels (-100 is
/// ignored), the chunk boundaries of a partition of the classes (<c>Bounds[0] = 0</c>, the last one <c>Classes</c>), the
/// options, and the SIMD width it runs on.
/// </summary>
public sealed record ChunkSample(double[] Logits, int Classes, int[] Labels, int[] Bounds, double[] ClassWeights, double Smoothing,
    double[] SampleWeights, double Normalizer, Reduction Reduction, int Width)
{
    public const int IgnoreIndex = -100;

    public int Rows => Labels.Length;

    public override string ToString() =>
        $"ChunkSample(classes {Classes}, rows {Rows}, bounds [{string.Join(", ", Bounds)}], labels [{string.Join(", ", Labels)}], " +
        $"weights {ClassWeights.Length > 0}, smoothing {Smoothing}, sample weights [{string.Join(", ", SampleWeights)}], " +
        $"normalizer {Normalizer}, {Reduction}, width {Width}, logits {Infrastructure.Logits.Show(Logits)})";
}

/// <summary>
/// Chunk samples: 1 to 5 rows of 1 to 700 classes, logits at one scale from 1e-3 to 1e4 per batch, up to five chunks, a
/// label in each row (a fifth of them ignored), with or without class weights (in [0.25, 4]), smoothing 0, 0.1 or 1, sample weights of
/// either sign or none, a normalizer in a third of the samples.
/// </summary>
public static class ChunkArbitraries
{
    public static Arbitrary<ChunkSample> ChunkSamples() =>
        (from classes in Gen.Frequency((3, Gen.Choose(1, 40)), (2, Gen.Choose(41, 700)))
         from rows in Gen.Choose(1, 5)
         from scale in Gen.Elements(1e-3, 1.0, 10.0, 100.0, 1e3, 1e4)
         from values in Gen.ArrayOf(Gen.Choose(-(1 << 20), 1 << 20).Select(k => k * scale / (1 << 20)), rows * classes)
         from cuts in classes == 1 ? Gen.Constant(Array.Empty<int>()) : Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(Gen.Choose(1, classes - 1), n))
         from labels in Gen.ArrayOf(Gen.Choose(-classes / 4 - 1, classes - 1), rows)
         from weighted in Gen.Elements(false, true)
         from weights in Gen.ArrayOf(Gen.Choose(1, 16).Select(k => k / 4.0), classes)
         from smoothing in Gen.Elements(0.0, 0.1, 1.0)
         from sampleWeighted in Gen.Elements(false, true)
         from sampleWeights in Gen.ArrayOf(Gen.Choose(-8, 8).Select(k => k / 2.0), rows)
         from normalizer in Gen.Elements(0.0, 0.0, 3.5)
         from reduction in Gen.Elements(Reduction.Mean, Reduction.Sum)
         from width in Gen.Elements(512, 256, 128, 0)
         select new ChunkSample(values, classes, labels.Select(y => y < 0 ? ChunkSample.IgnoreIndex : y).ToArray(),
             [0, .. cuts.Distinct().Order(), classes], weighted ? weights : [], smoothing, sampleWeighted ? sampleWeights : [], normalizer,
             reduction, width)).ToArbitrary();
}

/// <summary>What the chunked calls gave: the summed parts of the loss, the gradient put together, and the merged log-sum-exp.</summary>
internal sealed record ChunkOutcome<T>(double Loss, T[] Gradient, T[] LogSumExp, T[] Parts);

/// <summary>The chunked workflow run through the library, and the double reference of the loss and gradient.</summary>
internal static class Chunked
{
    /// <summary>Columns [start, end) of each row.</summary>
    public static T[] Columns<T>(ReadOnlySpan<T> values, int classes, int start, int end)
    {
        int rows = values.Length / classes;
        T[] chunk = new T[rows * (end - start)];
        for (int row = 0; row < rows; row++)
        {
            values.Slice(row * classes + start, end - start).CopyTo(chunk.AsSpan(row * (end - start)));
        }

        return chunk;
    }

    /// <summary>Each row's log-sum-exp, as LogSumExp of each chunk merged with LogAddExp.</summary>
    public static T[] LogSumExp<T>(T[] logits, int classes, int[] bounds)
        where T : IFloatingPointIeee754<T>
    {
        int rows = logits.Length / classes;
        T[] lse = new T[rows];
        T[] part = new T[rows];
        for (int k = 0; k + 1 < bounds.Length; k++)
        {
            T[] chunk = Columns<T>(logits, classes, bounds[k], bounds[k + 1]);
            CrossEntropy.Activations.LogSumExp<T>(chunk, k == 0 ? lse : part, bounds[k + 1] - bounds[k]);
            if (k > 0)
            {
                CrossEntropy.Activations.LogAddExp<T>(lse, part, lse);
            }
        }

        return lse;
    }

    /// <summary>Runs every chunk of <paramref name="s"/> in <typeparamref name="T"/>, with the log-sum-exp from <see cref="LogSumExp{T}"/>.</summary>
    public static ChunkOutcome<T> Run<T>(ChunkSample s, T[]? logits = null)
        where T : IFloatingPointIeee754<T>
    {
        logits ??= TestData.To<T>(s.Logits);
        T[] lse = LogSumExp(logits, s.Classes, s.Bounds);
        T[] gradient = new T[logits.Length];
        T[] parts = new T[s.Bounds.Length - 1];
        double loss = 0;
        for (int k = 0; k + 1 < s.Bounds.Length; k++)
        {
            int width = s.Bounds[k + 1] - s.Bounds[k];
            T[] chunk = Columns<T>(logits, s.Classes, s.Bounds[k], s.Bounds[k + 1]);
            T[] chunkGradient = new T[chunk.Length];
            parts[k] = CategoricalCrossEntropy.FromLogitsChunkWithGradient<T>(chunk, s.Labels, lse, chunkGradient, width, s.Bounds[k], s.Classes,
                s.Reduction, TestData.To<T>(s.ClassWeights), ChunkSample.IgnoreIndex, s.Smoothing, TestData.To<T>(s.SampleWeights), s.Normalizer);
            loss += double.CreateTruncating(parts[k]);
            for (int row = 0; row < s.Rows; row++)
            {
                chunkGradient.AsSpan(row * width, width).CopyTo(gradient.AsSpan(row * s.Classes + s.Bounds[k]));
            }
        }

        return new ChunkOutcome<T>(loss, gradient, lse, parts);
    }

    /// <summary>The reduced loss's denominator: the normalizer, else the summed w[y] of the non-ignored rows for Mean, else 1.</summary>
    public static double Denominator(ChunkSample s) =>
        s.Normalizer > 0 ? s.Normalizer :
        s.Reduction == Reduction.Sum ? 1 :
        s.Labels.Where(y => y != ChunkSample.IgnoreIndex).Sum(y => s.ClassWeights.Length == 0 ? 1 : s.ClassWeights[y]);

    /// <summary>
    /// The double reference from the formula: per row <c>a = (1 - s) w[y] one_hot(y) + (s / C) w</c>, <c>A = sum a</c>,
    /// loss <c>v sum_c a[c] (lse - x[c])</c> (0 where a[c] = 0), gradient <c>(e^(x - lse) A - a) v / D</c>, with the log-sum-exp
    /// <paramref name="lse"/> given per row, or computed exactly where it is null. <paramref name="magnitude"/> receives, per
    /// gradient entry, the sum of the magnitudes of its terms; <paramref name="lossMagnitude"/> that of the loss.
    /// </summary>
    public static double Reference(ChunkSample s, double[] x, double[]? lse, double[] gradient, double[] magnitude, out double lossMagnitude)
    {
        double denominator = Denominator(s);
        double total = 0;
        lossMagnitude = 0;
        int classes = s.Classes;
        for (int row = 0; row < s.Rows; row++)
        {
            int y = s.Labels[row];
            ReadOnlySpan<double> logits = x.AsSpan(row * classes, classes);
            if (y == ChunkSample.IgnoreIndex)
            {
                continue;
            }

            double l = lse?[row] ?? Infrastructure.Reference.LogSumExp(logits);
            double v = s.SampleWeights.Length == 0 ? 1 : s.SampleWeights[row];
            double[] a = new double[classes];
            for (int c = 0; c < classes; c++)
            {
                double w = s.ClassWeights.Length == 0 ? 1 : s.ClassWeights[c];
                a[c] = s.Smoothing / classes * w + (c == y ? (1 - s.Smoothing) * w : 0);
            }

            double sumA = a.Sum();
            for (int c = 0; c < classes; c++)
            {
                if (a[c] != 0)
                {
                    total += v * a[c] * (l - logits[c]);
                    lossMagnitude += Math.Abs(v * a[c]) * (Math.Abs(l) + Math.Abs(logits[c]));
                }

                double p = Math.Exp(logits[c] - l);
                gradient[row * classes + c] = (p * sumA - a[c]) * v / denominator;
                magnitude[row * classes + c] = (p * sumA + a[c]) * Math.Abs(v) / denominator;
            }
        }

        lossMagnitude /= Math.Abs(denominator);
        return total / denominator;
    }
}

/// <summary>FsCheck properties of the chunked loss: every partition sums to the whole-row call and to the double reference.</summary>
[Properties(Arbitrary = new[] { typeof(ChunkArbitraries) })]
public sealed class ChunkCrossEntropyProperties
{
    [Property(MaxTest = 40)]
    public void ChunksSumToReferenceInFloat(ChunkSample s) => SumToReference<float>(s);

    [Property(MaxTest = 40)]
    public void ChunksSumToReferenceInDouble(ChunkSample s) => SumToReference<double>(s);

    /// <summary>In Half, with logits within ±1000: the first chunk's part holds A lse, which must stay below Half's largest value.</summary>
    [Property(MaxTest = 25)]
    public void ChunksSumToReferenceInHalf(ChunkSample s)
    {
        double largest = s.Logits.Length == 0 ? 0 : s.Logits.Max(Math.Abs);
        SumToReference<Half>(largest <= 1000 ? s : s with { Logits = [.. s.Logits.Select(x => x * (1000 / largest))] });
    }

    [Property(MaxTest = 40)]
    public void ChunksSumToWholeRowCallInFloat(ChunkSample s) => SumToWholeRowCall<float>(s);

    [Property(MaxTest = 40)]
    public void ChunksSumToWholeRowCallInDouble(ChunkSample s) => SumToWholeRowCall<double>(s);

    /// <summary>
    /// The parts add up to the reference loss, and the gradient pieces to the reference gradient, the reference taking the
    /// log-sum-exp the chunks were given (its rounding to T is the input's, see <see cref="SumToWholeRowCall{T}"/>).
    /// The loss is allowed Loss of the magnitude of its terms: the parts cancel, each rounded to T.
    /// </summary>
    private static void SumToReference<T>(ChunkSample s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ChunkOutcome<T> outcome;
        using (Widths.Limit((VectorWidth)s.Width))
        {
            outcome = Chunked.Run<T>(s);
        }

        double[] x = TestData.RoundTrip<T>(s.Logits);
        double[] expected = new double[x.Length];
        double[] magnitude = new double[x.Length];
        double loss = Chunked.Reference(s, x, TestData.ToDouble<T>(outcome.LogSumExp), expected, magnitude, out double lossMagnitude);
        AssertLoss<T>(loss, outcome.Loss, lossMagnitude, s.ToString());
        var check = new Check<T>();
        check.Gradient(expected, magnitude, outcome.Gradient, s.ToString());
        check.AssertNoMismatch();
    }

    /// <summary>
    /// Without sample weights and normalizer, the parts add up to the loss of FromLogitsWithGradient on the whole rows, and the
    /// gradient pieces to its gradient. Allowed beside the usual tolerance: the rounding of the log-sum-exp to T, which moves
    /// each e^(x - lse) by |lse| ulps.
    /// </summary>
    private static void SumToWholeRowCall<T>(ChunkSample s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        s = s with { SampleWeights = [], Normalizer = 0 };
        T[] logits = TestData.To<T>(s.Logits);
        T[] wholeGradient = new T[logits.Length];
        ChunkOutcome<T> outcome;
        T whole;
        using (Widths.Limit((VectorWidth)s.Width))
        {
            outcome = Chunked.Run<T>(s, logits);
            whole = CategoricalCrossEntropy.FromLogitsWithGradient<T>(logits, s.Labels, wholeGradient, s.Classes, s.Reduction,
                TestData.To<T>(s.ClassWeights), ChunkSample.IgnoreIndex, s.Smoothing);
        }

        double[] x = TestData.RoundTrip<T>(s.Logits);
        double[] expected = new double[x.Length];
        double[] magnitude = new double[x.Length];
        Chunked.Reference(s, x, null, expected, magnitude, out double lossMagnitude);
        AssertLoss<T>(double.CreateTruncating(whole), outcome.Loss, lossMagnitude, s.ToString());

        double epsilon = typeof(T) == typeof(float) ? Math.ScaleB(1, -24) : Math.ScaleB(1, -53);
        double[] wholeValues = TestData.ToDouble<T>(wholeGradient);
        double[] lse = TestData.ToDouble<T>(outcome.LogSumExp);
        for (int i = 0; i < magnitude.Length; i++)
        {
            magnitude[i] += Math.Abs(wholeValues[i]) + 4 * magnitude[i] * Math.Abs(lse[i / s.Classes]) * epsilon / Tolerance<T>.Cancellation;
        }

        var check = new Check<T>();
        check.Gradient(wholeValues, magnitude, outcome.Gradient, s.ToString());
        check.AssertNoMismatch();
    }

    internal static void AssertLoss<T>(double expected, double actual, double magnitude, string context)
        where T : IFloatingPointIeee754<T>
    {
        if (double.IsNaN(expected) || double.IsNaN(actual))
        {
            That.Holds(double.IsNaN(expected) && double.IsNaN(actual), $"{context}: expected {expected}, actual {actual}.");
            return;
        }

        double tolerance = Tolerance<T>.Loss * (Math.Abs(expected) + magnitude) + Tolerance<T>.Absolute;
        That.Holds(Math.Abs(actual - expected) <= tolerance, $"{context}: expected {expected:R}, actual {actual:R}, tolerance {tolerance:R}.");
    }
}

/// <summary>Facts of <see cref="CategoricalCrossEntropy.FromLogitsChunkWithGradient{T}"/> for one element type.</summary>
public abstract class ChunkCrossEntropyTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Seed = 20261207;

    private static readonly T Sentinel = T.CreateTruncating(42.125);

    private static ChunkSample Sample(Random random, int rows, int classes, int[] bounds, int[] labels, bool weighted = false, double smoothing = 0,
        bool sampleWeighted = false, double normalizer = 0, Reduction reduction = Reduction.Mean, double scale = 10) =>
        new(TestData.Uniform(random, rows * classes, scale), classes, labels, bounds, weighted ? TestData.Weights(random, classes) : [], smoothing,
            sampleWeighted ? TestData.Uniform(random, rows, 3) : [], normalizer, reduction, (int)VectorWidth.Vector512);

    private static void MatchesReference(ChunkSample s, string context)
    {
        ChunkOutcome<T> outcome = Chunked.Run<T>(s);
        double[] x = TestData.RoundTrip<T>(s.Logits);
        double[] expected = new double[x.Length];
        double[] magnitude = new double[x.Length];
        double loss = Chunked.Reference(s, x, TestData.ToDouble<T>(outcome.LogSumExp), expected, magnitude, out double lossMagnitude);
        ChunkCrossEntropyProperties.AssertLoss<T>(loss, outcome.Loss, lossMagnitude, context);
        var check = new Check<T>();
        check.Gradient(expected, magnitude, outcome.Gradient, context);
        check.AssertNoMismatch();
    }

    /// <summary>Each row's label in a different chunk (first, inner, last, and at a chunk's edges), with every option.</summary>
    [Theory]
    [InlineData(false, 0.0, false, 0.0, Reduction.Mean)]
    [InlineData(true, 0.1, false, 0.0, Reduction.Mean)]
    [InlineData(true, 0.1, true, 0.0, Reduction.Sum)]
    [InlineData(false, 1.0, true, 5.0, Reduction.Mean)]
    [InlineData(true, 0.0, true, 2.5, Reduction.Sum)]
    public void LabelsInsideAndOutsideEachChunk_MatchReference(bool weighted, double smoothing, bool sampleWeighted, double normalizer, Reduction reduction)
    {
        var random = new Random(Seed);
        int[] bounds = [0, 17, 18, 64, 100];
        int[] labels = [0, 16, 17, 18, 40, 63, 64, 99, ChunkSample.IgnoreIndex];
        ChunkSample s = Sample(random, labels.Length, 100, bounds, labels, weighted, smoothing, sampleWeighted, normalizer, reduction);
        MatchesReference(s, $"weighted {weighted}, smoothing {smoothing}, sample weights {sampleWeighted}, normalizer {normalizer}, {reduction}");
    }

    /// <summary>Sample weights of both signs and zero multiply each row's loss and gradient row, and stay out of the Mean denominator.</summary>
    [Fact]
    public void NegativeSampleWeights_MatchReference()
    {
        var random = new Random(Seed + 1);
        ChunkSample s = Sample(random, 4, 50, [0, 20, 50], [3, 30, 7, 49], weighted: true, smoothing: 0.2) with { SampleWeights = [-2, 0, 1.5, -0.25] };
        MatchesReference(s, "negative sample weights");
    }

    /// <summary>Ignored rows contribute 0 and get a zero gradient row, even with NaN logits and a NaN log-sum-exp.</summary>
    [Fact]
    public void IgnoredRows_GiveZeroAndZeroGradient()
    {
        int classes = 40;
        int[] labels = [5, ChunkSample.IgnoreIndex, 30];
        T[] logits = TestData.To<T>(TestData.Uniform(new Random(Seed + 2), labels.Length * classes, 5));
        logits[classes + 3] = T.NaN;
        T[] lse = new T[labels.Length];
        CrossEntropy.Activations.LogSumExp<T>(logits, lse, classes);
        Assert.True(T.IsNaN(lse[1]));
        foreach ((int offset, int width) in new[] { (0, 25), (25, 15) })
        {
            T[] chunk = Chunked.Columns<T>(logits, classes, offset, offset + width);
            T[] gradient = new T[chunk.Length];
            gradient.AsSpan().Fill(Sentinel);
            T part = CategoricalCrossEntropy.FromLogitsChunkWithGradient<T>(chunk, labels, lse, gradient, width, offset, classes, labelSmoothing: 0.1);
            Assert.True(T.IsFinite(part));
            Check<T>.SameBits(new T[width], gradient.AsSpan(width, width), $"ignored row, chunk at {offset}");
            Assert.All(gradient, value => Assert.True(T.IsFinite(value)));
        }
    }

    /// <summary>
    /// Every row ignored: under Mean without a normalizer every chunk gives NaN (PyTorch's 0 / 0), with a normalizer 0, under Sum
    /// 0; the gradient is zero every time.
    /// </summary>
    [Theory]
    [InlineData(Reduction.Mean, 0.0, true)]
    [InlineData(Reduction.Mean, 8.0, false)]
    [InlineData(Reduction.Sum, 0.0, false)]
    public void AllRowsIgnored(Reduction reduction, double normalizer, bool nan)
    {
        int classes = 30;
        int[] labels = [ChunkSample.IgnoreIndex, ChunkSample.IgnoreIndex];
        T[] logits = TestData.To<T>(TestData.Uniform(new Random(Seed + 3), labels.Length * classes, 5));
        T[] lse = Chunked.LogSumExp(logits, classes, [0, 10, 30]);
        foreach ((int offset, int width) in new[] { (0, 10), (10, 20) })
        {
            T[] chunk = Chunked.Columns<T>(logits, classes, offset, offset + width);
            T[] gradient = new T[chunk.Length];
            gradient.AsSpan().Fill(Sentinel);
            T part = CategoricalCrossEntropy.FromLogitsChunkWithGradient<T>(chunk, labels, lse, gradient, width, offset, classes, reduction,
                labelSmoothing: 0.1, normalizer: normalizer);
            That.Holds(nan ? T.IsNaN(part) : part == T.Zero, $"{reduction}, normalizer {normalizer}: {part}");
            Check<T>.SameBits(new T[chunk.Length], gradient, "all ignored");
        }
    }

    /// <summary>
    /// A row with a NaN or +infinity logit, or only -infinity logits, has a NaN or infinite log-sum-exp: a NaN part and a NaN
    /// gradient row in every chunk, as the whole-row call; the other rows keep their values.
    /// </summary>
    [Fact]
    public void NonFiniteLogSumExp_GivesNaNRow()
    {
        int classes = 20;
        int[] labels = [1, 2, 3, 4];
        T[] logits = TestData.To<T>(TestData.Uniform(new Random(Seed + 4), labels.Length * classes, 5));
        logits[classes + 15] = T.NaN;
        logits[2 * classes + 3] = T.PositiveInfinity;
        logits.AsSpan(3 * classes, classes).Fill(T.NegativeInfinity);
        T[] lse = Chunked.LogSumExp(logits, classes, [0, 8, 20]);
        foreach ((int offset, int width) in new[] { (0, 8), (8, 12) })
        {
            T[] chunk = Chunked.Columns<T>(logits, classes, offset, offset + width);
            T[] gradient = new T[chunk.Length];
            T part = CategoricalCrossEntropy.FromLogitsChunkWithGradient<T>(chunk, labels, lse, gradient, width, offset, classes, Reduction.Sum);
            Assert.True(T.IsNaN(part));
            Assert.All(gradient.AsSpan(0, width).ToArray(), value => Assert.True(T.IsFinite(value)));
            Assert.All(gradient.AsSpan(width).ToArray(), value => Assert.True(T.IsNaN(value)));
        }

        T[] whole = new T[logits.Length];
        CategoricalCrossEntropy.FromLogitsWithGradient<T>(logits, labels, whole, classes, Reduction.Sum);
        Assert.All(whole.AsSpan(classes).ToArray(), value => Assert.True(T.IsNaN(value)));
    }

    /// <summary>
    /// -infinity logits: without target mass they contribute 0 (also under smoothing where their class weight is 0) and their
    /// gradient is -a[c] v / D; target mass on one (the label, or smoothing) gives +infinity.
    /// </summary>
    [Fact]
    public void NegativeInfinityLogits_MaskClassesWithoutTargetMass()
    {
        int classes = 12;
        T[] logits = TestData.To<T>(TestData.Uniform(new Random(Seed + 5), 2 * classes, 5));
        logits[3] = T.NegativeInfinity;
        logits[classes + 9] = T.NegativeInfinity;
        T[] weights = Enumerable.Repeat(T.One, classes).ToArray();
        weights[3] = T.Zero;
        weights[9] = T.Zero;
        int[] bounds = [0, 5, 12];
        T[] lse = Chunked.LogSumExp(logits, classes, bounds);

        double Total(int[] labels, double smoothing, T[] classWeights)
        {
            double total = 0;
            for (int k = 0; k + 1 < bounds.Length; k++)
            {
                int width = bounds[k + 1] - bounds[k];
                T[] chunk = Chunked.Columns<T>(logits, classes, bounds[k], bounds[k + 1]);
                T[] gradient = new T[chunk.Length];
                total += double.CreateTruncating(CategoricalCrossEntropy.FromLogitsChunkWithGradient<T>(chunk, labels, lse, gradient, width, bounds[k], classes,
                    Reduction.Sum, classWeights, labelSmoothing: smoothing));
                Assert.All(gradient, value => Assert.True(T.IsFinite(value)));
            }

            return total;
        }

        Assert.True(double.IsFinite(Total([0, 1], 0, [])));
        Assert.True(double.IsFinite(Total([0, 1], 0.1, weights)));
        Assert.Equal(double.PositiveInfinity, Total([0, 1], 0.1, []));
        Assert.Equal(double.PositiveInfinity, Total([3, 1], 0, []));
    }

    /// <summary>Every width gives the bits of the widest, a batch spread over threads the bits of one thread, and the gradient over the logits the bits of a separate one.</summary>
    [Fact]
    public void WidthsThreadsAndInPlace_GiveTheSameBits()
    {
        var random = new Random(Seed + 6);
        int rows = 97;
        int classes = 300;
        int[] labels = TestData.Labels(random, rows, classes, ChunkSample.IgnoreIndex);
        T[] logits = TestData.To<T>(TestData.Logits(random, rows, classes));
        T[] weights = TestData.To<T>(TestData.Weights(random, classes));
        T[] sampleWeights = TestData.To<T>(TestData.Uniform(random, rows, 2));
        T[] lse = Chunked.LogSumExp(logits, classes, [0, 300]);
        int offset = 100;
        int width = 137;
        T[] chunk = Chunked.Columns<T>(logits, classes, offset, offset + width);

        T Call(T[] input, T[] gradient) =>
            CategoricalCrossEntropy.FromLogitsChunkWithGradient<T>(input, labels, lse, gradient, width, offset, classes, Reduction.Mean, weights,
                ChunkSample.IgnoreIndex, 0.1, sampleWeights, 0);

        T[] expected = new T[chunk.Length];
        T expectedPart;

        // The chunks of rows are those of the calls below, so that the parts add the same row terms in the same order.
        using (Parallelism.Force(1, minChunkElements: 512))
        {
            expectedPart = Call(chunk, expected);
        }

        foreach (VectorWidth vectorWidth in Widths.All)
        {
            using (Widths.Limit(vectorWidth))
            {
                foreach (int threads in new[] { 1, 3 })
                {
                    using (Parallelism.Force(threads, minChunkElements: 512, lastFirst: true))
                    {
                        T[] gradient = new T[chunk.Length];
                        That.Holds(Check<T>.SameBits(expectedPart, Call(chunk, gradient)), $"{vectorWidth}, {threads} threads: part");
                        Check<T>.SameBits(expected, gradient, $"{vectorWidth}, {threads} threads");
                        T[] inPlace = (T[])chunk.Clone();
                        That.Holds(Check<T>.SameBits(expectedPart, Call(inPlace, inPlace)), $"{vectorWidth}, {threads} threads: in-place part");
                        Check<T>.SameBits(expected, inPlace, $"{vectorWidth}, {threads} threads, in place");
                    }
                }
            }
        }
    }

    [Fact]
    public void InvalidArguments_ThrowWithoutWriting()
    {
        T[] logits = new T[3 * 8];
        int[] labels = [0, 5, 9];
        T[] lse = new T[3];
        T[] memory = new T[64];

        void Rejects<TException>(string name, Action<T[]> call)
            where TException : ArgumentException
        {
            memory.AsSpan().Fill(Sentinel);
            TException exception = Assert.Throws<TException>(() => call(memory));
            Assert.Equal(name, exception.ParamName);
            Check<T>.Unchanged(memory, Sentinel, $"{name} rejected");
        }

        T Call(ReadOnlySpan<T> x, ReadOnlySpan<int> y, ReadOnlySpan<T> l, Span<T> g, int chunkClasses = 8, int classOffset = 2, int classes = 10,
            Reduction reduction = Reduction.Mean, ReadOnlySpan<T> classWeights = default, double labelSmoothing = 0, ReadOnlySpan<T> sampleWeights = default,
            double normalizer = 0) =>
            CategoricalCrossEntropy.FromLogitsChunkWithGradient(x, y, l, g, chunkClasses, classOffset, classes, reduction, classWeights, -100, labelSmoothing,
                sampleWeights, normalizer);

        Call(logits, labels, lse, memory);
        Rejects<ArgumentOutOfRangeException>("chunkClasses", m => Call(logits, labels, lse, m, chunkClasses: 0));
        Rejects<ArgumentOutOfRangeException>("chunkClasses", m => Call(logits, labels, lse, m, classOffset: 3));
        Rejects<ArgumentOutOfRangeException>("classOffset", m => Call(logits, labels, lse, m, classOffset: -1));
        Rejects<ArgumentOutOfRangeException>("classes", m => Call(logits, labels, lse, m, classes: 0));
        Rejects<ArgumentException>("logitsChunk", m => Call(logits.AsSpan(1), labels, lse, m));
        Rejects<ArgumentException>("classWeights", m => Call(logits, labels, lse, m, classWeights: new T[8]));
        Rejects<ArgumentOutOfRangeException>("labelSmoothing", m => Call(logits, labels, lse, m, labelSmoothing: 1.5));
        Rejects<ArgumentOutOfRangeException>("reduction", m => Call(logits, labels, lse, m, reduction: (Reduction)7));
        Rejects<ArgumentException>("labels", m => Call(logits, labels.AsSpan(1), lse, m));
        Rejects<ArgumentOutOfRangeException>("labels", m => Call(logits, [0, 5, 10], lse, m));
        Rejects<ArgumentException>("logSumExp", m => Call(logits, labels, lse.AsSpan(1), m));
        Rejects<ArgumentException>("sampleWeights", m => Call(logits, labels, lse, m, sampleWeights: new T[2]));
        Rejects<ArgumentOutOfRangeException>("normalizer", m => Call(logits, labels, lse, m, normalizer: -1));
        Rejects<ArgumentOutOfRangeException>("normalizer", m => Call(logits, labels, lse, m, normalizer: double.NaN));
        Rejects<ArgumentException>("gradientChunk", m => Call(logits, labels, lse, m.AsSpan(0, 23)));
        Rejects<ArgumentException>("gradientChunk", m => Call(m.AsSpan(0, 24), labels, lse, m.AsSpan(1)));
        Rejects<ArgumentException>("gradientChunk", m => Call(logits, labels, m.AsSpan(30, 3), m.AsSpan(10)));
        Rejects<ArgumentException>("gradientChunk", m => Call(logits, labels, lse, m, sampleWeights: m.AsSpan(20, 3)));
        Rejects<ArgumentException>("gradientChunk", m => Call(logits, labels, lse, m, classWeights: m.AsSpan(20, 10)));
    }
}

public sealed class FloatChunkCrossEntropyTests : ChunkCrossEntropyTests<float>;

public sealed class DoubleChunkCrossEntropyTests : ChunkCrossEntropyTests<double>
{
    /// <summary>
    /// Each part by itself, against the formula written out for one row of 5 classes, label 3, smoothing 0.2, class weights w
    /// and sample weight 1.5, Sum: the chunk at offset 0 returns <c>v (A lse - sum_{c in chunk} a[c] x[c])</c>, the others
    /// <c>-v sum_{c in chunk} a[c] x[c]</c>, with <c>a = 0.8 w[3] one_hot(3) + (0.2 / 5) w</c> and <c>A = sum_c a[c]</c>.
    /// </summary>
    [Fact]
    public void EachPartIsItsClassesTermsAndTheFirstHoldsTheLogSumExp()
    {
        double[] x = [0.5, -1.25, 2, 3.5, -0.75];
        double[] w = [1, 2, 0.5, 1.5, 3];
        double lse = Math.Log(x.Sum(Math.Exp));
        double[] a = [.. w.Select((weight, c) => (c == 3 ? 0.8 * weight : 0) + 0.04 * weight)];
        (int Offset, int Width)[] chunks = [(0, 2), (2, 2), (4, 1)];
        foreach ((int offset, int width) in chunks)
        {
            double expected = 1.5 * ((offset == 0 ? a.Sum() * lse : 0) - Enumerable.Range(offset, width).Sum(c => a[c] * x[c]));
            double part = CategoricalCrossEntropy.FromLogitsChunkWithGradient<double>(x.AsSpan(offset, width), [3], [lse],
                new double[width], width, offset, x.Length, Reduction.Sum, w, labelSmoothing: 0.2, sampleWeights: [1.5]);
            Assert.Equal(expected, part, 1e-13);
        }
    }

    /// <summary>
    /// The gradient pieces put together equal the central differences (L(x + h) - L(x - h)) / 2h of the total of the parts,
    /// the log-sum-exp computed again from the shifted logits, h = 1e-5: truncation and cancellation both stay below 1e-8 of
    /// the largest entry; allowed: 1e-6 of it plus 1e-6 of the entry.
    /// </summary>
    [Theory]
    [InlineData(false, 0.0, false, Reduction.Mean)]
    [InlineData(true, 0.1, true, Reduction.Mean)]
    [InlineData(true, 1.0, true, Reduction.Sum)]
    public void GradientMatchesFiniteDifferences(bool weighted, double smoothing, bool sampleWeighted, Reduction reduction)
    {
        var random = new Random(20261208);
        int classes = 23;
        ChunkSample s = new(TestData.Uniform(random, 3 * classes, 4), classes, [4, ChunkSample.IgnoreIndex, 20], [0, 7, 8, 23],
            weighted ? TestData.Weights(random, classes) : [], smoothing, sampleWeighted ? [1.5, 2, -0.5] : [], 0, reduction, 512);
        double[] gradient = Chunked.Run<double>(s).Gradient;
        double largest = gradient.Max(Math.Abs);
        const double h = 1e-5;
        for (int i = 0; i < s.Logits.Length; i++)
        {
            double[] plus = (double[])s.Logits.Clone();
            double[] minus = (double[])s.Logits.Clone();
            plus[i] += h;
            minus[i] -= h;
            double difference = (Chunked.Run<double>(s with { Logits = plus }).Loss - Chunked.Run<double>(s with { Logits = minus }).Loss) / (2 * h);
            That.Holds(Math.Abs(difference - gradient[i]) <= 1e-6 * largest + 1e-6 * Math.Abs(gradient[i]),
                $"entry {i}: gradient {gradient[i]:R}, central difference {difference:R}.");
        }
    }
}

public sealed class HalfChunkCrossEntropyTests : ChunkCrossEntropyTests<Half>;
