using System;
using System.Numerics;

namespace CrossEntropy.Tests;

/// <summary>Seeded random inputs and the special values of <typeparamref name="T"/>.</summary>
internal static class TestData<T>
    where T : IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    /// <summary>NaN, the infinities, signed zeros, subnormals and the largest finite values.</summary>
    public static T[] Specials { get; } =
    [
        T.NaN, T.PositiveInfinity, T.NegativeInfinity, T.Zero, T.NegativeZero,
        T.Epsilon, -T.Epsilon, T.Epsilon * T.CreateTruncating(3), T.MaxValue, T.MinValue,
    ];

    /// <summary>Specials without NaN and +infinity: rows made of these keep finite maxima, or are only -infinity.</summary>
    public static T[] FiniteSpecials { get; } =
    [
        T.NegativeInfinity, T.Zero, T.NegativeZero, T.Epsilon, -T.Epsilon, T.MaxValue, T.MinValue,
    ];

    /// <summary>Fills <paramref name="values"/> uniformly from [-<paramref name="bound"/>, <paramref name="bound"/>].</summary>
    public static void Uniform(Random random, Span<T> values, double bound)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = T.CreateTruncating((2 * random.NextDouble() - 1) * bound);
        }
    }

    /// <summary>Fills <paramref name="values"/> uniformly from [-b, b] with b drawn per element from 1, 16, 128 and 800.</summary>
    public static void MixedScales(Random random, Span<T> values)
    {
        ReadOnlySpan<double> bounds = [1, 16, 128, 800];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = T.CreateTruncating((2 * random.NextDouble() - 1) * bounds[random.Next(bounds.Length)]);
        }
    }

    public static double[] ToDouble(ReadOnlySpan<T> values)
    {
        double[] result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = double.CreateTruncating(values[i]);
        }

        return result;
    }
}
