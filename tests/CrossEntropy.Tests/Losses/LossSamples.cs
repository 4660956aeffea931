using System;
using System.Globalization;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;

namespace CrossEntropy.Tests.Losses;

/// <summary>Rows of logits with one label each; <see cref="Width"/> is the SIMD path to run on (a <see cref="VectorWidth"/> value).</summary>
public sealed record LabelledLogits(int Classes, double[] Logits, int[] Labels, int Width)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"classes {Classes}, width {Width}, labels [{string.Join(", ", Labels)}], logits [{string.Join(", ", Logits.Select(x => x.ToString("R", CultureInfo.InvariantCulture)))}]");
}

/// <summary><see cref="LabelledLogits"/> and a constant to add to every logit of one row.</summary>
public sealed record ShiftedLogits(LabelledLogits Sample, int Row, double Shift)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Sample}, row {Row} shifted by {Shift:R}");
}

/// <summary>
/// One categorical cross-entropy problem: logits or probabilities, labels (with <see cref="IgnoreIndex"/>) or, when
/// <see cref="Labels"/> is null, soft <see cref="Targets"/>, optional class weights and label smoothing.
/// </summary>
public sealed record CategoricalSample(bool FromLogits, int Classes, double[] Input, int[]? Labels, double[]? Targets, double[] Weights, int IgnoreIndex, double Smoothing, int Width)
{
    public int Rows => Input.Length / Classes;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{(FromLogits ? "logits" : "probabilities")}, classes {Classes}, width {Width}, smoothing {Smoothing}, ignoreIndex {IgnoreIndex}, " +
        $"input [{Join(Input)}], labels [{(Labels is null ? "none" : string.Join(", ", Labels))}], targets [{(Targets is null ? "none" : Join(Targets))}], weights [{Join(Weights)}]");

    internal static string Join(double[] values) => string.Join(", ", values.Select(x => x.ToString("R", CultureInfo.InvariantCulture)));
}

/// <summary>A <see cref="CategoricalSample"/> with logits in [-5, 5] or probabilities in [0.05, 0.95], where finite differences are accurate.</summary>
public sealed record SmoothCategorical(CategoricalSample Sample)
{
    public override string ToString() => Sample.ToString();
}

/// <summary>A <see cref="CategoricalSample"/> with logits up to 1e4 in magnitude or probabilities anywhere in [0, 1].</summary>
public sealed record WideCategorical(CategoricalSample Sample)
{
    public override string ToString() => Sample.ToString();
}

/// <summary>One binary cross-entropy problem; <see cref="PositiveWeights"/> is empty for probabilities.</summary>
public sealed record BinarySample(bool FromLogits, double[] Input, double[] Targets, double[] Weights, double[] PositiveWeights, double Smoothing, int Width)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{(FromLogits ? "logits" : "probabilities")}, width {Width}, smoothing {Smoothing}, input [{CategoricalSample.Join(Input)}], " +
        $"targets [{CategoricalSample.Join(Targets)}], weights [{CategoricalSample.Join(Weights)}], positive weights [{CategoricalSample.Join(PositiveWeights)}]");
}

/// <summary>A <see cref="BinarySample"/> with logits in [-8, 8] or probabilities in [0.05, 0.95].</summary>
public sealed record SmoothBinary(BinarySample Sample)
{
    public override string ToString() => Sample.ToString();
}

/// <summary>A <see cref="BinarySample"/> with logits up to 1e4 in magnitude or probabilities anywhere in [0, 1].</summary>
public sealed record WideBinary(BinarySample Sample)
{
    public override string ToString() => Sample.ToString();
}

/// <summary>
/// Generators for the loss properties. FsCheck's own doubles stay near +-100 and include NaN and infinities; these draw
/// logits at scales from 1e-3 to 1e4, probabilities in [0, 1] (or a band away from 0 and 1), labels in range, and shapes.
/// </summary>
public static class LossArbitraries
{
    private const int Resolution = 1 << 30;

    private static readonly double[] Scales = [1e-3, 0.1, 1, 10, 100, 1e3, 1e4];

    private static readonly double[] Smoothings = [0, 0.1, 0.5, 1];

    private static readonly int[] WidthValues = [0, 128, 256, 512];

    public static Arbitrary<LabelledLogits> LabelledLogits() =>
        (from classes in Gen.Choose(1, 40)
         from rows in Gen.Choose(1, 6)
         from logits in WideLogits(rows, classes)
         from labels in Gen.ArrayOf(Gen.Choose(0, classes - 1), rows)
         from width in Gen.Elements(WidthValues)
         select new LabelledLogits(classes, logits, labels, width)).ToArbitrary();

    /// <summary>
    /// Either an exact shift (logits on the grid k / 64 with |k| &lt;= 2^16, an integer shift up to 2^10: every sum is exact in
    /// float and double) or any shift up to 1e3 of the wide logits.
    /// </summary>
    public static Arbitrary<ShiftedLogits> ShiftedLogits() =>
        Gen.OneOf(
            from classes in Gen.Choose(1, 40)
            from rows in Gen.Choose(1, 4)
            from grid in Gen.ArrayOf(Gen.Choose(-(1 << 16), 1 << 16), rows * classes)
            from labels in Gen.ArrayOf(Gen.Choose(0, classes - 1), rows)
            from width in Gen.Elements(WidthValues)
            from row in Gen.Choose(0, rows - 1)
            from shift in Gen.Choose(-(1 << 10), 1 << 10)
            select new ShiftedLogits(new LabelledLogits(classes, grid.Select(k => k / 64.0).ToArray(), labels, width), row, shift),
            from sample in LabelledLogits().Generator
            from row in Gen.Choose(0, sample.Labels.Length - 1)
            from shift in Uniform(-1e3, 1e3)
            select new ShiftedLogits(sample, row, shift)).ToArbitrary();

    public static Arbitrary<SmoothCategorical> SmoothCategorical() =>
        Categorical(maxClasses: 12, maxRows: 4, logits: (rows, classes) => Gen.ArrayOf(Uniform(-5, 5), rows * classes),
            probabilities: n => Gen.ArrayOf(Uniform(0.05, 0.95), n)).Select(sample => new SmoothCategorical(sample)).ToArbitrary();

    public static Arbitrary<WideCategorical> WideCategorical() =>
        Categorical(maxClasses: 40, maxRows: 6, logits: WideLogits, probabilities: n => Gen.ArrayOf(Uniform(0, 1), n))
            .Select(sample => new WideCategorical(sample)).ToArbitrary();

    public static Arbitrary<SmoothBinary> SmoothBinary() =>
        Binary(logits: n => Gen.ArrayOf(Uniform(-8, 8), n), probabilities: n => Gen.ArrayOf(Uniform(0.05, 0.95), n))
            .Select(sample => new SmoothBinary(sample)).ToArbitrary();

    public static Arbitrary<WideBinary> WideBinary() =>
        Binary(logits: n => WideLogits(1, n), probabilities: n => Gen.ArrayOf(Uniform(0, 1), n))
            .Select(sample => new WideBinary(sample)).ToArbitrary();

    private static Gen<double> Uniform(double low, double high) =>
        Gen.Choose(0, Resolution).Select(k => low + (high - low) * k / Resolution);

    /// <summary>Rows of logits, each with its own scale from 1e-3 to 1e4 and an offset of up to that scale.</summary>
    private static Gen<double[]> WideLogits(int rows, int classes) =>
        Gen.ArrayOf(
            from scale in Gen.Elements(Scales)
            from offset in Uniform(-1, 1)
            from values in Gen.ArrayOf(Uniform(-1, 1), classes)
            select values.Select(v => scale * (v + offset)).ToArray(),
            rows).Select(parts => parts.SelectMany(part => part).ToArray());

    private static Gen<CategoricalSample> Categorical(int maxClasses, int maxRows, Func<int, int, Gen<double[]>> logits, Func<int, Gen<double[]>> probabilities) =>
        from fromLogits in Gen.Elements(true, false)
        from classes in Gen.Choose(1, maxClasses)
        from rows in Gen.Choose(1, maxRows)
        from input in fromLogits ? logits(rows, classes) : probabilities(rows * classes)
        from soft in Gen.Elements(true, false)
        from labels in Gen.ArrayOf(Gen.Choose(-1, classes - 1), rows)
        from targets in Gen.ArrayOf(Uniform(0, 1), rows * classes)
        from weighted in Gen.Elements(true, false)
        from weights in Gen.ArrayOf(Uniform(0.25, 2), weighted ? classes : 0)
        from smoothing in Gen.Elements(Smoothings)
        from width in Gen.Elements(WidthValues)
        select new CategoricalSample(fromLogits, classes, input, soft ? null : labels, soft ? targets : null, weights, -1, smoothing, width);

    private static Gen<BinarySample> Binary(Func<int, Gen<double[]>> logits, Func<int, Gen<double[]>> probabilities) =>
        from fromLogits in Gen.Elements(true, false)
        from length in Gen.Choose(1, 40)
        from input in fromLogits ? logits(length) : probabilities(length)
        from targets in Gen.ArrayOf(Gen.OneOf(Gen.Elements(0.0, 1.0), Uniform(0, 1)), length)
        from weightsLength in Gen.Elements(0, 1, length)
        from weights in Gen.ArrayOf(Uniform(0.25, 2), weightsLength)
        from positiveWeightsLength in Gen.Elements(0, 1, length)
        from positiveWeights in Gen.ArrayOf(Uniform(0.25, 4), fromLogits ? positiveWeightsLength : 0)
        from smoothing in Gen.Elements(Smoothings)
        from width in Gen.Elements(WidthValues)
        select new BinarySample(fromLogits, input, targets, weights, positiveWeights, smoothing, width);
}
