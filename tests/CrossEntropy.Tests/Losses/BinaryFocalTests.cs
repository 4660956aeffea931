using System;
using System.Linq;
using System.Numerics;
using System.Runtime.CompilerServices;
using CrossEntropy.Tests.Infrastructure;
using FsCheck.Xunit;
using Xunit;
using Xunit.Abstractions;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// <see cref="BinaryCrossEntropy"/>'s focal loss against <see cref="FocalReference"/>: every reduction, the per-element losses
/// and the gradient, with and without alpha and weights, gamma 0, below 1, 2 and above, on every SIMD width with the same bits
/// on each; finite differences, published values, special values, validation, in-place and threads.
/// </summary>
public abstract class BinaryFocalTests<T>(ITestOutputHelper output)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Seed = 1708;

    private static readonly double[] Gammas = [0, 0.5, 2, 3.7];

    private static readonly (int Gamma, int Weights)[] Combinations = [(0, 0), (1, 1), (2, 2), (3, 1)];

    public static TheoryData<int> Lengths => new() { 0, 1, 3, 17, 100, 1000 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void MatchesReference(int length)
    {
        var random = new Random(Seed + length);
        var check = new Check<T>();
        VectorWidth[] widths = length <= 300 ? Widths.All : [VectorWidth.Vector512, VectorWidth.Vector256, VectorWidth.Vector128];

        // Each gamma once with each alpha, the weights (none, one, one per element) rotating through them.
        foreach ((int gammaIndex, int weightsKind) in Combinations)
        {
            double gamma = Gammas[gammaIndex];
            foreach (double alpha in new[] { 0.25, -1 })
            {
                int weightsLength = weightsKind switch { 0 => 0, 1 => 1, _ => length };
                T[] logits = TestData.To<T>(TestData.Logits(random, 1, length));
                T[] targets = TestData.To<T>(TestData.BinaryTargets(random, length));
                T[] weights = TestData.To<T>(TestData.Weights(random, weightsLength));
                Compare(check, logits, targets, weights, gamma, alpha, widths);
            }
        }

        output.WriteLine(check.Summary($"binary focal loss, length {length}"));
        check.AssertNoMismatch();
    }

    /// <summary>Mean, Sum, per-element losses and both gradients against the reference on each width, the same bits on each.</summary>
    private static void Compare(Check<T> check, T[] logits, T[] targets, T[] weights, double gamma, double alpha, VectorWidth[] widths)
    {
        int length = logits.Length;
        double[] x = TestData.ToDouble<T>(logits);
        double[] y = TestData.ToDouble<T>(targets);
        double[] w = TestData.ToDouble<T>(weights);
        double[] losses = new double[length];
        double[] gradient = new double[length];
        double[] magnitude = new double[length];
        for (int i = 0; i < length; i++)
        {
            (losses[i], gradient[i], magnitude[i]) = FocalReference.Binary(x[i], y[i], gamma, alpha, w.Length == 0 ? 1 : w[i % w.Length]);
        }

        double sum = Reference.Sum(losses);
        T[]? firstLosses = null;
        T[]? firstGradient = null;
        foreach (VectorWidth width in widths)
        {
            using (Widths.Limit(width))
            {
                string context = $"length {length}, gamma {gamma}, alpha {alpha}, weights {weights.Length}, {width}";
                T[] actualLosses = new T[length];
                T[] meanGradient = new T[length];
                T[] sumGradient = new T[length];
                BinaryCrossEntropy.FocalFromLogits<T>(logits, targets, actualLosses, gamma, alpha, weights);
                T mean = BinaryCrossEntropy.FocalFromLogits<T>(logits, targets, Reduction.Mean, gamma, alpha, weights);
                T total = BinaryCrossEntropy.FocalFromLogits<T>(logits, targets, Reduction.Sum, gamma, alpha, weights);
                T meanWithGradient = BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(logits, targets, meanGradient, Reduction.Mean, gamma, alpha, weights);
                T sumWithGradient = BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(logits, targets, sumGradient, Reduction.Sum, gamma, alpha, weights);
                check.Losses(losses, actualLosses, context);
                check.Loss(sum / length, mean, context + ", Mean");
                check.Loss(sum, total, context + ", Sum");
                Assert.True(Check<T>.SameBits(mean, meanWithGradient), context);
                Assert.True(Check<T>.SameBits(total, sumWithGradient), context);
                check.Gradient(gradient, magnitude, sumGradient, context + ", Sum gradient");
                check.Gradient(Array.ConvertAll(gradient, g => g / length), Array.ConvertAll(magnitude, m => m / length), meanGradient, context + ", Mean gradient");
                firstLosses ??= actualLosses;
                firstGradient ??= meanGradient;
                Check<T>.SameBits(firstLosses, actualLosses, context);
                Check<T>.SameBits(firstGradient, meanGradient, context);
            }
        }
    }

    /// <summary>The gradient is the derivative of the loss the library computes: central differences of its own double losses.</summary>
    [Fact]
    public void GradientMatchesFiniteDifferences()
    {
        var random = new Random(Seed);
        foreach (double gamma in new[] { 0.3, 1, 2, 4.5 })
        {
            foreach (double alpha in new[] { 0.25, -1 })
            {
                double[] logits = TestData.Uniform(random, 40, 8);
                double[] targets = TestData.BinaryTargets(random, 40);
                double[] weights = TestData.Weights(random, 4);
                double[] gradient = new double[40];
                BinaryCrossEntropy.FocalFromLogitsWithGradient<double>(logits, targets, gradient, Reduction.Sum, gamma, alpha, weights);
                for (int i = 0; i < logits.Length; i++)
                {
                    const double h = 1e-5;
                    double[] up = (double[])logits.Clone();
                    double[] down = (double[])logits.Clone();
                    up[i] += h;
                    down[i] -= h;
                    double difference = (BinaryCrossEntropy.FocalFromLogits<double>(up, targets, Reduction.Sum, gamma, alpha, weights)
                        - BinaryCrossEntropy.FocalFromLogits<double>(down, targets, Reduction.Sum, gamma, alpha, weights)) / (2 * h);
                    That.Holds(Math.Abs(difference - gradient[i]) <= 1e-6 * (1 + Math.Abs(gradient[i])),
                        $"gamma {gamma}, alpha {alpha}, x {logits[i]}, t {targets[i]}: gradient {gradient[i]}, finite difference {difference}");
                }
            }
        }
    }

    /// <summary>Keras's <c>BinaryFocalCrossentropy(gamma=2, from_logits=True)</c> example: 0.691, and 0.51 with class balancing (alpha 0.25).</summary>
    [Fact]
    public void MatchesPublishedValues()
    {
        T[] targets = TestData.To<T>([0, 1, 0, 0]);
        T[] logits = TestData.To<T>([-18.6, 0.51, 2.94, -12.8]);
        Assert.Equal(0.691, double.CreateTruncating(BinaryCrossEntropy.FocalFromLogits<T>(logits, targets, Reduction.Mean, 2, -1)), 3);
        Assert.Equal(0.51, double.CreateTruncating(BinaryCrossEntropy.FocalFromLogits<T>(logits, targets, Reduction.Mean, 2, 0.25)), 2);
    }

    /// <summary>
    /// Where 1 - p_t underflows as 1 - p would (x = 30 for float, 60 for double, target 1) the loss and gradient still carry their
    /// relative precision, for gamma 2 and 0.5.
    /// </summary>
    [Fact]
    public void ConfidentElementsKeepTheirPrecision()
    {
        double big = typeof(T) == typeof(float) ? 30 : 60;
        foreach (double gamma in new[] { 0.5, 2 })
        {
            foreach ((double x, double t) in new[] { (big, 1.0), (-big, 0.0) })
            {
                (double loss, double gradient, _) = FocalReference.Binary(x, t, gamma, -1, 1);
                T[] g = new T[1];
                T actual = BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(TestData.To<T>([x]), TestData.To<T>([t]), g, Reduction.Sum, gamma, -1);
                That.Holds(loss > 0 && Math.Abs(double.CreateTruncating(actual) - loss) <= 1e-5 * loss, $"x {x}, gamma {gamma}: {actual} vs {loss}");
                That.Holds(Math.Abs(double.CreateTruncating(g[0]) - gradient) <= 1e-5 * Math.Abs(gradient), $"x {x}, gamma {gamma}: {g[0]} vs {gradient}");
            }
        }
    }

    /// <summary>NaN gives NaN; infinite logits give the limits: 0 where the target agrees, +infinity where not, finite gradients.</summary>
    [Fact]
    public void SpecialValues()
    {
        foreach (double gamma in new[] { 0, 0.5, 2 })
        {
            T[] logits = TestData.To<T>([double.PositiveInfinity, double.NegativeInfinity, double.PositiveInfinity, double.NegativeInfinity, double.PositiveInfinity, double.NaN]);
            T[] targets = TestData.To<T>([1, 0, 0, 1, 0.5, 1]);
            T[] losses = new T[6];
            T[] gradient = new T[6];
            BinaryCrossEntropy.FocalFromLogits<T>(logits, targets, losses, gamma, -1);
            BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(logits, targets, gradient, Reduction.Sum, gamma, -1);
            string context = $"gamma {gamma}";
            Assert.Equal([T.Zero, T.Zero, T.PositiveInfinity, T.PositiveInfinity, T.PositiveInfinity], losses[..5]);
            Assert.True(T.IsNaN(losses[5]) && T.IsNaN(gradient[5]), context);
            Assert.Equal([T.Zero, T.Zero, T.One, -T.One], gradient[..4]);

            // The soft target's limit: (1 - y) q^gamma with q = 1 - y.
            Check<T>.Close(0.5 * Math.Pow(0.5, gamma), gradient[4], context);
        }
    }

    /// <summary>
    /// A zero a_t (alpha 0 or 1, or a target where alpha y + (1 - alpha)(1 - y) vanishes) takes an infinite loss away, and each
    /// element gets the same bits whether its block runs before or after a block with a logit beyond 87 (which hands the rest
    /// of a call to the loop with the exponential's subnormal care and the zero a_t's care): alone, and behind such a block.
    /// </summary>
    [Fact]
    public void ZeroAlphaWeightSameBitsInEitherLoop()
    {
        var random = new Random(Seed);
        const int Count = 48;
        foreach (double alpha in new[] { 0, 1, 0.25, 0.75, 0.5 + Math.ScaleB(1, -45) })
        {
            // Targets where a_t vanishes, inside [0, 1] and outside it (where the loss can be negative), and ordinary ones.
            double vanishes = (1 - alpha) / (1 - 2 * alpha);
            double[] choices = [0, 1, 0.3, vanishes, -3, 2.5];
            double[] x = new double[Count];
            double[] y = new double[Count];
            for (int i = 0; i < Count; i++)
            {
                x[i] = random.NextDouble() * 160 - 80;
                y[i] = choices[random.Next(choices.Length)];
            }

            // 64 bytes of logits beyond 87 in front of the same elements.
            int front = 64 / Unsafe.SizeOf<T>();
            T[] logits = TestData.To<T>([.. Enumerable.Repeat(100.0, front), .. x]);
            T[] targets = TestData.To<T>([.. new double[front], .. y]);
            foreach (VectorWidth width in Widths.All)
            {
                using (Widths.Limit(width))
                {
                    foreach (double gamma in new[] { 0, 0.5, 2 })
                    {
                        T[] behind = new T[logits.Length];
                        T[] behindGradient = new T[logits.Length];
                        BinaryCrossEntropy.FocalFromLogits<T>(logits, targets, behind, gamma, alpha);
                        BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(logits, targets, behindGradient, Reduction.Sum, gamma, alpha);
                        T[] alone = new T[Count];
                        T[] aloneGradient = new T[Count];
                        BinaryCrossEntropy.FocalFromLogits<T>(logits.AsSpan(front), targets.AsSpan(front), alone, gamma, alpha);
                        BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(logits.AsSpan(front), targets.AsSpan(front), aloneGradient, Reduction.Sum, gamma, alpha);
                        string context = $"alpha {alpha}, gamma {gamma}, {width}";
                        Check<T>.SameBits(alone, behind.AsSpan(front), context);
                        Check<T>.SameBits(aloneGradient, behindGradient.AsSpan(front), context);
                    }
                }
            }

            // Infinite logits under a zero a_t: 0, not NaN.
            if (alpha is 0 or 1)
            {
                T[] infinite = TestData.To<T>([double.PositiveInfinity, double.NegativeInfinity]);
                T[] agreeing = TestData.To<T>(alpha == 0 ? [1, 1] : [0, 0]);
                T[] losses = new T[2];
                BinaryCrossEntropy.FocalFromLogits<T>(infinite, agreeing, losses, 2, alpha);
                Assert.Equal([T.Zero, T.Zero], losses);
            }
        }
    }

    /// <summary>Gamma 0 without alpha is the binary cross-entropy bit for bit, at any magnitude.</summary>
    [Property(Arbitrary = new[] { typeof(FocalArbitraries) })]
    public void GammaZeroIsTheCrossEntropy(FocalBinarySample sample)
    {
        T[] logits = TestData.To<T>(sample.Logits);
        T[] targets = TestData.To<T>(sample.Targets);
        using (Widths.Limit((VectorWidth)sample.Width))
        {
            T[] expected = new T[logits.Length];
            T[] actual = new T[logits.Length];
            T[] expectedGradient = new T[logits.Length];
            T[] actualGradient = new T[logits.Length];
            BinaryCrossEntropy.FromLogits<T>(logits, targets, expected);
            BinaryCrossEntropy.FocalFromLogits<T>(logits, targets, actual, 0, -1);
            Check<T>.SameBits(expected, actual, sample.ToString());
            T plain = BinaryCrossEntropy.FromLogitsWithGradient<T>(logits, targets, expectedGradient);
            T focal = BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(logits, targets, actualGradient, Reduction.Mean, 0, -1);
            Assert.True(Check<T>.SameBits(plain, focal), sample.ToString());
            Check<T>.SameBits(expectedGradient, actualGradient, sample.ToString());
        }
    }

    /// <summary>The focal loss never exceeds the (alpha-weighted) cross-entropy, and grows as gamma falls, at any magnitude.</summary>
    [Property(Arbitrary = new[] { typeof(FocalArbitraries) })]
    public void BoundedByTheCrossEntropy(FocalBinarySample sample)
    {
        T[] logits = TestData.To<T>(sample.Logits);
        T[] targets = TestData.To<T>(sample.Targets);
        T[] plain = new T[logits.Length];
        T[] low = new T[logits.Length];
        T[] high = new T[logits.Length];
        BinaryCrossEntropy.FromLogits<T>(logits, targets, plain);
        BinaryCrossEntropy.FocalFromLogits<T>(logits, targets, low, 0.5, -1);
        BinaryCrossEntropy.FocalFromLogits<T>(logits, targets, high, 3, -1);
        for (int i = 0; i < logits.Length; i++)
        {
            That.Holds(high[i] <= low[i] && low[i] <= plain[i] && high[i] >= T.Zero, $"{sample}, index {i}: {plain[i]}, {low[i]}, {high[i]}");
        }
    }

    [Fact]
    public void InPlaceGivesTheSameBits()
    {
        var random = new Random(Seed);
        T[] logits = TestData.To<T>(TestData.Logits(random, 1, 133));
        T[] targets = TestData.To<T>(TestData.BinaryTargets(random, 133));
        T[] gradient = new T[133];
        T[] losses = new T[133];
        T loss = BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(logits, targets, gradient);
        BinaryCrossEntropy.FocalFromLogits<T>(logits, targets, losses);

        T[] overLogits = (T[])logits.Clone();
        Assert.True(Check<T>.SameBits(loss, BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(overLogits, targets, overLogits)));
        Check<T>.SameBits(gradient, overLogits, "gradient over the logits");
        T[] overTargets = (T[])targets.Clone();
        BinaryCrossEntropy.FocalFromLogits<T>(logits, overTargets, overTargets);
        Check<T>.SameBits(losses, overTargets, "losses over the targets");
    }

    [Fact]
    public void RejectsBadArgumentsBeforeWriting()
    {
        T[] logits = TestData.To<T>([0.5, -1, 2, 3]);
        T[] targets = TestData.To<T>([0, 1, 0.5, 1]);
        T sentinel = T.CreateTruncating(-7);
        T[] output = [sentinel, sentinel, sentinel, sentinel, sentinel];
        void Throws<TException>(string name, Action call)
            where TException : ArgumentException
        {
            Assert.Equal(name, Assert.Throws<TException>(call).ParamName);
            Check<T>.Unchanged(output, sentinel, name);
        }

        Throws<ArgumentOutOfRangeException>("gamma", () => BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(logits, targets, output, gamma: -0.5));
        Throws<ArgumentOutOfRangeException>("gamma", () => BinaryCrossEntropy.FocalFromLogits<T>(logits, targets, output, gamma: double.NaN));
        Throws<ArgumentOutOfRangeException>("alpha", () => BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(logits, targets, output, alpha: double.NaN));
        Throws<ArgumentOutOfRangeException>("normalizer", () => BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(logits, targets, output, normalizer: -1));
        Throws<ArgumentOutOfRangeException>("normalizer", () => BinaryCrossEntropy.FocalFromLogits<T>(logits, targets, normalizer: double.NaN));
        Throws<ArgumentOutOfRangeException>("reduction", () => BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(logits, targets, output, (Reduction)7));
        Throws<ArgumentException>("targets", () => BinaryCrossEntropy.FocalFromLogits<T>(logits, targets.AsSpan(1), output));
        Throws<ArgumentException>("weights", () => BinaryCrossEntropy.FocalFromLogits<T>(logits, targets, output, weights: TestData.To<T>([1, 2, 3])));
        Throws<ArgumentException>("losses", () => BinaryCrossEntropy.FocalFromLogits<T>(logits, targets, output.AsSpan(0, 3)));
        Throws<ArgumentException>("gradient", () => BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(logits, targets, output.AsSpan(0, 3)));
        T[] shared = [.. logits, sentinel];
        Assert.Equal("gradient", Assert.Throws<ArgumentException>(
            () => BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(shared.AsSpan(0, 4), targets, shared.AsSpan(1, 4))).ParamName);
        Check<T>.SameBits([.. logits, sentinel], shared, "partial overlap");
    }

    /// <summary>A batch spread over 1 to 4 forced threads has the bits of one thread; a normalizer divides as it does on one.</summary>
    [Fact]
    public void ThreadsGiveTheSameBits()
    {
        var random = new Random(Seed);
        T[] logits = TestData.To<T>(TestData.Logits(random, 1, 20020));
        T[] targets = TestData.To<T>(TestData.BinaryTargets(random, 20020));
        T[] weights = TestData.To<T>(TestData.Weights(random, 11));
        T[] expected = new T[logits.Length];
        T loss;
        using (Parallelism.Force(1, minChunkElements: 1))
        {
            loss = BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(logits, targets, expected, Reduction.Sum, 2, 0.25, weights, normalizer: 37);
        }

        foreach (int threads in new[] { 2, 3, 4 })
        {
            using (Parallelism.Force(threads, minChunkElements: 1))
            {
                T[] actual = new T[logits.Length];
                Assert.True(Check<T>.SameBits(loss, BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(logits, targets, actual, Reduction.Sum, 2, 0.25, weights, normalizer: 37)));
                Check<T>.SameBits(expected, actual, $"{threads} threads");
            }
        }
    }
}

public sealed class FloatBinaryFocalTests(ITestOutputHelper output) : BinaryFocalTests<float>(output);

public sealed class DoubleBinaryFocalTests(ITestOutputHelper output) : BinaryFocalTests<double>(output);
