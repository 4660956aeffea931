using System;
using System.Linq;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace CrossEntropy.Tests.Activations;

/// <summary>
/// Tests of the <c>temperature</c> overloads of <see cref="CrossEntropy.Activations.Softmax{T}(ReadOnlySpan{T}, Span{T}, int, double)"/>
/// and <see cref="CrossEntropy.Activations.LogSoftmax{T}(ReadOnlySpan{T}, Span{T}, int, double)"/> for one element type. PyTorch's
/// <c>softmax(x / T)</c> rounds each quotient to the tensor's type before the softmax; the reference does the same (in float
/// for Half, which the library computes in), then takes the softmax in double. A second check compares with the exact
/// <c>softmax(x / T)</c> in double on logits of moderate size, where the rounding of the quotients stays small.
/// </summary>
public abstract class TemperatureTests<T>(ITestOutputHelper output)
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private const int Seed = 20261208;

    private static readonly double[] Temperatures = [0.1, 0.5, 0.7, 2, 3.7, 100];

    private static readonly T Sentinel = T.CreateTruncating(42.125);

    private delegate void Operation(ReadOnlySpan<T> x, Span<T> destination, int classes, double temperature);

    private static readonly Operation SoftmaxOperation = CrossEntropy.Activations.Softmax<T>;

    private static readonly Operation LogSoftmaxOperation = CrossEntropy.Activations.LogSoftmax<T>;

    /// <summary>x / temperature rounded as the library divides: in double for double, in float for float and Half.</summary>
    private static double Quotient(T x, double temperature) =>
        typeof(T) == typeof(double)
            ? double.CreateTruncating(x) / temperature
            : float.CreateTruncating(x) / (float)temperature;

    /// <summary>
    /// The reference of one row and each entry's tolerance scale: the magnitude of the result, for softmax times |q - max| / 64
    /// where that is above 1 (the double reference's own q - max is off by half an ulp of it, which exp turns into a relative
    /// error of |q - max| * 2^-53).
    /// </summary>
    private static void Reference(bool log, ReadOnlySpan<double> quotients, Span<double> expected, Span<double> scale)
    {
        double[] result = new double[quotients.Length];
        if (log)
        {
            Infrastructure.Reference.LogSoftmax(quotients, result);
        }
        else
        {
            Infrastructure.Reference.Softmax(quotients, result);
        }

        // For log-probabilities, the log of the sum carries the error of its terms: their mean distance below the maximum, D,
        // times 2^-53 relative, as above; it is the whole of a log-probability near 0.
        double max = quotients.ToArray().Where(double.IsFinite).DefaultIfEmpty(0).Max();
        double terms = 0;
        double weightedDistance = 0;
        bool beside = false;
        foreach (double q in quotients)
        {
            if (q == max && !beside)
            {
                beside = true;
                continue;
            }

            double term = double.IsFinite(q) ? Math.Exp(q - max) : 0;
            terms += term;
            weightedDistance += term > 0 ? term * (max - q) : 0;
        }

        double logSum = Infrastructure.Reference.Log1P(terms);
        double distance = terms > 0 ? weightedDistance / terms : 0;
        for (int i = 0; i < result.Length; i++)
        {
            expected[i] = result[i];
            scale[i] = log ? Math.Abs(result[i]) + logSum * Math.Max(1, distance / 64)
                : result[i] == 0 ? 0 : result[i] * Math.Max(1, (max - quotients[i]) / 64);
        }
    }

    /// <summary>Runs the operation on every width, compares each with the reference on the rounded quotients and the widths with each other.</summary>
    private static void CheckAgainstReference(string name, bool log, ReadOnlySpan<T> x, int classes, double temperature, string context)
    {
        Operation operation = log ? LogSoftmaxOperation : SoftmaxOperation;
        double[] quotients = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            quotients[i] = Quotient(x[i], temperature);
        }

        double[] expected = new double[x.Length];
        double[] scale = new double[x.Length];
        for (int start = 0; start < x.Length; start += classes)
        {
            Reference(log, quotients.AsSpan(start, classes), expected.AsSpan(start, classes), scale.AsSpan(start, classes));
        }

        using BoundedMemory<T> destination = BoundedMemory.Allocate<T>(x.Length);
        T[]? first = null;
        foreach (VectorWidth width in Widths.All)
        {
            destination.Span.Fill(Sentinel);
            using (Widths.Limit(width))
            {
                operation(x, destination.Span, classes, temperature);
            }

            Check<T>.Close(expected, scale, destination.Span, $"{name}, {context}, T = {temperature}, {width}");
            first ??= destination.Span.ToArray();
            Check<T>.SameBits(first, destination.Span, $"{name}, {context}, T = {temperature}, {width} against {Widths.All[0]}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Temperature_EveryRowLength_MatchesRoundedQuotients(bool log)
    {
        var random = new Random(Seed + (log ? 1 : 0));
        foreach (int classes in Enumerable.Range(1, 70).Concat([127, 128, 129, 1000]))
        {
            using BoundedMemory<T> x = BoundedMemory.Holding<T>(TestData.Logits(random, 3, classes, negativeInfinity: classes % 4 == 0));
            double temperature = Temperatures[classes % Temperatures.Length];
            CheckAgainstReference(log ? "LogSoftmax" : "Softmax", log, x.Span, classes, temperature, $"classes {classes}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Temperature_SpecialValues_FollowPyTorch(bool log)
    {
        var random = new Random(Seed + 2);
        foreach (int classes in new[] { 1, 3, 8, 16, 17, 40 })
        {
            using BoundedMemory<T> x = BoundedMemory.Holding<T>(TestData.SpecialLogits<T>(random, 16, classes));
            foreach (double temperature in new[] { 1e-3, 0.5, 4 })
            {
                CheckAgainstReference(log ? "LogSoftmax" : "Softmax", log, x.Span, classes, temperature, $"classes {classes}");
            }
        }

        // A quotient that overflows is +infinity, which makes its row NaN, as in PyTorch; Half's quotients, in float, do not overflow.
        T[] large = [T.MaxValue, T.Zero, T.One, T.One];
        CheckAgainstReference(log ? "LogSoftmax" : "Softmax", log, large, 2, 0.25, "the largest value");
        T[] result = new T[4];
        (log ? LogSoftmaxOperation : SoftmaxOperation)(large, result, 2, 0.25);
        Assert.Equal(typeof(T) != typeof(Half), T.IsNaN(result[0]) && T.IsNaN(result[1]));
    }

    /// <summary>Against the exact softmax(x / T) in double, on logits within +-16; reports the largest relative error.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Temperature_ModerateLogits_MatchExactQuotients(bool log)
    {
        var random = new Random(Seed + 3);
        double maxError = 0;
        foreach (int classes in new[] { 1, 7, 16, 33, 100, 1000 })
        {
            foreach (double temperature in Temperatures)
            {
                T[] x = TestData.To<T>(TestData.Uniform(random, 4 * classes, 16));
                T[] actual = new T[x.Length];
                (log ? LogSoftmaxOperation : SoftmaxOperation)(x, actual, classes, temperature);
                for (int start = 0; start < x.Length; start += classes)
                {
                    double[] quotients = x.AsSpan(start, classes).ToArray().Select(v => double.CreateTruncating(v) / temperature).ToArray();
                    double[] expected = new double[classes];
                    double[] scale = new double[classes];
                    Reference(log, quotients, expected, scale);
                    for (int i = 0; i < classes; i++)
                    {
                        double error = Math.Abs(double.CreateTruncating(actual[start + i]) - expected[i]) / Math.Max(Math.Abs(expected[i]), Tolerance<T>.MinNormal);

                        // On top of the usual tolerance: the rounding of the quotients (half an ulp of |x / T| <= 16 / T in the
                        // computation type) and of the double reference's own q - max, which both the softmax and the log of
                        // its sum can double: a relative error for probabilities, an absolute one for log-probabilities.
                        double unit = typeof(T) == typeof(double) ? Math.ScaleB(1, -53) : Math.ScaleB(1, -24);
                        double perturbation = 2 * (unit + Math.ScaleB(1, -53)) * 16 / temperature;
                        double allowed = Tolerance<T>.Relative + (log ? perturbation / Math.Max(Math.Abs(expected[i]), 1e-300) : perturbation);
                        That.Holds(error <= allowed, $"classes {classes}, T = {temperature}, index {i}: expected {expected[i]:R}, actual {actual[start + i]:R}, error {error:G3} > {allowed:G3}");
                        maxError = Math.Max(maxError, error);
                    }
                }
            }
        }

        output.WriteLine($"{(log ? "LogSoftmax" : "Softmax")} with temperature, {typeof(T).Name}, logits within +-16: largest relative error {maxError:G3} against the exact double softmax(x / T)");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Temperature_One_IsBitwiseThePlainOverload(bool log)
    {
        var random = new Random(Seed + 4);
        foreach (int classes in new[] { 1, 5, 16, 17, 64, 300 })
        {
            T[] x = TestData.To<T>(TestData.Logits(random, 7, classes, negativeInfinity: true));
            foreach (VectorWidth width in Widths.All)
            {
                T[] plain = new T[x.Length];
                T[] withOne = new T[x.Length];
                using (Widths.Limit(width))
                {
                    if (log)
                    {
                        CrossEntropy.Activations.LogSoftmax<T>(x, plain, classes);
                    }
                    else
                    {
                        CrossEntropy.Activations.Softmax<T>(x, plain, classes);
                    }

                    (log ? LogSoftmaxOperation : SoftmaxOperation)(x, withOne, classes, 1);
                }

                Check<T>.SameBits(plain, withOne, $"classes {classes}, {width}");
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Temperature_InPlaceAndThreads_GiveTheSameBits(bool log)
    {
        Operation operation = log ? LogSoftmaxOperation : SoftmaxOperation;
        var random = new Random(Seed + 5);
        const int classes = 41;
        const int rows = 300;
        double[] values = TestData.Logits(random, rows, classes, negativeInfinity: true);
        T[] single = new T[values.Length];
        using (Parallelism.Force(1))
        {
            operation(TestData.To<T>(values), single, classes, 0.7);
        }

        foreach (VectorWidth width in Widths.All)
        {
            using BoundedMemory<T> x = BoundedMemory.Holding<T>(values);
            using (Widths.Limit(width))
            {
                operation(x.Span, x.Span, classes, 0.7);
            }

            Check<T>.SameBits(single, x.Span, $"in place, {width}");
        }

        foreach (int threads in new[] { 2, 3, 8 })
        {
            T[] parallel = new T[values.Length];
            using (Parallelism.Force(threads, minChunkElements: classes * 13))
            {
                operation(TestData.To<T>(values), parallel, classes, 0.7);
            }

            Check<T>.SameBits(single, parallel, $"{threads} threads");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Temperature_InvalidArguments_ThrowWithoutWriting(bool log)
    {
        Operation operation = log ? LogSoftmaxOperation : SoftmaxOperation;
        T[] x = TestData.To<T>([1, 2, 3, 4, 5, 6]);
        T[] destination = Enumerable.Repeat(Sentinel, 6).ToArray();

        void Rejects<TException>(string name, Action call)
            where TException : ArgumentException
        {
            Assert.Equal(name, Assert.Throws<TException>(call).ParamName);
            Check<T>.Unchanged(destination, Sentinel, name);
        }

        bool inFloat = typeof(T) != typeof(double);
        double[] invalid = inFloat ? [0, -0.0, -1, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e-50, 1e300] : [0, -0.0, -1, double.NaN, double.PositiveInfinity, double.NegativeInfinity];
        foreach (double temperature in invalid)
        {
            Rejects<ArgumentOutOfRangeException>("temperature", () => operation(x, destination, 3, temperature));
        }

        Rejects<ArgumentOutOfRangeException>("classes", () => operation(x, destination, 0, 2));
        Rejects<ArgumentException>("x", () => operation(x, destination, 4, 2));
        Rejects<ArgumentException>("destination", () => operation(x, destination.AsSpan(0, 5), 3, 2));
        Rejects<ArgumentException>("destination", () => operation(destination.AsSpan(0, 5), destination.AsSpan(1, 5), 5, 2));
    }
}

public sealed class FloatTemperatureTests(ITestOutputHelper output) : TemperatureTests<float>(output);

public sealed class DoubleTemperatureTests(ITestOutputHelper output) : TemperatureTests<double>(output);

public sealed class HalfTemperatureTests(ITestOutputHelper output) : TemperatureTests<Half>(output);
