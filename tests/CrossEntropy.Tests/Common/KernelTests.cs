using System;
using System.Runtime.CompilerServices;
using Xunit;

namespace CrossEntropy.Tests.Common;

/// <summary>The kernels' row-size arithmetic for rows of up to <see cref="int.MaxValue"/> elements.</summary>
public sealed class KernelTests
{
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
