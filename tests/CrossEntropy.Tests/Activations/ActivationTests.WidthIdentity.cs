using System;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Activations;

/// <summary>
/// The library promises the same bits on every SIMD width. Each operation runs on rows of 1..300 classes (1 to 4 rows),
/// at several misaligned start offsets within a larger guarded buffer, on every width; every result must have the
/// bits of the first (any NaN equals any NaN); the scalar path runs on every third shape. Inputs mix scales so the exp kernel reaches its subnormal range, and a
/// few rows carry special values.
/// </summary>
public abstract partial class ActivationTests<T>
{
    private const int IdentityMaxClasses = 300;

    /// <summary>Start offsets in elements: aligned, and misaligned against the 16- and 32-byte vectors and the 64-byte blocks.</summary>
    private static readonly int[] Offsets = [0, 1, 3, 7];

    [Fact]
    public void Softmax_IsBitIdenticalOnEveryWidth() => BitIdenticalOnEveryWidth("Softmax", SoftmaxRows);

    [Fact]
    public void LogSoftmax_IsBitIdenticalOnEveryWidth() => BitIdenticalOnEveryWidth("LogSoftmax", LogSoftmaxRows);

    [Fact]
    public void LogSumExp_IsBitIdenticalOnEveryWidth() => BitIdenticalOnEveryWidth("LogSumExp", LogSumExpRows, reduction: true);

    [Fact]
    public void Sigmoid_IsBitIdenticalOnEveryWidth() => BitIdenticalOnEveryWidth("Sigmoid", SigmoidOperation);

    [Fact]
    public void LogSigmoid_IsBitIdenticalOnEveryWidth() => BitIdenticalOnEveryWidth("LogSigmoid", LogSigmoidOperation);

    [Fact]
    public void SoftmaxBackward_IsBitIdenticalOnEveryWidth() => BackwardBitIdenticalOnEveryWidth("SoftmaxBackward", SoftmaxBackwardOperation, low: 0, high: 1);

    [Fact]
    public void LogSoftmaxBackward_IsBitIdenticalOnEveryWidth() => BackwardBitIdenticalOnEveryWidth("LogSoftmaxBackward", LogSoftmaxBackwardOperation, low: -100, high: 0);

    [Fact]
    public void SigmoidBackward_IsBitIdenticalOnEveryWidth() => BackwardBitIdenticalOnEveryWidth("SigmoidBackward", SigmoidBackwardOperation, low: 0, high: 1);

    /// <summary>Rows of logits, each of one scale (1, 30 or 1000), one row in eight with special values.</summary>
    private static T[] IdentityInput(Random random, int rows, int classes)
    {
        T[] values = new T[rows * classes];
        ReadOnlySpan<double> scales = [1, 30, 1000];
        for (int row = 0; row < rows; row++)
        {
            Span<T> span = values.AsSpan(row * classes, classes);
            TestData.To<T>(TestData.Uniform(random, classes, scales[random.Next(scales.Length)])).CopyTo(span);
            if (random.Next(8) == 0)
            {
                InjectSpecials(random, span);
            }
        }

        return values;
    }

    private static void BitIdenticalOnEveryWidth(string name, RowsOperation operation, bool reduction = false)
    {
        var random = new Random(Seed);
        for (int classes = 1; classes <= IdentityMaxClasses; classes++)
        {
            int rows = 1 + classes % 4;
            T[] input = IdentityInput(random, rows, classes);
            int outputLength = reduction ? rows : input.Length;
            T[]? first = null;
            foreach (int offset in Offsets)
            {
                using BoundedMemory<T> x = BoundedMemory.Allocate<T>(offset + input.Length);
                using BoundedMemory<T> destination = BoundedMemory.Allocate<T>(offset + outputLength);
                input.CopyTo(x.Span[offset..]);
                foreach (VectorWidth width in Widths.ForCase(classes))
                {
                    destination.Span.Fill(Sentinel);
                    using (Widths.Limit(width))
                    {
                        operation(x.Span[offset..], destination.Span[offset..], classes);
                    }

                    first ??= destination.Span[offset..].ToArray();
                    Check<T>.SameBits(first, destination.Span[offset..], $"{name}, classes {classes}, rows {rows}, offset {offset}, {width} against offset 0, {Widths.All[0]}");
                }
            }
        }
    }

    private static void BackwardBitIdenticalOnEveryWidth(string name, BackwardOperation operation, double low, double high)
    {
        var random = new Random(Seed);
        for (int classes = 1; classes <= IdentityMaxClasses; classes++)
        {
            int rows = 1 + classes % 4;
            T[] y = new T[rows * classes];
            T[] g = new T[rows * classes];
            FillBackwardInputs(random, y, g, low, high);
            if (random.Next(8) == 0)
            {
                InjectSpecials(random, g.AsSpan(0, classes));
            }

            T[]? first = null;
            foreach (int offset in Offsets)
            {
                using BoundedMemory<T> output = BoundedMemory.Allocate<T>(offset + y.Length);
                using BoundedMemory<T> outputGradient = BoundedMemory.Allocate<T>(offset + g.Length);
                using BoundedMemory<T> inputGradient = BoundedMemory.Allocate<T>(offset + y.Length);
                y.CopyTo(output.Span[offset..]);
                g.CopyTo(outputGradient.Span[offset..]);
                foreach (VectorWidth width in Widths.ForCase(classes))
                {
                    inputGradient.Span.Fill(Sentinel);
                    using (Widths.Limit(width))
                    {
                        operation(output.Span[offset..], outputGradient.Span[offset..], inputGradient.Span[offset..], classes);
                    }

                    first ??= inputGradient.Span[offset..].ToArray();
                    Check<T>.SameBits(first, inputGradient.Span[offset..], $"{name}, classes {classes}, rows {rows}, offset {offset}, {width} against offset 0, {Widths.All[0]}");
                }
            }
        }
    }
}
