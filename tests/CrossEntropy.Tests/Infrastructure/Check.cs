using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using Xunit;

namespace CrossEntropy.Tests.Infrastructure;

/// <summary>
/// Compares results of type <typeparamref name="T"/> with a double reference within <see cref="Tolerance{T}"/>, or with each
/// other bit for bit. The static methods fail at once. An instance checks losses and gradients: it collects the mismatches
/// of a whole matrix of cases, and the largest errors for <see cref="Summary"/>, and fails in <see cref="AssertNoMismatch"/>.
/// </summary>
internal sealed class Check<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int ReportedMismatches = 12;

    private readonly List<string> _mismatches = [];

    private int _mismatchCount;

    /// <summary>The largest |actual - expected| / |expected| over the losses compared (expected finite and in the normal range of T).</summary>
    public double MaxLossError { get; private set; }

    /// <summary>The largest |actual - expected| / |expected| over gradient entries whose terms cancel by less than half (|expected| at least half their magnitude).</summary>
    public double MaxGradientError { get; private set; }

    /// <summary>The largest |actual - expected| / magnitude over all gradient entries whose magnitude is in the normal range of T.</summary>
    public double MaxGradientErrorOfMagnitude { get; private set; }

    public int Comparisons { get; private set; }

    /// <summary>Fails unless <paramref name="actual"/> is within Relative * <paramref name="scale"/> + Absolute of <paramref name="expected"/> (see <see cref="Mismatch"/>).</summary>
    public static void Close(double expected, T actual, double scale, string context) => Close(expected, actual, scale, context, -1);

    /// <summary><see cref="Close(double, T, double, string)"/> of index <paramref name="index"/> (none where negative) of <paramref name="context"/>.</summary>
    private static void Close(double expected, T actual, double scale, string context, int index)
    {
        if (Mismatch(expected, actual, Tolerance<T>.Relative * scale + Tolerance<T>.Absolute) is string mismatch)
        {
            Assert.Fail($"{context}{(index < 0 ? "" : $", index {index}")}: {mismatch} (scale {Format(scale)}).");
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
            Close(expected[i], actual[i], scale[i], context, i);
        }
    }

    /// <summary>Whether the bits are the same, any NaN counting as equal to any NaN.</summary>
    public static bool SameBits(T left, T right) =>
        (T.IsNaN(left) && T.IsNaN(right)) ||
        MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in left)).SequenceEqual(MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in right)));

    /// <summary>Fails unless every element has the bits of the expected one (see <see cref="SameBits(T, T)"/>).</summary>
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

    /// <summary>Records a mismatch unless <paramref name="actual"/> is within Loss * |expected| + Absolute of <paramref name="expected"/>.</summary>
    public void Loss(double expected, T actual, string context) => Loss(expected, actual, context, -1);

    /// <summary><see cref="Loss(double, T, string)"/> of row <paramref name="row"/> (none where negative) of <paramref name="context"/>.</summary>
    private void Loss(double expected, T actual, string context, int row)
    {
        Comparisons++;
        double error = Math.Abs(double.CreateTruncating(actual) - expected);
        if (double.IsFinite(error) && Math.Abs(expected) >= Tolerance<T>.MinNormal)
        {
            MaxLossError = Math.Max(MaxLossError, error / Math.Abs(expected));
        }

        Record(Mismatch(expected, actual, Tolerance<T>.Loss * Math.Abs(expected) + Tolerance<T>.Absolute), context, "row", row);
    }

    /// <summary>Element-wise <see cref="Loss"/>, for per-row (or per-element) losses.</summary>
    public void Losses(ReadOnlySpan<double> expected, ReadOnlySpan<T> actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Loss(expected[i], actual[i], context, i);
        }
    }

    /// <summary>
    /// Records a mismatch unless each entry is within Loss * |expected| + Cancellation * magnitude + Absolute of the reference,
    /// <paramref name="magnitude"/> being the sum of the magnitudes of the terms the entry is made of.
    /// </summary>
    public void Gradient(ReadOnlySpan<double> expected, ReadOnlySpan<double> magnitude, ReadOnlySpan<T> actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Comparisons++;
            double error = Math.Abs(double.CreateTruncating(actual[i]) - expected[i]);
            if (double.IsFinite(error))
            {
                if (Math.Abs(expected[i]) >= 0.5 * magnitude[i] && Math.Abs(expected[i]) >= Tolerance<T>.MinNormal)
                {
                    MaxGradientError = Math.Max(MaxGradientError, error / Math.Abs(expected[i]));
                }

                if (magnitude[i] >= Tolerance<T>.MinNormal)
                {
                    MaxGradientErrorOfMagnitude = Math.Max(MaxGradientErrorOfMagnitude, error / magnitude[i]);
                }
            }

            double tolerance = Tolerance<T>.Loss * Math.Abs(expected[i]) + Tolerance<T>.Cancellation * magnitude[i] + Tolerance<T>.Absolute;
            Record(Mismatch(expected[i], actual[i], tolerance), context, "entry", i);
        }
    }

    /// <summary>Fails the test if any comparison was out of tolerance, listing the first mismatches.</summary>
    public void AssertNoMismatch()
    {
        if (_mismatchCount > 0)
        {
            Assert.Fail($"{_mismatchCount} of {Comparisons} values out of tolerance; the first ones:{Environment.NewLine}{string.Join(Environment.NewLine, _mismatches)}");
        }
    }

    /// <summary>A line for the test output: how many values were compared, and the largest errors.</summary>
    public string Summary(string name) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{typeof(T).Name} {name}: {Comparisons} values compared; max relative error of losses {MaxLossError:E2}, of gradient entries (terms cancelling by less than half) {MaxGradientError:E2}, of all gradient entries relative to their terms' magnitude {MaxGradientErrorOfMagnitude:E2}.");

    /// <summary>
    /// Null if <paramref name="actual"/> matches <paramref name="expected"/>: both NaN; the same infinity where the expectation
    /// rounded to T or the actual value is infinite (a finite value beyond T's range must come out as that infinity); otherwise
    /// |actual - expected| &lt;= <paramref name="tolerance"/>. Else what differs.
    /// </summary>
    private static string? Mismatch(double expected, T actual, double tolerance)
    {
        double value = double.CreateTruncating(actual);
        double rounded = double.CreateTruncating(T.CreateTruncating(expected));
        bool pass =
            double.IsNaN(expected) || double.IsNaN(value) ? double.IsNaN(expected) && double.IsNaN(value) :
            double.IsInfinity(rounded) || double.IsInfinity(value) ? value == rounded :
            Math.Abs(value - expected) <= tolerance;
        return pass ? null : $"expected {Format(expected)}, actual {Format(value)}, difference {Format(value - expected)}, tolerance {Format(tolerance)}";
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// Keeps <paramref name="mismatch"/>, if any, among the first ones reported, as of <paramref name="context"/>, or of its
    /// <paramref name="item"/> <paramref name="index"/> where the index is not negative (named only when reported).
    /// </summary>
    private void Record(string? mismatch, string context, string item, int index)
    {
        if (mismatch is not null && _mismatchCount++ < ReportedMismatches)
        {
            _mismatches.Add(index < 0 ? $"{context}: {mismatch}." : $"{context}, {item} {index}: {mismatch}.");
        }
    }
}
