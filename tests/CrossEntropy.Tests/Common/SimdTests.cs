using System;
using CrossEntropy.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace CrossEntropy.Tests.Common;

/// <summary>How element-wise calls split into groups, up to the longest span, and which paths may run and are reported.</summary>
public sealed class SimdTests(ITestOutputHelper output)
{
    public static TheoryData<int> Lengths => new()
    {
        0, 1, 63, 64, 65, 4095, int.MaxValue - 64, int.MaxValue - 63, int.MaxValue - 62, Array.MaxLength, int.MaxValue,
    };

    [Fact]
    public void GroupsAtTheLargestLengths()
    {
        Assert.Equal(33554431, Simd.Groups(int.MaxValue - 63));
        Assert.Equal(33554432, Simd.Groups(int.MaxValue - 62));
        Assert.Equal(33554432, Simd.Groups(Array.MaxLength));
        Assert.Equal(33554432, Simd.Groups(int.MaxValue));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void GroupsCoverEveryElementOnce(int length)
    {
        int groups = Simd.Groups(length);
        Assert.Equal(((long)length + Simd.GroupSize - 1) / Simd.GroupSize, groups);
        Assert.Equal(0, Simd.GroupStart(0, length));
        Assert.Equal(length, Simd.GroupStart(groups, length));
        for (int group = Math.Max(groups - 3, 0); group < groups; group++)
        {
            long start = (long)group * Simd.GroupSize;
            Assert.Equal(start, Simd.GroupStart(group, length));
            Assert.Equal(Math.Min(start + Simd.GroupSize, length), Simd.GroupStart(group + 1, length));
        }
    }

    [Fact]
    public void WideBlocksRunOnlyWithFusedMultiplyAdd()
    {
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                That.Holds(Simd.Current < VectorWidth.Vector256 || Simd.FusedMultiplyAdd, $"{Simd.Current} without FMA hardware");
            }
        }
    }

    /// <summary>
    /// Widths.Limit records the path kernels then take, the width asked for or the widest below it that the hardware has, and
    /// never one the hardware lacks, which the report names as not run. Writes the report the test run ends with.
    /// </summary>
    [Fact]
    public void LimitRecordsOnlyThePathsThatRun()
    {
        foreach (VectorWidth width in Widths.All)
        {
            VectorWidth path = width < Simd.Hardware ? width : Simd.Hardware;
            using (Widths.Limit(width))
            {
                Assert.Equal(path, Simd.Current);
            }

            Assert.Contains(path, Widths.Ran);
            if (width > Simd.Hardware)
            {
                Assert.DoesNotContain(width, Widths.Ran);
                Assert.Contains($"{width} (not accelerated here)", Widths.Report(), StringComparison.Ordinal);
            }
        }

        output.WriteLine(Widths.Report());
    }
}
