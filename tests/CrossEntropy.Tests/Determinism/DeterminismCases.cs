using System;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;

namespace CrossEntropy.Tests.Determinism;

/// <summary>
/// The cases of the determinism sweeps: seeded inputs for one shape and the calls of one public method family on them,
/// every output element and every returned loss collected. Each builder draws its data from its own seed.
/// </summary>
internal static class DeterminismCases
{
    /// <summary>Distinguishes the seeds of the families, so that no two families share data by accident.</summary>
    private enum Family
    {
        Softmax = 1,
        LogSoftmax,
        LogSumExp,
        SoftmaxBackward,
        LogSoftmaxBackward,
        Sigmoid,
        LogSigmoid,
        SigmoidBackward,
        CategoricalLabels,
        CategoricalTargets,
        Binary,
        Specials,
    }

    public static Case<T> Softmax<T>(int rows, int classes, int salt = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(Seed((int)Family.Softmax, rows, classes) ^ salt);
        return new Case<T>
        {
            Name = $"{typeof(T).Name} Softmax {rows} x {classes}{Salted(salt)}",
            X = TestData.To<T>(TestData.Logits(random, rows, classes, negativeInfinity: true)),
            Parts = [new("softmax", rows * classes)],
            Scalars = [],
            Call = (inputs, output, scalars) => CrossEntropy.Activations.Softmax(inputs.X, output, classes),
        };
    }

    public static Case<T> LogSoftmax<T>(int rows, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(Seed((int)Family.LogSoftmax, rows, classes));
        return new Case<T>
        {
            Name = $"{typeof(T).Name} LogSoftmax {rows} x {classes}",
            X = TestData.To<T>(TestData.Logits(random, rows, classes, negativeInfinity: true)),
            Parts = [new("log-softmax", rows * classes)],
            Scalars = [],
            Call = (inputs, output, scalars) => CrossEntropy.Activations.LogSoftmax(inputs.X, output, classes),
        };
    }

    /// <summary>The per-row overload, and the one-row overload over the whole batch as a scalar.</summary>
    public static Case<T> LogSumExp<T>(int rows, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(Seed((int)Family.LogSumExp, rows, classes));
        return new Case<T>
        {
            Name = $"{typeof(T).Name} LogSumExp {rows} x {classes}",
            X = TestData.To<T>(TestData.Logits(random, rows, classes, negativeInfinity: true)),
            Parts = [new("logsumexp per row", rows)],
            Scalars = ["logsumexp of the whole batch"],
            Call = (inputs, output, scalars) =>
            {
                CrossEntropy.Activations.LogSumExp(inputs.X, output, classes);
                scalars[0] = CrossEntropy.Activations.LogSumExp(inputs.X);
            },
        };
    }

    /// <summary>X: probabilities (some exactly 0), Y: output gradients.</summary>
    public static Case<T> SoftmaxBackward<T>(int rows, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(Seed((int)Family.SoftmaxBackward, rows, classes));
        return new Case<T>
        {
            Name = $"{typeof(T).Name} SoftmaxBackward {rows} x {classes}",
            X = TestData.To<T>(TestData.Probabilities(random, rows, classes)),
            Y = TestData.To<T>(TestData.Gradients(random, rows, classes)),
            Parts = [new("input gradient", rows * classes)],
            Scalars = [],
            Call = (inputs, output, scalars) => CrossEntropy.Activations.SoftmaxBackward(inputs.X, inputs.Y, output, classes),
        };
    }

    /// <summary>X: log-probabilities (some -infinity), Y: output gradients.</summary>
    public static Case<T> LogSoftmaxBackward<T>(int rows, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(Seed((int)Family.LogSoftmaxBackward, rows, classes));
        return new Case<T>
        {
            Name = $"{typeof(T).Name} LogSoftmaxBackward {rows} x {classes}",
            X = TestData.To<T>(TestData.LogProbabilities(random, rows, classes)),
            Y = TestData.To<T>(TestData.Gradients(random, rows, classes)),
            Parts = [new("input gradient", rows * classes)],
            Scalars = [],
            Call = (inputs, output, scalars) => CrossEntropy.Activations.LogSoftmaxBackward(inputs.X, inputs.Y, output, classes),
        };
    }

    public static Case<T> Sigmoid<T>(int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(Seed((int)Family.Sigmoid, count, 0));
        return new Case<T>
        {
            Name = $"{typeof(T).Name} Sigmoid {count}",
            X = TestData.To<T>(TestData.MixedScales(random, count, specials: true)),
            Parts = [new("sigmoid", count)],
            Scalars = [],
            Call = (inputs, output, scalars) => CrossEntropy.Activations.Sigmoid(inputs.X, output),
        };
    }

    public static Case<T> LogSigmoid<T>(int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(Seed((int)Family.LogSigmoid, count, 0));
        return new Case<T>
        {
            Name = $"{typeof(T).Name} LogSigmoid {count}",
            X = TestData.To<T>(TestData.MixedScales(random, count, specials: true)),
            Parts = [new("log-sigmoid", count)],
            Scalars = [],
            Call = (inputs, output, scalars) => CrossEntropy.Activations.LogSigmoid(inputs.X, output),
        };
    }

    /// <summary>X: sigmoids, Y: output gradients.</summary>
    public static Case<T> SigmoidBackward<T>(int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(Seed((int)Family.SigmoidBackward, count, 0));
        return new Case<T>
        {
            Name = $"{typeof(T).Name} SigmoidBackward {count}",
            X = TestData.To<T>(TestData.Sigmoids(random, count)),
            Y = TestData.To<T>(TestData.Gradients(random, 1, count)),
            Parts = [new("input gradient", count)],
            Scalars = [],
            Call = (inputs, output, scalars) => CrossEntropy.Activations.SigmoidBackward(inputs.X, inputs.Y, output),
        };
    }

    /// <summary>
    /// Categorical cross-entropy with integer labels, from logits or from probabilities: per-row losses, the reduced loss,
    /// and the loss and gradient with the other reduction (see <see cref="Reductions"/>). About a quarter of the rows are
    /// ignored; the ignore index is -100 (the default) without class weights and -1 with them. Without smoothing, logits
    /// have -infinity on some classes other than the label.
    /// </summary>
    public static Case<T> CategoricalLabels<T>(int rows, int classes, bool fromLogits, bool weighted, double smoothing, bool meanReduced, int salt = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(Seed((int)Family.CategoricalLabels, rows, classes, Variant(fromLogits, weighted, smoothing)) ^ salt);
        int ignoreIndex = weighted ? -1 : -100;
        int[] labels = TestData.Labels(random, rows, classes, ignoreIndex);
        int[] keep = Array.ConvertAll(labels, label => label == ignoreIndex ? -1 : label);
        double[] input = fromLogits ? TestData.Logits(random, rows, classes, negativeInfinity: smoothing == 0, keep) : TestData.Probabilities(random, rows, classes);
        int n = rows * classes;
        (Reduction reduced, Reduction withGradient) = Reductions(meanReduced);
        return new Case<T>
        {
            Name = $"{typeof(T).Name} CategoricalCrossEntropy.{(fromLogits ? "FromLogits" : "FromProbabilities")} labels {rows} x {classes}" +
                $"{(weighted ? ", class weights" : string.Empty)}, smoothing {smoothing}, ignoreIndex {ignoreIndex}{Salted(salt)}",
            X = TestData.To<T>(input),
            W = weighted ? TestData.To<T>(TestData.Weights(random, classes, withZero: true)) : [],
            Labels = labels,
            Parts = [new("per-row losses", rows), new($"gradient ({withGradient})", n)],
            Scalars = [$"{reduced}", $"{withGradient} with gradient"],
            Call = (inputs, output, scalars) =>
            {
                ReadOnlySpan<T> x = inputs.X;
                ReadOnlySpan<T> w = inputs.W;
                ReadOnlySpan<int> y = inputs.Labels;
                Span<T> losses = output[..rows];
                Span<T> gradient = output.Slice(rows, n);
                if (fromLogits)
                {
                    scalars[0] = CategoricalCrossEntropy.FromLogits(x, y, classes, reduced, w, ignoreIndex, smoothing);
                    CategoricalCrossEntropy.FromLogits(x, y, losses, classes, w, ignoreIndex, smoothing);
                    scalars[1] = CategoricalCrossEntropy.FromLogitsWithGradient(x, y, gradient, classes, withGradient, w, ignoreIndex, smoothing);
                }
                else
                {
                    scalars[0] = CategoricalCrossEntropy.FromProbabilities(x, y, classes, reduced, w, ignoreIndex, smoothing);
                    CategoricalCrossEntropy.FromProbabilities(x, y, losses, classes, w, ignoreIndex, smoothing);
                    scalars[1] = CategoricalCrossEntropy.FromProbabilitiesWithGradient(x, y, gradient, classes, withGradient, w, ignoreIndex, smoothing);
                }
            },
        };
    }

    /// <summary>
    /// Categorical cross-entropy with soft targets (zero on -infinity logits), from logits or from probabilities: per-row
    /// losses, the reduced loss, and the loss and gradient with the other reduction (see <see cref="Reductions"/>).
    /// </summary>
    public static Case<T> CategoricalTargets<T>(int rows, int classes, bool fromLogits, bool weighted, double smoothing, bool meanReduced, int salt = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(Seed((int)Family.CategoricalTargets, rows, classes, Variant(fromLogits, weighted, smoothing)) ^ salt);
        double[] input = fromLogits ? TestData.Logits(random, rows, classes, negativeInfinity: smoothing == 0) : TestData.Probabilities(random, rows, classes);
        double[] targets = TestData.SoftTargets(random, rows, classes, fromLogits ? input : Array.ConvertAll(input, p => p > 0 ? 0.0 : double.NegativeInfinity));
        int n = rows * classes;
        (Reduction reduced, Reduction withGradient) = Reductions(meanReduced);
        return new Case<T>
        {
            Name = $"{typeof(T).Name} CategoricalCrossEntropy.{(fromLogits ? "FromLogits" : "FromProbabilities")} soft targets {rows} x {classes}" +
                $"{(weighted ? ", class weights" : string.Empty)}, smoothing {smoothing}{Salted(salt)}",
            X = TestData.To<T>(input),
            Y = TestData.To<T>(targets),
            W = weighted ? TestData.To<T>(TestData.Weights(random, classes, withZero: true)) : [],
            Parts = [new("per-row losses", rows), new($"gradient ({withGradient})", n)],
            Scalars = [$"{reduced}", $"{withGradient} with gradient"],
            Call = (inputs, output, scalars) =>
            {
                ReadOnlySpan<T> x = inputs.X;
                ReadOnlySpan<T> t = inputs.Y;
                ReadOnlySpan<T> w = inputs.W;
                Span<T> losses = output[..rows];
                Span<T> gradient = output.Slice(rows, n);
                if (fromLogits)
                {
                    scalars[0] = CategoricalCrossEntropy.FromLogits(x, t, classes, reduced, w, smoothing);
                    CategoricalCrossEntropy.FromLogits(x, t, losses, classes, w, smoothing);
                    scalars[1] = CategoricalCrossEntropy.FromLogitsWithGradient(x, t, gradient, classes, withGradient, w, smoothing);
                }
                else
                {
                    scalars[0] = CategoricalCrossEntropy.FromProbabilities(x, t, classes, reduced, w, smoothing);
                    CategoricalCrossEntropy.FromProbabilities(x, t, losses, classes, w, smoothing);
                    scalars[1] = CategoricalCrossEntropy.FromProbabilitiesWithGradient(x, t, gradient, classes, withGradient, w, smoothing);
                }
            },
        };
    }

    /// <summary>
    /// Binary cross-entropy on a row-major [rows, columns] batch, from logits or from probabilities: per-element losses,
    /// the reduced loss, and the loss and gradient with the other reduction (see <see cref="Reductions"/>). The weights have
    /// one entry per column; the positive weights (logits only) one per element of the first d rows, d the largest of 3, 2
    /// and 1 dividing the rows, so both cycles cross the 64-element groups and the chunk boundaries.
    /// </summary>
    public static Case<T> Binary<T>(int rows, int columns, bool fromLogits, bool weighted, bool positiveWeighted, double smoothing, bool meanReduced, int salt = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(Seed((int)Family.Binary, rows, columns, Variant(fromLogits, weighted, smoothing) + (positiveWeighted ? 16 : 0)) ^ salt);
        int n = rows * columns;
        (Reduction reduced, Reduction withGradient) = Reductions(meanReduced);
        int cycles = rows % 3 == 0 ? 3 : rows % 2 == 0 ? 2 : 1;
        double[] input = fromLogits ? TestData.MixedScales(random, n) : TestData.BinaryProbabilities(random, n);
        return new Case<T>
        {
            Name = $"{typeof(T).Name} BinaryCrossEntropy.{(fromLogits ? "FromLogits" : "FromProbabilities")} {rows} x {columns}" +
                $"{(weighted ? ", weights" : string.Empty)}{(positiveWeighted ? ", positive weights" : string.Empty)}, smoothing {smoothing}{Salted(salt)}",
            X = TestData.To<T>(input),
            Y = TestData.To<T>(TestData.BinaryTargets(random, n)),
            W = weighted ? TestData.To<T>(TestData.Weights(random, columns, withZero: true)) : [],
            V = positiveWeighted ? TestData.To<T>(TestData.Weights(random, columns * cycles, withZero: true)) : [],
            Parts = [new("per-element losses", n), new($"gradient ({withGradient})", n)],
            Scalars = [$"{reduced}", $"{withGradient} with gradient"],
            Call = (inputs, output, scalars) =>
            {
                ReadOnlySpan<T> x = inputs.X;
                ReadOnlySpan<T> t = inputs.Y;
                ReadOnlySpan<T> w = inputs.W;
                ReadOnlySpan<T> v = inputs.V;
                Span<T> losses = output[..n];
                Span<T> gradient = output.Slice(n, n);
                if (fromLogits)
                {
                    scalars[0] = BinaryCrossEntropy.FromLogits(x, t, reduced, w, v, smoothing);
                    BinaryCrossEntropy.FromLogits(x, t, losses, w, v, smoothing);
                    scalars[1] = BinaryCrossEntropy.FromLogitsWithGradient(x, t, gradient, withGradient, w, v, smoothing);
                }
                else
                {
                    scalars[0] = BinaryCrossEntropy.FromProbabilities(x, t, reduced, w, smoothing);
                    BinaryCrossEntropy.FromProbabilities(x, t, losses, w, smoothing);
                    scalars[1] = BinaryCrossEntropy.FromProbabilitiesWithGradient(x, t, gradient, withGradient, w, smoothing);
                }
            },
        };
    }

    /// <summary>
    /// Rows of special values (NaN, +infinity, only -infinity, signed zeros, extremes, subnormals; see
    /// <see cref="TestData.SpecialLogits{T}"/>) through the row-wise activations, the element-wise activations and
    /// the per-row losses and gradient from logits: NaN and infinities must come out the same everywhere too.
    /// </summary>
    public static Case<T> Specials<T>(int rows, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
    {
        var random = new Random(Seed((int)Family.Specials, rows, classes));
        int n = rows * classes;
        return new Case<T>
        {
            Name = $"{typeof(T).Name} special values {rows} x {classes}",
            X = TestData.To<T>(TestData.SpecialLogits<T>(random, rows, classes)),
            Labels = TestData.Labels(random, rows, classes),
            Parts =
            [
                new("softmax", n), new("log-softmax", n), new("logsumexp", rows), new("sigmoid", n), new("log-sigmoid", n),
                new("per-row losses", rows), new("gradient (Sum)", n),
            ],
            Scalars = ["Sum with gradient"],
            Call = (inputs, output, scalars) =>
            {
                ReadOnlySpan<T> x = inputs.X;
                CrossEntropy.Activations.Softmax(x, output[..n], classes);
                CrossEntropy.Activations.LogSoftmax(x, output.Slice(n, n), classes);
                CrossEntropy.Activations.LogSumExp(x, output.Slice(2 * n, rows), classes);
                CrossEntropy.Activations.Sigmoid(x, output.Slice((2 * n) + rows, n));
                CrossEntropy.Activations.LogSigmoid(x, output.Slice((3 * n) + rows, n));
                CategoricalCrossEntropy.FromLogits(x, inputs.Labels, output.Slice((4 * n) + rows, rows), classes);
                scalars[0] = CategoricalCrossEntropy.FromLogitsWithGradient(x, inputs.Labels, output.Slice((4 * n) + (2 * rows), n), classes, Reduction.Sum);
            },
        };
    }

    /// <summary>A seed for one case: the same on every run (unlike string.GetHashCode).</summary>
    public static int Seed(int family, int rows, int classes, int variant = 0) =>
        unchecked((family * 1_000_003) + (rows * 7_919) + (classes * 104_729) + (variant * 31));

    /// <summary>
    /// The reduction of the reduced call and of the call with gradient: Mean and Sum, or Sum and Mean. The sweeps alternate
    /// them from shape to shape, so both reductions of both calls run on half of the shapes each, at three calls per case
    /// instead of five (the scalar path is slow in Debug).
    /// </summary>
    public static (Reduction Reduced, Reduction WithGradient) Reductions(bool meanReduced) =>
        meanReduced ? (Reduction.Mean, Reduction.Sum) : (Reduction.Sum, Reduction.Mean);

    /// <summary>The name suffix of a case whose seed was changed by <paramref name="salt"/> (generated data of the properties).</summary>
    private static string Salted(int salt) => salt == 0 ? string.Empty : $", seed salt {salt}";

    private static int Variant(bool fromLogits, bool weighted, double smoothing) =>
        (fromLogits ? 1 : 0) + (weighted ? 2 : 0) + (smoothing == 0 ? 0 : 4 + (int)(smoothing * 100));
}
