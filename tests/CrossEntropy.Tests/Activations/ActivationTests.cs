using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using CrossEntropy.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace CrossEntropy.Tests.Activations;

/// <summary>
/// Tests of <see cref="CrossEntropy.Activations"/> for one element type. Every check runs on every SIMD width (the sweeps
/// over many lengths run the slow scalar path on every third case, see <see cref="Widths.ForCase"/>), inputs and outputs
/// live in <see cref="BoundedMemory{T}"/> (a read or write past the end crashes), and results are compared with the
/// double-precision <see cref="Reference"/> within <see cref="Tolerance{T}"/>.
/// </summary>
public abstract partial class ActivationTests<T>(ITestOutputHelper output)
    where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    private const int MaxLength = 256;
    private const int Seed = 20240613;

    /// <summary>
    /// Inputs of the length tests lie in [-16, 16]: probabilities go down to e^-32, and the double reference's own rounding
    /// of x - max (half an ulp of a number below 32, 1.8e-15 relative after exp) stays well inside the double tolerance.
    /// </summary>
    private const double Bound = 16;

    /// <summary>
    /// Two whole groups of the rows that short rows (up to <see cref="GroupClasses"/> classes) run across lanes, one row per lane
    /// of a 64-byte block, the last ending where the guarded memory does.
    /// </summary>
    private static readonly int GroupRows = 2 * GroupClasses;

    /// <summary>The longest row that runs across lanes: one 64-byte block.</summary>
    private static readonly int GroupClasses = 64 / Unsafe.SizeOf<T>();

    /// <summary>Written into outputs before a call, to see which elements the call changed.</summary>
    private static readonly T Sentinel = T.CreateTruncating(42.125);

    private static readonly int[] InvalidClasses = [0, -1, int.MinValue];

    /// <summary>Row lengths of the special-value tests: single elements, around the 8- and 16-lane blocks, and long rows.</summary>
    private static readonly int[] SpecialClasses = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 255, 257];

    /// <summary>A batch operation; single-row and element-wise methods are wrapped to ignore <paramref name="classes"/>.</summary>
    private delegate void RowsOperation(ReadOnlySpan<T> x, Span<T> destination, int classes);

    private delegate void BackwardOperation(ReadOnlySpan<T> output, ReadOnlySpan<T> outputGradient, Span<T> inputGradient, int classes);

    /// <summary>The expected outputs of one row, and for each the scale its tolerance is relative to.</summary>
    private delegate void ReferenceRow(ReadOnlySpan<double> row, Span<double> expected, Span<double> scale);

    private delegate void ReferenceBackward(ReadOnlySpan<double> y, ReadOnlySpan<double> g, Span<double> expected, Span<double> scale);

    /// <summary>A row reference whose every output is compared relative to its own magnitude.</summary>
    private static ReferenceRow Relative(Action<double[], double[]> reference) => (row, expected, scale) =>
    {
        double[] result = new double[expected.Length];
        reference(row.ToArray(), result);
        result.CopyTo(expected);
        for (int i = 0; i < result.Length; i++)
        {
            scale[i] = Math.Abs(result[i]);
        }
    };

    private static ReferenceRow ElementWise(Func<double, double> reference) =>
        Relative((row, result) =>
        {
            for (int i = 0; i < row.Length; i++)
            {
                result[i] = reference(row[i]);
            }
        });

    private static T[] Filled(int length, T value)
    {
        T[] result = new T[length];
        result.AsSpan().Fill(value);
        return result;
    }

    /// <summary>Runs the operation on <paramref name="x"/> on each of <paramref name="widths"/> into a guarded output and compares each row with the reference.</summary>
    private static void CompareWithReference(string context, RowsOperation operation, ReferenceRow reference, ReadOnlySpan<T> x, int classes, bool reduction, VectorWidth[] widths)
    {
        int rows = x.Length / classes;
        int outputsPerRow = reduction ? 1 : classes;
        double[] values = TestData.ToDouble<T>(x);
        double[] expected = new double[rows * outputsPerRow];
        double[] scale = new double[expected.Length];
        for (int row = 0; row < rows; row++)
        {
            reference(values.AsSpan(row * classes, classes), expected.AsSpan(row * outputsPerRow, outputsPerRow), scale.AsSpan(row * outputsPerRow, outputsPerRow));
        }

        using BoundedMemory<T> destination = BoundedMemory.Allocate<T>(expected.Length);
        foreach (VectorWidth width in widths)
        {
            destination.Span.Fill(Sentinel);
            using (Widths.Limit(width))
            {
                operation(x, destination.Span, classes);
            }

            Check<T>.Close(expected, scale, destination.Span, $"{context}, {width}");
        }
    }

    /// <summary>
    /// Every row length 0..<paramref name="maxLength"/>, each in a batch of <paramref name="rows"/> rows, against the reference.
    /// Element-wise functions take <paramref name="mixedScales"/> inputs, which reach their saturated and subnormal ranges.
    /// </summary>
    private static void EveryLengthMatchesReference(string name, RowsOperation operation, ReferenceRow reference, int rows, bool reduction = false,
        bool mixedScales = false, int maxLength = MaxLength)
    {
        var random = new Random(Seed + rows);
        for (int length = 0; length <= maxLength; length++)
        {
            using BoundedMemory<T> x = BoundedMemory.Holding<T>(mixedScales ? TestData.MixedScales(random, rows * length) : TestData.Uniform(random, rows * length, Bound));

            CompareWithReference($"{name}, length {length}, rows {rows}", operation, reference, x.Span, Math.Max(length, 1), reduction, Widths.ForCase(length));
        }
    }

    /// <summary>
    /// Rows whose maximum appears more than once, in the same block, in different blocks and in the last, partial block: the
    /// kernels leave exactly one maximal term out of the sum that log1p takes, and the others must stay in.
    /// </summary>
    [Fact]
    public void SoftmaxFamily_TiedMaxima_MatchReference()
    {
        var random = new Random(Seed);
        foreach (int classes in new[] { 2, 3, 17, 37, 64, 100 })
        {
            for (int trial = 0; trial < 6; trial++)
            {
                using BoundedMemory<T> x = BoundedMemory.Holding<T>(TestData.Uniform(random, 3 * classes, Bound));
                for (int row = 0; row < 3; row++)
                {
                    T max = T.CreateTruncating(Bound + 1 + trial);
                    int ties = 2 + random.Next(Math.Min(classes - 1, 4));
                    for (int tie = 0; tie < ties; tie++)
                    {
                        // The last lanes first, then anywhere.
                        int at = tie == 0 ? classes - 1 : random.Next(classes);
                        x.Span[row * classes + at] = max;
                    }
                }

                string context = $"classes {classes}, trial {trial}";
                CompareWithReference($"Softmax, {context}", SoftmaxRows, SoftmaxReference, x.Span, classes, reduction: false, Widths.All);
                CompareWithReference($"LogSoftmax, {context}", LogSoftmaxRows, LogSoftmaxReference, x.Span, classes, reduction: false, Widths.All);
                CompareWithReference($"LogSumExp, {context}", LogSumExpRows, LogSumExpReference, x.Span, classes, reduction: true, Widths.All);
            }
        }
    }

    /// <summary>
    /// Rows whose smallest element lies just inside, exactly at or past minus the next power of two above the maximum: where
    /// the kernels change how they split x - max exactly. Every element is otherwise random, with all its low bits in use; with
    /// float's larger maxima, a rounded x - max of a small element would miss the tolerance (the double reference's own
    /// rounding of x - max keeps double's maxima small).
    /// </summary>
    [Fact]
    public void SoftmaxFamily_AtTheEdgeOfTheMaximumsBinade_MatchReference()
    {
        var random = new Random(Seed);
        double[] maxima = typeof(T) == typeof(double) ? [0.75, 3.5, 5.25] : [0.75, 3.5, 50.25, 90.5];
        const int classes = 37;
        foreach (double max in maxima)
        {
            double edge = Math.Pow(2, Math.Floor(Math.Log2(max)) + 1);
            foreach (double lowest in new[] { -edge * 0.9990234375, -edge, -edge * 1.0009765625, -edge * 3 })
            {
                using BoundedMemory<T> x = BoundedMemory.Allocate<T>(3 * classes);
                for (int i = 0; i < x.Span.Length; i++)
                {
                    x.Span[i] = T.CreateTruncating(lowest + random.NextDouble() * (max - lowest));
                }

                x.Span[random.Next(classes)] = T.CreateTruncating(max);
                x.Span[classes + random.Next(classes)] = T.CreateTruncating(lowest);
                string context = $"max {max}, lowest {lowest}";
                CompareWithReference($"Softmax, {context}", SoftmaxRows, SoftmaxReference, x.Span, classes, reduction: false, Widths.All);
                CompareWithReference($"LogSoftmax, {context}", LogSoftmaxRows, LogSoftmaxReference, x.Span, classes, reduction: false, Widths.All);
                CompareWithReference($"LogSumExp, {context}", LogSumExpRows, LogSumExpReference, x.Span, classes, reduction: true, Widths.All);
            }
        }
    }

    /// <summary>
    /// Batches whose rows each follow a random pattern of special values: none, a few or many from all of them, many or
    /// only finite ones and -infinity (finite maxima), or only -infinity.
    /// </summary>
    private static void SpecialValuesMatchReference(string name, RowsOperation operation, ReferenceRow reference, bool reduction = false)
    {
        var random = new Random(Seed);
        foreach (int classes in SpecialClasses)
        {
            for (int trial = 0; trial < 8; trial++)
            {
                int rows = 1 + random.Next(3);
                using BoundedMemory<T> x = BoundedMemory.Holding<T>(TestData.Uniform(random, rows * classes, Bound));
                for (int row = 0; row < rows; row++)
                {
                    InjectSpecials(random, x.Span.Slice(row * classes, classes));
                }

                CompareWithReference($"{name}, classes {classes}, rows {rows}, trial {trial}", operation, reference, x.Span, classes, reduction, Widths.ForCase(trial));
            }
        }
    }

    /// <summary>
    /// A NaN anywhere in a row makes the row's softmax, log-softmax and log-sum-exp NaN, wherever it sits relative to the blocks
    /// and lanes: a batch of <c>classes</c> rows with the NaN in column r of row r, and a last, clean row that stays finite; on one
    /// thread and on two, every width.
    /// </summary>
    [Fact]
    public void RowOperations_NaNAnywhere_GiveNaNRows()
    {
        var random = new Random(Seed);
        (string Name, RowsOperation Operation, bool Reduction)[] operations =
            [("Softmax", CrossEntropy.Activations.Softmax<T>, false), ("LogSoftmax", CrossEntropy.Activations.LogSoftmax<T>, false), ("LogSumExp", CrossEntropy.Activations.LogSumExp<T>, true)];
        foreach (int classes in SpecialClasses)
        {
            int rows = classes + 1;
            T[] x = TestData.To<T>(TestData.Uniform(random, rows * classes, Bound));
            for (int row = 0; row < classes; row++)
            {
                x[row * classes + row] = T.NaN;
            }

            foreach ((string name, RowsOperation operation, bool reduction) in operations)
            {
                int perRow = reduction ? 1 : classes;
                T[] destination = new T[rows * perRow];
                foreach (int threads in new[] { 1, 2 })
                {
                    foreach (VectorWidth width in Widths.All)
                    {
                        using (Parallelism.Force(threads, minChunkElements: 1))
                        using (Widths.Limit(width))
                        {
                            operation(x, destination, classes);
                        }

                        for (int i = 0; i < destination.Length; i++)
                        {
                            bool clean = i >= classes * perRow;
                            That.Holds(clean ? T.IsFinite(destination[i]) : T.IsNaN(destination[i]),
                                $"{name}, classes {classes}, {threads} threads, {width}: row {i / perRow}, entry {i % perRow} is {destination[i]}.");
                        }
                    }
                }
            }
        }
    }

    private static void InjectSpecials(Random random, Span<T> row)
    {
        (T[] specials, double probability) = random.Next(6) switch
        {
            0 => (TestData.Specials<T>(), 0.0),
            1 => (TestData.Specials<T>(), 0.1),
            2 => (TestData.Specials<T>(), 0.5),
            3 => (TestData.FiniteSpecials<T>(), 0.3),
            4 => (TestData.FiniteSpecials<T>(), 1.0),
            _ => (new[] { T.NegativeInfinity }, 1.0),
        };
        for (int i = 0; i < row.Length; i++)
        {
            if (random.NextDouble() < probability)
            {
                row[i] = specials[random.Next(specials.Length)];
            }
        }
    }

    /// <summary>
    /// Writing over the input gives the same bits as writing elsewhere, for every length 0..<paramref name="maxLength"/> in
    /// batches of <paramref name="rows"/>.
    /// </summary>
    private static void InPlaceIsBitwiseOutOfPlace(string name, RowsOperation operation, int rows, bool reduction = false, int maxLength = MaxLength)
    {
        var random = new Random(Seed + rows);
        for (int length = 0; length <= maxLength; length++)
        {
            int classes = Math.Max(length, 1);
            using BoundedMemory<T> x = BoundedMemory.Holding<T>(TestData.Uniform(random, rows * length, Bound));
            using BoundedMemory<T> separate = BoundedMemory.Allocate<T>(reduction ? x.Length / classes : x.Length);
            using BoundedMemory<T> inPlace = BoundedMemory.Allocate<T>(x.Length);
            foreach (VectorWidth width in Widths.ForCase(length))
            {
                x.Span.CopyTo(inPlace.Span);
                using (Widths.Limit(width))
                {
                    operation(x.Span, separate.Span, classes);
                    operation(inPlace.Span, inPlace.Span, classes);
                }

                Check<T>.SameBits(separate.Span, inPlace.Span[..separate.Length], $"{name}, length {length}, rows {rows}, {width}");
            }
        }
    }

    /// <summary>A destination longer than the result keeps its extra elements.</summary>
    private static void LongerDestinationKeepsItsTail(string name, RowsOperation operation, bool reduction = false)
    {
        var random = new Random(Seed);
        foreach (int classes in new[] { 1, 5, 16, 37 })
        {
            using BoundedMemory<T> x = BoundedMemory.Holding<T>(TestData.Uniform(random, 3 * classes, Bound));
            int needed = reduction ? 3 : x.Length;
            using BoundedMemory<T> destination = BoundedMemory.Allocate<T>(needed + 21);
            foreach (VectorWidth width in Widths.All)
            {
                destination.Span.Fill(Sentinel);
                using (Widths.Limit(width))
                {
                    operation(x.Span, destination.Span, classes);
                }

                Check<T>.Unchanged(destination.Span[needed..], Sentinel, $"{name}, classes {classes}, {width}");
            }
        }
    }

    /// <summary>
    /// Rejected calls: classes &lt;= 0, a length that is not a multiple of classes, a destination one element too short,
    /// and a destination that partially overlaps the input; each throws before the output changes.
    /// </summary>
    private static void RejectsInvalidArguments(string name, RowsOperation operation, bool usesClasses, bool reduction = false)
    {
        const int Classes = 3;
        T[] x = Filled(12, T.One);
        int needed = reduction ? x.Length / Classes : x.Length;
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                string context = $"{name}, {width}";
                T[] destination = Filled(needed, Sentinel);
                if (usesClasses)
                {
                    foreach (int classes in InvalidClasses)
                    {
                        Assert.Throws<ArgumentOutOfRangeException>("classes", () => operation(x, destination, classes));
                        Check<T>.Unchanged(destination, Sentinel, context);
                    }

                    Assert.Throws<ArgumentException>(() => operation(x.AsSpan(0, 7), destination, Classes));
                    Check<T>.Unchanged(destination, Sentinel, context);
                }

                T[] shortDestination = Filled(needed - 1, Sentinel);
                Assert.Throws<ArgumentException>("destination", () => operation(x, shortDestination, Classes));
                Check<T>.Unchanged(shortDestination, Sentinel, context);

                T[] shared = Filled(2 * x.Length, Sentinel);
                Assert.Throws<ArgumentException>("destination", () => operation(shared.AsSpan(0, x.Length), shared.AsSpan(1, needed), Classes));
                Assert.Throws<ArgumentException>("destination", () => operation(shared.AsSpan(needed - 1, x.Length), shared.AsSpan(0, needed), Classes));
                Check<T>.Unchanged(shared, Sentinel, context);
            }
        }
    }

    /// <summary>Runs the backward operation on each of <paramref name="widths"/> into a guarded input gradient and compares each row with the reference.</summary>
    private static void CompareBackwardWithReference(string context, BackwardOperation operation, ReferenceBackward reference, ReadOnlySpan<T> y, ReadOnlySpan<T> g, int classes, VectorWidth[] widths)
    {
        double[] yValues = TestData.ToDouble<T>(y);
        double[] gValues = TestData.ToDouble<T>(g);
        double[] expected = new double[y.Length];
        double[] scale = new double[y.Length];
        for (int start = 0; start < y.Length; start += classes)
        {
            reference(yValues.AsSpan(start, classes), gValues.AsSpan(start, classes), expected.AsSpan(start, classes), scale.AsSpan(start, classes));
        }

        using BoundedMemory<T> inputGradient = BoundedMemory.Allocate<T>(y.Length);
        foreach (VectorWidth width in widths)
        {
            inputGradient.Span.Fill(Sentinel);
            using (Widths.Limit(width))
            {
                operation(y, g, inputGradient.Span, classes);
            }

            Check<T>.Close(expected, scale, inputGradient.Span, $"{context}, {width}");
        }
    }

    private static void FillBackwardInputs(Random random, Span<T> y, Span<T> g, double low, double high)
    {
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = T.CreateTruncating(low + (high - low) * random.NextDouble());
            g[i] = T.CreateTruncating(2 * random.NextDouble() - 1);
        }
    }

    /// <summary>Every row length 0..256 in batches of <paramref name="rows"/>, with outputs drawn from [<paramref name="low"/>, <paramref name="high"/>] and gradients from [-1, 1].</summary>
    private static void BackwardMatchesReference(string name, BackwardOperation operation, ReferenceBackward reference, double low, double high, int rows)
    {
        var random = new Random(Seed + rows);
        for (int length = 0; length <= MaxLength; length++)
        {
            using BoundedMemory<T> y = BoundedMemory.Allocate<T>(rows * length);
            using BoundedMemory<T> g = BoundedMemory.Allocate<T>(rows * length);
            FillBackwardInputs(random, y.Span, g.Span, low, high);
            CompareBackwardWithReference($"{name}, length {length}, rows {rows}", operation, reference, y.Span, g.Span, Math.Max(length, 1), Widths.ForCase(length));
        }
    }

    /// <summary>Batches of three rows: a NaN in the output gradient of the first, a NaN in the output of the second, the third clean.</summary>
    private static void BackwardNaNMatchesReference(string name, BackwardOperation operation, ReferenceBackward reference, double low, double high)
    {
        var random = new Random(Seed);
        foreach (int classes in SpecialClasses)
        {
            using BoundedMemory<T> y = BoundedMemory.Allocate<T>(3 * classes);
            using BoundedMemory<T> g = BoundedMemory.Allocate<T>(3 * classes);
            FillBackwardInputs(random, y.Span, g.Span, low, high);
            g.Span[random.Next(classes)] = T.NaN;
            y.Span[classes + random.Next(classes)] = T.NaN;
            CompareBackwardWithReference($"{name}, classes {classes}", operation, reference, y.Span, g.Span, classes, Widths.All);
        }
    }

    /// <summary>Writing over the output or over the output gradient gives the same bits as writing elsewhere.</summary>
    private static void BackwardInPlaceIsBitwiseOutOfPlace(string name, BackwardOperation operation)
    {
        var random = new Random(Seed);
        for (int length = 0; length <= MaxLength; length++)
        {
            int classes = Math.Max(length, 1);
            using BoundedMemory<T> y = BoundedMemory.Holding<T>(TestData.Uniform(random, 2 * length, 1));
            using BoundedMemory<T> g = BoundedMemory.Holding<T>(TestData.Uniform(random, 2 * length, 1));
            using BoundedMemory<T> separate = BoundedMemory.Allocate<T>(2 * length);
            using BoundedMemory<T> inPlace = BoundedMemory.Allocate<T>(2 * length);
            foreach (VectorWidth width in Widths.ForCase(length))
            {
                using (Widths.Limit(width))
                {
                    operation(y.Span, g.Span, separate.Span, classes);
                    y.Span.CopyTo(inPlace.Span);
                    operation(inPlace.Span, g.Span, inPlace.Span, classes);
                    Check<T>.SameBits(separate.Span, inPlace.Span, $"{name} over output, length {length}, {width}");
                    g.Span.CopyTo(inPlace.Span);
                    operation(y.Span, inPlace.Span, inPlace.Span, classes);
                    Check<T>.SameBits(separate.Span, inPlace.Span, $"{name} over output gradient, length {length}, {width}");
                }
            }
        }
    }

    /// <summary>
    /// Rejected backward calls: classes &lt;= 0, a length that is not a multiple of classes, an output gradient of another
    /// length, an input gradient one element too short, and an input gradient partially overlapping either input.
    /// </summary>
    private static void BackwardRejectsInvalidArguments(string name, BackwardOperation operation, bool usesClasses)
    {
        const int Classes = 3;
        const int Length = 12;
        T[] y = Filled(Length, T.One);
        T[] g = Filled(Length, T.One);
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                string context = $"{name}, {width}";
                T[] inputGradient = Filled(Length, Sentinel);
                if (usesClasses)
                {
                    foreach (int classes in InvalidClasses)
                    {
                        Assert.Throws<ArgumentOutOfRangeException>("classes", () => operation(y, g, inputGradient, classes));
                        Check<T>.Unchanged(inputGradient, Sentinel, context);
                    }

                    Assert.Throws<ArgumentException>(() => operation(y.AsSpan(0, 7), g.AsSpan(0, 7), inputGradient, Classes));
                    Check<T>.Unchanged(inputGradient, Sentinel, context);
                }

                Assert.Throws<ArgumentException>(() => operation(y, g.AsSpan(0, Length - Classes), inputGradient, Classes));
                Check<T>.Unchanged(inputGradient, Sentinel, context);

                T[] shortGradient = Filled(Length - 1, Sentinel);
                Assert.Throws<ArgumentException>("inputGradient", () => operation(y, g, shortGradient, Classes));
                Check<T>.Unchanged(shortGradient, Sentinel, context);

                T[] shared = Filled(2 * Length, Sentinel);
                Assert.Throws<ArgumentException>("inputGradient", () => operation(shared.AsSpan(0, Length), g, shared.AsSpan(1, Length), Classes));
                Assert.Throws<ArgumentException>("inputGradient", () => operation(shared.AsSpan(1, Length), g, shared.AsSpan(0, Length), Classes));
                Assert.Throws<ArgumentException>("inputGradient", () => operation(y, shared.AsSpan(0, Length), shared.AsSpan(1, Length), Classes));
                Assert.Throws<ArgumentException>("inputGradient", () => operation(y, shared.AsSpan(1, Length), shared.AsSpan(0, Length), Classes));
                Check<T>.Unchanged(shared, Sentinel, context);
            }
        }
    }
}

public sealed class FloatActivationTests(ITestOutputHelper output) : ActivationTests<float>(output);

public sealed class DoubleActivationTests(ITestOutputHelper output) : ActivationTests<double>(output);

public sealed class HalfActivationTests(ITestOutputHelper output) : ActivationTests<Half>(output);
