using System;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Activations;

/// <summary>
/// <see cref="CrossEntropy.Activations.LogAddExp{T}"/> against a double reference of torch.logaddexp, on every SIMD width,
/// in guarded memory.
/// </summary>
public abstract class LogAddExpTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private const int Seed = 20261206;

    private static readonly T Sentinel = T.CreateTruncating(42.125);

    /// <summary>log(e^x + e^y) with torch.logaddexp's rules: NaN in either is NaN; otherwise the larger plus log1p(e^-|x - y|).</summary>
    private static double Reference(double x, double y, out double scale)
    {
        scale = 0;
        if (double.IsNaN(x) || double.IsNaN(y))
        {
            return double.NaN;
        }

        double max = Math.Max(x, y);
        if (double.IsInfinity(max) || double.IsNegativeInfinity(Math.Min(x, y)))
        {
            // +infinity wins; both -infinity is -infinity; one -infinity leaves the other.
            return max;
        }

        double log1p = Infrastructure.Reference.Log1P(Math.Exp(-Math.Abs(x - y)));
        scale = Math.Abs(max) + log1p;
        return max + log1p;
    }

    private static void CompareWithReference(ReadOnlySpan<T> x, ReadOnlySpan<T> y, VectorWidth[] widths, string context)
    {
        double[] expected = new double[x.Length];
        double[] scale = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            expected[i] = Reference(double.CreateTruncating(x[i]), double.CreateTruncating(y[i]), out scale[i]);
        }

        using BoundedMemory<T> destination = BoundedMemory.Allocate<T>(x.Length);
        foreach (VectorWidth width in widths)
        {
            destination.Span.Fill(Sentinel);
            using (Widths.Limit(width))
            {
                CrossEntropy.Activations.LogAddExp(x, y, destination.Span);
            }

            Check<T>.Close(expected, scale, destination.Span, $"{context}, {width}");
        }
    }

    [Fact]
    public void EveryLength_MatchesReference()
    {
        var random = new Random(Seed);
        for (int length = 0; length <= 256; length++)
        {
            using BoundedMemory<T> x = BoundedMemory.Holding<T>(TestData.MixedScales(random, length));
            using BoundedMemory<T> y = BoundedMemory.Holding<T>(TestData.MixedScales(random, length));
            CompareWithReference(x.Span, y.Span, Widths.ForCase(length), $"length {length}");
        }
    }

    /// <summary>Pairs equal, a few ulps apart, and far apart (where e^-|x - y| is subnormal or 0), around 0 and at +-1e4.</summary>
    [Fact]
    public void NearAndFarPairs_MatchReference()
    {
        var random = new Random(Seed + 1);
        double[] gaps = [0, 1e-6, 1e-3, 0.5, 1, 20, 80, 87.5, 100, 700, 745, 1e4];
        int length = gaps.Length * 16;
        double[] x = new double[length];
        double[] y = new double[length];
        for (int i = 0; i < length; i++)
        {
            double centre = (2 * random.NextDouble() - 1) * (i % 2 == 0 ? 1 : 1e4);
            x[i] = centre;
            y[i] = centre + (i % 3 == 0 ? -1 : 1) * gaps[i / 16];
        }

        using BoundedMemory<T> xs = BoundedMemory.Holding<T>(x);
        using BoundedMemory<T> ys = BoundedMemory.Holding<T>(y);
        CompareWithReference(xs.Span, ys.Span, Widths.All, "near and far pairs");
    }

    /// <summary>Published values: log(2) at 0, 1000 + log(2) at 1000 (where e^1000 overflows), and the larger where the gap is huge.</summary>
    [Fact]
    public void KnownValues()
    {
        (double X, double Y, double Expected)[] cases =
        [
            (0, 0, 0.69314718055994531),
            (1000, 1000, 1000.6931471805599),
            (-1000, -1000, -999.30685281944006),
            (1, 2, 2.3132616875182228),
            (1e4, -1e4, 1e4),
            (-50, 0, 1.9287498479639178e-22),
        ];
        foreach ((double x, double y, double expected) in cases)
        {
            T[] result = new T[1];
            CrossEntropy.Activations.LogAddExp<T>([T.CreateTruncating(x)], [T.CreateTruncating(y)], result);
            Check<T>.Close(expected, result[0], $"LogAddExp({x}, {y})");
        }
    }

    /// <summary>Every pair of special values (NaN, infinities, signed zeros, subnormals, the extremes) and a few finite values.</summary>
    [Fact]
    public void SpecialValues_FollowPyTorch()
    {
        T[] values = [.. TestData.Specials<T>(), T.One, -T.CreateTruncating(3.5), T.CreateTruncating(20)];
        int length = values.Length * values.Length;
        using BoundedMemory<T> x = BoundedMemory.Allocate<T>(length);
        using BoundedMemory<T> y = BoundedMemory.Allocate<T>(length);
        for (int i = 0; i < length; i++)
        {
            x.Span[i] = values[i / values.Length];
            y.Span[i] = values[i % values.Length];
        }

        CompareWithReference(x.Span, y.Span, Widths.All, "special values");

        T[] result = new T[4];
        CrossEntropy.Activations.LogAddExp<T>(
            [T.NegativeInfinity, T.PositiveInfinity, T.PositiveInfinity, T.NaN],
            [T.NegativeInfinity, T.PositiveInfinity, T.NegativeInfinity, T.PositiveInfinity],
            result);
        Assert.Equal(T.NegativeInfinity, result[0]);
        Assert.Equal(T.PositiveInfinity, result[1]);
        Assert.Equal(T.PositiveInfinity, result[2]);
        Assert.True(T.IsNaN(result[3]));
    }

    /// <summary>The destination as x or as y gives the bits of a separate destination, on every width and every tail.</summary>
    [Fact]
    public void InPlace_IsBitwiseOutOfPlace()
    {
        var random = new Random(Seed + 2);
        foreach (int length in new[] { 1, 7, 16, 33, 100, 257 })
        {
            T[] x = TestData.To<T>(TestData.MixedScales(random, length));
            T[] y = TestData.To<T>(TestData.MixedScales(random, length));
            foreach (VectorWidth width in Widths.All)
            {
                using (Widths.Limit(width))
                {
                    T[] expected = new T[length];
                    CrossEntropy.Activations.LogAddExp<T>(x, y, expected);
                    T[] overX = (T[])x.Clone();
                    CrossEntropy.Activations.LogAddExp<T>(overX, y, overX);
                    T[] overY = (T[])y.Clone();
                    CrossEntropy.Activations.LogAddExp<T>(x, overY, overY);
                    Check<T>.SameBits(expected, overX, $"over x, length {length}, {width}");
                    Check<T>.SameBits(expected, overY, $"over y, length {length}, {width}");
                }
            }
        }
    }

    /// <summary>Every width gives the bits of the widest, and a batch split over threads the bits of one thread.</summary>
    [Fact]
    public void WidthsAndThreads_GiveTheSameBits()
    {
        var random = new Random(Seed + 3);
        int length = 5000 + 37;
        T[] x = TestData.To<T>(TestData.MixedScales(random, length, specials: true));
        T[] y = TestData.To<T>(TestData.MixedScales(random, length, specials: true));
        T[] expected = new T[length];
        using (Parallelism.Force(1))
        {
            CrossEntropy.Activations.LogAddExp<T>(x, y, expected);
        }

        foreach (VectorWidth width in Widths.All)
        {
            T[] actual = new T[length];
            using (Widths.Limit(width))
            using (Parallelism.Force(4, minChunkElements: 256))
            {
                CrossEntropy.Activations.LogAddExp<T>(x, y, actual);
            }

            Check<T>.SameBits(expected, actual, $"{width}, 4 threads");
        }
    }

    [Fact]
    public void InvalidArguments_ThrowWithoutWriting()
    {
        T[] memory = new T[40];
        ReadOnlySpan<T> x = new T[16];
        ReadOnlySpan<T> y = new T[16];

        void Rejects(string name, Action<T[]> call)
        {
            memory.AsSpan().Fill(Sentinel);
            ArgumentException exception = Assert.ThrowsAny<ArgumentException>(() => call(memory));
            Assert.Equal(name, exception.ParamName);
            Check<T>.Unchanged(memory, Sentinel, $"{name} rejected");
        }

        T[] xs = x.ToArray();
        T[] ys = y.ToArray();
        Rejects("y", m => CrossEntropy.Activations.LogAddExp<T>(xs, ys.AsSpan(0, 15), m));
        Rejects("y", m => CrossEntropy.Activations.LogAddExp<T>(xs.AsSpan(0, 15), ys, m));
        Rejects("destination", m => CrossEntropy.Activations.LogAddExp<T>(xs, ys, m.AsSpan(0, 15)));
        Rejects("destination", m => CrossEntropy.Activations.LogAddExp<T>(m.AsSpan(0, 16), ys, m.AsSpan(1, 16)));
        Rejects("destination", m => CrossEntropy.Activations.LogAddExp<T>(xs, m.AsSpan(4, 16), m.AsSpan(0, 16)));
        Rejects("destination", m => CrossEntropy.Activations.LogAddExp<T>(m.AsSpan(0, 16), m.AsSpan(20, 16), m.AsSpan(18, 16)));
    }

    /// <summary>A longer destination keeps its elements past the input's length.</summary>
    [Fact]
    public void LongerDestination_KeepsItsTail()
    {
        T[] destination = new T[20];
        destination.AsSpan().Fill(Sentinel);
        CrossEntropy.Activations.LogAddExp<T>(new T[17], new T[17], destination);
        Check<T>.Unchanged(destination.AsSpan(17), Sentinel, "past the input");
        Check<T>.Close(Math.Log(2), destination[16], "LogAddExp(0, 0)");
    }
}

public sealed class FloatLogAddExpTests : LogAddExpTests<float>;

public sealed class DoubleLogAddExpTests : LogAddExpTests<double>;

public sealed class HalfLogAddExpTests : LogAddExpTests<Half>;
