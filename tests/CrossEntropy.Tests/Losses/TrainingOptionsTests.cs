using System;
using System.Linq;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// The training-loop options of the categorical losses (sample weights, normalizer, soft cap, z-loss, the log-sum-exp output)
/// and the losses from log-probabilities, against a plain double reference written from PyTorch's and Liger-Kernel's formulas:
/// <c>z = cap tanh(x / cap)</c>, <c>lse = logsumexp(z)</c>, a row's loss <c>sw (-sum a log_softmax(z) + zLoss lse^2)</c>, its
/// gradient <c>sw / D (softmax sum(a) - a + 2 zLoss lse softmax) (1 - tanh^2(x / cap))</c>.
/// </summary>
public abstract class TrainingOptionsTests<T>
    where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
{
    private const int Seed = 2026;

    /// <summary>One case: the inputs in double, the options, and the expected results.</summary>
    private sealed record Case(double[] X, int[] Labels, double[] Targets, int Classes, double[] Weights, double Smoothing,
        double[] SampleWeights, double Normalizer, double Cap, double ZLoss)
    {
        public int Rows => X.Length / Classes;

        public bool Soft => Labels.Length == 0;
    }

    /// <summary>The reference: per-row losses, the reduced loss (Mean, or over the normalizer), its gradient and the rows' lse.</summary>
    private static (double[] Losses, double Reduced, double[] Gradient, double[] Lse) Reference(Case c, Reduction reduction)
    {
        int rows = c.Rows, classes = c.Classes;
        double[] losses = new double[rows], gradient = new double[c.X.Length], lse = new double[rows];
        double meanDenominator = 0;
        for (int r = 0; r < rows; r++)
        {
            bool ignored = !c.Soft && c.Labels[r] == -100;
            double w(int k) => c.Weights.Length == 0 ? 1 : c.Weights[k];
            if (!c.Soft && !ignored)
            {
                meanDenominator += w(c.Labels[r]);
            }

            double[] z = new double[classes];
            for (int k = 0; k < classes; k++)
            {
                double x = c.X[r * classes + k];
                z[k] = c.Cap > 0 ? c.Cap * Math.Tanh(x / c.Cap) : x;
            }

            double max = z.Max();
            double sum = z.Sum(v => Math.Exp(v - max));
            lse[r] = max + Math.Log(sum);
            if (ignored)
            {
                continue;
            }

            double[] a = new double[classes];
            for (int k = 0; k < classes; k++)
            {
                double t = c.Soft ? c.Targets[r * classes + k] : k == c.Labels[r] ? 1 : 0;
                a[k] = w(k) * (t * (1 - c.Smoothing) + c.Smoothing / classes);
            }

            double sw = c.SampleWeights.Length == 0 ? 1 : c.SampleWeights[r];
            double loss = c.ZLoss * lse[r] * lse[r];
            for (int k = 0; k < classes; k++)
            {
                loss -= a[k] == 0 ? 0 : a[k] * (z[k] - lse[r]);
            }

            losses[r] = sw * loss;
            double aSum = a.Sum();
            for (int k = 0; k < classes; k++)
            {
                double softmax = Math.Exp(z[k] - lse[r]);
                double x = c.X[r * classes + k];
                double slope = c.Cap > 0 ? 1 - Math.Pow(Math.Tanh(x / c.Cap), 2) : 1;
                gradient[r * classes + k] = sw * (softmax * aSum - a[k] + 2 * c.ZLoss * lse[r] * softmax) * slope;
            }
        }

        double denominator = c.Normalizer > 0 ? c.Normalizer : reduction == Reduction.Sum ? 1 : c.Soft ? rows : meanDenominator;
        for (int i = 0; i < gradient.Length; i++)
        {
            gradient[i] /= denominator;
        }

        return (losses, losses.Sum() / denominator, gradient, lse);
    }

    private static Case MakeCase(Random random, int rows, int classes, bool soft, bool options, double scale = 30)
    {
        // Rounded to T, so that the reference sees the inputs the library does.
        double[] x = TestData.RoundTrip<T>(TestData.Uniform(random, rows * classes, scale));
        int[] labels = soft ? [] : TestData.Labels(random, rows, classes, ignoreIndex: -100);
        double[] targets = soft ? TestData.RoundTrip<T>(TestData.SoftTargets(random, rows, classes)) : [];
        double[] weights = random.Next(2) == 0 ? [] : TestData.RoundTrip<T>(TestData.Weights(random, classes));
        double[] sampleWeights = options ? TestData.RoundTrip<T>(TestData.Uniform(random, rows, 2)) : [];
        return new Case(x, labels, targets, classes, weights, random.Next(2) == 0 ? 0 : 0.1, sampleWeights,
            options && random.Next(2) == 0 ? 7 : 0, options ? 5 : 0, options ? 1e-2 : 0);
    }

    /// <summary>Calls the reduced loss with its gradient and the lse output, and the per-row losses.</summary>
    private static (T Reduced, T[] Gradient, T[] Lse, T[] Losses) Run(Case c, Reduction reduction, T[]? gradientOver = null)
    {
        T[] x = TestData.To<T>(c.X);
        T[] targets = TestData.To<T>(c.Targets);
        T[] weights = TestData.To<T>(c.Weights);
        T[] sampleWeights = TestData.To<T>(c.SampleWeights);
        T[] gradient = gradientOver ?? new T[x.Length];
        T[] lse = new T[c.Rows];
        T[] losses = new T[c.Rows];
        T reduced;
        if (c.Soft)
        {
            reduced = CategoricalCrossEntropy.FromLogitsWithGradient<T>(gradientOver ?? x, targets, gradient, c.Classes, reduction, weights,
                c.Smoothing, sampleWeights, c.Normalizer, c.Cap, c.ZLoss, lse);
            CategoricalCrossEntropy.FromLogits<T>(x, targets, losses, c.Classes, weights, c.Smoothing, sampleWeights, c.Cap, c.ZLoss);
        }
        else
        {
            reduced = CategoricalCrossEntropy.FromLogitsWithGradient<T>(gradientOver ?? x, c.Labels, gradient, c.Classes, reduction, weights,
                -100, c.Smoothing, sampleWeights, c.Normalizer, c.Cap, c.ZLoss, lse);
            CategoricalCrossEntropy.FromLogits<T>(x, c.Labels, losses, c.Classes, weights, -100, c.Smoothing, sampleWeights, c.Cap, c.ZLoss);
        }

        return (reduced, gradient, lse, losses);
    }

    private static void Close(double expected, T actual, double scale, string context, int index = -1)
    {
        double a = double.CreateTruncating(actual);
        double tolerance = Tolerance<T>.Loss * scale + Tolerance<T>.Absolute;
        if (a != expected && !(Math.Abs(a - expected) <= tolerance))
        {
            Assert.Fail($"{context} {index}: expected {expected:R}, got {a:R} (tolerance {tolerance:G3})");
        }
    }

    /// <summary>
    /// One row whose capped logits lie <c>firstGap</c> to <c>lastGap</c> below the label's: their gradient entries
    /// <c>softmax (1 - tanh^2(x / cap))</c> run from normal values through the subnormals to 0, and each must be within 1e-4 of
    /// the double reference, or within two of <paramref name="step"/>, the smallest subnormal, on every width.
    /// </summary>
    protected static void CheckSubnormalGradients(double cap, double firstGap, double lastGap, double step)
    {
        double top = cap * Math.Tanh(3);
        var x = new System.Collections.Generic.List<double> { 3 * cap };
        for (double gap = firstGap; gap <= lastGap; gap += 0.25)
        {
            x.Add(cap * Math.Atanh((top - gap) / cap));
        }

        double[] logits = TestData.RoundTrip<T>([.. x]);
        double[] z = [.. logits.Select(v => cap * Math.Tanh(v / cap))];
        double lse = z.Max() + Math.Log(z.Sum(v => Math.Exp(v - z.Max())));
        double smallestNormal = typeof(T) == typeof(float) ? Math.ScaleB(1, -126) : Math.ScaleB(1, -1022);
        int subnormal = 0;
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                T[] gradient = new T[logits.Length];
                CategoricalCrossEntropy.FromLogitsWithGradient<T>(TestData.To<T>(logits), [0], gradient, logits.Length, Reduction.Sum, softCap: cap);
                for (int k = 1; k < logits.Length; k++)
                {
                    double t = Math.Tanh(logits[k] / cap);
                    double expected = Math.Exp(z[k] - lse) * (1 - t * t);
                    double actual = double.CreateTruncating(gradient[k]);
                    That.Holds(Math.Abs(actual - expected) <= 1e-4 * expected + 2 * step, $"{width} gap {top - z[k]:F2}: expected {expected:R}, got {actual:R}");
                    subnormal += expected > 4 * step && expected < smallestNormal ? 1 : 0;
                }
            }
        }

        Assert.True(subnormal > 0, "no gradient entry is subnormal");
    }

    public static TheoryData<int, int, bool> Shapes() => new()
    {
        { 5, 3, false }, { 9, 7, true }, { 8, 16, false }, { 20, 8, false }, { 4, 33, true }, { 3, 1000, false }, { 2, 1000, true },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesReferenceOnEveryWidth(int rows, int classes, bool soft)
    {
        var random = new Random(Seed + rows * 31 + classes);
        for (int trial = 0; trial < 4; trial++)
        {
            Case c = MakeCase(random, rows, classes, soft, options: trial > 0);
            foreach (Reduction reduction in new[] { Reduction.Mean, Reduction.Sum })
            {
                var expected = Reference(c, reduction);
                (T Reduced, T[] Gradient, T[] Lse, T[] Losses)? first = null;
                foreach (VectorWidth width in Widths.All)
                {
                    using (Widths.Limit(width))
                    {
                        var actual = Run(c, reduction);
                        string context = $"{typeof(T).Name} {rows}x{classes} soft={soft} trial {trial} {reduction} {width}";
                        double lossScale = expected.Losses.Sum(Math.Abs) / (c.Normalizer > 0 ? c.Normalizer : 1);
                        Close(expected.Reduced, actual.Reduced, Math.Max(Math.Abs(expected.Reduced), lossScale / Math.Max(1, c.Rows)), $"{context} loss");
                        for (int r = 0; r < c.Rows; r++)
                        {
                            Close(expected.Losses[r], actual.Losses[r], Math.Abs(expected.Losses[r]) + 1e-3, context + " loss", r);
                            Close(expected.Lse[r], actual.Lse[r], Math.Abs(expected.Lse[r]) + 1, context + " lse", r);
                        }

                        double gradientScale = expected.Gradient.Max(Math.Abs);
                        for (int i = 0; i < c.X.Length; i++)
                        {
                            Close(expected.Gradient[i], actual.Gradient[i], gradientScale, context, i);
                        }

                        if (first is { } f)
                        {
                            Check<T>.SameBits(f.Gradient, actual.Gradient, context);
                            Check<T>.SameBits(f.Lse, actual.Lse, context);
                            Check<T>.SameBits(f.Losses, actual.Losses, context);
                            Assert.True(Check<T>.SameBits(f.Reduced, actual.Reduced), context);
                        }
                        else
                        {
                            first = actual;
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void NeutralOptionsGiveTheSameBitsAsNone()
    {
        var random = new Random(Seed + 1);
        foreach ((int rows, int classes) in new[] { (40, 3), (17, 16), (5, 100), (3, 1000) })
        {
            foreach (bool soft in new[] { false, true })
            {
                Case c = MakeCase(random, rows, classes, soft, options: false, scale: 1e4);
                T[] x = TestData.To<T>(c.X);
                T[] targets = TestData.To<T>(c.Targets);
                T[] ones = Enumerable.Repeat(T.One, rows).ToArray();
                T[] plain = new T[x.Length], neutral = new T[x.Length];
                T a = soft
                    ? CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, targets, plain, classes)
                    : CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, c.Labels, plain, classes);
                T b = soft
                    ? CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, targets, neutral, classes, sampleWeights: ones, normalizer: 0, softCap: 0, zLoss: 0, logSumExp: new T[rows])
                    : CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, c.Labels, neutral, classes, sampleWeights: ones, normalizer: 0, softCap: 0, zLoss: 0, logSumExp: new T[rows]);
                That.Holds(Check<T>.SameBits(a, b), $"{rows}x{classes} soft={soft}: {a} vs {b}");
                Check<T>.SameBits(plain, neutral, $"{rows}x{classes} soft={soft}");
            }
        }
    }

    [Fact]
    public void InPlaceGradientGivesTheSameBits()
    {
        var random = new Random(Seed + 2);
        foreach ((int rows, int classes) in new[] { (9, 7), (4, 100), (2, 1000) })
        {
            Case c = MakeCase(random, rows, classes, soft: false, options: true);
            var separate = Run(c, Reduction.Mean);
            T[] over = TestData.To<T>(c.X);
            var inPlace = Run(c, Reduction.Mean, over);
            Assert.True(Check<T>.SameBits(separate.Reduced, inPlace.Reduced));
            Check<T>.SameBits(separate.Gradient, over, $"{rows}x{classes} in place");
        }
    }

    [Fact]
    public void ParallelBatchGivesTheSameBitsAsOneThread()
    {
        var random = new Random(Seed + 3);
        Case c = MakeCase(random, 256, 64, soft: false, options: true);
        (T, T[], T[], T[]) one;
        using (Parallelism.Force(1, minChunkElements: 64 * 8))
        {
            one = Run(c, Reduction.Mean);
        }

        using (Parallelism.Force(2, minChunkElements: 64 * 8, lastFirst: true))
        {
            var many = Run(c, Reduction.Mean);
            Assert.True(Check<T>.SameBits(one.Item1, many.Reduced));
            Check<T>.SameBits(one.Item2, many.Gradient, "gradient");
            Check<T>.SameBits(one.Item3, many.Lse, "lse");
            Check<T>.SameBits(one.Item4, many.Losses, "losses");
        }
    }

    [Fact]
    public void AllIgnoredRowsGiveZeroWithANormalizerAndNaNWithout()
    {
        T[] x = TestData.To<T>([1, 2, 3, 4, 5, 6]);
        int[] labels = [-100, -100];
        T[] gradient = TestData.To<T>([9, 9, 9, 9, 9, 9]);
        T[] lse = new T[2];
        T loss = CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, labels, gradient, 3, normalizer: 4, logSumExp: lse);
        Assert.Equal(T.Zero, loss);
        Assert.All(gradient, g => Assert.Equal(T.Zero, g));
        Close(Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)), lse[0], 5, "lse of an ignored row");
        T mean = CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, labels, gradient, 3);
        Assert.True(T.IsNaN(mean));
        Assert.All(gradient, g => Assert.Equal(T.Zero, g));
        Assert.Equal(T.Zero, CategoricalCrossEntropy.FromLogProbabilities<T>(x, labels, 3, normalizer: 2));
        Assert.True(T.IsNaN(CategoricalCrossEntropy.FromLogProbabilities<T>(x, labels, 3)));
    }

    [Fact]
    public void SoftCapMakesInfiniteLogitsFinite()
    {
        T[] x = TestData.To<T>([double.PositiveInfinity, 0, double.NegativeInfinity, 1]);
        T[] gradient = new T[4];
        T[] lse = new T[1];
        T loss = CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, [1], gradient, 4, softCap: 2, logSumExp: lse);
        double[] z = [2, 0, -2, 2 * Math.Tanh(0.5)];
        double expectedLse = Math.Log(z.Sum(Math.Exp));
        Close(expectedLse - 0, loss, expectedLse, "loss");
        Close(expectedLse, lse[0], expectedLse, "lse");

        // The derivative of the cap is 0 at ±infinity.
        Assert.Equal(T.Zero, gradient[0]);
        Assert.Equal(T.Zero, gradient[2]);
        Close(Math.Exp(z[1] - expectedLse) - 1, gradient[1], 1, "label entry");

        // Without the cap, +infinity makes the row NaN, and its lse +infinity.
        T plain = CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, [1], gradient, 4, logSumExp: lse);
        Assert.True(T.IsNaN(plain));
        Assert.Equal(T.PositiveInfinity, lse[0]);
    }

    [Fact]
    public void MaskedClassesStayMaskedWithZLossAndSampleWeights()
    {
        T[] x = TestData.To<T>([double.NegativeInfinity, 1, 2, double.NegativeInfinity]);
        T[] gradient = new T[4];
        T[] sampleWeights = TestData.To<T>([-0.5]);
        T loss = CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, [2], gradient, 4, sampleWeights: sampleWeights, zLoss: 0.1);
        double lse = Math.Log(Math.Exp(1) + Math.Exp(2));
        Close(-0.5 * (lse - 2 + 0.1 * lse * lse), loss, 1, "loss");
        Assert.Equal(T.Zero, gradient[0]);
        Assert.Equal(T.Zero, gradient[3]);
        double p1 = Math.Exp(1 - lse);
        Close(-0.5 * (p1 + 0.2 * lse * p1), gradient[1], 1, "gradient");
    }

    [Fact]
    public void LogProbabilitiesMatchTheLossFromLogits()
    {
        var random = new Random(Seed + 4);
        foreach ((int rows, int classes) in new[] { (6, 5), (8, 16), (3, 200) })
        {
            foreach (bool soft in new[] { false, true })
            {
                Case c = MakeCase(random, rows, classes, soft, options: false, scale: typeof(T) == typeof(Half) ? 100 : 1e4);
                T[] x = TestData.To<T>(c.X);
                T[] logProbabilities = new T[x.Length];
                CrossEntropy.Activations.LogSoftmax<T>(x, logProbabilities, classes);
                T[] targets = TestData.To<T>(c.Targets);
                T[] weights = TestData.To<T>(c.Weights);
                T[] sampleWeights = TestData.To<T>(TestData.Uniform(random, rows, 2));
                T[] fromLogits = new T[rows], fromLogs = new T[rows];
                T[] gradient = new T[x.Length];
                T reduced;
                if (soft)
                {
                    CategoricalCrossEntropy.FromLogits<T>(x, targets, fromLogits, classes, weights, c.Smoothing, sampleWeights);
                    CategoricalCrossEntropy.FromLogProbabilities<T>(logProbabilities, targets, fromLogs, classes, weights, c.Smoothing, sampleWeights);
                    reduced = CategoricalCrossEntropy.FromLogProbabilitiesWithGradient<T>(logProbabilities, targets, gradient, classes, Reduction.Mean, weights, c.Smoothing, sampleWeights, normalizer: 3);
                }
                else
                {
                    CategoricalCrossEntropy.FromLogits<T>(x, c.Labels, fromLogits, classes, weights, -100, c.Smoothing, sampleWeights);
                    CategoricalCrossEntropy.FromLogProbabilities<T>(logProbabilities, c.Labels, fromLogs, classes, weights, -100, c.Smoothing, sampleWeights);
                    reduced = CategoricalCrossEntropy.FromLogProbabilitiesWithGradient<T>(logProbabilities, c.Labels, gradient, classes, Reduction.Mean, weights, -100, c.Smoothing, sampleWeights, normalizer: 3);
                }

                double total = 0;
                for (int r = 0; r < rows; r++)
                {
                    double expected = double.CreateTruncating(fromLogits[r]);
                    Close(expected, fromLogs[r], Math.Abs(expected) * 10 + 1e-3, $"{rows}x{classes} soft={soft} row {r}");
                    bool ignored = !soft && c.Labels[r] == -100;
                    double sw = double.CreateTruncating(sampleWeights[r]);
                    double lossTerm = 0;
                    for (int k = 0; k < classes; k++)
                    {
                        double t = soft ? c.Targets[r * classes + k] : !ignored && k == c.Labels[r] ? 1 : 0;
                        double w = c.Weights.Length == 0 ? 1 : c.Weights[k];
                        double a = ignored ? 0 : w * (t * (1 - c.Smoothing) + c.Smoothing / classes);
                        double lp = double.CreateTruncating(logProbabilities[r * classes + k]);
                        lossTerm -= a == 0 ? 0 : a * lp;
                        Close(-sw * a / 3, gradient[r * classes + k], Math.Abs(sw * a / 3), "gradient", r * classes + k);
                    }

                    total += sw * lossTerm;
                }

                Close(total / 3, reduced, Math.Abs(total / 3) + 1e-3, $"{rows}x{classes} soft={soft} reduced");
            }
        }
    }

    /// <summary>From probabilities, a sample weight scales its row's loss and gradient row, and a normalizer replaces the denominator.</summary>
    [Fact]
    public void ProbabilitiesTakeSampleWeightsAndANormalizer()
    {
        var random = new Random(Seed + 5);
        foreach ((int rows, int classes) in new[] { (7, 5), (3, 40) })
        {
            T[] p = TestData.To<T>(TestData.Probabilities(random, rows, classes));
            int[] labels = TestData.Labels(random, rows, classes, ignoreIndex: -100);
            double[] sw = TestData.RoundTrip<T>(TestData.Uniform(random, rows, 2));
            T[] sampleWeights = TestData.To<T>(sw);
            T[] plainLosses = new T[rows], weightedLosses = new T[rows];
            CategoricalCrossEntropy.FromProbabilities<T>(p, labels, plainLosses, classes, labelSmoothing: 0.1);
            CategoricalCrossEntropy.FromProbabilities<T>(p, labels, weightedLosses, classes, labelSmoothing: 0.1, sampleWeights: sampleWeights);
            T[] plainGradient = new T[p.Length], weightedGradient = new T[p.Length];
            CategoricalCrossEntropy.FromProbabilitiesWithGradient<T>(p, labels, plainGradient, classes, Reduction.Sum, labelSmoothing: 0.1);
            T reduced = CategoricalCrossEntropy.FromProbabilitiesWithGradient<T>(p, labels, weightedGradient, classes, Reduction.Sum,
                labelSmoothing: 0.1, sampleWeights: sampleWeights, normalizer: 5);
            double total = 0;
            for (int r = 0; r < rows; r++)
            {
                double expected = sw[r] * double.CreateTruncating(plainLosses[r]);
                total += expected;
                Close(expected, weightedLosses[r], Math.Abs(expected), "probabilities loss", r);
                for (int k = 0; k < classes; k++)
                {
                    double g = sw[r] * double.CreateTruncating(plainGradient[r * classes + k]) / 5;
                    Close(g, weightedGradient[r * classes + k], Math.Abs(g), "probabilities gradient", r * classes + k);
                }
            }

            Close(total / 5, reduced, Math.Abs(total / 5) + 1e-3, "probabilities reduced");
        }
    }

    [Fact]
    public void LogProbabilitiesTakeInfinityAndNaNAsTheyAre()
    {
        T[] x = TestData.To<T>([double.NegativeInfinity, -1, double.NaN, -2]);
        T[] losses = new T[2];
        CategoricalCrossEntropy.FromLogProbabilities<T>(x, [1, 1], losses, 2);
        Assert.Equal(T.One, losses[0]);
        Assert.Equal(T.CreateTruncating(2.0), losses[1]);
        CategoricalCrossEntropy.FromLogProbabilities<T>(x, [0, 0], losses, 2);
        Assert.Equal(T.PositiveInfinity, losses[0]);
        Assert.True(T.IsNaN(losses[1]));
    }

    [Fact]
    public void EveryNewArgumentIsCheckedBeforeAnythingIsWritten()
    {
        T[] x = TestData.To<T>([1, 2, 3, 4, 5, 6]);
        int[] labels = [0, 2];
        T sentinel = T.CreateTruncating(7.0);
        T[] gradient = [.. Enumerable.Repeat(sentinel, 6)];
        T[] lse = [sentinel, sentinel];

        void Expect<TException>(string name, Action call)
            where TException : ArgumentException
        {
            TException e = Assert.Throws<TException>(call);
            Assert.Equal(name, e.ParamName);
            Check<T>.Unchanged(gradient, sentinel, name);
            Check<T>.Unchanged(lse, sentinel, name);
        }

        Expect<ArgumentException>("sampleWeights", () => CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, labels, gradient, 3, sampleWeights: new T[3], logSumExp: lse));
        Expect<ArgumentOutOfRangeException>("normalizer", () => CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, labels, gradient, 3, normalizer: -1, logSumExp: lse));
        Expect<ArgumentOutOfRangeException>("normalizer", () => CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, labels, gradient, 3, normalizer: double.NaN, logSumExp: lse));
        Expect<ArgumentOutOfRangeException>("softCap", () => CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, labels, gradient, 3, softCap: -1, logSumExp: lse));
        Expect<ArgumentOutOfRangeException>("softCap", () => CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, labels, gradient, 3, softCap: double.NaN, logSumExp: lse));
        Expect<ArgumentOutOfRangeException>("softCap", () => CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, labels, gradient, 3, softCap: double.PositiveInfinity, logSumExp: lse));
        Expect<ArgumentOutOfRangeException>("zLoss", () => CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, labels, gradient, 3, zLoss: -1e-4, logSumExp: lse));
        Expect<ArgumentOutOfRangeException>("zLoss", () => CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, x, gradient, 3, zLoss: double.NaN, logSumExp: lse));
        Expect<ArgumentException>("logSumExp", () => CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, labels, gradient, 3, logSumExp: lse.AsSpan(0, 1)));
        Expect<ArgumentException>("logSumExp", () => CategoricalCrossEntropy.FromLogitsWithGradient<T>(gradient, labels, gradient, 3, logSumExp: gradient.AsSpan(4, 2)));
        Expect<ArgumentException>("gradient", () => CategoricalCrossEntropy.FromLogitsWithGradient<T>(x, labels, gradient, 3, sampleWeights: gradient.AsSpan(0, 2)));
        Expect<ArgumentException>("sampleWeights", () => CategoricalCrossEntropy.FromLogits<T>(x, labels, gradient, 3, sampleWeights: new T[1]));
        Expect<ArgumentException>("sampleWeights", () => CategoricalCrossEntropy.FromProbabilitiesWithGradient<T>(TestData.To<T>([0.5, 0.25, 0.25, 0.5, 0.25, 0.25]), labels, gradient, 3, sampleWeights: new T[1]));
        Expect<ArgumentOutOfRangeException>("normalizer", () => CategoricalCrossEntropy.FromLogProbabilitiesWithGradient<T>(x, labels, gradient, 3, normalizer: -2));
        Expect<ArgumentException>("gradient", () => CategoricalCrossEntropy.FromLogProbabilitiesWithGradient<T>(x, labels, gradient.AsSpan(0, 5), 3));
    }
}

public sealed class TrainingOptionsFloatTests : TrainingOptionsTests<float>
{
    /// <summary>A cap of 100 lets capped logits lie 200 apart, past float's normal exponentials (below -87).</summary>
    [Fact]
    public void SoftCapKeepsSubnormalGradients() => CheckSubnormalGradients(cap: 100, firstGap: 80, lastGap: 110, float.Epsilon);
}

public sealed class TrainingOptionsDoubleTests : TrainingOptionsTests<double>
{
    /// <summary>A cap of 500 lets capped logits lie 1000 apart, past double's normal exponentials (below -708).</summary>
    [Fact]
    public void SoftCapKeepsSubnormalGradients() => CheckSubnormalGradients(cap: 500, firstGap: 700, lastGap: 750, double.Epsilon);

    /// <summary>Central finite differences of the reduced loss, in double, with the soft cap, the z-loss and sample weights.</summary>
    [Fact]
    public void GradientMatchesFiniteDifferences()
    {
        var random = new Random(77);
        const int rows = 4, classes = 9;
        double[] x = TestData.Uniform(random, rows * classes, 12);
        int[] labels = [3, -100, 0, 8];
        double[] targets = TestData.SoftTargets(random, rows, classes);
        double[] weights = TestData.Weights(random, classes);
        double[] sampleWeights = [0.5, 2, -1.5, 1];
        foreach (bool soft in new[] { false, true })
        {
            double Loss(double[] at) => soft
                ? CategoricalCrossEntropy.FromLogits<double>(at, targets, classes, Reduction.Mean, weights, 0.1, sampleWeights, 0, 4, 0.05)
                : CategoricalCrossEntropy.FromLogits<double>(at, labels, classes, Reduction.Mean, weights, -100, 0.1, sampleWeights, 0, 4, 0.05);
            double[] gradient = new double[x.Length];
            if (soft)
            {
                CategoricalCrossEntropy.FromLogitsWithGradient<double>(x, targets, gradient, classes, Reduction.Mean, weights, 0.1, sampleWeights, 0, 4, 0.05);
            }
            else
            {
                CategoricalCrossEntropy.FromLogitsWithGradient<double>(x, labels, gradient, classes, Reduction.Mean, weights, -100, 0.1, sampleWeights, 0, 4, 0.05);
            }

            for (int i = 0; i < x.Length; i++)
            {
                const double h = 1e-5;
                double[] up = (double[])x.Clone(), down = (double[])x.Clone();
                up[i] += h;
                down[i] -= h;
                double numeric = (Loss(up) - Loss(down)) / (2 * h);
                That.Holds(Math.Abs(numeric - gradient[i]) <= 1e-7 * (1 + Math.Abs(numeric)), $"soft={soft} {i}: {numeric} vs {gradient[i]}");
            }
        }
    }

    /// <summary>tanh of the library against Math.Tanh on every width: near 0, around the switch at 1/4, saturated, and odd.</summary>
    [Fact]
    public void SoftCapIsAccurateNearZeroAndSaturates()
    {
        double[] x = [1e-300, -1e-20, 1e-8, 0.1, 0.2499, 0.25, 0.2501, -0.7, 3, 19, 40, -1e3];
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                double[] lse = new double[x.Length];
                double[] losses = new double[x.Length];

                // One class per row: the loss is 0 and the lse is the capped logit itself.
                CategoricalCrossEntropy.FromLogits<double>(x, new int[x.Length], losses, 1, softCap: 1, logSumExp: lse);
                for (int i = 0; i < x.Length; i++)
                {
                    That.Holds(Math.Abs(lse[i] - Math.Tanh(x[i])) <= 4e-16 * Math.Abs(Math.Tanh(x[i])), $"{width} tanh({x[i]}) = {lse[i]:R}, expected {Math.Tanh(x[i]):R}");
                }
            }
        }
    }
}

public sealed class TrainingOptionsHalfTests : TrainingOptionsTests<Half>;
