using System;
using System.Linq;
using System.Numerics;
using System.Numerics.Tensors;
using CrossEntropy.Tests.Infrastructure;
using CrossEntropy.Tests.Losses;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using TestData = CrossEntropy.Tests.Infrastructure.TestData;
using Xunit;

namespace CrossEntropy.Tests.Tensors;

/// <summary>Logits of an <c>[outer, classes, inner]</c> tensor, row-major, and the scale they were drawn at.</summary>
public sealed record LayoutLogits(double[] Values, int Outer, int Classes, int Inner)
{
    public override string ToString() => $"LayoutLogits([{Outer}, {Classes}, {Inner}], values {Logits.Show(Values)})";
}

/// <summary>
/// Shapes with the classes along dimension 1 and up to 40 positions side by side (every tail of the 8- and 16-lane blocks), logits
/// at one scale per tensor or one per value from 1e-3 to 1e5.
/// </summary>
public static class LayoutGenerators
{
    private static readonly double[] Scales = [1e-3, 1, 10, 100, 1e3, 1e4, 1e5];

    public static Arbitrary<LayoutLogits> Layouts() =>
        (from outer in Gen.Choose(1, 3)
         from classes in Gen.Choose(1, 40)
         from inner in Gen.Choose(2, 40)
         from values in Values(outer * classes * inner)
         select new LayoutLogits(values, outer, classes, inner)).ToArbitrary();

    private static Gen<double> Symmetric(double bound) => Gen.Choose(-1_000_000, 1_000_000).Select(k => k / 1e6 * bound);

    private static Gen<double[]> Values(int count) =>
        Gen.OneOf(
            Gen.Elements(Scales).SelectMany(scale => Gen.ArrayOf(Symmetric(scale), count)),
            Gen.ArrayOf(Gen.Elements(Scales).SelectMany(Symmetric), count));
}

/// <summary>Softmax, logsumexp and argmax along dimension 1 of generated tensors against the double references of each position, on every width.</summary>
public abstract class TensorProperties<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Property(Arbitrary = new[] { typeof(LayoutGenerators) }, MaxTest = 25)]
    public void AlongDimension1_MatchesTheReferenceOfEachPosition(LayoutLogits logits)
    {
        var split = new Split(logits.Outer, logits.Classes, logits.Inner);
        double[] values = TestData.RoundTrip<T>(logits.Values);
        double[] rows = split.ToRows(values);
        T[] x = TestData.To<T>(values);
        nint[] lengths = [logits.Outer, logits.Classes, logits.Inner];
        nint[] reduced = [logits.Outer, logits.Inner];
        T[] softmax = new T[x.Length];
        T[] logSumExp = new T[split.Positions];
        int[] argMax = new int[split.Positions];
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                var input = new ReadOnlyTensorSpan<T>(x, lengths, default);
                CrossEntropy.Activations.Softmax(input, new TensorSpan<T>(softmax, lengths, default), 1);
                CrossEntropy.Activations.LogSumExp(input, new TensorSpan<T>(logSumExp, reduced, default), -2);
                CrossEntropy.Activations.ArgMax(input, new TensorSpan<int>(argMax, reduced, default), 1);
            }

            for (int p = 0; p < split.Positions; p++)
            {
                double[] row = rows[(p * split.Classes)..((p + 1) * split.Classes)];
                double[] expected = LossReference.Softmax(row);
                for (int c = 0; c < split.Classes; c++)
                {
                    Check<T>.Close(expected[c], softmax[split.Index(p, c)], $"softmax, position {p}, class {c}, {width}");
                }

                double max = row.Max();
                Check<T>.Close(Reference.LogSumExp(row), logSumExp[p], Math.Abs(max) + Math.Abs(Reference.LogSumExp(row) - max), $"logsumexp, position {p}, {width}");
                Assert.Equal(Array.IndexOf(row, max), argMax[p]);
            }
        }
    }
}

public sealed class FloatTensorProperties : TensorProperties<float>;

public sealed class DoubleTensorProperties : TensorProperties<double>;
