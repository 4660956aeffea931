using System;
using System.Collections.Generic;
using Xunit;

namespace CrossEntropy.Tests.Determinism;

/// <summary>
/// The determinism sweeps pass when nothing differs, so these check that <see cref="Sweep"/> does report what it must:
/// an output that depends on the width, a loss that depends on where the input sits in memory, a flipped sign of zero;
/// and that it treats NaNs of different payloads as equal.
/// </summary>
public sealed class SweepSelfTests
{
    [Fact]
    public void AWidthDependentOutputIsReported()
    {
        var c = new Case<float>
        {
            Name = "width-dependent",
            X = [1, 2, 3],
            Parts = [new("values", 3)],
            Scalars = [],
            Call = (inputs, output, scalars) =>
            {
                inputs.X.CopyTo(output);
                output[1] += Simd.Current == VectorWidth.Scalar ? 0.25f : 0;
            },
        };
        var failures = new List<string>();
        Sweep.AllWidthsAndThreads(c, failures);
        Assert.Equal(Sweep.ThreadCounts.Length, failures.Count);
        Assert.All(failures, failure => Assert.Contains("Scalar", failure, StringComparison.Ordinal));
    }

    [Fact]
    public void APlacementDependentLossIsReported()
    {
        var c = new Case<double>
        {
            Name = "placement-dependent",
            X = [1, 2, 3],
            Parts = [],
            Scalars = ["address"],
            Call = (inputs, output, scalars) =>
            {
                unsafe
                {
                    fixed (double* first = inputs.X)
                    {
                        scalars[0] = (nint)first % 64 / 8;
                    }
                }
            },
        };
        var failures = new List<string>();
        Sweep.AllPlacements(c, failures);
        Assert.NotEmpty(failures);
    }

    [Fact]
    public void ZeroSignsDifferAndNaNPayloadsDoNot()
    {
        float otherNaN = BitConverter.Int32BitsToSingle(unchecked((int)0xFFC0_0001));
        var c = new Case<float>
        {
            Name = "signs and NaNs",
            Parts = [new("values", 2)],
            Scalars = [],
            Call = (inputs, output, scalars) =>
            {
                bool vector = Simd.Current != VectorWidth.Scalar;
                output[0] = vector ? 0f : -0f;
                output[1] = vector ? float.NaN : otherNaN;
            },
        };
        var failures = new List<string>();
        Sweep.AllWidthsAndThreads(c, failures);
        Assert.Equal(Sweep.ThreadCounts.Length, failures.Count);
        Assert.All(failures, failure => Assert.Contains("index 0", failure, StringComparison.Ordinal));
    }
}
