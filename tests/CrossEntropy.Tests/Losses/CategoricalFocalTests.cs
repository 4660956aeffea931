using System;
using System.Linq;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using FsCheck.Xunit;
using Xunit;
using Xunit.Abstractions;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// <see cref="CategoricalCrossEntropy"/>'s focal loss against <see cref="FocalReference"/>: every reduction, the per-row losses and
/// the gradient, with and without class weights and ignored rows, gamma 0, below 1 and 2, on short rows (run across lanes) and
/// long ones, on every SIMD width with the same bits on each; finite differences, a published value, special values,
/// validation, in-place and threads.
/// </summary>
public abstract class CategoricalFocalTests<T>(ITestOutputHelper output)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Seed = 4242;

    private const int Ignored = -1;

    public static TheoryData<int> ClassCounts => new() { 1, 2, 7, 16, 17, 1000 };

    [Theory]
    [MemberData(nameof(ClassCounts))]
    public void MatchesReference(int classes)
    {
        var random = new Random(Seed + classes);
        var check = new Check<T>();
        foreach (int rows in classes >= 1000 ? new[] { 0, 1, 3 } : new[] { 0, 1, 37 })
        {
            foreach (double gamma in new[] { 0, 0.5, 2 })
            {
                foreach ((bool weighted, bool ignore) in new[] { (false, false), (true, true), (false, true) })
                {
                    T[] logits = TestData.To<T>(TestData.Logits(random, rows, classes));
                    int[] labels = TestData.Labels(random, rows, classes, ignore ? Ignored : null);
                    T[] weights = TestData.To<T>(TestData.Weights(random, weighted ? classes : 0));
                    VectorWidth[] widths = rows * classes <= 300 ? Widths.All : [VectorWidth.Vector512, VectorWidth.Vector256, VectorWidth.Vector128];
                    Compare(check, logits, labels, classes, weights, gamma, widths);
                }
            }
        }

        output.WriteLine(check.Summary($"categorical focal loss, classes {classes}"));
        check.AssertNoMismatch();
    }

    private static void Compare(Check<T> check, T[] logits, int[] labels, int classes, T[] weights, double gamma, VectorWidth[] widths)
    {
        int rows = labels.Length;
        double[] x = TestData.ToDouble<T>(logits);
        double[] w = TestData.ToDouble<T>(weights);
        double[] losses = new double[rows];
        double[] gradient = new double[x.Length];
        double denominator = 0;
        for (int r = 0; r < rows; r++)
        {
            if (labels[r] == Ignored)
            {
                continue;
            }

            double weight = w.Length == 0 ? 1 : w[labels[r]];
            denominator += weight;
            (losses[r], double[] g) = FocalReference.Categorical(x.AsSpan(r * classes, classes), labels[r], gamma, weight);
            g.CopyTo(gradient, r * classes);
        }

        double sum = Reference.Sum(losses);
        double[] magnitude = Array.ConvertAll(gradient, Math.Abs);
        T[]? first = null;
        foreach (VectorWidth width in widths)
        {
            using (Widths.Limit(width))
            {
                string context = $"rows {rows}, classes {classes}, gamma {gamma}, weights {weights.Length}, {width}";
                T[] actualLosses = new T[rows];
                T[] sumGradient = new T[x.Length];
                T[] meanGradient = new T[x.Length];
                CategoricalCrossEntropy.FocalFromLogits<T>(logits, labels, actualLosses, classes, gamma, weights, Ignored);
                T mean = CategoricalCrossEntropy.FocalFromLogits<T>(logits, labels, classes, Reduction.Mean, gamma, weights, Ignored);
                T total = CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(logits, labels, sumGradient, classes, Reduction.Sum, gamma, weights, Ignored);
                T meanWithGradient = CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(logits, labels, meanGradient, classes, Reduction.Mean, gamma, weights, Ignored);
                check.Losses(losses, actualLosses, context);
                check.Loss(sum, total, context + ", Sum");
                if (denominator > 0)
                {
                    check.Loss(sum / denominator, mean, context + ", Mean");
                    check.Gradient(Array.ConvertAll(gradient, g => g / denominator), Array.ConvertAll(magnitude, m => m / denominator), meanGradient, context + ", Mean gradient");
                }
                else
                {
                    Assert.True(T.IsNaN(mean), context);
                    Assert.All(meanGradient, g => Assert.Equal(T.Zero, g));
                }

                Assert.True(Check<T>.SameBits(mean, meanWithGradient), context);
                check.Gradient(gradient, magnitude, sumGradient, context + ", Sum gradient");
                first ??= [.. actualLosses, .. sumGradient];
                Check<T>.SameBits(first, [.. actualLosses, .. sumGradient], context);
            }
        }
    }

    [Fact]
    public void GradientMatchesFiniteDifferences()
    {
        var random = new Random(Seed);
        foreach (double gamma in new[] { 0.3, 1, 2 })
        {
            foreach (int classes in new[] { 3, 20 })
            {
                double[] logits = TestData.Uniform(random, 4 * classes, 6);
                int[] labels = TestData.Labels(random, 4, classes);
                double[] weights = TestData.Weights(random, classes);
                double[] gradient = new double[logits.Length];
                CategoricalCrossEntropy.FocalFromLogitsWithGradient<double>(logits, labels, gradient, classes, Reduction.Mean, gamma, weights);
                for (int i = 0; i < logits.Length; i++)
                {
                    const double h = 1e-5;
                    double[] up = (double[])logits.Clone();
                    double[] down = (double[])logits.Clone();
                    up[i] += h;
                    down[i] -= h;
                    double difference = (CategoricalCrossEntropy.FocalFromLogits<double>(up, labels, classes, Reduction.Mean, gamma, weights)
                        - CategoricalCrossEntropy.FocalFromLogits<double>(down, labels, classes, Reduction.Mean, gamma, weights)) / (2 * h);
                    That.Holds(Math.Abs(difference - gradient[i]) <= 1e-6 * (1 + Math.Abs(gradient[i])),
                        $"gamma {gamma}, classes {classes}, index {i}: gradient {gradient[i]}, finite difference {difference}");
                }
            }
        }
    }

    /// <summary>
    /// Keras's <c>CategoricalFocalCrossentropy(alpha=0.25, gamma=2)</c> example on probabilities [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
    /// with labels 1 and 2 gives 0.23315276; Keras weighs every class by alpha, so it is 0.25 times the focal loss of their logs.
    /// </summary>
    [Fact]
    public void MatchesPublishedValue()
    {
        T[] logits = TestData.To<T>([Math.Log(0.05), Math.Log(0.95), double.NegativeInfinity, Math.Log(0.1), Math.Log(0.8), Math.Log(0.1)]);
        double loss = double.CreateTruncating(CategoricalCrossEntropy.FocalFromLogits<T>(logits, [1, 2], 3, Reduction.Mean, 2));
        Assert.Equal(0.23315276, 0.25 * loss, 6);
    }

    /// <summary>Where p_y rounds to 1, the loss (about q^(gamma + 1)) and the gradient keep their relative precision, for gamma 2 and 0.5.</summary>
    [Fact]
    public void ConfidentRowsKeepTheirPrecision()
    {
        double gap = typeof(T) == typeof(float) ? 20 : 40;
        foreach (double gamma in new[] { 0.5, 2 })
        {
            double[] row = [gap, 0, -3];
            (double loss, double[] gradient) = FocalReference.Categorical(row, 0, gamma, 1);
            T[] actual = new T[3];
            T value = CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(TestData.To<T>(row), [0], actual, 3, Reduction.Sum, gamma);
            That.Holds(loss > 0 && Math.Abs(double.CreateTruncating(value) - loss) <= 1e-5 * loss, $"gamma {gamma}: {value} vs {loss}");
            for (int c = 0; c < 3; c++)
            {
                That.Holds(Math.Abs(double.CreateTruncating(actual[c]) - gradient[c]) <= 1e-5 * Math.Abs(gradient[c]), $"gamma {gamma}, class {c}: {actual[c]} vs {gradient[c]}");
            }
        }
    }

    /// <summary>Gamma 0 is the cross-entropy: losses, reduced loss and gradient within an ulp, at any magnitude.</summary>
    [Property(Arbitrary = new[] { typeof(LossArbitraries) })]
    public void GammaZeroIsTheCrossEntropy(LabelledLogits sample)
    {
        T[] logits = TestData.To<T>(sample.Logits);
        int rows = sample.Labels.Length;
        using (Widths.Limit((VectorWidth)sample.Width))
        {
            T[] plain = new T[rows];
            T[] focal = new T[rows];
            T[] plainGradient = new T[logits.Length];
            T[] focalGradient = new T[logits.Length];
            CategoricalCrossEntropy.FromLogits<T>(logits, sample.Labels, plain, sample.Classes);
            CategoricalCrossEntropy.FocalFromLogits<T>(logits, sample.Labels, focal, sample.Classes, 0);
            T expected = CategoricalCrossEntropy.FromLogitsWithGradient<T>(logits, sample.Labels, plainGradient, sample.Classes);
            T actual = CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(logits, sample.Labels, focalGradient, sample.Classes, Reduction.Mean, 0);
            WithinAnUlp([expected, .. plain, .. plainGradient], [actual, .. focal, .. focalGradient], sample.ToString());
        }
    }

    /// <summary>The focal loss of a row never exceeds its cross-entropy and falls as gamma grows.</summary>
    [Property(Arbitrary = new[] { typeof(LossArbitraries) })]
    public void BoundedByTheCrossEntropy(LabelledLogits sample)
    {
        T[] logits = TestData.To<T>(sample.Logits);
        int rows = sample.Labels.Length;
        T[] plain = new T[rows];
        T[] low = new T[rows];
        T[] high = new T[rows];
        CategoricalCrossEntropy.FromLogits<T>(logits, sample.Labels, plain, sample.Classes);
        CategoricalCrossEntropy.FocalFromLogits<T>(logits, sample.Labels, low, sample.Classes, 0.5);
        CategoricalCrossEntropy.FocalFromLogits<T>(logits, sample.Labels, high, sample.Classes, 3);
        for (int r = 0; r < rows; r++)
        {
            That.Holds(high[r] >= T.Zero && high[r] <= low[r] && low[r] <= plain[r] * T.CreateTruncating(1 + 1e-6), $"{sample}, row {r}: {plain[r]}, {low[r]}, {high[r]}");
        }
    }

    private static void WithinAnUlp(T[] expected, T[] actual, string context)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            T e = expected[i];
            T a = actual[i];
            bool close = Check<T>.SameBits(e, a) || a == e || T.Abs(a - e) <= T.Max(T.Abs(T.BitIncrement(e) - e), T.Abs(e - T.BitDecrement(e)));
            That.Holds(close, $"{context}, index {i}: expected {e:R}, actual {a:R}");
        }
    }

    [Fact]
    public void SpecialValuesAndIgnoredRows()
    {
        double inf = double.PositiveInfinity;
        T[] logits = TestData.To<T>([1, double.NaN, 2, 1, inf, 0, double.NegativeInfinity, 1, 2, 3, -inf, -inf, 5, 6, 7]);
        int[] labels = [0, 1, 0, 0, 9];
        T[] losses = new T[5];
        T[] gradient = new T[15];
        CategoricalCrossEntropy.FocalFromLogits<T>(logits, labels, losses, 3, 2, default, 9);
        CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(logits, labels, gradient, 3, Reduction.Sum, 2, default, 9);
        Assert.True(T.IsNaN(losses[0]) && T.IsNaN(losses[1]));
        Assert.All(gradient[..6], g => Assert.True(T.IsNaN(g)));
        Assert.Equal(T.PositiveInfinity, losses[2]);
        Assert.Equal(T.Zero, losses[3]);
        Assert.Equal(new T[3], gradient[9..12]);
        Assert.Equal(T.Zero, losses[4]);
        Assert.Equal(new T[3], gradient[12..15]);

        // The -infinity label: its entry is -1 (q = 1), the others softmax.
        Check<T>.Close(-1, gradient[6], "label entry");

        // Every row ignored: Mean is NaN with a zero gradient, 0 with a normalizer.
        T[] zeros = new T[6];
        Assert.True(T.IsNaN(CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(logits[..6], [7, 7], zeros, 3, ignoreIndex: 7)));
        Assert.Equal(new T[6], zeros);
        Assert.Equal(T.Zero, CategoricalCrossEntropy.FocalFromLogits<T>(logits[..6], [7, 7], 3, ignoreIndex: 7, normalizer: 4));
    }

    [Fact]
    public void NormalizerDividesTheSum()
    {
        var random = new Random(Seed);
        T[] logits = TestData.To<T>(TestData.Logits(random, 9, 5));
        int[] labels = TestData.Labels(random, 9, 5, Ignored);
        T[] sumGradient = new T[45];
        T[] gradient = new T[45];
        double sum = double.CreateTruncating(CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(logits, labels, sumGradient, 5, Reduction.Sum, 2, default, Ignored));
        T loss = CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(logits, labels, gradient, 5, Reduction.Mean, 2, default, Ignored, normalizer: 64);
        Check<T>.Close(sum / 64, loss, "loss");
        Check<T>.Close(Array.ConvertAll(TestData.ToDouble<T>(sumGradient), g => g / 64), Array.ConvertAll(TestData.ToDouble<T>(sumGradient), g => Math.Abs(g) / 64), gradient, "gradient");
    }

    [Fact]
    public void InPlaceGivesTheSameBits()
    {
        var random = new Random(Seed);
        foreach (int classes in new[] { 5, 40 })
        {
            T[] logits = TestData.To<T>(TestData.Logits(random, 23, classes));
            int[] labels = TestData.Labels(random, 23, classes, Ignored);
            T[] gradient = new T[logits.Length];
            T[] losses = new T[23];
            T loss = CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(logits, labels, gradient, classes, Reduction.Mean, 2, default, Ignored);
            CategoricalCrossEntropy.FocalFromLogits<T>(logits, labels, losses, classes, 2, default, Ignored);
            T[] over = (T[])logits.Clone();
            Assert.True(Check<T>.SameBits(loss, CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(over, labels, over, classes, Reduction.Mean, 2, default, Ignored)));
            Check<T>.SameBits(gradient, over, "gradient over the logits");
            over = (T[])logits.Clone();
            CategoricalCrossEntropy.FocalFromLogits<T>(over, labels, over, classes, 2, default, Ignored);
            Check<T>.SameBits(losses, over.AsSpan(0, 23), "losses over the logits");
        }
    }

    [Fact]
    public void RejectsBadArgumentsBeforeWriting()
    {
        T[] logits = TestData.To<T>([0.5, -1, 2, 3, 0, 1]);
        int[] labels = [0, 2];
        T sentinel = T.CreateTruncating(-7);
        T[] output = Enumerable.Repeat(sentinel, 7).ToArray();
        void Throws<TException>(string name, Action call)
            where TException : ArgumentException
        {
            Assert.Equal(name, Assert.Throws<TException>(call).ParamName);
            Check<T>.Unchanged(output, sentinel, name);
        }

        Throws<ArgumentOutOfRangeException>("gamma", () => CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(logits, labels, output, 3, gamma: -1));
        Throws<ArgumentOutOfRangeException>("gamma", () => CategoricalCrossEntropy.FocalFromLogits<T>(logits, labels, output, 3, double.NaN));
        Throws<ArgumentOutOfRangeException>("normalizer", () => CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(logits, labels, output, 3, normalizer: -2));
        Throws<ArgumentOutOfRangeException>("reduction", () => CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(logits, labels, output, 3, (Reduction)9));
        Throws<ArgumentOutOfRangeException>("labels", () => CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(logits, [0, 3], output, 3));
        Throws<ArgumentException>("labels", () => CategoricalCrossEntropy.FocalFromLogits<T>(logits, [0], output, 3));
        Throws<ArgumentOutOfRangeException>("classes", () => CategoricalCrossEntropy.FocalFromLogits<T>(logits, labels, output, 0));
        Throws<ArgumentException>("logits", () => CategoricalCrossEntropy.FocalFromLogits<T>(logits, labels, output, 4));
        Throws<ArgumentException>("classWeights", () => CategoricalCrossEntropy.FocalFromLogits<T>(logits, labels, output, 3, classWeights: TestData.To<T>([1, 2])));
        Throws<ArgumentException>("losses", () => CategoricalCrossEntropy.FocalFromLogits<T>(logits, labels, output.AsSpan(0, 1), 3));
        Throws<ArgumentException>("gradient", () => CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(logits, labels, output.AsSpan(0, 5), 3));
        T[] shared = [.. logits, sentinel];
        Assert.Equal("gradient", Assert.Throws<ArgumentException>(
            () => CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(shared.AsSpan(0, 6), labels, shared.AsSpan(1, 6), 3)).ParamName);
        Check<T>.SameBits([.. logits, sentinel], shared, "partial overlap");
    }

    /// <summary>Short rows (across lanes) and long rows, spread over 1 to 4 forced threads, have the bits of one thread.</summary>
    [Fact]
    public void ThreadsGiveTheSameBits()
    {
        var random = new Random(Seed);
        foreach ((int rows, int classes) in new[] { (3001, 7), (61, 1000) })
        {
            T[] logits = TestData.To<T>(TestData.Logits(random, rows, classes));
            int[] labels = TestData.Labels(random, rows, classes, Ignored);
            T[] expected = new T[logits.Length];
            T loss;
            using (Parallelism.Force(1, minChunkElements: 1))
            {
                loss = CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(logits, labels, expected, classes, Reduction.Mean, 2, default, Ignored);
            }

            foreach (int threads in new[] { 2, 3, 4 })
            {
                using (Parallelism.Force(threads, minChunkElements: 1))
                {
                    T[] actual = new T[logits.Length];
                    Assert.True(Check<T>.SameBits(loss, CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(logits, labels, actual, classes, Reduction.Mean, 2, default, Ignored)));
                    Check<T>.SameBits(expected, actual, $"{rows} x {classes}, {threads} threads");
                }
            }
        }
    }
}

public sealed class FloatCategoricalFocalTests(ITestOutputHelper output) : CategoricalFocalTests<float>(output);

public sealed class DoubleCategoricalFocalTests(ITestOutputHelper output) : CategoricalFocalTests<double>(output);
