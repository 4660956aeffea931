using System;
using System.Globalization;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;

namespace CrossEntropy.Tests.Infrastructure;

/// <summary>A row-major batch of logits: <c>Values.Length</c> is a positive multiple of <see cref="Classes"/>.</summary>
public sealed record Logits(double[] Values, int Classes)
{
    public int Rows => Values.Length / Classes;

    public override string ToString() => $"Logits(classes {Classes}, rows {Rows}, values {Show(Values)})";

    internal static string Show(double[] values) =>
        "[" + string.Join(", ", values.Take(32).Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + (values.Length > 32 ? ", ...]" : "]");
}

/// <summary>
/// A batch of logits that are multiples of 1/8 within +-1e4, and an integer shift per row: x + shift is exact in float
/// and double.
/// </summary>
public sealed record ShiftedLogits(double[] Values, int Classes, int[] Shifts)
{
    public double[] Shifted() => Values.Select((value, i) => value + Shifts[i / Classes]).ToArray();

    public override string ToString() => $"ShiftedLogits(classes {Classes}, shifts [{string.Join(", ", Shifts)}], values {Logits.Show(Values)})";
}

/// <summary>Logits, an output gradient of the same shape, and the indices whose input gradient is checked.</summary>
public sealed record BackwardCase(double[] Values, double[] Gradient, int Classes, int[] Probes)
{
    public override string ToString() =>
        $"BackwardCase(classes {Classes}, probes [{string.Join(", ", Probes)}], values {Logits.Show(Values)}, gradient {Logits.Show(Gradient)})";
}

/// <summary>
/// FsCheck generators for the activation properties. Logits come from a mix of scales up to +-1e4, either one scale per
/// batch or one per value (rows with very different magnitudes); row lengths 1..4096, short rows most often, 1 to 4 rows.
/// </summary>
public static class Generators
{
    private static readonly double[] Scales = [1e-3, 1, 10, 100, 1e3, 1e4];

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    private static readonly Gen<double> Unit =
        Gen.Choose(0, (1 << 26) - 1).Zip(Gen.Choose(0, (1 << 27) - 1), (high, low) => (high * 134217728.0 + low) / 9007199254740992.0);

    private static readonly Gen<(int Rows, int Classes)> Shape =
        from classes in Gen.Frequency((4, Gen.Choose(1, 32)), (3, Gen.Choose(33, 512)), (1, Gen.Choose(513, 4096)))
        from rows in Gen.Choose(1, Math.Min(4, 8192 / classes))
        select (rows, classes);

    public static Arbitrary<Logits> LogitBatches() =>
        (from shape in Shape
         from values in Values(shape.Rows * shape.Classes)
         select new Logits(values, shape.Classes)).ToArbitrary();

    public static Arbitrary<ShiftedLogits> ShiftedLogitBatches() =>
        (from shape in Shape
         from eighths in Gen.Elements(8, 800, 80000)
         from values in Gen.ArrayOf(Gen.Choose(-eighths, eighths).Select(k => k / 8.0), shape.Rows * shape.Classes)
         from shifts in Gen.ArrayOf(Gen.Choose(-64, 64), shape.Rows)
         select new ShiftedLogits(values, shape.Classes, shifts)).ToArbitrary();

    public static Arbitrary<BackwardCase> BackwardCases() =>
        (from shape in Shape
         from values in Values(shape.Rows * shape.Classes)
         from gradient in Gen.ArrayOf(Symmetric(1), shape.Rows * shape.Classes)
         from probes in Gen.ArrayOf(Gen.Choose(0, shape.Rows * shape.Classes - 1), 4)
         select new BackwardCase(values, gradient, shape.Classes, probes)).ToArbitrary();

    private static Gen<double> Symmetric(double bound) => Unit.Select(u => (2 * u - 1) * bound);

    private static Gen<double[]> Values(int count) =>
        Gen.OneOf(
            Gen.Elements(Scales).SelectMany(scale => Gen.ArrayOf(Symmetric(scale), count)),
            Gen.ArrayOf(Gen.Elements(Scales).SelectMany(Symmetric), count));
}
