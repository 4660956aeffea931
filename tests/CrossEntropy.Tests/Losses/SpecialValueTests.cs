using System;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// Numerical stability and special values, on every SIMD width: huge logits, -infinity logits, NaN and +infinity, tiny
/// losses, probabilities of exactly 0 and 1, empty batches, ignored rows, zero class weights.
/// </summary>
public abstract class SpecialValueTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A row whose second and fourth classes are masked with -infinity logits.</summary>
    private static readonly double[] MaskedRow = [2, double.NegativeInfinity, 1, double.NegativeInfinity];
    /// <summary>
    /// Rows [L, 0, -L] for L = 1e4 and 1e9 with each label: the losses are exactly 0, L and 2L (e^-L underflows), and the Sum
    /// gradient rows exactly [0, 0, 0], [1, -1, 0] and [1, 0, -1]. A target split [0.5, 0.5, 0] costs exactly L / 2.
    /// </summary>
    [Theory]
    [InlineData(1e4)]
    [InlineData(1e9)]
    public void HugeLogitsGiveExactLosses(double magnitude)
    {
        T[] logits = Values(magnitude, 0, -magnitude, magnitude, 0, -magnitude, magnitude, 0, -magnitude);
        int[] labels = [0, 1, 2];
        ForEachWidth(width =>
        {
            T[] losses = new T[3];
            CategoricalCrossEntropy.FromLogits<T>(logits, labels, losses, 3);
            AssertExactly([0, magnitude, 2 * magnitude], losses, $"losses, {width}");
            T[] gradient = new T[9];
            CategoricalCrossEntropy.FromLogitsWithGradient<T>(logits, labels, gradient, 3, Reduction.Sum);
            AssertExactly([0, 0, 0, 1, -1, 0, 1, 0, -1], gradient, $"gradient, {width}");
            Assert.Equal(magnitude / 2, double.CreateTruncating(CategoricalCrossEntropy.FromLogits<T>(logits.AsSpan(0, 3), Values(0.5, 0.5, 0), 3)));
        });
    }

    /// <summary>Two equal huge logits: the loss is ln 2, the gradient [-0.5, 0.5].</summary>
    [Fact]
    public void EqualHugeLogitsGiveLogTwo()
    {
        T[] logits = Values(1e4, 1e4);
        ForEachWidth(width =>
        {
            var check = new Check<T>();
            T[] gradient = new T[2];
            check.Loss(Math.Log(2), CategoricalCrossEntropy.FromLogitsWithGradient<T>(logits, [0], gradient, 2), $"{width}");
            check.AssertNoMismatch();
            AssertExactly([-0.5, 0.5], gradient, $"{width}");
        });
    }

    /// <summary>
    /// Binary cross-entropy from logits of +-1e4 and +-1e9 with targets 0 and 1: 0 where they agree, |x| where they disagree,
    /// and gradients exactly 0 or +-1 (Sum).
    /// </summary>
    [Theory]
    [InlineData(1e4)]
    [InlineData(1e9)]
    public void HugeBinaryLogitsGiveExactLosses(double magnitude)
    {
        T[] logits = Values(magnitude, magnitude, -magnitude, -magnitude);
        T[] targets = Values(1, 0, 0, 1);
        ForEachWidth(width =>
        {
            T[] losses = new T[4];
            BinaryCrossEntropy.FromLogits<T>(logits, targets, losses);
            AssertExactly([0, magnitude, 0, magnitude], losses, $"losses, {width}");
            T[] gradient = new T[4];
            BinaryCrossEntropy.FromLogitsWithGradient<T>(logits, targets, gradient, Reduction.Sum);
            AssertExactly([0, 1, 0, -1], gradient, $"gradient, {width}");
        });
    }

    /// <summary>
    /// Binary cross-entropy from infinite logits takes the limits: loss 0 where the target agrees (1 at +infinity, 0 at -infinity),
    /// +infinity where it does not (soft and smoothed targets included), 0 under a zero weight or a zero positive weight on the
    /// disagreeing term; the gradient is the limit <c>w [(1 - y) sigmoid(x) - pw y sigmoid(-x)]</c>, finite. Without weights (the
    /// unweighted kernel) and with weights, positive weights and smoothing; every entry point, one thread and two, every width.
    /// </summary>
    [Fact]
    public void InfiniteBinaryLogitsGiveTheLimits()
    {
        double[] targetValues = [0, 0.25, 0.5, 1];
        var x = new System.Collections.Generic.List<double>();
        var y = new System.Collections.Generic.List<double>();
        var w = new System.Collections.Generic.List<double>();
        var pw = new System.Collections.Generic.List<double>();
        foreach (double logit in new[] { double.PositiveInfinity, double.NegativeInfinity })
        {
            foreach (double target in targetValues)
            {
                foreach (double weight in new[] { 1.0, 0, 2 })
                {
                    foreach (double positiveWeight in new[] { 1.0, 0, 3 })
                    {
                        x.Add(logit);
                        y.Add(target);
                        w.Add(weight);
                        pw.Add(positiveWeight);
                    }
                }
            }
        }

        foreach (int threads in new[] { 1, 2 })
        {
            using (Parallelism.Force(threads, minChunkElements: 1))
            {
                ForEachWidth(width =>
                {
                    CheckInfiniteLogits([.. x], [.. y], [], [], 0, $"unweighted, {threads} threads, {width}");
                    CheckInfiniteLogits([.. x], [.. y], [.. w], [.. pw], 0, $"weighted, {threads} threads, {width}");
                    CheckInfiniteLogits([.. x], [.. y], [.. w], [.. pw], 0.2, $"weighted and smoothed, {threads} threads, {width}");
                });
            }
        }
    }

    /// <summary>Checks <see cref="InfiniteBinaryLogitsGiveTheLimits"/>'s limits, written out in double, for one set of arguments.</summary>
    private static void CheckInfiniteLogits(double[] x, double[] y, double[] w, double[] pw, double smoothing, string context)
    {
        int n = x.Length;
        double[] losses = new double[n];
        double[] gradient = new double[n];
        for (int i = 0; i < n; i++)
        {
            double target = y[i] * (1 - smoothing) + 0.5 * smoothing;
            double weight = w.Length == 0 ? 1 : w[i];
            double positive = (pw.Length == 0 ? 1 : pw[i]) * target;

            // At +infinity only the negative term (1 - y) log(1 - sigmoid(x)) remains, at -infinity only pw y log(sigmoid(x)).
            double coefficient = x[i] > 0 ? 1 - target : positive;
            losses[i] = weight == 0 || coefficient == 0 ? 0 : double.PositiveInfinity;
            gradient[i] = weight * (x[i] > 0 ? 1 - target : -positive);
        }

        var call = new BinaryCall<T> { FromLogits = true, Input = Values(x), Targets = Values(y), Weights = Values(w), PositiveWeights = Values(pw), Smoothing = smoothing };
        T[] actualLosses = new T[n];
        call.Losses(actualLosses);
        AssertExactly(losses, actualLosses, $"{context}, losses");
        double sum = LossReference.Sum(losses);
        That.Holds(double.CreateTruncating(call.Loss(Reduction.Sum)) == sum, $"{context}: Sum {call.Loss(Reduction.Sum)}, expected {sum}.");
        foreach (Reduction reduction in new[] { Reduction.Sum, Reduction.Mean })
        {
            T[] actualGradient = new T[n];
            T loss = call.WithGradient(actualGradient, reduction);
            double scale = reduction == Reduction.Mean ? n : 1;
            That.Holds(double.CreateTruncating(loss) == sum / scale, $"{context}: {reduction} with gradient {loss}, expected {sum / scale}.");
            for (int i = 0; i < n; i++)
            {
                Check<T>.Close(gradient[i] / scale, actualGradient[i], $"{context}, {reduction} gradient {i} (x {x[i]}, y {y[i]})");
            }
        }
    }

    /// <summary>
    /// -infinity logits on classes with target 0 are fine: the loss is finite and their gradient entries are exactly 0, with
    /// labels and with targets.
    /// </summary>
    [Fact]
    public void NegativeInfinityLogitsOnClassesWithoutTarget()
    {
        ForEachWidth(width =>
        {
            var check = new Check<T>();
            T[] gradient = new T[4];
            T loss = CategoricalCrossEntropy.FromLogitsWithGradient<T>(Values(MaskedRow), [0], gradient, 4);
            check.Loss(LossReference.Log1P(Math.Exp(-1)), loss, $"label, {width}");
            That.Holds(T.IsZero(gradient[1]) && T.IsZero(gradient[3]), $"label, {width}: gradient {gradient[1]}, {gradient[3]} on -infinity logits.");
            LossReference.Result labelled = Expected(MaskedRow, [0], null, [], 0);
            check.Gradient(labelled.Gradient(Reduction.Mean), labelled.Magnitude(Reduction.Mean), gradient, $"label, {width}");

            loss = CategoricalCrossEntropy.FromLogitsWithGradient<T>(Values(MaskedRow), Values(0.7, 0, 0.3, 0), gradient, 4);
            LossReference.Result soft = Expected(MaskedRow, null, [0.7, 0, 0.3, 0], [], 0);
            check.Loss(soft.Loss(Reduction.Mean), loss, $"targets, {width}");
            That.Holds(T.IsZero(gradient[1]) && T.IsZero(gradient[3]), $"targets, {width}: gradient {gradient[1]}, {gradient[3]} on -infinity logits.");
            check.Gradient(soft.Gradient(Reduction.Mean), soft.Magnitude(Reduction.Mean), gradient, $"targets, {width}");
            check.AssertNoMismatch();
        });
    }

    /// <summary>A label on a -infinity logit costs +infinity; the gradient stays finite (softmax - one_hot).</summary>
    [Fact]
    public void LabelOnNegativeInfinityLogitCostsInfinity()
    {
        ForEachWidth(width =>
        {
            T[] gradient = new T[4];
            T loss = CategoricalCrossEntropy.FromLogitsWithGradient<T>(Values(MaskedRow), [1], gradient, 4);
            That.Holds(T.IsPositiveInfinity(loss), $"{width}: loss {loss}, expected +infinity.");
            var check = new Check<T>();
            LossReference.Result expected = Expected(MaskedRow, [1], null, [], 0);
            check.Gradient(expected.Gradient(Reduction.Mean), expected.Magnitude(Reduction.Mean), gradient, $"{width}");
            check.AssertNoMismatch();
        });
    }

    /// <summary>
    /// Label smoothing 0.1 puts target mass s / C on the -infinity logits of the row [2, -inf, 1, -inf]: the loss is +infinity
    /// (the contract: "target mass on a -infinity logit gives +infinity"), with a label and with targets; the gradient follows
    /// the closed form (finite).
    /// </summary>
    [Fact]
    public void SmoothingOntoNegativeInfinityLogitsCostsInfinity()
    {
        ForEachWidth(width =>
        {
            var check = new Check<T>();
            T[] gradient = new T[4];
            T labelled = CategoricalCrossEntropy.FromLogitsWithGradient<T>(Values(MaskedRow), [0], gradient, 4, Reduction.Mean, default, -100, 0.1);
            LossReference.Result expected = Expected(MaskedRow, [0], null, [], 0.1);
            check.Gradient(expected.Gradient(Reduction.Mean), expected.Magnitude(Reduction.Mean), gradient, $"label, {width}");
            T soft = CategoricalCrossEntropy.FromLogits<T>(Values(MaskedRow), Values(0.7, 0, 0.3, 0), 4, Reduction.Mean, default, 0.1);
            That.Holds(T.IsPositiveInfinity(labelled) && T.IsPositiveInfinity(soft), $"{width}: losses {labelled} (label) and {soft} (targets), expected +infinity.");
            check.AssertNoMismatch();
        });
    }

    /// <summary>
    /// With label smoothing 0.1 and class weights [1, 0, 1, 0], the -infinity logits of [2, -inf, 1, -inf] have w t' = 0 and
    /// contribute nothing (PyTorch returns NaN here; the contract gives 0 log 0 = 0): a finite loss, as the reference.
    /// </summary>
    [Fact]
    public void ZeroWeightsMaskNegativeInfinityLogitsUnderSmoothing()
    {
        double[] weights = [1, 0, 1, 0];
        LossReference.Result expected = Expected(MaskedRow, [0], null, weights, 0.1);
        Assert.True(double.IsFinite(expected.Loss(Reduction.Mean)));
        ForEachWidth(width =>
        {
            var check = new Check<T>();
            T[] gradient = new T[4];
            T loss = CategoricalCrossEntropy.FromLogitsWithGradient<T>(Values(MaskedRow), [0], gradient, 4, Reduction.Mean, Values(weights), -100, 0.1);
            check.Loss(expected.Loss(Reduction.Mean), loss, $"{width}");
            check.Gradient(expected.Gradient(Reduction.Mean), expected.Magnitude(Reduction.Mean), gradient, $"{width}");
            check.AssertNoMismatch();
        });
    }

    /// <summary>A row with NaN, with +infinity, or of only -infinity has a NaN loss (as log_softmax); with a gradient, its gradient row is NaN too.</summary>
    [Fact]
    public void NonFiniteRowsGiveNaN()
    {
        double inf = double.PositiveInfinity;
        T[] logits = Values(1, double.NaN, 0, 1, inf, 0, -inf, -inf, -inf, 1, 2, 3);
        int[] labels = [0, 2, 1, 2];
        ForEachWidth(width =>
        {
            T[] losses = new T[4];
            CategoricalCrossEntropy.FromLogits<T>(logits, labels, losses, 3);
            for (int row = 0; row < 3; row++)
            {
                That.Holds(T.IsNaN(losses[row]), $"{width}: row {row} loss {losses[row]}, expected NaN.");
            }

            That.Holds(T.IsFinite(losses[3]), $"{width}: a finite row next to non-finite ones has loss {losses[3]}.");
            T[] gradient = new T[12];
            CategoricalCrossEntropy.FromLogitsWithGradient<T>(logits.AsSpan(3, 3), labels.AsSpan(1, 1), gradient.AsSpan(0, 3), 3);
            That.Holds(T.IsNaN(gradient[0]) && T.IsNaN(gradient[1]) && T.IsNaN(gradient[2]), $"{width}: gradient of a +infinity row is {gradient[0]}, {gradient[1]}, {gradient[2]}.");
        });
    }

    /// <summary>
    /// A NaN anywhere in a row makes its loss NaN and its gradient row NaN, wherever it sits relative to the blocks and lanes:
    /// a batch of <c>classes</c> rows with the NaN in column r of row r, and a last, clean row that stays finite. The label's
    /// class weight is 0 and there is no smoothing (the case where no term reads the label's log-probability), then with
    /// smoothing, then against soft targets; on one thread and on two, every width.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(17)]
    [InlineData(37)]
    [InlineData(100)]
    public void NaNAnywhereInARowGivesNaN(int classes)
    {
        int rows = classes + 1;
        double[] logits = TestData.Uniform(new Random(classes), rows * classes, 5);
        double[] targets = new double[rows * classes];
        targets.AsSpan().Fill(1.0 / classes);
        int[] labels = new int[rows];
        for (int row = 0; row < classes; row++)
        {
            logits[row * classes + row] = double.NaN;
        }

        // Every label is 0, whose class weight is 0.
        double[] weights = new double[classes];
        weights.AsSpan().Fill(1);
        weights[0] = 0;
        foreach (int threads in new[] { 1, 2 })
        {
            using (Parallelism.Force(threads, minChunkElements: 1))
            {
                ForEachWidth(width =>
                {
                    foreach ((string name, double smoothing, bool soft) in new[] { ("zero label weight", 0.0, false), ("smoothing", 0.1, false), ("soft targets", 0.0, true) })
                    {
                        string context = $"{name}, {threads} threads, {width}";
                        var call = new CategoricalCall<T> { FromLogits = true, Input = Values(logits), Classes = classes, Labels = labels, Targets = Values(targets), Soft = soft, Weights = Values(weights), IgnoreIndex = -100, Smoothing = smoothing };
                        T[] losses = new T[rows];
                        call.Losses(losses);
                        T[] gradient = new T[rows * classes];
                        T sum = call.WithGradient(gradient, Reduction.Sum);
                        That.Holds(T.IsNaN(sum) && T.IsNaN(call.Loss(Reduction.Mean)), $"{context}: reduced losses {sum} (Sum).");
                        for (int row = 0; row < classes; row++)
                        {
                            That.Holds(T.IsNaN(losses[row]), $"{context}: row {row} (NaN in column {row}) has loss {losses[row]}.");
                            for (int c = 0; c < classes; c++)
                            {
                                That.Holds(T.IsNaN(gradient[row * classes + c]), $"{context}: row {row} (NaN in column {row}) has gradient {gradient[row * classes + c]} in column {c}.");
                            }
                        }

                        That.Holds(T.IsFinite(losses[classes]), $"{context}: the clean row's loss is {losses[classes]}.");
                    }
                });
            }
        }
    }

    /// <summary>
    /// Losses near 1e-9 keep their relative precision (within the loss tolerance: 1e-5 for float, not 0): logits [21, 0, 0]
    /// with label 0 cost log1p(2 e^-21); binary logits 21 with target 1 and -21 with target 0 cost log1p(e^-21); a probability
    /// of 2^-30 with target 0 costs -log1p(-2^-30); a probability of 1 - 2^-24 on the label costs -log(1 - 2^-24). Gradients
    /// as small keep theirs too.
    /// </summary>
    [Fact]
    public void TinyLossesKeepTheirRelativePrecision()
    {
        double tiny = Math.Pow(2, -30);
        double almostOne = 1 - Math.Pow(2, -24);
        double[] confident = [21, 0, 0];
        ForEachWidth(width =>
        {
            var check = new Check<T>();
            T[] gradient = new T[3];
            T loss = CategoricalCrossEntropy.FromLogitsWithGradient<T>(Values(confident), [0], gradient, 3, Reduction.Sum);
            LossReference.Result expected = Expected(confident, [0], null, [], 0);
            Assert.True(expected.Sum is > 1e-9 and < 2e-9);
            check.Loss(expected.Sum, loss, $"categorical from logits, {width}");
            check.Gradient(expected.Gradient(Reduction.Sum), expected.Magnitude(Reduction.Sum), gradient, $"categorical from logits, {width}");

            T[] losses = new T[2];
            BinaryCrossEntropy.FromLogits<T>(Values(21, -21), Values(1, 0), losses);
            check.Losses([LossReference.Log1P(Math.Exp(-21)), LossReference.Log1P(Math.Exp(-21))], losses, $"binary from logits, {width}");
            BinaryCrossEntropy.FromProbabilities<T>(Values(tiny, almostOne), Values(0, 1), losses);
            check.Losses([-LossReference.Log1P(-tiny), -Math.Log(almostOne)], losses, $"binary from probabilities, {width}");
            check.Loss(-Math.Log(almostOne), CategoricalCrossEntropy.FromProbabilities<T>(Values(almostOne, 1 - almostOne), [0], 2), $"categorical from probabilities, {width}");
            check.AssertNoMismatch();
        });
    }

    /// <summary>
    /// Probabilities of exactly 0 and 1 give finite losses (log clamped at -100) and finite gradients (p (1 - p), or p, clamped
    /// at 1e-12): binary p [0, 1, 0, 1, 0] with targets [1, 0, 0, 1, 0.5] cost [100, 100, 0, 0, 50]; categorical rows [0, 1, 0]
    /// cost 100 with label 0, 0 with label 1, and 50 against targets [0.5, 0.5, 0].
    /// </summary>
    [Fact]
    public void ProbabilitiesOfZeroAndOneAreFinite()
    {
        double[] p = [0, 1, 0, 1, 0];
        double[] y = [1, 0, 0, 1, 0.5];
        double[] row = [0, 1, 0];
        ForEachWidth(width =>
        {
            var check = new Check<T>();
            T[] losses = new T[5];
            T[] gradient = new T[5];
            BinaryCrossEntropy.FromProbabilities<T>(Values(p), Values(y), losses);
            check.Losses([100, 100, 0, 0, 50], losses, $"binary, {width}");
            BinaryCrossEntropy.FromProbabilitiesWithGradient<T>(Values(p), Values(y), gradient, Reduction.Sum);
            LossReference.Result binary = LossReference.BinaryFromProbabilities(p, y, [], 0);
            check.Gradient(binary.Gradient(Reduction.Sum), binary.Magnitude(Reduction.Sum), gradient, $"binary gradient, {width}");
            AssertFinite(gradient, $"binary gradient, {width}");

            T[] rowGradient = new T[3];
            check.Loss(100, CategoricalCrossEntropy.FromProbabilitiesWithGradient<T>(Values(row), [0], rowGradient, 3), $"categorical label 0, {width}");
            AssertFinite(rowGradient, $"categorical gradient, {width}");
            check.Gradient([-1e12, 0, 0], [1e12, 0, 0], rowGradient, $"categorical gradient, {width}");
            check.Loss(0, CategoricalCrossEntropy.FromProbabilities<T>(Values(row), [1], 3), $"categorical label 1, {width}");
            check.Loss(50, CategoricalCrossEntropy.FromProbabilitiesWithGradient<T>(Values(row), Values(0.5, 0.5, 0), rowGradient, 3), $"categorical targets, {width}");
            check.Gradient([-5e11, -0.5, 0], [5e11, 0.5, 0], rowGradient, $"categorical targets gradient, {width}");
            check.AssertNoMismatch();
        });
    }

    /// <summary>An empty batch: Mean is NaN, Sum is 0, for every loss and entry point.</summary>
    [Fact]
    public void EmptyBatchGivesNaNMeanAndZeroSum()
    {
        T[] none = [];
        ForEachWidth(width =>
        {
            foreach (bool fromLogits in new[] { true, false })
            {
                foreach (bool soft in new[] { false, true })
                {
                    var call = new CategoricalCall<T> { FromLogits = fromLogits, Input = none, Classes = 3, Soft = soft, IgnoreIndex = -100 };
                    AssertMeanNaNSumZero(call.Loss(Reduction.Mean), call.Loss(Reduction.Sum), $"{call.Describe()}, {width}");
                    AssertMeanNaNSumZero(call.WithGradient([], Reduction.Mean), call.WithGradient([], Reduction.Sum), $"{call.Describe()} with gradient, {width}");
                    call.Losses([]);
                }

                var binary = new BinaryCall<T> { FromLogits = fromLogits, Input = none, Targets = none };
                AssertMeanNaNSumZero(binary.Loss(Reduction.Mean), binary.Loss(Reduction.Sum), $"{binary.Describe()}, {width}");
                AssertMeanNaNSumZero(binary.WithGradient([], Reduction.Mean), binary.WithGradient([], Reduction.Sum), $"{binary.Describe()} with gradient, {width}");
                binary.Losses([]);
            }
        });
    }

    /// <summary>Every row ignored: Mean is NaN, Sum is 0, every per-row loss and gradient entry is 0.</summary>
    [Fact]
    public void AllRowsIgnored()
    {
        T[] logits = Values(1, 2, 3, 4, 5, 6);
        T[] probabilities = Values(0.1, 0.2, 0.7, 0.3, 0.3, 0.4);
        int[] labels = [-100, -100];
        ForEachWidth(width =>
        {
            foreach (bool fromLogits in new[] { true, false })
            {
                var call = new CategoricalCall<T> { FromLogits = fromLogits, Input = fromLogits ? logits : probabilities, Classes = 3, Labels = labels, IgnoreIndex = -100, Smoothing = 0.1 };
                T[] losses = LossBuffers<T>.Filled(2);
                T[] gradient = LossBuffers<T>.Filled(6);
                T mean = call.WithGradient(gradient, Reduction.Mean);
                AssertMeanNaNSumZero(mean, call.Loss(Reduction.Sum), $"{call.Describe()}, {width}");
                That.Holds(T.IsNaN(call.Loss(Reduction.Mean)), $"{call.Describe()}, {width}: Mean without gradient is not NaN.");
                AssertExactly([0, 0, 0, 0, 0, 0], gradient, $"{call.Describe()} Mean gradient, {width}");
                call.Losses(losses);
                AssertExactly([0, 0], losses, $"{call.Describe()} losses, {width}");
            }
        });
    }

    /// <summary>
    /// ignoreIndex inside [0, classes) ignores the rows with that label (PyTorch checks it before the range), leaving a Mean
    /// over 2 rows, one of whose labels sits on a -infinity logit (+infinity); a zero class weight on that label makes it
    /// contribute 0 instead (no NaN). Both against the reference.
    /// </summary>
    [Fact]
    public void IgnoreIndexInRangeAndZeroClassWeight()
    {
        double[] row = [0.5, -1, 2, 0.25, 3, -2, 1, 1, -double.PositiveInfinity, 0, 4, 1];
        int[] labels = [1, 0, 2, 1];
        double[] weights = [1.5, 0.5, 0];
        ForEachWidth(width =>
        {
            var check = new Check<T>();
            T[] gradient = new T[12];
            T[] losses = new T[4];
            LossReference.Result inRange = Expected(row, labels, null, [], 0, ignoreIndex: 1);
            check.Loss(inRange.Loss(Reduction.Mean), CategoricalCrossEntropy.FromLogitsWithGradient<T>(Values(row), labels, gradient, 3, Reduction.Mean, default, 1), $"ignoreIndex 1, {width}");
            check.Gradient(inRange.Gradient(Reduction.Mean), inRange.Magnitude(Reduction.Mean), gradient, $"ignoreIndex 1, {width}");
            Assert.Equal(2, inRange.Denominator);

            LossReference.Result weighted = Expected(row, labels, null, weights, 0);
            CategoricalCrossEntropy.FromLogits<T>(Values(row), labels, losses, 3, Values(weights));
            check.Losses(weighted.RowLosses, losses, $"zero weight, {width}");
            Assert.Equal(0, weighted.RowLosses[2]);
            check.Loss(weighted.Loss(Reduction.Mean), CategoricalCrossEntropy.FromLogitsWithGradient<T>(Values(row), labels, gradient, 3, Reduction.Mean, Values(weights)), $"zero weight, {width}");
            check.Gradient(weighted.Gradient(Reduction.Mean), weighted.Magnitude(Reduction.Mean), gradient, $"zero weight, {width}");
            check.AssertNoMismatch();
        });
    }

    /// <summary>
    /// Class weights whose sum over the non-ignored labels is 0 make the Mean sum / 0, as in PyTorch: NaN for 0 / 0 (every label
    /// on a zero weight, no smoothing), +infinity where smoothing adds other classes' terms, +-infinity where negative weights
    /// cancel the positive ones. The Mean gradient is the Sum gradient / 0 entry by entry in the non-ignored rows, and 0 in the
    /// ignored one. From logits and from probabilities, with and without gradient, one thread and two, every width.
    /// </summary>
    [Fact]
    public void ClassWeightsSummingToZeroDivideByZero()
    {
        const int Classes = 4;
        var random = new Random(5);
        double[] logits = new double[4 * Classes];
        double[] probabilities = new double[4 * Classes];
        for (int row = 0; row < 4; row++)
        {
            double total = 0;
            for (int c = 0; c < Classes; c++)
            {
                logits[row * Classes + c] = 6 * random.NextDouble() - 3;
                probabilities[row * Classes + c] = 0.1 + random.NextDouble();
                total += probabilities[row * Classes + c];
            }

            for (int c = 0; c < Classes; c++)
            {
                probabilities[row * Classes + c] /= total;
            }
        }

        int[] labels = [1, 2, 2, -100];
        (double[] Weights, double Smoothing)[] cases = [([1, 0, 0, 1], 0), ([1, 0, 0, 1], 0.1), ([1, 2, -1, 0.5], 0), ([1, 2, -1, 0.5], 0.1)];
        foreach (bool fromLogits in new[] { true, false })
        {
            double[] input = fromLogits ? logits : probabilities;
            foreach ((double[] weights, double smoothing) in cases)
            {
                LossReference.Result expected = LossReference.Categorical(TestData.RoundTrip<T>(input), fromLogits, Classes, labels, null, weights, -100, smoothing);
                Assert.Equal(0, expected.Denominator);
                double mean = expected.Sum / expected.Denominator;
                double[] sumGradient = expected.Gradient(Reduction.Sum);
                double[] meanGradient = new double[sumGradient.Length];
                for (int i = 0; i < meanGradient.Length; i++)
                {
                    // From probabilities, an entry outside the label with no part of the loss receives no gradient (PyTorch's
                    // autograd of nll_loss(log(p)) scatters into the label's entry only).
                    bool untouched = labels[i / Classes] == -100 || (!fromLogits && i % Classes != labels[i / Classes] && sumGradient[i] == 0);
                    meanGradient[i] = untouched ? 0 : sumGradient[i] / 0.0;
                }

                foreach (int threads in new[] { 1, 2 })
                {
                    using (Parallelism.Force(threads, minChunkElements: 1))
                    {
                        ForEachWidth(width =>
                        {
                            var call = new CategoricalCall<T> { FromLogits = fromLogits, Input = Values(input), Classes = Classes, Labels = labels, Weights = Values(weights), IgnoreIndex = -100, Smoothing = smoothing };
                            string context = $"{call.Describe()}, weights [{string.Join(", ", weights)}], {threads} threads, {width}";
                            Check<T>.Close(mean, call.Loss(Reduction.Mean), $"{context}, Mean");
                            T[] gradient = new T[input.Length];
                            Check<T>.Close(mean, call.WithGradient(gradient, Reduction.Mean), $"{context}, Mean with gradient");
                            for (int i = 0; i < gradient.Length; i++)
                            {
                                Check<T>.Close(meanGradient[i], gradient[i], $"{context}, gradient {i}");
                            }
                        });
                    }
                }
            }
        }
    }

    private static LossReference.Result Expected(double[] logits, int[]? labels, double[]? targets, double[] weights, double smoothing, int ignoreIndex = -100) =>
        LossReference.Categorical(TestData.RoundTrip<T>(logits), true, logits.Length / (labels?.Length ?? 1), labels, targets, weights, ignoreIndex, smoothing);

    private static T[] Values(params double[] values) => TestData.To<T>(values);

    private static void AssertExactly(double[] expected, T[] actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            That.Holds(double.CreateTruncating(actual[i]) == expected[i], $"{context}, entry {i}: expected exactly {expected[i]:R}, actual {actual[i]}.");
        }
    }

    private static void AssertFinite(T[] values, string context)
    {
        foreach (T value in values)
        {
            That.Holds(T.IsFinite(value), $"{context}: {value} is not finite.");
        }
    }

    private static void AssertMeanNaNSumZero(T mean, T sum, string context)
    {
        That.Holds(T.IsNaN(mean), $"{context}: Mean {mean}, expected NaN.");
        That.Holds(T.IsZero(sum), $"{context}: Sum {sum}, expected 0.");
    }

    private static void ForEachWidth(Action<VectorWidth> check)
    {
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                check(width);
            }
        }
    }
}

public sealed class FloatSpecialValueTests : SpecialValueTests<float>;

public sealed class DoubleSpecialValueTests : SpecialValueTests<double>;
