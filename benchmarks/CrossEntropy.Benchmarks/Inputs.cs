using System;
using System.Numerics;

namespace CrossEntropy.Benchmarks;

/// <summary>
/// Benchmark buffers, the same in every process: values drawn from a <see cref="Random"/> seeded with <see cref="Seed"/>,
/// in pinned memory at a fixed place relative to the 4 KB pages.
/// </summary>
/// <remarks>
/// Where two arrays of a benchmark sit decides its speed: when an output lies a few bytes after an input modulo 4 KB,
/// stores hold up the loads that follow them (4K aliasing), and with plain arrays, placed differently from one process
/// to the next, a kernel or its peer ran several times slower in some launches. So buffer number <c>slot</c> starts
/// <c>slot</c> x <see cref="SlotBytes"/> bytes past a page boundary: 64-byte aligned, and at least a third of a page from
/// the others of the same benchmark.
/// </remarks>
internal static class Inputs
{
    public const int Seed = 42;

    private const int PageBytes = 4096;
    private const int SlotBytes = 21 * 64;

    /// <summary>A zeroed buffer of <paramref name="length"/> elements in page slot <paramref name="slot"/> (0, 1 or 2).</summary>
    public static unsafe Memory<T> Buffer<T>(int length, int slot)
        where T : unmanaged
    {
        T[] array = GC.AllocateArray<T>(length + 2 * PageBytes / sizeof(T), pinned: true);
        fixed (T* data = array)
        {
            long nextPage = ((long)data + PageBytes - 1) / PageBytes * PageBytes;
            int start = (int)((nextPage + slot * SlotBytes - (long)data) / sizeof(T));
            return array.AsMemory(start, length);
        }
    }

    /// <summary>A buffer of values drawn uniformly from [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public static Memory<T> Uniform<T>(Random random, int length, double min, double max, int slot)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Memory<T> buffer = Buffer<T>(length, slot);
        Span<T> values = buffer.Span;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = T.CreateTruncating(min + random.NextDouble() * (max - min));
        }

        return buffer;
    }

    /// <summary>A buffer of binary targets, each 0 or 1 with equal chance.</summary>
    public static Memory<T> ZerosAndOnes<T>(Random random, int length, int slot)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Memory<T> buffer = Buffer<T>(length, slot);
        Span<T> values = buffer.Span;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = T.CreateTruncating(random.Next(2));
        }

        return buffer;
    }

    /// <summary>One class label per row, each in [0, <paramref name="classes"/>).</summary>
    public static int[] Labels(Random random, int rows, int classes)
    {
        var labels = new int[rows];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = random.Next(classes);
        }

        return labels;
    }
}
