using System;
using System.Numerics;

namespace CrossEntropy.Tests.Losses;

/// <summary>Seeded random loss inputs, generated in double and then rounded to the element type under test.</summary>
internal static class LossData
{
    /// <summary>Logits whose rows each have their own scale, from 0.01 to 1e4, so rows range from nearly uniform to saturated.</summary>
    public static double[] Logits(Random random, int rows, int classes)
    {
        double[] scales = [0.01, 1, 5, 30, 300, 1e4];
        double[] result = new double[rows * classes];
        for (int row = 0; row < rows; row++)
        {
            double scale = scales[random.Next(scales.Length)];
            double offset = random.Next(3) == 0 ? scale * (2 * random.NextDouble() - 1) : 0;
            for (int c = 0; c < classes; c++)
            {
                result[row * classes + c] = offset + scale * (2 * random.NextDouble() - 1);
            }
        }

        return result;
    }

    /// <summary>Values uniform in [-<paramref name="bound"/>, <paramref name="bound"/>].</summary>
    public static double[] Uniform(Random random, int length, double bound)
    {
        double[] result = new double[length];
        for (int i = 0; i < length; i++)
        {
            result[i] = bound * (2 * random.NextDouble() - 1);
        }

        return result;
    }

    /// <summary>
    /// Probabilities in [0, 1]: most uniform, some tiny, some exactly 0 or 1. Half of the rows are scaled to sum to 1
    /// (what a softmax produces); the others are not, since rows are not renormalised.
    /// </summary>
    public static double[] Probabilities(Random random, int rows, int classes)
    {
        double[] result = new double[rows * classes];
        for (int row = 0; row < rows; row++)
        {
            Span<double> values = result.AsSpan(row * classes, classes);
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

            double sum = LossReference.Sum(values);
            if (random.Next(2) == 0 && sum > 0)
            {
                for (int c = 0; c < classes; c++)
                {
                    values[c] /= sum;
                }
            }
        }

        return result;
    }

    /// <summary>Soft targets: rows summing to 1 with some zero entries, one-hot rows, and a few rows that do not sum to 1.</summary>
    public static double[] SoftTargets(Random random, int rows, int classes)
    {
        double[] result = new double[rows * classes];
        for (int row = 0; row < rows; row++)
        {
            Span<double> values = result.AsSpan(row * classes, classes);
            int kind = random.Next(6);
            if (kind == 0)
            {
                values[random.Next(classes)] = 1;
                continue;
            }

            for (int c = 0; c < classes; c++)
            {
                values[c] = random.Next(4) == 0 ? 0 : random.NextDouble();
            }

            double sum = LossReference.Sum(values);
            if (kind != 1 && sum > 0)
            {
                for (int c = 0; c < classes; c++)
                {
                    values[c] /= sum;
                }
            }
        }

        return result;
    }

    /// <summary>Labels in [0, classes); with <paramref name="ignoreIndex"/> given, about a quarter of the rows (and at least one) carry it.</summary>
    public static int[] Labels(Random random, int rows, int classes, int? ignoreIndex)
    {
        int[] labels = new int[rows];
        for (int row = 0; row < rows; row++)
        {
            labels[row] = random.Next(classes);
        }

        if (ignoreIndex is int ignored && rows > 0)
        {
            labels[random.Next(rows)] = ignored;
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

    /// <summary>Positive weights in [0.25, 2].</summary>
    public static double[] Weights(Random random, int length, double high = 2)
    {
        double[] weights = new double[length];
        for (int i = 0; i < length; i++)
        {
            weights[i] = 0.25 + (high - 0.25) * random.NextDouble();
        }

        return weights;
    }

    /// <summary>Binary targets: mostly exactly 0 or 1, a fifth soft values in [0, 1].</summary>
    public static double[] BinaryTargets(Random random, int length)
    {
        double[] targets = new double[length];
        for (int i = 0; i < length; i++)
        {
            targets[i] = random.Next(5) switch
            {
                0 or 1 => 0,
                2 or 3 => 1,
                _ => random.NextDouble(),
            };
        }

        return targets;
    }

    /// <summary>Binary probabilities in [0, 1]: uniform, with a few tiny, nearly 1, and exactly 0 or 1.</summary>
    public static double[] BinaryProbabilities(Random random, int length)
    {
        double[] p = new double[length];
        for (int i = 0; i < length; i++)
        {
            p[i] = random.Next(40) switch
            {
                0 => 0,
                1 => 1,
                2 => 1e-6 * random.NextDouble(),
                3 => 1 - 1e-3 * random.NextDouble(),
                _ => random.NextDouble(),
            };
        }

        return p;
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
    public static double[] Exact<T>(ReadOnlySpan<T> values)
        where T : IFloatingPointIeee754<T>
    {
        double[] result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = double.CreateTruncating(values[i]);
        }

        return result;
    }

    /// <summary>Rounds to <typeparamref name="T"/> and back, so a reference sees exactly the inputs the library sees.</summary>
    public static double[] RoundTrip<T>(ReadOnlySpan<double> values)
        where T : IFloatingPointIeee754<T> =>
        Exact<T>(To<T>(values));
}
