using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.CompilerServices;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Determinism;

/// <summary>
/// A row's results do not depend on the batch around it: each row of a batch must have the bits of the same row passed alone,
/// on every SIMD width. Short rows in a batch run many rows at once (one row per lane) where a row alone does not, and a
/// batch with a row that holds NaN or an infinity goes another way than one without; the batches below have whole groups
/// of rows and a remainder, with such rows among them, for every row length up to two blocks.
/// </summary>
public abstract class RowIndependenceTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly int Lanes = 64 / Unsafe.SizeOf<T>();

    public static IEnumerable<object[]> ClassCounts()
    {
        for (int classes = 1; classes <= 2 * 64 / Unsafe.SizeOf<T>() + 1; classes++)
        {
            yield return [classes];
        }
    }

    [Theory]
    [MemberData(nameof(ClassCounts))]
    public void Softmax(int classes) => EveryRowAlone(classes, (x, output, c) => CrossEntropy.Activations.Softmax<T>(x, output, c), rowOutput: true);

    [Theory]
    [MemberData(nameof(ClassCounts))]
    public void LogSoftmax(int classes) => EveryRowAlone(classes, (x, output, c) => CrossEntropy.Activations.LogSoftmax<T>(x, output, c), rowOutput: true);

    [Theory]
    [MemberData(nameof(ClassCounts))]
    public void LogSumExp(int classes) => EveryRowAlone(classes, (x, output, c) => CrossEntropy.Activations.LogSumExp<T>(x, output, c), rowOutput: false);

    [Theory]
    [MemberData(nameof(ClassCounts))]
    public void CrossEntropyWithGradient(int classes)
    {
        int rows = 3 * Lanes + 5;
        T[] logits = Logits(rows, classes, new Random(classes));
        int[] labels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            labels[r] = r % 7 == 3 ? -100 : (r * 5) % classes;
        }

        T[] weights = new T[classes];
        for (int c = 0; c < classes; c++)
        {
            weights[c] = T.CreateTruncating(c % 4 == 1 ? 0 : 0.25 + c);
        }

        foreach ((T[] classWeights, double smoothing) in new[] { (Array.Empty<T>(), 0.0), (weights, 0.0), (weights, 0.2), (Array.Empty<T>(), 0.1) })
        {
            foreach (VectorWidth width in Widths.All)
            {
                using var limit = Widths.Limit(width);
                T[] gradient = new T[logits.Length];
                T[] losses = new T[rows];
                CategoricalCrossEntropy.FromLogitsWithGradient<T>(logits, labels, gradient, classes, Reduction.Sum, classWeights, labelSmoothing: smoothing);
                CategoricalCrossEntropy.FromLogits<T>(logits, labels, losses, classes, classWeights, labelSmoothing: smoothing);
                for (int r = 0; r < rows; r++)
                {
                    T[] alone = new T[classes];
                    T loss = CategoricalCrossEntropy.FromLogitsWithGradient<T>(logits.AsSpan(r * classes, classes), labels.AsSpan(r, 1), alone, classes,
                        Reduction.Sum, classWeights, labelSmoothing: smoothing);
                    Check<T>.SameBits(alone, gradient.AsSpan(r * classes, classes), $"{width}, gradient of row {r} in the batch against the row alone");
                    Check<T>.SameBits([loss], losses.AsSpan(r, 1), $"{width}, loss of row {r} in the batch against the row alone");
                }

                // The reduced Sum adds the rows' losses in double in row order (one chunk here), whichever way the rows ran;
                // checked where every logit is finite, as a NaN loss would hide the order.
                T[] finite = Array.ConvertAll(logits, v => T.IsFinite(v) ? v : T.Zero);
                T[] finiteLosses = new T[rows];
                CategoricalCrossEntropy.FromLogits<T>(finite, labels, finiteLosses, classes, classWeights, labelSmoothing: smoothing);
                T reduced = CategoricalCrossEntropy.FromLogitsWithGradient<T>(finite, labels, new T[finite.Length], classes, Reduction.Sum, classWeights, labelSmoothing: smoothing);
                double total = 0;
                foreach (T rowLoss in finiteLosses)
                {
                    total += double.CreateTruncating(rowLoss);
                }

                That.Holds(T.IsFinite(reduced), $"{width}: the Sum of finite logits is {reduced}");
                Check<T>.SameBits([T.CreateTruncating(total)], [reduced], $"{width}, the Sum of the batch against its row losses added in order");

                // In place over the logits: the same bits.
                T[] inPlace = (T[])logits.Clone();
                CategoricalCrossEntropy.FromLogitsWithGradient<T>(inPlace, labels, inPlace, classes, Reduction.Sum, classWeights, labelSmoothing: smoothing);
                Check<T>.SameBits(gradient, inPlace, $"{width}, gradient written over the logits against written elsewhere");
            }
        }
    }

    private static void EveryRowAlone(int classes, Action<T[], T[], int> run, bool rowOutput)
    {
        int rows = 3 * Lanes + 5;
        T[] x = Logits(rows, classes, new Random(classes));
        foreach (VectorWidth width in Widths.All)
        {
            using var limit = Widths.Limit(width);
            T[] batch = new T[rowOutput ? x.Length : rows];
            run(x, batch, classes);
            int length = rowOutput ? classes : 1;
            for (int r = 0; r < rows; r++)
            {
                T[] alone = new T[length];
                run(x.AsSpan(r * classes, classes).ToArray(), alone, classes);
                Check<T>.SameBits(alone, batch.AsSpan(r * length, length), $"{width}, row {r} in the batch against the row alone");
            }
        }
    }

    /// <summary>
    /// Logits at scales from 1e-3 to 1e4; the second group of rows also holds -infinity entries, one row NaN and one +infinity;
    /// the last rows are ties of the maximum.
    /// </summary>
    private static T[] Logits(int rows, int classes, Random random)
    {
        T[] x = TestData.To<T>(TestData.MixedScales(random, rows * classes));

        for (int r = Lanes; r < 2 * Lanes; r += 3)
        {
            x[r * classes + random.Next(classes)] = T.NegativeInfinity;
        }

        x[(Lanes + 4) * classes] = T.NaN;
        x[(Lanes + 9) * classes + classes - 1] = T.PositiveInfinity;
        for (int r = rows - 3; r < rows; r++)
        {
            x.AsSpan(r * classes, classes).Fill(T.CreateTruncating(r - rows));
        }

        return x;
    }
}

public sealed class FloatRowIndependenceTests : RowIndependenceTests<float>;

public sealed class DoubleRowIndependenceTests : RowIndependenceTests<double>;
