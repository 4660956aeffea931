using System;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using FsCheck.Xunit;
using Xunit;

namespace CrossEntropy.Tests.Activations;

/// <summary>
/// Mathematical identities of the activations on generated logits (see <see cref="Generators"/>), checked on every
/// width with <see cref="Tolerance{T}"/>.
/// </summary>
public abstract class ActivationProperties<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static double Relative => Tolerance<T>.Relative;

    private static T[] Convert(double[] values) => Array.ConvertAll(values, T.CreateTruncating);

    private static double ToDouble(T value) => double.CreateTruncating(value);

    /// <summary>Each row sums to 1 (within the relative tolerance: every probability carries a few ulps) and lies in [0, 1].</summary>
    [Property(Arbitrary = new[] { typeof(Generators) })]
    public void Softmax_RowsAreProbabilityDistributions(Logits logits)
    {
        T[] x = Convert(logits.Values);
        T[] p = new T[x.Length];
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                CrossEntropy.Activations.Softmax<T>(x, p, logits.Classes);
            }

            for (int row = 0; row < logits.Rows; row++)
            {
                double[] probabilities = Array.ConvertAll(p[(row * logits.Classes)..((row + 1) * logits.Classes)], ToDouble);
                Assert.All(probabilities, value => Assert.InRange(value, 0, 1));
                double sum = Reference.Sum(probabilities);
                That.Holds(Math.Abs(sum - 1) <= Relative, $"row {row} sums to {sum:R}, {width}");
            }
        }
    }

    /// <summary>Adding an integer to every logit of a row (exactly, as the logits are multiples of 1/8) leaves the row's softmax unchanged.</summary>
    [Property(Arbitrary = new[] { typeof(Generators) })]
    public void Softmax_IgnoresAConstantShift(ShiftedLogits logits)
    {
        T[] x = Convert(logits.Values);
        T[] shifted = Convert(logits.Shifted());
        T[] p = new T[x.Length];
        T[] q = new T[x.Length];
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                CrossEntropy.Activations.Softmax<T>(x, p, logits.Classes);
                CrossEntropy.Activations.Softmax<T>(shifted, q, logits.Classes);
            }

            for (int i = 0; i < p.Length; i++)
            {
                Check<T>.Close(ToDouble(p[i]), q[i], $"index {i}, {width}");
            }
        }
    }

    /// <summary>
    /// LogSoftmax is the log of Softmax wherever the probability is a normal number. log(p) inherits p's relative error
    /// as an absolute error, so the tolerance is Relative * (1 + |log p|).
    /// </summary>
    [Property(Arbitrary = new[] { typeof(Generators) })]
    public void LogSoftmax_IsTheLogOfSoftmax(Logits logits)
    {
        T[] x = Convert(logits.Values);
        T[] p = new T[x.Length];
        T[] logP = new T[x.Length];
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                CrossEntropy.Activations.Softmax<T>(x, p, logits.Classes);
                CrossEntropy.Activations.LogSoftmax<T>(x, logP, logits.Classes);
            }

            for (int i = 0; i < p.Length; i++)
            {
                if (T.IsNormal(p[i]))
                {
                    double expected = Math.Log(ToDouble(p[i]));
                    double actual = ToDouble(logP[i]);
                    That.Holds(Math.Abs(actual - expected) <= Relative * (1 + Math.Abs(actual)), $"index {i}: LogSoftmax {actual:R}, log(Softmax) {expected:R}, {width}");
                }
            }
        }
    }

    /// <summary>max(row) &lt;= LogSumExp(row) &lt;= max(row) + ln(classes); the upper bound allows rounding of the sum.</summary>
    [Property(Arbitrary = new[] { typeof(Generators) })]
    public void LogSumExp_LiesBetweenTheMaximumAndTheMaximumPlusLogN(Logits logits)
    {
        T[] x = Convert(logits.Values);
        T[] result = new T[logits.Rows];
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                CrossEntropy.Activations.LogSumExp<T>(x, result, logits.Classes);
            }

            for (int row = 0; row < logits.Rows; row++)
            {
                double max = double.NegativeInfinity;
                for (int i = row * logits.Classes; i < (row + 1) * logits.Classes; i++)
                {
                    max = Math.Max(max, ToDouble(x[i]));
                }

                double logN = Math.Log(logits.Classes);
                double value = ToDouble(result[row]);
                That.Holds(value >= max, $"row {row}: LogSumExp {value:R} below the maximum {max:R}, {width}");
                That.Holds(value <= max + logN + Relative * (Math.Abs(max) + logN), $"row {row}: LogSumExp {value:R} above max + ln n = {max + logN:R}, {width}");
            }
        }
    }

    /// <summary>Sigmoid(x) + Sigmoid(-x) = 1.</summary>
    [Property(Arbitrary = new[] { typeof(Generators) })]
    public void Sigmoid_OfXAndMinusX_SumToOne(Logits logits)
    {
        T[] x = Convert(logits.Values);
        T[] minusX = Array.ConvertAll(x, v => -v);
        T[] s = new T[x.Length];
        T[] t = new T[x.Length];
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                CrossEntropy.Activations.Sigmoid<T>(x, s);
                CrossEntropy.Activations.Sigmoid<T>(minusX, t);
            }

            for (int i = 0; i < x.Length; i++)
            {
                double sum = ToDouble(s[i]) + ToDouble(t[i]);
                That.Holds(Math.Abs(sum - 1) <= Relative, $"x = {x[i]}: Sigmoid(x) + Sigmoid(-x) = {sum:R}, {width}");
            }
        }
    }
}

public sealed class FloatActivationProperties : ActivationProperties<float>;

public sealed class DoubleActivationProperties : ActivationProperties<double>;
