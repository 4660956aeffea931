using System;
using System.Linq;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using FsCheck.Xunit;
using Xunit;
using Xunit.Abstractions;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// <see cref="KLDivergence"/> against a double reference written from <c>kl_div</c>'s definition: from log-probabilities and from
/// logits at temperatures 1, 2.5 and 0.5, probability and log-probability targets, every reduction, per-row losses and gradients,
/// on every SIMD width with the same bits on each; finite differences, a published value, KL of a distribution from itself,
/// special values, validation, in-place and threads.
/// </summary>
public abstract class KLDivergenceTests<T>(ITestOutputHelper output)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Seed = 1951;

    public static TheoryData<int> ClassCounts => new() { 1, 2, 7, 16, 33, 1000 };

    /// <summary>The reference row loss, its gradient (of the Sum) and the magnitude the rounding of each is relative to.</summary>
    private static (double Loss, double Scale, double[] Gradient, double[] Magnitude) Reference(ReadOnlySpan<double> x, ReadOnlySpan<double> t,
        bool fromLogits, bool logTargets, double temperature)
    {
        int classes = x.Length;
        double[] p = new double[classes];
        double[] logP = new double[classes];
        for (int c = 0; c < classes; c++)
        {
            p[c] = logTargets ? Math.Exp(t[c]) : t[c];
            logP[c] = logTargets ? t[c] : Math.Log(t[c]);
        }

        // The logits over the temperature as the element type rounds them (as PyTorch's logits / T does).
        double[] logQ = fromLogits ? LossReference.LogSoftmax(TestData.RoundTrip<T>(x.ToArray().Select(v => v / temperature).ToArray())) : x.ToArray();
        double factor = fromLogits ? temperature * temperature : 1;
        double[] terms = new double[classes];
        double scale = 0;
        for (int c = 0; c < classes; c++)
        {
            terms[c] = p[c] == 0 ? 0 : factor * p[c] * (logP[c] - logQ[c]);
            scale += p[c] == 0 ? 0 : factor * p[c] * (Math.Abs(logP[c]) + Math.Abs(logQ[c]));
        }

        double[] gradient = new double[classes];
        double[] magnitude = new double[classes];
        double mass = Infrastructure.Reference.Sum(p);
        for (int c = 0; c < classes; c++)
        {
            double q = fromLogits ? Math.Exp(logQ[c]) : 0;
            double scaleOfGradient = fromLogits ? temperature : 1;
            gradient[c] = scaleOfGradient * (q * mass - p[c]);
            magnitude[c] = scaleOfGradient * (q * mass + p[c]);
        }

        return (Infrastructure.Reference.Sum(terms), scale, gradient, magnitude);
    }

    [Theory]
    [MemberData(nameof(ClassCounts))]
    public void MatchesReference(int classes)
    {
        var random = new Random(Seed + classes);
        var check = new Check<T>();
        double maxError = 0;
        foreach (int rows in classes >= 1000 ? new[] { 0, 1, 3 } : new[] { 0, 1, 9 })
        {
            foreach (bool logTargets in new[] { false, true })
            {
                foreach ((bool fromLogits, double temperature) in new[] { (false, 1.0), (true, 1.0), (true, 2.5), (true, 0.5) })
                {
                    double[] logits = fromLogits ? TestData.Logits(random, rows, classes) : TestData.LogProbabilities(random, rows, classes);
                    double[] soft = TestData.SoftTargets(random, rows, classes, logits);
                    T[] x = TestData.To<T>(logits);
                    T[] t = TestData.To<T>(logTargets ? Array.ConvertAll(soft, Math.Log) : soft);
                    maxError = Math.Max(maxError, Compare(check, x, t, classes, fromLogits, logTargets, temperature));
                }
            }
        }

        output.WriteLine(check.Summary($"KL divergence, classes {classes}") + $" Max error of losses relative to the cross-entropy's magnitude: {maxError:E2}.");
        check.AssertNoMismatch();
    }

    private static double Compare(Check<T> check, T[] x, T[] t, int classes, bool fromLogits, bool logTargets, double temperature)
    {
        int rows = x.Length / classes;
        double[] xs = TestData.ToDouble<T>(x);
        double[] ts = TestData.ToDouble<T>(t);
        double[] losses = new double[rows];
        double[] scales = new double[rows];
        double[] gradient = new double[x.Length];
        double[] magnitude = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            (losses[r], scales[r], double[] g, double[] m) = Reference(xs.AsSpan(r * classes, classes), ts.AsSpan(r * classes, classes), fromLogits, logTargets, temperature);
            g.CopyTo(gradient, r * classes);
            m.CopyTo(magnitude, r * classes);
        }

        double sum = Infrastructure.Reference.Sum(losses);
        double sumScale = scales.Sum();
        double maxError = 0;
        VectorWidth[] widths = x.Length <= 300 ? Widths.All : [VectorWidth.Vector512, VectorWidth.Vector256, VectorWidth.Vector128];
        T[]? first = null;
        foreach (VectorWidth width in widths)
        {
            using (Widths.Limit(width))
            {
                string context = $"rows {rows}, classes {classes}, {(fromLogits ? $"logits, temperature {temperature}" : "log-probabilities")}, logTargets {logTargets}, {width}";
                T[] actualLosses = new T[rows];
                T[] actualGradient = new T[x.Length];
                T mean = fromLogits ? KLDivergence.FromLogits<T>(x, t, classes, Reduction.Mean, logTargets, temperature) : KLDivergence.FromLogProbabilities<T>(x, t, classes, Reduction.Mean, logTargets);
                T total = fromLogits
                    ? KLDivergence.FromLogitsWithGradient<T>(x, t, actualGradient, classes, Reduction.Sum, logTargets, temperature)
                    : KLDivergence.FromLogProbabilitiesWithGradient<T>(x, t, actualGradient, classes, Reduction.Sum, logTargets);
                if (fromLogits)
                {
                    KLDivergence.FromLogits<T>(x, t, actualLosses, classes, logTargets, temperature);
                }
                else
                {
                    KLDivergence.FromLogProbabilities<T>(x, t, actualLosses, classes, logTargets);
                }

                // The divergence is a cross-entropy less an entropy: its rounding is relative to their magnitudes.
                for (int r = 0; r < rows; r++)
                {
                    maxError = Math.Max(maxError, Near(losses[r], actualLosses[r], scales[r], context, r));
                }

                maxError = Math.Max(maxError, Near(sum, total, sumScale, context + ", Sum"));
                if (rows > 0)
                {
                    maxError = Math.Max(maxError, Near(sum / rows, mean, sumScale / rows, context + ", Mean"));
                }

                check.Gradient(gradient, magnitude, actualGradient, context + ", gradient");
                first ??= [.. actualLosses, .. actualGradient];
                Check<T>.SameBits(first, [.. actualLosses, .. actualGradient], context);
            }
        }

        return maxError;
    }

    /// <summary>
    /// Fails unless <paramref name="actual"/> is within the loss tolerance of <paramref name="scale"/>; returns the error relative
    /// to it. <paramref name="row"/>, where not negative, is named in the message.
    /// </summary>
    private static double Near(double expected, T actual, double scale, string context, int row = -1)
    {
        double error = Math.Abs(double.CreateTruncating(actual) - expected);
        That.Holds(error <= Tolerance<T>.Loss * scale + Tolerance<T>.Absolute, $"{context}{(row < 0 ? "" : $", row {row}")}: expected {expected:R}, actual {actual:R}, scale {scale:R}");
        return scale > 0 ? error / scale : 0;
    }

    [Fact]
    public void GradientFromLogitsMatchesFiniteDifferences()
    {
        var random = new Random(Seed);
        foreach (double temperature in new[] { 1, 2.5, 0.5 })
        {
            foreach (bool logTargets in new[] { false, true })
            {
                double[] logits = TestData.Uniform(random, 4 * 9, 5);
                double[] soft = TestData.SoftTargets(random, 4, 9);
                double[] targets = logTargets ? Array.ConvertAll(soft, Math.Log) : soft;
                double[] gradient = new double[logits.Length];
                KLDivergence.FromLogitsWithGradient<double>(logits, targets, gradient, 9, Reduction.Mean, logTargets, temperature);
                for (int i = 0; i < logits.Length; i++)
                {
                    const double h = 1e-5;
                    double[] up = (double[])logits.Clone();
                    double[] down = (double[])logits.Clone();
                    up[i] += h;
                    down[i] -= h;
                    double difference = (KLDivergence.FromLogits<double>(up, targets, 9, Reduction.Mean, logTargets, temperature)
                        - KLDivergence.FromLogits<double>(down, targets, 9, Reduction.Mean, logTargets, temperature)) / (2 * h);
                    That.Holds(Math.Abs(difference - gradient[i]) <= 1e-6 * (1 + Math.Abs(gradient[i])),
                        $"temperature {temperature}, logTargets {logTargets}, index {i}: gradient {gradient[i]}, finite difference {difference}");
                }
            }
        }
    }

    /// <summary>Keras's <c>KLDivergence</c> example: targets [[0, 1], [0, 0]], predictions [[0.6, 0.4], [0.4, 0.6]] give 0.458.</summary>
    [Fact]
    public void MatchesPublishedValue()
    {
        T[] logProbabilities = TestData.To<T>([Math.Log(0.6), Math.Log(0.4), Math.Log(0.4), Math.Log(0.6)]);
        T[] targets = TestData.To<T>([0, 1, 0, 0]);
        Assert.Equal(0.458, double.CreateTruncating(KLDivergence.FromLogProbabilities<T>(logProbabilities, targets, 2)), 3);
    }

    /// <summary>A temperature of 2 on logits that halve exactly is 4 times the divergence at 1 of the halved logits, bit for bit.</summary>
    [Fact]
    public void TemperatureDividesTheLogits()
    {
        var random = new Random(Seed);
        foreach (int classes in new[] { 5, 40 })
        {
            T[] logits = TestData.To<T>(TestData.Logits(random, 6, classes));
            T[] halved = Array.ConvertAll(logits, v => v / T.CreateTruncating(2));
            T[] targets = TestData.To<T>(TestData.SoftTargets(random, 6, classes, TestData.ToDouble<T>(logits)));
            T[] atTwo = new T[6];
            T[] atOne = new T[6];
            KLDivergence.FromLogits<T>(logits, targets, atTwo, classes, temperature: 2);
            KLDivergence.FromLogits<T>(halved, targets, atOne, classes);
            Check<T>.SameBits(Array.ConvertAll(atOne, v => v * T.CreateTruncating(4)), atTwo, $"classes {classes}");
        }
    }

    /// <summary>KL is 0 or more (up to rounding relative to the cross-entropy), and 0 for targets that are the model's own distribution.</summary>
    [Property(Arbitrary = new[] { typeof(LossArbitraries) })]
    public void NonNegativeAndZeroAtTheModel(LabelledLogits sample)
    {
        T[] logits = TestData.To<T>(sample.Logits);
        int rows = sample.Labels.Length;
        var random = new Random(sample.Labels.Sum() + sample.Classes);
        double[] soft = TestData.SoftTargets(random, rows, sample.Classes, TestData.ToDouble<T>(logits));
        for (int r = 0; r < rows; r++)
        {
            // Distributions: KL of targets that do not sum to 1 may be negative.
            Span<double> row = soft.AsSpan(r * sample.Classes, sample.Classes);
            double mass = Infrastructure.Reference.Sum(row);
            for (int c = 0; c < row.Length && mass > 0; c++)
            {
                row[c] /= mass;
            }
        }

        T[] targets = TestData.To<T>(soft);
        T[] own = new T[logits.Length];
        CrossEntropy.Activations.LogSoftmax<T>(logits, own, sample.Classes);
        T[] losses = new T[rows];
        T[] ownLosses = new T[rows];
        T[] crossEntropy = new T[rows];
        using (Widths.Limit((VectorWidth)sample.Width))
        {
            KLDivergence.FromLogits<T>(logits, targets, losses, sample.Classes);
            KLDivergence.FromLogits<T>(logits, own, ownLosses, sample.Classes, logTargets: true);
            CategoricalCrossEntropy.FromLogits<T>(logits, targets, crossEntropy, sample.Classes);
        }

        T[] logOwn = (T[])own.Clone();
        T[] exact = new T[rows];
        KLDivergence.FromLogProbabilities<T>(logOwn, own, exact, sample.Classes, logTargets: true);
        for (int r = 0; r < rows; r++)
        {
            T slack = T.CreateTruncating(Tolerance<T>.Loss) * (T.One + T.Abs(crossEntropy[r]));
            That.Holds(losses[r] >= -slack, $"{sample}, row {r}: {losses[r]}");
            That.Holds(T.Abs(ownLosses[r]) <= slack, $"{sample}, row {r}: KL from its own distribution {ownLosses[r]}");
            Assert.Equal(T.Zero, exact[r]);
        }
    }

    [Fact]
    public void SpecialValues()
    {
        double inf = double.PositiveInfinity;
        T[] logits = TestData.To<T>([1, double.NaN, 2, 1, inf, 0, -inf, 1, 2, -inf, 1, 2]);
        T[] targets = TestData.To<T>([0.2, 0.3, 0.5, 0.2, 0.3, 0.5, 0.5, 0.5, 0, 0, 0.5, 0.5]);
        T[] losses = new T[4];
        T[] gradient = new T[12];
        KLDivergence.FromLogits<T>(logits, targets, losses, 3);
        KLDivergence.FromLogitsWithGradient<T>(logits, targets, gradient, 3, Reduction.Sum);
        Assert.True(T.IsNaN(losses[0]) && T.IsNaN(losses[1]));
        Assert.All(gradient[..6], g => Assert.True(T.IsNaN(g)));
        Assert.Equal(T.PositiveInfinity, losses[2]);
        Assert.True(T.IsFinite(losses[3]) && gradient[9] == T.Zero);

        // From log-probabilities: a zero target on -infinity costs 0, mass on it +infinity, NaN stays NaN.
        T[] logP = TestData.To<T>([-inf, 0, -inf, 0, double.NaN, 0]);
        T[] t = TestData.To<T>([0, 1, 1, 0, 0, 1]);
        T[] rowLosses = new T[3];
        KLDivergence.FromLogProbabilities<T>(logP, t, rowLosses, 2);
        Assert.Equal(T.Zero, rowLosses[0]);
        Assert.Equal(T.PositiveInfinity, rowLosses[1]);
        Assert.True(T.IsNaN(rowLosses[2]));

        // With log-targets, a target of -infinity is a probability of 0: it costs 0, on a -infinity input too.
        T[] logT = TestData.To<T>([-inf, 0, 0, -inf]);
        KLDivergence.FromLogProbabilities<T>(TestData.To<T>([-inf, 0, -0.5, -1]), logT, rowLosses.AsSpan(0, 2), 2, logTargets: true);
        Assert.Equal(T.Zero, rowLosses[0]);
        Assert.Equal(T.CreateTruncating(0.5), rowLosses[1]);
        KLDivergence.FromLogits<T>(TestData.To<T>([-inf, 0, 1, 2]), logT, rowLosses.AsSpan(0, 2), 2, logTargets: true);
        Assert.Equal(T.Zero, rowLosses[0]);
        Assert.True(T.IsFinite(rowLosses[1]) && rowLosses[1] > T.Zero);
    }

    [Fact]
    public void InPlaceGivesTheSameBits()
    {
        var random = new Random(Seed);
        foreach (int classes in new[] { 5, 40 })
        {
            double[] logits = TestData.Logits(random, 11, classes);
            T[] x = TestData.To<T>(logits);
            T[] t = TestData.To<T>(TestData.SoftTargets(random, 11, classes, logits));
            foreach (bool fromLogits in new[] { false, true })
            {
                T WithGradient(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, Span<T> gradient) => fromLogits
                    ? KLDivergence.FromLogitsWithGradient(input, targets, gradient, classes, temperature: 2)
                    : KLDivergence.FromLogProbabilitiesWithGradient(input, targets, gradient, classes);
                void Losses(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, Span<T> losses)
                {
                    if (fromLogits)
                    {
                        KLDivergence.FromLogits(input, targets, losses, classes, temperature: 2);
                    }
                    else
                    {
                        KLDivergence.FromLogProbabilities(input, targets, losses, classes);
                    }
                }

                T[] gradient = new T[x.Length];
                T[] losses = new T[11];
                T loss = WithGradient(x, t, gradient);
                Losses(x, t, losses);
                T[] overInput = (T[])x.Clone();
                Assert.True(Check<T>.SameBits(loss, WithGradient(overInput, t, overInput)));
                Check<T>.SameBits(gradient, overInput, "gradient over the input");
                T[] overTargets = (T[])t.Clone();
                Assert.True(Check<T>.SameBits(loss, WithGradient(x, overTargets, overTargets)));
                Check<T>.SameBits(gradient, overTargets, "gradient over the targets");
                overInput = (T[])x.Clone();
                Losses(overInput, t, overInput);
                Check<T>.SameBits(losses, overInput.AsSpan(0, 11), "losses over the input");
            }
        }
    }

    [Fact]
    public void RejectsBadArgumentsBeforeWriting()
    {
        T[] x = TestData.To<T>([0.5, -1, 2, 3, 0, 1]);
        T[] t = TestData.To<T>([0.2, 0.3, 0.5, 0.2, 0.3, 0.5]);
        T sentinel = T.CreateTruncating(-7);
        T[] output = Enumerable.Repeat(sentinel, 7).ToArray();
        void Throws<TException>(string name, Action call)
            where TException : ArgumentException
        {
            Assert.Equal(name, Assert.Throws<TException>(call).ParamName);
            Check<T>.Unchanged(output, sentinel, name);
        }

        foreach (double temperature in new[] { 0, -1, double.NaN, double.PositiveInfinity })
        {
            Throws<ArgumentOutOfRangeException>("temperature", () => KLDivergence.FromLogitsWithGradient<T>(x, t, output, 3, temperature: temperature));
            Throws<ArgumentOutOfRangeException>("temperature", () => KLDivergence.FromLogits<T>(x, t, output, 3, temperature: temperature));
        }

        Throws<ArgumentOutOfRangeException>("reduction", () => KLDivergence.FromLogitsWithGradient<T>(x, t, output, 3, (Reduction)5));
        Throws<ArgumentOutOfRangeException>("reduction", () => KLDivergence.FromLogProbabilitiesWithGradient<T>(x, t, output, 3, (Reduction)5));
        Throws<ArgumentOutOfRangeException>("classes", () => KLDivergence.FromLogProbabilities<T>(x, t, output, 0));
        Throws<ArgumentException>("logProbabilities", () => KLDivergence.FromLogProbabilities<T>(x, t, output, 4));
        Throws<ArgumentException>("logits", () => KLDivergence.FromLogits<T>(x, t, output, 4));
        Throws<ArgumentException>("targets", () => KLDivergence.FromLogits<T>(x, t.AsSpan(0, 3), output, 3));
        Throws<ArgumentException>("targets", () => KLDivergence.FromLogProbabilitiesWithGradient<T>(x, t.AsSpan(0, 3), output, 3));
        Throws<ArgumentException>("losses", () => KLDivergence.FromLogits<T>(x, t, output.AsSpan(0, 1), 3));
        Throws<ArgumentException>("gradient", () => KLDivergence.FromLogProbabilitiesWithGradient<T>(x, t, output.AsSpan(0, 5), 3));
        T[] shared = [.. t, sentinel];
        Assert.Equal("gradient", Assert.Throws<ArgumentException>(
            () => KLDivergence.FromLogitsWithGradient<T>(x, shared.AsSpan(0, 6), shared.AsSpan(1, 6), 3)).ParamName);
        Check<T>.SameBits([.. t, sentinel], shared, "partial overlap");
    }

    /// <summary>Short and long rows spread over 1 to 4 forced threads have the bits of one thread.</summary>
    [Fact]
    public void ThreadsGiveTheSameBits()
    {
        var random = new Random(Seed);
        foreach ((int rows, int classes) in new[] { (3001, 7), (61, 1000) })
        {
            double[] logits = TestData.Logits(random, rows, classes);
            T[] x = TestData.To<T>(logits);
            T[] t = TestData.To<T>(TestData.SoftTargets(random, rows, classes, logits));
            foreach (bool fromLogits in new[] { false, true })
            {
                T[] expected = new T[x.Length];
                T loss;
                using (Parallelism.Force(1, minChunkElements: 1))
                {
                    loss = fromLogits ? KLDivergence.FromLogitsWithGradient<T>(x, t, expected, classes, temperature: 3) : KLDivergence.FromLogProbabilitiesWithGradient<T>(x, t, expected, classes);
                }

                foreach (int threads in new[] { 2, 3, 4 })
                {
                    using (Parallelism.Force(threads, minChunkElements: 1))
                    {
                        T[] actual = new T[x.Length];
                        T value = fromLogits ? KLDivergence.FromLogitsWithGradient<T>(x, t, actual, classes, temperature: 3) : KLDivergence.FromLogProbabilitiesWithGradient<T>(x, t, actual, classes);
                        Assert.True(Check<T>.SameBits(loss, value));
                        Check<T>.SameBits(expected, actual, $"{rows} x {classes}, {threads} threads");
                    }
                }
            }
        }
    }
}

public sealed class FloatKLDivergenceTests(ITestOutputHelper output) : KLDivergenceTests<float>(output);

public sealed class DoubleKLDivergenceTests(ITestOutputHelper output) : KLDivergenceTests<double>(output);
