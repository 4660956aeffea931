using System;
using System.Numerics;
using System.Runtime.InteropServices;
using Xunit;

namespace CrossEntropy.Tests;

/// <summary>Assertions on results of type <typeparamref name="T"/> against double expectations or against each other.</summary>
internal static class Check<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// Passes if both are NaN; if the expectation rounded to <typeparamref name="T"/> or the actual value is infinite,
    /// they must be the same infinity; otherwise |actual - expected| &lt;= Relative * scale + Absolute.
    /// </summary>
    public static void Close(double expected, T actual, double scale, string context)
    {
        double value = double.CreateTruncating(actual);
        double rounded = double.CreateTruncating(T.CreateTruncating(expected));
        bool pass =
            double.IsNaN(expected) ? double.IsNaN(value) :
            double.IsInfinity(rounded) || double.IsInfinity(value) ? value == rounded :
            Math.Abs(value - expected) <= Tolerance<T>.Relative * scale + Tolerance<T>.Absolute;
        if (!pass)
        {
            Assert.Fail($"{context}: expected {expected:R}, actual {value:R}, difference {value - expected:R} (scale {scale:R}).");
        }
    }

    /// <summary><see cref="Close(double, T, double, string)"/> with the scale |expected| (a relative comparison).</summary>
    public static void Close(double expected, T actual, string context) => Close(expected, actual, Math.Abs(expected), context);

    /// <summary>Element-wise <see cref="Close(double, T, double, string)"/>.</summary>
    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<double> scale, ReadOnlySpan<T> actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Close(expected[i], actual[i], scale[i], $"{context}, index {i}");
        }
    }

    /// <summary>Whether the bits are the same, any NaN counting as equal to any NaN.</summary>
    public static bool SameBits(T left, T right) =>
        (T.IsNaN(left) && T.IsNaN(right)) ||
        MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in left)).SequenceEqual(MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in right)));

    public static void SameBits(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (!SameBits(expected[i], actual[i]))
            {
                Assert.Fail($"{context}, index {i}: expected {expected[i]:R}, actual {actual[i]:R} (bits differ).");
            }
        }
    }

    /// <summary>Fails unless every element still holds <paramref name="sentinel"/>.</summary>
    public static void Unchanged(ReadOnlySpan<T> values, T sentinel, string context)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!SameBits(values[i], sentinel))
            {
                Assert.Fail($"{context}: element {i} changed from {sentinel} to {values[i]}.");
            }
        }
    }
}
