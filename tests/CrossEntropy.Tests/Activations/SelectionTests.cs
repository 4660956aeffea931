using System;
using System.Linq;
using System.Numerics;
using System.Runtime.InteropServices;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Activations;

/// <summary>
/// Tests of <see cref="CrossEntropy.Activations.ArgMax"/> and <see cref="CrossEntropy.Activations.TopK"/> for one element type,
/// against a plain sort of each row by PyTorch's order (NaN above everything, then by value, then by lower index), on every
/// SIMD width and in guarded memory. The indices are exact, so every comparison is exact.
/// </summary>
public abstract class SelectionTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private const int Seed = 20261206;

    private const int Sentinel = -7;

    /// <summary>
    /// Rows of one kind each: values at one scale up to 1e4 (or beyond, for float and double); small integers, so that maxima
    /// and the k-th value tie; signed zeros; or any of these with NaN, infinities and signed zeros at random places.
    /// </summary>
    private static T[] Rows(Random random, int rows, int classes)
    {
        double max = double.CreateTruncating(T.MaxValue);
        double[] values = new double[rows * classes];
        for (int row = 0; row < rows; row++)
        {
            Span<double> span = values.AsSpan(row * classes, classes);
            int kind = random.Next(5);
            double scale = Math.Min(max, Math.Pow(10, random.Next(-3, 9)));
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = kind switch
                {
                    1 => random.Next(-3, 4),
                    2 => random.Next(2) == 0 ? 0.0 : -0.0,
                    _ => (2 * random.NextDouble() - 1) * scale,
                };
                if (kind >= 3 && random.Next(kind == 3 ? 8 : 64) == 0)
                {
                    span[i] = random.Next(5) switch
                    {
                        0 => double.PositiveInfinity,
                        1 => double.NegativeInfinity,
                        2 => 0.0,
                        3 => -0.0,
                        _ => double.NaN,
                    };
                }
            }
        }

        return TestData.To<T>(values);
    }

    /// <summary>The row's indices in PyTorch's order: NaN first (lower index first), then by descending value, then by lower index.</summary>
    private static int[] Ranked(ReadOnlySpan<T> row)
    {
        double[] values = TestData.ToDouble<T>(row);
        int[] order = Enumerable.Range(0, values.Length).ToArray();
        Array.Sort(order, (a, b) =>
        {
            bool nanA = double.IsNaN(values[a]);
            bool nanB = double.IsNaN(values[b]);
            if (nanA != nanB)
            {
                return nanA ? -1 : 1;
            }

            if (!nanA && values[a] != values[b])
            {
                return values[a] > values[b] ? -1 : 1;
            }

            return a.CompareTo(b);
        });
        return order;
    }

    /// <summary>torch.argmax as a plain loop: the first NaN, else the first index of the maximum (-0 equal to +0).</summary>
    private static int ArgMaxReference(ReadOnlySpan<T> row)
    {
        int best = 0;
        for (int i = 0; i < row.Length; i++)
        {
            double value = double.CreateTruncating(row[i]);
            if (double.IsNaN(value))
            {
                return i;
            }

            if (value > double.CreateTruncating(row[best]))
            {
                best = i;
            }
        }

        return best;
    }

    private static void CheckArgMax(ReadOnlySpan<T> x, int classes, string context)
    {
        int rows = x.Length / classes;
        using BoundedMemory<int> destination = BoundedMemory.Allocate<int>(rows);
        foreach (VectorWidth width in Widths.All)
        {
            destination.Span.Fill(Sentinel);
            using (Widths.Limit(width))
            {
                CrossEntropy.Activations.ArgMax(x, destination.Span, classes);
            }

            for (int row = 0; row < rows; row++)
            {
                ReadOnlySpan<T> values = x.Slice(row * classes, classes);
                That.Holds(ArgMaxReference(values) == destination.Span[row], $"{context}, {width}, row {row}: expected {ArgMaxReference(values)}, got {destination.Span[row]}.");
                Assert.Equal(Ranked(values)[0], destination.Span[row]);
            }
        }
    }

    private static void CheckTopK(ReadOnlySpan<T> x, int classes, int k, string context)
    {
        int rows = x.Length / classes;
        using BoundedMemory<int> indices = BoundedMemory.Allocate<int>(rows * k);
        using BoundedMemory<T> values = BoundedMemory.Allocate<T>(rows * k);
        using BoundedMemory<int> indicesOnly = BoundedMemory.Allocate<int>(rows * k);
        foreach (VectorWidth width in Widths.All)
        {
            indices.Span.Fill(Sentinel);
            indicesOnly.Span.Fill(Sentinel);
            values.Span.Fill(T.CreateTruncating(42.125));
            using (Widths.Limit(width))
            {
                CrossEntropy.Activations.TopK(x, indices.Span, values.Span, classes, k);
                CrossEntropy.Activations.TopK(x, indicesOnly.Span, Span<T>.Empty, classes, k);
            }

            for (int row = 0; row < rows; row++)
            {
                ReadOnlySpan<T> input = x.Slice(row * classes, classes);
                int[] expected = Ranked(input)[..k];
                int[] actual = indices.Span.Slice(row * k, k).ToArray();
                That.Holds(expected.SequenceEqual(actual), $"{context}, {width}, row {row}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}].");
                That.Holds(expected.SequenceEqual(indicesOnly.Span.Slice(row * k, k).ToArray()), $"{context}, {width}, row {row}, without values");
                for (int j = 0; j < k; j++)
                {
                    That.Holds(Check<T>.SameBits(input[expected[j]], values.Span[row * k + j]), $"{context}, {width}, row {row}, value {j}");
                }
            }
        }
    }

    [Fact]
    public void ArgMax_EveryRowLength_MatchesReference()
    {
        var random = new Random(Seed);
        for (int classes = 1; classes <= 70; classes++)
        {
            using BoundedMemory<T> x = BoundedMemory.Allocate<T>(5 * classes);
            Rows(random, 5, classes).CopyTo(x.Span);
            CheckArgMax(x.Span, classes, $"classes {classes}");
        }

        foreach (int classes in new[] { 127, 128, 129, 1000 })
        {
            using BoundedMemory<T> x = BoundedMemory.Allocate<T>(8 * classes);
            Rows(random, 8, classes).CopyTo(x.Span);
            CheckArgMax(x.Span, classes, $"classes {classes}");
        }
    }

    /// <summary>A single NaN, infinity or tie at every position of rows around the block sizes, over a background of another special value.</summary>
    [Fact]
    public void ArgMax_SpecialValueAtEveryPosition_FollowsPyTorch()
    {
        T[] specials = TestData.Specials<T>();
        foreach (int classes in new[] { 1, 7, 8, 9, 16, 17, 33, 40 })
        {
            foreach (T background in specials)
            {
                foreach (T special in specials)
                {
                    using BoundedMemory<T> x = BoundedMemory.Allocate<T>(classes * classes);
                    x.Span.Fill(background);
                    for (int row = 0; row < classes; row++)
                    {
                        x.Span[row * classes + row] = special;
                        x.Span[row * classes + (row * 5 % classes)] = special;
                    }

                    CheckArgMax(x.Span, classes, $"classes {classes}, {special} in {background}");
                }
            }
        }
    }

    [Fact]
    public void TopK_EveryRowLengthAndK_MatchesReference()
    {
        var random = new Random(Seed + 1);
        for (int classes = 1; classes <= 70; classes++)
        {
            using BoundedMemory<T> x = BoundedMemory.Allocate<T>(4 * classes);
            Rows(random, 4, classes).CopyTo(x.Span);
            foreach (int k in new[] { 1, 2, 5, classes / 2, classes - 1, classes }.Where(k => k >= 1 && k <= classes).Distinct())
            {
                CheckTopK(x.Span, classes, k, $"classes {classes}, k {k}");
            }
        }
    }

    /// <summary>Long rows, where the scan skips whole blocks: rising and falling rows (every block, or none, has a new value), ties at the k-th value, NaN late.</summary>
    [Fact]
    public void TopK_LongRows_MatchReference()
    {
        var random = new Random(Seed + 2);
        const int classes = 1000;
        T[] data = Rows(random, 8, classes);
        for (int i = 0; i < classes; i++)
        {
            data[i] = T.CreateTruncating(i % 256);
            data[classes + i] = T.CreateTruncating(-(i % 256));
            data[2 * classes + i] = T.CreateTruncating(i % 7);
        }

        data[3 * classes + 990] = T.NaN;
        data[3 * classes + 995] = T.NaN;
        data[3 * classes + 500] = T.PositiveInfinity;
        using BoundedMemory<T> x = BoundedMemory.Allocate<T>(data.Length);
        data.CopyTo(x.Span);
        foreach (int k in new[] { 1, 5, 64, 300, classes })
        {
            CheckTopK(x.Span, classes, k, $"k {k}");
        }
    }

    [Fact]
    public void TopK_SpecialValues_FollowPyTorch()
    {
        T[] specials = TestData.Specials<T>();
        var random = new Random(Seed + 3);
        foreach (int classes in new[] { 3, 17, 40 })
        {
            T[] data = new T[16 * classes];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = specials[random.Next(specials.Length)];
            }

            using BoundedMemory<T> x = BoundedMemory.Allocate<T>(data.Length);
            data.CopyTo(x.Span);
            foreach (int k in new[] { 1, 2, classes / 2, classes })
            {
                CheckTopK(x.Span, classes, k, $"classes {classes}, k {k}");
            }
        }
    }

    /// <summary>A batch spread over threads gives what one thread gives, and the reference.</summary>
    [Fact]
    public void Selection_ManyThreads_MatchOneThread()
    {
        const int classes = 37;
        const int rows = 400;
        const int k = 3;
        T[] x = Rows(new Random(Seed + 4), rows, classes);
        int[] argMax = new int[rows];
        int[] indices = new int[rows * k];
        T[] values = new T[rows * k];
        using (Parallelism.Force(1))
        {
            CrossEntropy.Activations.ArgMax<T>(x, argMax, classes);
            CrossEntropy.Activations.TopK<T>(x, indices, values, classes, k);
        }

        foreach (int threads in new[] { 2, 3, 8 })
        {
            int[] parallelArgMax = new int[rows];
            int[] parallelIndices = new int[rows * k];
            T[] parallelValues = new T[rows * k];
            using (Parallelism.Force(threads, minChunkElements: classes * 7))
            {
                CrossEntropy.Activations.ArgMax<T>(x, parallelArgMax, classes);
                CrossEntropy.Activations.TopK<T>(x, parallelIndices, parallelValues, classes, k);
            }

            Assert.Equal(argMax, parallelArgMax);
            Assert.Equal(indices, parallelIndices);
            Check<T>.SameBits(values, parallelValues, $"{threads} threads");
        }

        for (int row = 0; row < rows; row++)
        {
            Assert.Equal(ArgMaxReference(x.AsSpan(row * classes, classes)), argMax[row]);
            Assert.Equal(Ranked(x.AsSpan(row * classes, classes))[..k], indices[(row * k)..((row + 1) * k)]);
        }
    }

    /// <summary>ArgMax, TopK (small and large k), the masked softmax and the temperature overloads allocate nothing on one thread, on every width.</summary>
    [Fact]
    public void ActivationAdditions_OneThread_AllocateNothing()
    {
        const int classes = 300;
        const int rows = 8;
        T[] x = Rows(new Random(Seed + 5), rows, classes);
        bool[] mask = Enumerable.Range(0, x.Length).Select(i => i % 3 != 0).ToArray();
        int[] argMax = new int[rows];
        int[] indices = new int[rows * classes];
        T[] values = new T[rows * classes];
        T[] destination = new T[x.Length];
        Action[] calls =
        [
            () => CrossEntropy.Activations.ArgMax<T>(x, argMax, classes),
            () => CrossEntropy.Activations.TopK<T>(x, indices, values, classes, 5),
            () => CrossEntropy.Activations.TopK<T>(x, indices, values, classes, 200),
            () => CrossEntropy.Activations.Softmax<T>(x, mask, destination, classes),
            () => CrossEntropy.Activations.Softmax<T>(x, destination, classes, 0.7),
            () => CrossEntropy.Activations.LogSoftmax<T>(x, destination, classes, 0.7),
        ];
        foreach (VectorWidth width in Widths.All)
        {
            for (int c = 0; c < calls.Length; c++)
            {
                long bytes;
                using (Widths.Limit(width))
                using (Parallelism.Force(1))
                {
                    bytes = Allocations.Fewest(calls[c]);
                }

                That.Holds(bytes == 0, $"call {c} on {width} allocated {bytes} bytes");
            }
        }
    }

    [Fact]
    public void ArgMax_InvalidArguments_ThrowWithoutWriting()
    {
        T[] x = TestData.To<T>([1, 2, 3, 4, 5, 6]);
        int[] destination = [Sentinel, Sentinel, Sentinel];
        Assert.Equal("classes", Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropy.Activations.ArgMax<T>(x, destination, 0)).ParamName);
        Assert.Equal("classes", Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropy.Activations.ArgMax<T>(x, destination, -1)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => CrossEntropy.Activations.ArgMax<T>(x, destination, 4)).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => CrossEntropy.Activations.ArgMax<T>(x, destination.AsSpan(0, 2), 2)).ParamName);
        Assert.All(destination, d => Assert.Equal(Sentinel, d));

        // An int destination over the bytes of x.
        T[] shared = TestData.To<T>([1, 2, 3, 4, 5, 6, 7, 8]);
        T[] copy = (T[])shared.Clone();
        Span<int> over = MemoryMarshal.Cast<T, int>(shared.AsSpan());
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => CrossEntropy.Activations.ArgMax<T>(shared, MemoryMarshal.Cast<T, int>(shared.AsSpan())[^1..], shared.Length)).ParamName);
        Assert.True(over.Length > 0);
        Check<T>.SameBits(copy, shared, "x under destination");

        // An empty batch writes nothing.
        CrossEntropy.Activations.ArgMax<T>(ReadOnlySpan<T>.Empty, destination, 3);
        Assert.All(destination, d => Assert.Equal(Sentinel, d));
    }

    [Fact]
    public void TopK_InvalidArguments_ThrowWithoutWriting()
    {
        T[] x = TestData.To<T>([1, 2, 3, 4, 5, 6]);
        T sentinel = T.CreateTruncating(42.125);
        int[] indices = Enumerable.Repeat(Sentinel, 6).ToArray();
        T[] values = Enumerable.Repeat(sentinel, 6).ToArray();

        void Rejects<TException>(string name, Action call)
            where TException : ArgumentException
        {
            Assert.Equal(name, Assert.Throws<TException>(call).ParamName);
            Assert.All(indices, i => Assert.Equal(Sentinel, i));
            Check<T>.Unchanged(values, sentinel, name);
        }

        Rejects<ArgumentOutOfRangeException>("classes", () => CrossEntropy.Activations.TopK<T>(x, indices, values, 0, 1));
        Rejects<ArgumentException>("x", () => CrossEntropy.Activations.TopK<T>(x, indices, values, 4, 1));
        Rejects<ArgumentOutOfRangeException>("k", () => CrossEntropy.Activations.TopK<T>(x, indices, values, 3, 0));
        Rejects<ArgumentOutOfRangeException>("k", () => CrossEntropy.Activations.TopK<T>(x, indices, values, 3, 4));
        Rejects<ArgumentOutOfRangeException>("k", () => CrossEntropy.Activations.TopK<T>(x, indices, values, 3, -1));
        Rejects<ArgumentException>("indices", () => CrossEntropy.Activations.TopK<T>(x, indices.AsSpan(0, 3), values, 3, 2));
        Rejects<ArgumentException>("values", () => CrossEntropy.Activations.TopK<T>(x, indices, values.AsSpan(0, 3), 3, 2));

        // values over x, exactly or in part; indices over the bytes of x; values over the bytes of indices.
        T[] shared = TestData.To<T>([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        T[] copy = (T[])shared.Clone();
        Rejects<ArgumentException>("values", () => CrossEntropy.Activations.TopK<T>(shared.AsSpan(0, 6), indices, shared.AsSpan(0, 6), 3, 3));
        Rejects<ArgumentException>("values", () => CrossEntropy.Activations.TopK<T>(shared.AsSpan(0, 6), indices, shared.AsSpan(5, 6), 3, 3));
        Rejects<ArgumentException>("indices", () => CrossEntropy.Activations.TopK<T>(shared.AsSpan(0, 6), MemoryMarshal.Cast<T, int>(shared.AsSpan(4)), values, 3, 1));
        Check<T>.SameBits(copy, shared, "x under an output");
        byte[] bytes = new byte[64];
        Span<int> byteIndices = MemoryMarshal.Cast<byte, int>(bytes.AsSpan(0, 32));
        Span<T> byteValues = MemoryMarshal.Cast<byte, T>(bytes.AsSpan(16, 48));
        Assert.Equal("values", Assert.Throws<ArgumentException>(() =>
            CrossEntropy.Activations.TopK<T>(x, MemoryMarshal.Cast<byte, int>(bytes.AsSpan(0, 32)), MemoryMarshal.Cast<byte, T>(bytes.AsSpan(16, 48)), 3, 3)).ParamName);
        Assert.True(byteIndices.Length + byteValues.Length > 0);
        Assert.All(bytes, b => Assert.Equal(0, b));
    }
}

public sealed class FloatSelectionTests : SelectionTests<float>;

public sealed class DoubleSelectionTests : SelectionTests<double>;

public sealed class HalfSelectionTests : SelectionTests<Half>;
