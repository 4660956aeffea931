using System;
using System.Linq;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace CrossEntropy.Tests.Activations;

/// <summary>
/// Tests of the masked <see cref="CrossEntropy.Activations.Softmax{T}(ReadOnlySpan{T}, ReadOnlySpan{bool}, Span{T}, int)"/> for
/// one element type, against a double reference written from its definition: <c>softmax(x.masked_fill(~mask, -inf))</c>, a row
/// with no kept entry above -infinity all 0. Inputs and outputs live in guarded memory; every check runs on every SIMD width.
/// </summary>
public abstract class MaskedSoftmaxTests<T>(ITestOutputHelper output)
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private const int Seed = 20261207;

    private static readonly T Sentinel = T.CreateTruncating(42.125);

    /// <summary>
    /// The masked softmax of one row, in double from the formula, and the scale of each entry's tolerance: its magnitude,
    /// times |x - max| / 64 where that is above 1, as the double reference's own x - max is off by up to half an ulp of it,
    /// which exp turns into a relative error of |x - max| * 2^-53.
    /// </summary>
    private static double[] Reference(ReadOnlySpan<double> row, ReadOnlySpan<bool> mask, Span<double> scale)
    {
        double[] filled = new double[row.Length];
        bool live = false;
        for (int i = 0; i < row.Length; i++)
        {
            filled[i] = mask[i] ? row[i] : double.NegativeInfinity;
            live |= mask[i] && !double.IsNegativeInfinity(row[i]);
        }

        double[] result = new double[row.Length];
        if (!live)
        {
            return result;
        }

        if (filled.Any(v => double.IsNaN(v) || double.IsPositiveInfinity(v)))
        {
            Array.Fill(result, double.NaN);
            return result;
        }

        double max = filled.Max();
        double sum = 0;
        for (int i = 0; i < row.Length; i++)
        {
            sum += Math.Exp(filled[i] - max);
        }

        for (int i = 0; i < row.Length; i++)
        {
            result[i] = Math.Exp(filled[i] - max) / sum;
            scale[i] = result[i] == 0 ? 0 : result[i] * Math.Max(1, (max - filled[i]) / 64);
        }

        return result;
    }

    /// <summary>Masks of one kind per row: random, all kept, none kept, a kept prefix (padding), a single kept entry.</summary>
    private static bool[] Masks(Random random, int rows, int classes)
    {
        bool[] mask = new bool[rows * classes];
        for (int row = 0; row < rows; row++)
        {
            Span<bool> span = mask.AsSpan(row * classes, classes);
            int kind = random.Next(5);
            int prefix = random.Next(classes + 1);
            int single = random.Next(classes);
            for (int i = 0; i < classes; i++)
            {
                span[i] = kind switch
                {
                    0 => random.Next(2) == 0,
                    1 => true,
                    2 => false,
                    3 => i < prefix,
                    _ => i == single,
                };
            }
        }

        return mask;
    }

    /// <summary>Runs the masked softmax on every width, checks each against the reference and the widths against each other; returns the largest relative error.</summary>
    private static double CheckAgainstReference(ReadOnlySpan<T> x, ReadOnlySpan<bool> mask, int classes, string context)
    {
        int rows = x.Length / classes;
        double[] values = TestData.ToDouble<T>(x);
        double[] expected = new double[x.Length];
        double[] scale = new double[x.Length];
        for (int row = 0; row < rows; row++)
        {
            ReadOnlySpan<bool> rowMask = mask.Length == classes ? mask : mask.Slice(row * classes, classes);
            Reference(values.AsSpan(row * classes, classes), rowMask, scale.AsSpan(row * classes, classes)).CopyTo(expected, row * classes);
        }

        double maxError = 0;
        using BoundedMemory<T> destination = BoundedMemory.Allocate<T>(x.Length);
        using BoundedMemory<bool> guardedMask = BoundedMemory.Allocate<bool>(mask.Length);
        mask.CopyTo(guardedMask.Span);
        T[]? first = null;
        foreach (VectorWidth width in Widths.All)
        {
            destination.Span.Fill(Sentinel);
            using (Widths.Limit(width))
            {
                CrossEntropy.Activations.Softmax(x, guardedMask.Span, destination.Span, classes);
            }

            Check<T>.Close(expected, scale, destination.Span, $"{context}, {width}");
            for (int i = 0; i < expected.Length; i++)
            {
                if (Math.Abs(expected[i]) >= Tolerance<T>.MinNormal)
                {
                    maxError = Math.Max(maxError, Math.Abs(double.CreateTruncating(destination.Span[i]) - expected[i]) / scale[i]);
                }
            }

            first ??= destination.Span.ToArray();
            Check<T>.SameBits(first, destination.Span, $"{context}, {width} against {Widths.All[0]}");
        }

        return maxError;
    }

    [Fact]
    public void MaskedSoftmax_EveryRowLength_MatchesReference()
    {
        var random = new Random(Seed);
        double maxError = 0;
        foreach (int classes in Enumerable.Range(1, 70).Concat([127, 128, 129, 1000]))
        {
            int rows = classes == 1000 ? 6 : 5;
            using BoundedMemory<T> x = BoundedMemory.Holding<T>(TestData.Logits(random, rows, classes, negativeInfinity: classes % 3 == 0));
            maxError = Math.Max(maxError, CheckAgainstReference(x.Span, Masks(random, rows, classes), classes, $"classes {classes}"));
            bool[] shared = Masks(random, 1, classes);
            maxError = Math.Max(maxError, CheckAgainstReference(x.Span, shared, classes, $"classes {classes}, one row's mask"));
        }

        output.WriteLine($"masked softmax, {typeof(T).Name}: largest relative error {maxError:G3} against the double reference (for |x - max| > 64, relative to |x - max| / 64 times the value)");
    }

    [Fact]
    public void MaskedSoftmax_AllKept_IsBitwisePlainSoftmax()
    {
        var random = new Random(Seed + 1);
        foreach (int classes in new[] { 1, 5, 16, 17, 64, 300 })
        {
            T[] x = TestData.To<T>(TestData.Logits(random, 7, classes));
            bool[] mask = Enumerable.Repeat(true, classes).ToArray();
            foreach (VectorWidth width in Widths.All)
            {
                T[] plain = new T[x.Length];
                T[] masked = new T[x.Length];
                using (Widths.Limit(width))
                {
                    CrossEntropy.Activations.Softmax<T>(x, plain, classes);
                    CrossEntropy.Activations.Softmax<T>(x, mask, masked, classes);
                }

                Check<T>.SameBits(plain, masked, $"classes {classes}, {width}");
            }
        }
    }

    [Fact]
    public void MaskedSoftmax_InPlace_IsBitwiseOutOfPlace()
    {
        var random = new Random(Seed + 2);
        foreach (int classes in new[] { 1, 3, 16, 33, 100 })
        {
            double[] values = TestData.Logits(random, 9, classes, negativeInfinity: true);
            bool[] mask = Masks(random, 9, classes);
            foreach (VectorWidth width in Widths.All)
            {
                using BoundedMemory<T> x = BoundedMemory.Holding<T>(values);
                T[] separate = new T[values.Length];
                using (Widths.Limit(width))
                {
                    CrossEntropy.Activations.Softmax<T>(x.Span, mask, separate, classes);
                    CrossEntropy.Activations.Softmax(x.Span, mask, x.Span, classes);
                }

                Check<T>.SameBits(separate, x.Span, $"classes {classes}, {width}");
            }
        }
    }

    /// <summary>
    /// NaN, infinities and signed zeros kept and masked out, rows masked down to one entry and rows with nothing kept; rows
    /// of up to a block, longer ones masked as the row before ends, and rows too long for that (2100 classes).
    /// </summary>
    [Fact]
    public void MaskedSoftmax_SpecialValues_FollowDefinition()
    {
        T[] specials = TestData.Specials<T>();
        var random = new Random(Seed + 3);
        double maxError = 0;
        foreach (int classes in new[] { 1, 2, 7, 16, 17, 40, 2100 })
        {
            const int rows = 24;
            double[] values = TestData.Uniform(random, rows * classes, 10);
            for (int i = 0; i < values.Length; i++)
            {
                if (random.Next(6) == 0)
                {
                    values[i] = double.CreateTruncating(specials[random.Next(specials.Length)]);
                }
            }

            using BoundedMemory<T> x = BoundedMemory.Holding<T>(values);
            maxError = Math.Max(maxError, CheckAgainstReference(x.Span, Masks(random, rows, classes), classes, $"classes {classes}"));
        }

        // By hand: a masked-out NaN and +infinity are ignored, a kept one makes the row NaN, kept -infinity alone gives 0.
        T nan = T.NaN;
        T inf = T.PositiveInfinity;
        T[] rowsByHand = [nan, inf, T.One, T.One, nan, T.One, T.Zero, T.NegativeInfinity, T.NegativeInfinity, T.NegativeInfinity, T.One, T.One];
        bool[] maskByHand = [false, false, true, true, true, true, false, true, true, true, false, false];
        T[] result = new T[rowsByHand.Length];
        CrossEntropy.Activations.Softmax<T>(rowsByHand, maskByHand, result, 4);
        T half = T.CreateTruncating(0.5);
        Check<T>.SameBits([T.Zero, T.Zero, half, half, nan, nan, nan, nan, T.Zero, T.Zero, T.Zero, T.Zero], result, "by hand");
    }

    [Fact]
    public void MaskedSoftmax_FullyMaskedRow_HasZeroGradient()
    {
        T[] x = TestData.To<T>([1, 2, 3, -1, 5, 0.5]);
        bool[] mask = [true, false, true, false, false, false];
        T[] y = new T[6];
        CrossEntropy.Activations.Softmax<T>(x, mask, y, 3);
        T[] gradient = new T[6];
        CrossEntropy.Activations.SoftmaxBackward<T>(y, TestData.To<T>([0.3, -2, 7, 1e3, -4, 0.25]), gradient, 3);
        Assert.All(gradient[3..], g => Assert.Equal(T.Zero, g));
        Assert.True(gradient[0] != T.Zero && gradient[1] == T.Zero);
    }

    [Fact]
    public void MaskedSoftmax_ManyThreads_MatchOneThread()
    {
        const int classes = 45;
        const int rows = 300;
        var random = new Random(Seed + 4);
        T[] x = TestData.To<T>(TestData.Logits(random, rows, classes, negativeInfinity: true));
        bool[] mask = Masks(random, rows, classes);
        T[] single = new T[x.Length];
        using (Parallelism.Force(1))
        {
            CrossEntropy.Activations.Softmax<T>(x, mask, single, classes);
        }

        foreach (int threads in new[] { 2, 3, 8 })
        {
            T[] parallel = new T[x.Length];
            using (Parallelism.Force(threads, minChunkElements: classes * 11))
            {
                CrossEntropy.Activations.Softmax<T>(x, mask, parallel, classes);
            }

            Check<T>.SameBits(single, parallel, $"{threads} threads");
        }
    }

    [Fact]
    public void MaskedSoftmax_InvalidArguments_ThrowWithoutWriting()
    {
        T[] x = TestData.To<T>([1, 2, 3, 4, 5, 6]);
        bool[] mask = [true, false, true, true, true, false];
        T[] destination = Enumerable.Repeat(Sentinel, 8).ToArray();

        void Rejects<TException>(string name, Action call)
            where TException : ArgumentException
        {
            Assert.Equal(name, Assert.Throws<TException>(call).ParamName);
            Check<T>.Unchanged(destination, Sentinel, name);
        }

        Rejects<ArgumentOutOfRangeException>("classes", () => CrossEntropy.Activations.Softmax<T>(x, mask, destination, 0));
        Rejects<ArgumentOutOfRangeException>("classes", () => CrossEntropy.Activations.Softmax<T>(x, mask, destination, -3));
        Rejects<ArgumentException>("x", () => CrossEntropy.Activations.Softmax<T>(x, mask, destination, 4));
        Rejects<ArgumentException>("mask", () => CrossEntropy.Activations.Softmax<T>(x, mask.AsSpan(0, 5), destination, 3));
        Rejects<ArgumentException>("mask", () => CrossEntropy.Activations.Softmax<T>(x, mask.AsSpan(0, 2), destination, 3));
        Rejects<ArgumentException>("mask", () => CrossEntropy.Activations.Softmax<T>(x, [], destination, 3));
        Rejects<ArgumentException>("destination", () => CrossEntropy.Activations.Softmax<T>(x, mask, destination.AsSpan(0, 5), 3));
        Rejects<ArgumentException>("destination", () => CrossEntropy.Activations.Softmax<T>(destination.AsSpan(0, 6), mask, destination.AsSpan(1, 6), 3));
        Rejects<ArgumentException>("destination", () => CrossEntropy.Activations.Softmax<T>(destination.AsSpan(2, 6), mask, destination.AsSpan(0, 6), 3));

        // A destination over the mask's memory.
        byte[] bytes = new byte[64];
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => CrossEntropy.Activations.Softmax<T>(
            x, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, bool>(bytes.AsSpan(0, 6)),
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(bytes.AsSpan(0, 48)), 3)).ParamName);
        Assert.All(bytes, b => Assert.Equal(0, b));
    }
}

public sealed class FloatMaskedSoftmaxTests(ITestOutputHelper output) : MaskedSoftmaxTests<float>(output);

public sealed class DoubleMaskedSoftmaxTests(ITestOutputHelper output) : MaskedSoftmaxTests<double>(output);

public sealed class HalfMaskedSoftmaxTests(ITestOutputHelper output) : MaskedSoftmaxTests<Half>(output);
