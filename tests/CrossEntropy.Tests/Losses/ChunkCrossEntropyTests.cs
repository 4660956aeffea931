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

    [Property(MaxTest = 25)]
    public void ChunksSumToReferenceInHalf(ChunkSample s) => SumToReference<Half>(s);

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
            Assert.True(double.IsNaN(expected) && double.IsNaN(actual), $"{context}: expected {expected}, actual {actual}.");
            return;
        }

        double tolerance = Tolerance<T>.Loss * (Math.Abs(expected) + magnitude) + Tolerance<T>.Absolute;
        Assert.True(Math.Abs(actual - expected) <= tolerance, $"{context}: expected {expected:R}, actual {actual:R}, tolerance {tolerance:R}.");
    }
}
