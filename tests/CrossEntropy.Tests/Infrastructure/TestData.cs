using System;
using System.Numerics;

namespace CrossEntropy.Tests.Infrastructure;

/// <summary>
/// The inputs of the tests, drawn in double from the <see cref="Random"/> passed in (a seeded one gives the same data on every
/// run) and rounded to the element type under test with <see cref="To{T}"/>; and the special values of each element type.
/// </summary>
internal static class TestData
{
    /// <summary>The scales of logits, from rows that are nearly uniform to rows that saturate.</summary>
    private static readonly double[] Scales = [1e-3, 1, 10, 100, 1e3, 1e4];

    /// <summary>Values uniform in [-<paramref name="bound"/>, <paramref name="bound"/>].</summary>
    public static double[] Uniform(Random random, int length, double bound)
    {
        double[] values = new double[length];
        Fill(random, values, bound, 0);
        return values;
    }

    /// <summary>
    /// Values uniform in [-b, b], b drawn per value from 1e-3 to 1e4, so that element-wise functions reach their saturated and
    /// subnormal ranges; with <paramref name="specials"/>, about one value in 64 is an infinity, a signed zero or NaN.
    /// </summary>
    public static double[] MixedScales(Random random, int length, bool specials = false)
    {
        double[] values = new double[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = Symmetric(random, Scales[random.Next(Scales.Length)]);
            if (specials && random.Next(64) == 0)
            {
                values[i] = random.Next(5) switch
                {
                    0 => double.PositiveInfinity,
                    1 => double.NegativeInfinity,
                    2 => 0.0,
                    3 => -0.0,
                    _ => double.NaN,
                };
            }
        }

        return values;
    }

    /// <summary>
    /// Rows of logits within +-1e4, each of one kind: one scale from 1e-3 to 1e4 (shifted by up to that scale in a third of
    /// these rows); a scale per value; a tiny spread (a few float ulps, or a few thousand double ulps) around a value up to
    /// 1e4; or noise of 30 around a value up to 1e4. With <paramref name="negativeInfinity"/>, about one class in eight of a
    /// row is -infinity, never the class kept finite: <c>keep[row]</c>, or one at random where that is -1 or there is no keep.
    /// </summary>
    public static double[] Logits(Random random, int rows, int classes, bool negativeInfinity = false, int[]? keep = null)
    {
        double[] values = new double[rows * classes];
        for (int row = 0; row < rows; row++)
        {
            Span<double> span = values.AsSpan(row * classes, classes);
            int kind = random.Next(10);
            if (kind < 5)
            {
                double scale = Scales[random.Next(Scales.Length)];
                Fill(random, span, scale, random.Next(3) == 0 ? Symmetric(random, scale) : 0);
            }
            else if (kind < 7)
            {
                MixedScales(random, classes).CopyTo(span);
            }
            else if (kind < 9)
            {
                double center = Symmetric(random, 1e4);
                Fill(random, span, Math.Max(Math.Abs(center), 1) * (random.Next(2) == 0 ? 1e-7 : 1e-12), center);
            }
            else
            {
                Fill(random, span, 30, Symmetric(random, 1e4));
            }

            if (negativeInfinity && classes > 1)
            {
                int kept = keep is null || keep[row] < 0 ? random.Next(classes) : keep[row];
                for (int i = 0; i < classes; i++)
                {
                    if (i != kept && random.Next(8) == 0)
                    {
                        span[i] = double.NegativeInfinity;
                    }
                }
            }
        }

        return values;
    }

    /// <summary>
    /// Rows with special values, each row its own kind: NaN, +infinity, only -infinity, signed zeros, the extremes of
    /// <typeparamref name="T"/>, subnormals, or ordinary values.
    /// </summary>
    public static double[] SpecialLogits<T>(Random random, int rows, int classes)
        where T : IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        double max = double.CreateTruncating(T.MaxValue);
        double epsilon = double.CreateTruncating(T.Epsilon);
        double[] values = new double[rows * classes];
        for (int row = 0; row < rows; row++)
        {
            Span<double> span = values.AsSpan(row * classes, classes);
            Fill(random, span, 10, 0);
            int at = random.Next(classes);
            switch (row % 8)
            {
                case 0:
                    span[at] = double.NaN;
                    break;
                case 1:
                    span[at] = double.PositiveInfinity;
                    break;
                case 2:
                    span.Fill(double.NegativeInfinity);
                    break;
                case 3:
                    for (int i = 0; i < span.Length; i++)
                    {
                        span[i] = random.Next(2) == 0 ? 0.0 : -0.0;
                    }

                    break;
                case 4:
                    span[at] = max;
                    span[(at + 1) % classes] = -max;
                    break;
                case 5:
                    for (int i = 0; i < span.Length; i++)
                    {
                        span[i] = epsilon * random.Next(-3, 4);
                    }

                    break;
                case 6:
                    span[at] = -max;
                    break;
                default:
                    break;
            }
        }

        return values;
    }

    /// <summary>NaN, the infinities, signed zeros, subnormals and the largest finite values of <typeparamref name="T"/>.</summary>
    public static T[] Specials<T>()
        where T : IFloatingPointIeee754<T>, IMinMaxValue<T> =>
    [
        T.NaN, T.PositiveInfinity, T.NegativeInfinity, T.Zero, T.NegativeZero,
        T.Epsilon, -T.Epsilon, T.Epsilon * T.CreateTruncating(3), T.MaxValue, T.MinValue,
    ];

    /// <summary><see cref="Specials{T}"/> without NaN and +infinity: rows made of these keep finite maxima, or are only -infinity.</summary>
    public static T[] FiniteSpecials<T>()
        where T : IFloatingPointIeee754<T>, IMinMaxValue<T> =>
    [
        T.NegativeInfinity, T.Zero, T.NegativeZero, T.Epsilon, -T.Epsilon, T.MaxValue, T.MinValue,
    ];

    /// <summary>
    /// Rows of probabilities, each of one kind: a softmax of logits at a scale from 0.1 to 100 with about one class in ten
    /// exactly 0 (never all); or values in [0, 1], one in fifty exactly 0, one in fifty exactly 1 and one in fifty below 1e-6,
    /// scaled to sum to 1 in half of these rows (the losses take rows as they are, without renormalising).
    /// </summary>
    public static double[] Probabilities(Random random, int rows, int classes)
    {
        ReadOnlySpan<double> scales = [0.1, 1, 10, 100];
        double[] result = new double[rows * classes];
        for (int row = 0; row < rows; row++)
        {
            Span<double> values = result.AsSpan(row * classes, classes);
            if (random.Next(3) == 0)
            {
                Fill(random, values, scales[random.Next(scales.Length)], 0);
                int kept = random.Next(classes);
                for (int c = 0; c < classes; c++)
                {
                    if (c != kept && random.Next(10) == 0)
                    {
                        values[c] = double.NegativeInfinity;
                    }
                }

                Reference.Softmax(values, values);
                continue;
            }

            for (int c = 0; c < classes; c++)
            {
                values[c] = random.Next(50) switch
                {
                    0 => 0,
                    1 => 1,
                    2 => 1e-6 * random.NextDouble(),
                    _ => random.NextDouble(),
                };
            }

            if (random.Next(2) == 0)
            {
                Normalize(values);
            }
        }

        return result;
    }

    /// <summary>The logs of <see cref="Probabilities"/> (-infinity where the probability is 0), for the log-softmax backward pass.</summary>
    public static double[] LogProbabilities(Random random, int rows, int classes) =>
        Array.ConvertAll(Probabilities(random, rows, classes), Math.Log);

    /// <summary>
    /// Soft targets: one-hot rows, rows summing to 1 with some zero entries, and rows that do not sum to 1; zero wherever
    /// <paramref name="logits"/>, if given, is -infinity (a row whose logits are all -infinity gets no target).
    /// </summary>
    public static double[] SoftTargets(Random random, int rows, int classes, double[]? logits = null)
    {
        double[] result = new double[rows * classes];
        for (int row = 0; row < rows; row++)
        {
            Span<double> values = result.AsSpan(row * classes, classes);
            ReadOnlySpan<double> x = logits is null ? default : logits.AsSpan(row * classes, classes);
            int kind = random.Next(6);
            if (kind == 0)
            {
                int hot = random.Next(classes);
                for (int tried = 0; tried < classes; tried++, hot = (hot + 1) % classes)
                {
                    if (Targetable(x, hot))
                    {
                        values[hot] = 1;
                        break;
                    }
                }

                continue;
            }

            for (int c = 0; c < classes; c++)
            {
                values[c] = !Targetable(x, c) || random.Next(4) == 0 ? 0 : random.NextDouble();
            }

            if (kind != 1)
            {
                Normalize(values);
            }
        }

        return result;
    }

    /// <summary>
    /// Labels in [0, classes); with <paramref name="ignoreIndex"/>, about a quarter of the rows carry it instead, and at least
    /// one of two or more rows.
    /// </summary>
    public static int[] Labels(Random random, int rows, int classes, int? ignoreIndex = null)
    {
        int[] labels = new int[rows];
        for (int row = 0; row < rows; row++)
        {
            labels[row] = random.Next(classes);
        }

        if (ignoreIndex is int ignored)
        {
            if (rows > 1)
            {
                labels[random.Next(rows)] = ignored;
            }

            for (int row = 0; row < rows; row++)
            {
                if (random.Next(4) == 0)
                {
                    labels[row] = ignored;
                }
            }
        }

        return labels;
    }

    /// <summary>Weights in [0.25, 4]; <paramref name="withZero"/>, one of them 0 when there are three or more.</summary>
    public static double[] Weights(Random random, int length, bool withZero = false)
    {
        double[] weights = new double[length];
        for (int i = 0; i < length; i++)
        {
            weights[i] = 0.25 + 3.75 * random.NextDouble();
        }

        if (withZero && length >= 3)
        {
            weights[random.Next(length)] = 0;
        }

        return weights;
    }

    /// <summary>Binary targets: half of them exactly 0 or 1, the others uniform in [0, 1].</summary>
    public static double[] BinaryTargets(Random random, int length)
    {
        double[] targets = new double[length];
        for (int i = 0; i < length; i++)
        {
            targets[i] = random.Next(2) == 0 ? random.Next(2) : random.NextDouble();
        }

        return targets;
    }

    /// <summary>Binary probabilities: uniform in [0, 1], with exact 0 and 1, powers of ten down to 1e-29 and 1 - 10^-k mixed in.</summary>
    public static double[] BinaryProbabilities(Random random, int length)
    {
        double[] p = new double[length];
        for (int i = 0; i < length; i++)
        {
            p[i] = random.Next(20) switch
            {
                0 => 0,
                1 => 1,
                2 => Math.Pow(10, -random.Next(1, 30)),
                3 => 1 - Math.Pow(10, -random.Next(1, 6)),
                _ => random.NextDouble(),
            };
        }

        return p;
    }

    /// <summary>Sigmoids of <see cref="MixedScales"/> values, for the sigmoid backward pass.</summary>
    public static double[] Sigmoids(Random random, int length) => Array.ConvertAll(MixedScales(random, length), Reference.Sigmoid);

    /// <summary>Output gradients for the backward passes: uniform in [-b, b], b drawn per row from 1e-3, 1 and 1e3.</summary>
    public static double[] Gradients(Random random, int rows, int classes)
    {
        ReadOnlySpan<double> scales = [1e-3, 1, 1e3];
        double[] gradients = new double[rows * classes];
        for (int row = 0; row < rows; row++)
        {
            Fill(random, gradients.AsSpan(row * classes, classes), scales[random.Next(scales.Length)], 0);
        }

        return gradients;
    }

    /// <summary>The values rounded to <typeparamref name="T"/>.</summary>
    public static T[] To<T>(ReadOnlySpan<double> values)
        where T : IFloatingPointIeee754<T>
    {
        T[] result = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = T.CreateTruncating(values[i]);
        }

        return result;
    }

    /// <summary>The exact double values of <paramref name="values"/>.</summary>
    public static double[] ToDouble<T>(ReadOnlySpan<T> values)
        where T : IFloatingPointIeee754<T>
    {
        double[] result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = double.CreateTruncating(values[i]);
        }

        return result;
    }

    /// <summary>The values rounded to <typeparamref name="T"/> and back: what the library sees, for a reference to see too.</summary>
    public static double[] RoundTrip<T>(ReadOnlySpan<double> values)
        where T : IFloatingPointIeee754<T> => ToDouble<T>(To<T>(values));

    private static double Symmetric(Random random, double bound) => (2 * random.NextDouble() - 1) * bound;

    private static void Fill(Random random, Span<double> values, double bound, double center)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = center + Symmetric(random, bound);
        }
    }

    /// <summary>Scales the values to sum to 1, unless they sum to 0.</summary>
    private static void Normalize(Span<double> values)
    {
        double sum = Reference.Sum(values);
        for (int i = 0; sum > 0 && i < values.Length; i++)
        {
            values[i] /= sum;
        }
    }

    /// <summary>Whether a class may carry target mass: its logit, if there are logits, is not -infinity.</summary>
    private static bool Targetable(ReadOnlySpan<double> logits, int c) => logits.IsEmpty || !double.IsNegativeInfinity(logits[c]);
}
