using System;

namespace CrossEntropy.Tests.Infrastructure;

/// <summary>
/// Plain scalar double-precision formulas for the activations, with PyTorch's rules for NaN and infinities.
/// Written for clarity, not speed; sums are compensated so that long rows keep full double precision.
/// </summary>
internal static class Reference
{
    /// <summary>The sum of <paramref name="values"/> with Neumaier's compensation.</summary>
    public static double Sum(ReadOnlySpan<double> values)
    {
        double sum = 0;
        double compensation = 0;
        foreach (double value in values)
        {
            double next = sum + value;
            compensation += Math.Abs(sum) >= Math.Abs(value) ? (sum - next) + value : (value - next) + sum;
            sum = next;
        }

        return sum + compensation;
    }

    /// <summary>ln(1 + x) for x &gt;= 0, accurate for tiny x (Goldberg's form x ln(u) / (u - 1) with u = 1 + x).</summary>
    public static double Log1P(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : x * Math.Log(u) / (u - 1);
    }

    /// <summary>softmax(row): exp(x - max) / sum exp(x - max); all NaN if the row holds NaN or +infinity, or is only -infinity.</summary>
    public static void Softmax(ReadOnlySpan<double> row, Span<double> result)
    {
        if (!TryFiniteMax(row, out double max, out _))
        {
            result[..row.Length].Fill(double.NaN);
            return;
        }

        double[] terms = new double[row.Length];
        for (int i = 0; i < row.Length; i++)
        {
            terms[i] = Math.Exp(row[i] - max);
        }

        double sum = Sum(terms);
        for (int i = 0; i < row.Length; i++)
        {
            result[i] = terms[i] / sum;
        }
    }

    /// <summary>log_softmax(row): (x - max) - ln(sum exp(x - max)), the sum taken as 1 + the terms beside one maximum.</summary>
    public static void LogSoftmax(ReadOnlySpan<double> row, Span<double> result)
    {
        if (!TryFiniteMax(row, out double max, out int argMax))
        {
            result[..row.Length].Fill(double.NaN);
            return;
        }

        double logSum = Log1P(SumExpBeside(row, max, argMax));
        for (int i = 0; i < row.Length; i++)
        {
            result[i] = (row[i] - max) - logSum;
        }
    }

    /// <summary>logsumexp(row): NaN if any NaN, else +infinity if any +infinity, else -infinity if empty or only -infinity.</summary>
    public static double LogSumExp(ReadOnlySpan<double> row)
    {
        double max = double.NegativeInfinity;
        int argMax = -1;
        bool hasNaN = false;
        for (int i = 0; i < row.Length; i++)
        {
            hasNaN |= double.IsNaN(row[i]);
            if (argMax < 0 || row[i] > max)
            {
                max = row[i];
                argMax = i;
            }
        }

        if (hasNaN)
        {
            return double.NaN;
        }

        if (!double.IsFinite(max))
        {
            return max;
        }

        return max + Log1P(SumExpBeside(row, max, argMax));
    }

    /// <summary>sigmoid(x) = 1 / (1 + exp(-x)), as exp(x) / (1 + exp(x)) for negative x, so that exp(-x) does not overflow where the result is subnormal.</summary>
    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>logsigmoid(x) = -ln(1 + exp(-x)), written so that neither branch overflows or cancels.</summary>
    public static double LogSigmoid(double x) => x >= 0 ? -Log1P(Math.Exp(-x)) : x - Log1P(Math.Exp(x));

    /// <summary>The softmax vector-Jacobian product: y[i] (g[i] - sum_j g[j] y[j]).</summary>
    public static void SoftmaxBackward(ReadOnlySpan<double> y, ReadOnlySpan<double> g, Span<double> result)
    {
        double[] products = new double[y.Length];
        for (int j = 0; j < y.Length; j++)
        {
            products[j] = g[j] * y[j];
        }

        double dot = Sum(products);
        for (int i = 0; i < y.Length; i++)
        {
            result[i] = y[i] * (g[i] - dot);
        }
    }

    /// <summary>The log-softmax vector-Jacobian product: g[i] - exp(y[i]) sum_j g[j].</summary>
    public static void LogSoftmaxBackward(ReadOnlySpan<double> y, ReadOnlySpan<double> g, Span<double> result)
    {
        double sum = Sum(g);
        for (int i = 0; i < y.Length; i++)
        {
            result[i] = g[i] - Math.Exp(y[i]) * sum;
        }
    }

    /// <summary>The sigmoid vector-Jacobian product: g y (1 - y).</summary>
    public static double SigmoidBackward(double y, double g) => g * y * (1 - y);

    /// <summary>The maximum and its first index; false if the row holds NaN or the maximum is not finite (or the row is empty).</summary>
    private static bool TryFiniteMax(ReadOnlySpan<double> row, out double max, out int argMax)
    {
        max = double.NegativeInfinity;
        argMax = -1;
        for (int i = 0; i < row.Length; i++)
        {
            if (double.IsNaN(row[i]))
            {
                return false;
            }

            if (argMax < 0 || row[i] > max)
            {
                max = row[i];
                argMax = i;
            }
        }

        return double.IsFinite(max);
    }

    /// <summary>sum of exp(x - max) over the row without the term at <paramref name="argMax"/> (which is 1).</summary>
    private static double SumExpBeside(ReadOnlySpan<double> row, double max, int argMax)
    {
        double[] terms = new double[row.Length];
        for (int i = 0; i < row.Length; i++)
        {
            terms[i] = i == argMax ? 0 : Math.Exp(row[i] - max);
        }

        return Sum(terms);
    }
}
