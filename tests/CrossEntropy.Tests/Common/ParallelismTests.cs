using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Common;

/// <summary>Chunks of the largest batches: every item in exactly one chunk, on one thread or several.</summary>
public sealed class ParallelismTests
{
    [Theory]
    [InlineData(int.MaxValue, Parallelism.MaxChunks)]
    [InlineData(int.MaxValue - 1, 63)]
    [InlineData(33554432, Parallelism.MaxChunks)]
    [InlineData(Parallelism.MaxChunks, Parallelism.MaxChunks)]
    public void ChunkStartsSplitTheItemsEvenly(int items, int chunks)
    {
        for (int chunk = 0; chunk <= chunks; chunk++)
        {
            Assert.Equal((int)(new BigInteger(items) * chunk / chunks), Parallelism.Start(chunk, items, chunks));
        }

        Assert.Equal(items, Parallelism.Start(chunks, items, chunks));
    }

    /// <summary>
    /// An element-wise call on <see cref="int.MaxValue"/> elements and a batch of <see cref="int.MaxValue"/> one-element rows,
    /// run through the library's own chunking with a kernel that touches no memory and records the ranges it is given; and a
    /// single item (a call of one group, or of one row), which runs without the chunking.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TheLargestBatchesAreCoveredOnce(int threads)
    {
        using (Parallelism.Force(threads))
        {
            AssertCovered(Simd.Groups(int.MaxValue), Simd.GroupSize, int.MaxValue);
            AssertCovered(Simd.Groups(Array.MaxLength), Simd.GroupSize, Array.MaxLength);
            AssertCovered(int.MaxValue, 1, int.MaxValue);
            AssertCovered(1, Simd.GroupSize, 10);
            AssertCovered(1, 1, 1);
        }
    }

    private static void AssertCovered(int items, int itemLength, int elements)
    {
        var kernel = new RangeKernel(new ConcurrentBag<(int, int)>(), itemLength == 1 ? 0 : elements);
        double total = Simd.Run<RangeKernel, float>(ref kernel, items, itemLength);
        (int Start, int End)[] ranges = [.. kernel.Ranges.OrderBy(range => range.Start)];
        Assert.Equal(0, ranges[0].Start);
        Assert.Equal(elements, ranges[^1].End);
        Assert.All(ranges.Zip(ranges.Skip(1)), pair => Assert.Equal(pair.First.End, pair.Second.Start));
        Assert.Equal(elements, total);
    }

    /// <summary>
    /// Records the elements of each range of items as the element-wise kernels compute them (<paramref name="length"/> elements in
    /// groups), or the items themselves where the length is 0; returns the number of elements.
    /// </summary>
    private readonly ref struct RangeKernel(ConcurrentBag<(int, int)> ranges, int length) : IKernel
    {
        public ConcurrentBag<(int Start, int End)> Ranges { get; } = ranges;

        public double Run<TBlock, T>(int start, int end)
            where TBlock : struct, IBlock<TBlock, T>
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            (int first, int last) = length == 0 ? (start, end) : (Simd.GroupStart(start, length), Simd.GroupStart(end, length));
            That.Holds(first < last, $"empty range {first} to {last}");
            Ranges.Add((first, last));
            return last - first;
        }
    }
}
