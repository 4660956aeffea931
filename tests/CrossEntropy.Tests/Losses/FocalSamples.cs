using System.Linq;
using FsCheck;
using FsCheck.Fluent;

namespace CrossEntropy.Tests.Losses;

/// <summary>Logits of one scale per sample from 1e-3 to 1e5, targets half 0 or 1 and half soft, and the SIMD width to run on.</summary>
public sealed record FocalBinarySample(double[] Logits, double[] Targets, int Width)
{
    public override string ToString() => $"FocalBinarySample(width {Width}, logits {Infrastructure.Logits.Show(Logits)}, targets {Infrastructure.Logits.Show(Targets)})";
}

/// <summary>The FsCheck generators of the focal tests.</summary>
public static class FocalArbitraries
{
    private static readonly double[] Scales = [1e-3, 1, 10, 100, 1e3, 1e4, 1e5];

    private static readonly Gen<double> Unit = Gen.Choose(0, 1 << 30).Select(k => k / (double)(1 << 30));

    public static Arbitrary<FocalBinarySample> BinarySamples() =>
        (from length in Gen.Choose(1, 70)
         from scale in Gen.Elements(Scales)
         from logits in Gen.ArrayOf(Unit.Select(u => (2 * u - 1) * scale), length)
         from targets in Gen.ArrayOf(Gen.OneOf(Gen.Elements(0.0, 1.0), Unit), length)
         from width in Gen.Elements(0, 128, 256, 512)
         select new FocalBinarySample(logits, targets, width)).ToArbitrary();
}
