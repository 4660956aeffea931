using System;
using System.Runtime.CompilerServices;
using Xunit;

namespace CrossEntropy.Tests.Common;

/// <summary>The kernels' loop and row-size arithmetic at rows of nearly 2^31 elements.</summary>
public sealed class KernelTests
{
    public static TheoryData<int> Lengths => new() { 1, 15, 16, 17, int.MaxValue - 16, int.MaxValue - 15, int.MaxValue - 14, Array.MaxLength, int.MaxValue };

    /// <summary>A loop from the last few blocks of a row visits each of them once and stops, for 16- and 8-lane blocks.</summary>
    [Theory]
    [MemberData(nameof(Lengths))]
    public void BlockLoopsStopAfterTheLastBlock(int length)
    {
        AssertLastBlocks<float>(length);
        AssertLastBlocks<double>(length);
    }

    private static void AssertLastBlocks<T>(int length)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int width = Block512<T>.Count;
        long blocks = ((long)length + width - 1) / width;
        long first = Math.Max(blocks - 4, 0);
        long visited = 0;
        for (int i = (int)(first * width); Kernel<Block512<T>, T, T>.HasBlockAt(i, length); i += width)
        {
            Assert.True(visited < 4, $"more blocks than the row has at index {i}");
            visited++;
        }

        Assert.Equal(blocks - first, visited);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2048)]
    [InlineData(2049)]
    [InlineData(4096)]
    [InlineData(4097)]
    [InlineData(int.MaxValue / 8 + 1)]
    [InlineData(int.MaxValue / 4 + 1)]
    [InlineData(int.MaxValue / 2 + 1)]
    [InlineData(int.MaxValue)]
    public void RowsReadAheadUpToEightKilobytes(int classes)
    {
        Assert.Equal((long)classes * sizeof(float) <= 8192, Kernel<Block128<float>, float, float>.ReadsAhead(classes));
        Assert.Equal((long)classes * sizeof(double) <= 8192, Kernel<Block128<double>, double, double>.ReadsAhead(classes));
        Assert.Equal((long)classes * Unsafe.SizeOf<Half>() <= 8192, Kernel<Block128<float>, float, Half>.ReadsAhead(classes));
    }
}
