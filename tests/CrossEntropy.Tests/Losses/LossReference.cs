using System;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// The loss formulas of PyTorch (<c>cross_entropy</c>, <c>nll_loss</c> on clamped logs, <c>binary_cross_entropy</c>,
/// <c>binary_cross_entropy_with_logits</c>) in double precision, written from their definitions with plain loops.
/// Losses follow the definitions; gradients use the closed forms of the contract. Nothing here shares code with the
/// library: this is what its results are checked against.
/// </summary>
internal static class LossReference
{
    /// <summary>PyTorch's floor on log(p) in <c>binary_cross_entropy</c>, also used for probabilities in categorical losses.</summary>
    public const double LogFloor = -100;

    /// <summary>The floor on p (or p (1 - p)) in the gradients from probabilities.</summary>
    public const double ProbabilityFloor = 1e-12;

    /// <summary>
    /// The outcome of a loss: per-row (per-element for binary losses) losses, their sum, the Mean denominator, the gradient of
    /// the Sum-reduced loss, and for each gradient entry the sum of the magnitudes of the terms it is made of (how large the
    /// rounding error of a correct implementation can be where those terms cancel).
    /// </summary>
    public sealed class Result(double[] rowLosses, double sum, double denominator, double[] sumGradient, double[] magnitude)
    {
        public double[] RowLosses { get; } = rowLosses;

        public double Sum { get; } = sum;

        public double Denominator { get; } = denominator;

        public double Loss(Reduction reduction) => reduction == Reduction.Mean ? Sum / Denominator : Sum;

        /// <summary>d(loss)/d(input) of the reduced loss: the Sum gradient, divided by the denominator for Mean.</summary>
        public double[] Gradient(Reduction reduction) => Scaled(sumGradient, reduction);

        public double[] Magnitude(Reduction reduction) => Scaled(magnitude, reduction);

        private double[] Scaled(double[] values, Reduction reduction)
        {
            double[] result = (double[])values.Clone();
            if (reduction == Reduction.Mean)
            {
                // Zero entries stay 0 even when the denominator is 0 (every row ignored).
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = result[i] == 0 ? 0 : result[i] / Denominator;
                }
            }

            return result;
        }
    }

    /// <summary>
    /// <c>cross_entropy</c> (from logits) or <c>nll_loss(max(log p, -100))</c> (from probabilities), with integer
    /// <paramref name="labels"/> or, when those are null, soft <paramref name="targets"/>.
    /// </summary>
    public static Result Categorical(double[] input, bool fromLogits, int classes, int[]? labels, double[]? targets,
        double[] weights, int ignoreIndex, double smoothing)
    {
        int rows = input.Length / classes;
        double[] rowLosses = new double[rows];
        double[] gradient = new double[input.Length];
        double[] magnitude = new double[input.Length];
        double denominator = 0;
        for (int row = 0; row < rows; row++)
        {
            ReadOnlySpan<double> x = input.AsSpan(row * classes, classes);
            double[] logP = fromLogits ? LogSoftmax(x) : ClampedLog(x);

            // a[c] = w[c] t'[c], the smoothed and weighted target of each class (used by the gradient).
            double[] a = new double[classes];
            if (labels is not null)
            {
                int label = labels[row];
                if (label == ignoreIndex)
                {
                    continue;
                }

                denominator += Weight(weights, label);

                // PyTorch: (1 - s) nll + (s / C) smooth, nll = -w[y] log_p[y], smooth = -sum_c w[c] log_p[c].
                // A zero coefficient contributes 0 even against log_p = -infinity (the contract's one departure from PyTorch).
                double nll = Product(Weight(weights, label), -logP[label]);
                double[] smoothTerms = new double[classes];
                for (int c = 0; c < classes; c++)
                {
                    smoothTerms[c] = Product(Weight(weights, c), -logP[c]);
                    a[c] = smoothing / classes * Weight(weights, c) + (c == label ? (1 - smoothing) * Weight(weights, label) : 0);
                }

                rowLosses[row] = Product(1 - smoothing, nll) + Product(smoothing / classes, Sum(smoothTerms));
            }
            else
            {
                denominator += 1;
                double[] terms = new double[classes];
                for (int c = 0; c < classes; c++)
                {
                    a[c] = Weight(weights, c) * (targets![row * classes + c] * (1 - smoothing) + smoothing / classes);
                    terms[c] = Product(a[c], -logP[c]);
                }

                rowLosses[row] = Sum(terms);
            }

            double coefficientSum = Sum(a);
            double[] softmax = fromLogits ? Softmax(x) : [];
            for (int c = 0; c < classes; c++)
            {
                int i = row * classes + c;
                if (fromLogits)
                {
                    // (softmax[c] sum_j a[j] - a[c]): the gradient of -sum_c a[c] log_softmax(x)[c].
                    gradient[i] = softmax[c] * coefficientSum - a[c];
                    magnitude[i] = softmax[c] * coefficientSum + a[c];
                }
                else
                {
                    gradient[i] = a[c] == 0 ? 0 : -a[c] / Math.Max(x[c], ProbabilityFloor);
                    magnitude[i] = Math.Abs(gradient[i]);
                }
            }
        }

        return new Result(rowLosses, Sum(rowLosses), denominator, gradient, magnitude);
    }

    /// <summary><c>binary_cross_entropy_with_logits(x, y, weight, pos_weight)</c> element by element, weights used cyclically.</summary>
    public static Result BinaryFromLogits(double[] x, double[] y, double[] weights, double[] positiveWeights, double smoothing)
    {
        double[] losses = new double[x.Length];
        double[] gradient = new double[x.Length];
        double[] magnitude = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double target = Smooth(y[i], smoothing);
            double w = Cyclic(weights, i);
            double pw = Cyclic(positiveWeights, i);

            // -w [pw y log(sigmoid(x)) + (1 - y) log(1 - sigmoid(x))], with -log(sigmoid(x)) = softplus(-x) and
            // -log(1 - sigmoid(x)) = softplus(x): two non-negative terms, so nothing cancels. It equals the contract's
            // w [(1 - y) x + (1 + (pw - 1) y) softplus(-x)].
            losses[i] = w * (Product(pw * target, Softplus(-x[i])) + Product(1 - target, Softplus(x[i])));

            // w [(1 + (pw - 1) y) sigmoid(x) - pw y], rearranged as w [(1 - y) sigmoid(x) - pw y sigmoid(-x)].
            double positive = pw * target * Sigmoid(-x[i]);
            double negative = (1 - target) * Sigmoid(x[i]);
            gradient[i] = w * (negative - positive);
            magnitude[i] = Math.Abs(w) * (negative + positive);
        }

        return new Result(losses, Sum(losses), x.Length, gradient, magnitude);
    }

    /// <summary><c>binary_cross_entropy(p, y, weight)</c> element by element: logs clamped at -100, weights used cyclically.</summary>
    public static Result BinaryFromProbabilities(double[] p, double[] y, double[] weights, double smoothing)
    {
        double[] losses = new double[p.Length];
        double[] gradient = new double[p.Length];
        double[] magnitude = new double[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            double target = Smooth(y[i], smoothing);
            double w = Cyclic(weights, i);
            double logP = Math.Max(Math.Log(p[i]), LogFloor);
            double logOneMinusP = Math.Max(Log1P(-p[i]), LogFloor);
            losses[i] = -w * (target * logP + (1 - target) * logOneMinusP);

            double denominator = Math.Max(p[i] * (1 - p[i]), ProbabilityFloor);
            gradient[i] = w * (p[i] - target) / denominator;
            magnitude[i] = Math.Abs(w) * (Math.Abs(p[i]) + Math.Abs(target)) / denominator;
        }

        return new Result(losses, Sum(losses), p.Length, gradient, magnitude);
    }

    /// <summary>
    /// log_softmax of a row with a finite maximum: (x - max) - log(1 + sum of exp(x - max) beside one maximum).
    /// x - max is rounded; its rounding error (from TwoSum) is carried into the exponential and the result.
    /// </summary>
    public static double[] LogSoftmax(ReadOnlySpan<double> row)
    {
        double logSum = Log1P(SumExpBesideMax(row, out double max));
        double[] result = new double[row.Length];
        for (int c = 0; c < row.Length; c++)
        {
            (double difference, double error) = ExactDifference(row[c], max);
            result[c] = (difference - logSum) + error;
        }

        return result;
    }

    /// <summary>softmax of a row with a finite maximum: exp(x - max) / sum_c exp(x_c - max).</summary>
    public static double[] Softmax(ReadOnlySpan<double> row)
    {
        double total = 1 + SumExpBesideMax(row, out double max);
        double[] result = new double[row.Length];
        for (int c = 0; c < row.Length; c++)
        {
            result[c] = ShiftedExp(row[c], max) / total;
        }

        return result;
    }

    /// <summary>ln(1 + x) for x &gt; -1, accurate where x is tiny: ln(u) x / (u - 1) with u = 1 + x corrects the rounding of u.</summary>
    public static double Log1P(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * (x / (u - 1));
    }

    /// <summary>log(1 + e^z) without overflow or cancellation: max(z, 0) + log1p(e^-|z|), both terms non-negative.</summary>
    public static double Softplus(double z) => Math.Max(z, 0) + Log1P(Math.Exp(-Math.Abs(z)));

    /// <summary>1 / (1 + e^-x), through e^-|x| so that nothing overflows.</summary>
    public static double Sigmoid(double x)
    {
        double e = Math.Exp(-Math.Abs(x));
        return x >= 0 ? 1 / (1 + e) : e / (1 + e);
    }

    /// <summary>Neumaier-compensated sum, so long rows keep full double precision; a sum that is not finite is returned as is.</summary>
    public static double Sum(ReadOnlySpan<double> values)
    {
        double sum = 0;
        double lost = 0;
        foreach (double value in values)
        {
            double next = sum + value;
            lost += Math.Abs(sum) >= Math.Abs(value) ? (sum - next) + value : (value - next) + sum;
            sum = next;
        }

        return double.IsFinite(sum) ? sum + lost : sum;
    }

    private static double Smooth(double y, double smoothing) => y * (1 - smoothing) + 0.5 * smoothing;

    private static double Weight(double[] weights, int c) => weights.Length == 0 ? 1 : weights[c];

    private static double Cyclic(double[] weights, int i) => weights.Length == 0 ? 1 : weights[i % weights.Length];

    /// <summary>coefficient * value, 0 where the coefficient is 0 whatever the value (0 log 0 = 0).</summary>
    private static double Product(double coefficient, double value) => coefficient == 0 ? 0 : coefficient * value;

    private static double[] ClampedLog(ReadOnlySpan<double> p)
    {
        double[] result = new double[p.Length];
        for (int c = 0; c < p.Length; c++)
        {
            result[c] = Math.Max(Math.Log(p[c]), LogFloor);
        }

        return result;
    }

    /// <summary>sum_c exp(x_c - max) - 1: the terms beside the first maximum (whose term is 1), and that maximum.</summary>
    private static double SumExpBesideMax(ReadOnlySpan<double> row, out double max)
    {
        int argMax = 0;
        for (int c = 1; c < row.Length; c++)
        {
            if (row[c] > row[argMax])
            {
                argMax = c;
            }
        }

        max = row[argMax];
        double[] terms = new double[row.Length];
        for (int c = 0; c < row.Length; c++)
        {
            terms[c] = c == argMax ? 0 : ShiftedExp(row[c], max);
        }

        return Sum(terms);
    }

    /// <summary>exp(x - max) as if x - max were exact: exp(d) (1 + e) for the rounded difference d and its error e.</summary>
    private static double ShiftedExp(double x, double max)
    {
        if (double.IsNegativeInfinity(x))
        {
            return 0;
        }

        (double difference, double error) = ExactDifference(x, max);
        return Math.Exp(difference) * (1 + error);
    }

    /// <summary>x - y as a rounded difference and its rounding error (Knuth's TwoSum); the error is 0 for infinite x.</summary>
    private static (double Difference, double Error) ExactDifference(double x, double y)
    {
        double difference = x - y;
        if (!double.IsFinite(difference))
        {
            return (difference, 0);
        }

        double virtualY = x - difference;
        double virtualX = difference + virtualY;
        return (difference, (x - virtualX) - (y - virtualY));
    }
}
