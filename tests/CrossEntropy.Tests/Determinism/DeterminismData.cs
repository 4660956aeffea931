using System;
using System.Collections.Generic;
using System.Numerics;

namespace CrossEntropy.Tests.Determinism;

/// <summary>
/// Seeded inputs for the determinism sweeps, built in double and rounded once to the element type. The same seed gives the
/// same data on every run.
/// </summary>
internal static class DeterminismData
{
    /// <summary>Row counts: one row, a few rows, and counts around the 64-chunk limit so chunks hold one or two rows.</summary>
    public static readonly int[] RowCounts = [1, 2, 3, 63, 64, 65, 130, 257];

    /// <summary>Row lengths: below, at and above the 8- and 16-lane blocks, and a long row with a partial last block.</summary>
    public static readonly int[] ClassCounts = [1, 2, 7, 15, 16, 17, 33, 1003];

    /// <summary>
    /// Element counts of element-wise calls: mostly not multiples of the 64-element groups, and above 64 groups (4097 and
    /// 4161) so that chunks differ in size.
    /// </summary>
    public static readonly int[] ElementCounts = [1, 2, 15, 63, 64, 65, 127, 1000, 4097, 4161];

    /// <summary>
    /// Row-wise shapes: every row count of <see cref="RowCounts"/> with several row lengths of <see cref="ClassCounts"/> and
    /// the reverse, kept to a few thousand elements each, as the scalar path runs in Debug at about a twentieth of the
    /// vector paths' speed.
    /// </summary>
    private static readonly (int Rows, int Classes)[] ShapeList =
    [
        (1, 1), (1, 2), (1, 7), (1, 15), (1, 16), (1, 17), (1, 33), (1, 1003),
        (2, 1), (2, 7), (2, 16), (2, 33), (2, 1003),
        (3, 2), (3, 15), (3, 17), (3, 1003),
        (63, 1), (63, 7), (63, 17),
        (64, 2), (64, 15), (64, 16),
        (65, 1), (65, 7), (65, 17), (65, 33),
        (130, 2), (130, 15),
        (257, 1), (257, 7),
    ];

    /// <summary>The row-wise shapes.</summary>
    public static IEnumerable<(int Rows, int Classes)> Shapes() => ShapeList;

    /// <summary>
    /// The shapes of [rows, columns] batches for binary cross-entropy: the row-wise shapes, and one of more than 64 groups of
    /// 64 elements (4290 elements, 68 groups) so that chunks differ in size while the weights cycle through them.
    /// </summary>
    public static IEnumerable<(int Rows, int Columns)> BinaryShapes() => [.. ShapeList, (130, 33)];

    /// <summary>A seed for one case: the same on every run (unlike string.GetHashCode).</summary>
    public static int Seed(int family, int rows, int classes, int variant = 0) =>
        unchecked((family * 1_000_003) + (rows * 7_919) + (classes * 104_729) + (variant * 31));

    public static T[] Convert<T>(double[] values)
        where T : IFloatingPointIeee754<T> => Array.ConvertAll(values, T.CreateTruncating);

    /// <summary>
    /// Rows of logits spanning +-1e4: one scale per row (1e-3 to 1e4), or a scale per value, or a tiny spread around a large
    /// value, or a large offset plus moderate noise. Where <paramref name="keep"/> is given, -infinity goes to about one
    /// class in eight of a row besides the class kept finite (<c>keep[row]</c>; -1 picks one at random), if
    /// <paramref name="negativeInfinity"/> is set.
    /// </summary>
    public static double[] Logits(Random random, int rows, int classes, bool negativeInfinity, int[]? keep = null)
    {
        double[] values = new double[rows * classes];
        ReadOnlySpan<double> scales = [1e-3, 1, 10, 100, 1e3, 1e4];
        for (int row = 0; row < rows; row++)
        {
            Span<double> span = values.AsSpan(row * classes, classes);
            int kind = random.Next(10);
            if (kind < 5)
            {
                double scale = scales[random.Next(scales.Length)];
                Fill(random, span, scale, 0);
            }
            else if (kind < 7)
            {
                for (int i = 0; i < span.Length; i++)
                {
                    span[i] = Symmetric(random, scales[random.Next(scales.Length)]);
                }
            }
            else if (kind < 9)
            {
                // A tiny spread: values within a few float ulps (or a few thousand double ulps) of one another.
                double center = Symmetric(random, 1e4);
                double spread = Math.Max(Math.Abs(center), 1) * (random.Next(2) == 0 ? 1e-7 : 1e-12);
                Fill(random, span, spread, center);
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
    /// <typeparamref name="T"/>, subnormals, and ordinary rows between them.
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

    /// <summary>Element-wise inputs: a scale per value up to 1e4, with a few infinities, signed zeros and a NaN.</summary>
    public static double[] Elements(Random random, int count, bool specials)
    {
        double[] values = new double[count];
        ReadOnlySpan<double> scales = [1e-3, 1, 10, 100, 1e3, 1e4];
        for (int i = 0; i < count; i++)
        {
            values[i] = Symmetric(random, scales[random.Next(scales.Length)]);
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

    /// <summary>Labels in [0, classes), about one row in eight replaced by <paramref name="ignoreIndex"/> when <paramref name="ignore"/>.</summary>
    public static int[] Labels(Random random, int rows, int classes, bool ignore, int ignoreIndex)
    {
        int[] labels = new int[rows];
        for (int row = 0; row < rows; row++)
        {
            labels[row] = ignore && random.Next(8) == 0 ? ignoreIndex : random.Next(classes);
        }

        return labels;
    }

    /// <summary>
    /// A target distribution per row over the classes whose logit is finite: random masses, or one-hot in one row in four.
    /// </summary>
    public static double[] SoftTargets(Random random, double[] logits, int classes)
    {
        double[] targets = new double[logits.Length];
        for (int start = 0; start < logits.Length; start += classes)
        {
            Span<double> row = targets.AsSpan(start, classes);
            bool oneHot = random.Next(4) == 0;
            int hot = FiniteIndex(random, logits.AsSpan(start, classes));
            double sum = 0;
            for (int i = 0; i < classes; i++)
            {
                row[i] = double.IsFinite(logits[start + i]) && (!oneHot || i == hot) ? random.NextDouble() + 1e-3 : 0;
                sum += row[i];
            }

            for (int i = 0; i < classes; i++)
            {
                row[i] /= sum;
            }
        }

        return targets;
    }

    /// <summary>Per-row softmax in double, of logits with -infinity entries (exact zeros) and scales up to 100.</summary>
    public static double[] Probabilities(Random random, int rows, int classes)
    {
        double[] p = new double[rows * classes];
        ReadOnlySpan<double> scales = [0.1, 1, 10, 100];
        for (int start = 0; start < p.Length; start += classes)
        {
            Span<double> row = p.AsSpan(start, classes);
            Fill(random, row, scales[random.Next(scales.Length)], 0);
            int kept = random.Next(classes);
            for (int i = 0; i < classes; i++)
            {
                if (i != kept && random.Next(10) == 0)
                {
                    row[i] = double.NegativeInfinity;
                }
            }

            SoftmaxInPlace(row);
        }

        return p;
    }

    /// <summary>Per-row log-softmax in double (-infinity where the probability is 0), for the log-softmax backward pass.</summary>
    public static double[] LogProbabilities(Random random, int rows, int classes)
    {
        double[] p = Probabilities(random, rows, classes);
        return Array.ConvertAll(p, Math.Log);
    }

    /// <summary>Element-wise probabilities: uniform, with exact 0 and 1 and tiny values mixed in.</summary>
    public static double[] BinaryProbabilities(Random random, int count)
    {
        double[] p = new double[count];
        for (int i = 0; i < count; i++)
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

    /// <summary>Element-wise targets: half of them 0 or 1, the others uniform in [0, 1].</summary>
    public static double[] BinaryTargets(Random random, int count)
    {
        double[] t = new double[count];
        for (int i = 0; i < count; i++)
        {
            t[i] = random.Next(2) == 0 ? random.Next(2) : random.NextDouble();
        }

        return t;
    }

    /// <summary>Sigmoids in double of element-wise logits, for the sigmoid backward pass.</summary>
    public static double[] Sigmoids(Random random, int count) =>
        Array.ConvertAll(Elements(random, count, specials: false), x => 1 / (1 + Math.Exp(-x)));

    /// <summary>Positive weights in [0.25, 4], one of them 0 when there are at least three.</summary>
    public static double[] Weights(Random random, int count)
    {
        double[] w = new double[count];
        for (int i = 0; i < count; i++)
        {
            w[i] = 0.25 + (3.75 * random.NextDouble());
        }

        if (count >= 3)
        {
            w[random.Next(count)] = 0;
        }

        return w;
    }

    /// <summary>Output gradients: uniform in [-b, b], with b from 1e-3 to 1e3 per row.</summary>
    public static double[] Gradients(Random random, int rows, int classes)
    {
        double[] g = new double[rows * classes];
        ReadOnlySpan<double> scales = [1e-3, 1, 1e3];
        for (int start = 0; start < g.Length; start += classes)
        {
            Fill(random, g.AsSpan(start, classes), scales[random.Next(scales.Length)], 0);
        }

        return g;
    }

    private static double Symmetric(Random random, double bound) => ((2 * random.NextDouble()) - 1) * bound;

    private static void Fill(Random random, Span<double> values, double bound, double center)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = center + Symmetric(random, bound);
        }
    }

    private static int FiniteIndex(Random random, ReadOnlySpan<double> row)
    {
        int index = random.Next(row.Length);
        while (!double.IsFinite(row[index]))
        {
            index = (index + 1) % row.Length;
        }

        return index;
    }

    private static void SoftmaxInPlace(Span<double> row)
    {
        double max = double.NegativeInfinity;
        foreach (double value in row)
        {
            max = Math.Max(max, value);
        }

        double sum = 0;
        for (int i = 0; i < row.Length; i++)
        {
            row[i] = Math.Exp(row[i] - max);
            sum += row[i];
        }

        for (int i = 0; i < row.Length; i++)
        {
            row[i] = Math.Min(row[i] / sum, 1);
        }
    }
}
