using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using Xunit;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// How far a loss or gradient of type <typeparamref name="T"/> may be from the double reference.
/// <list type="bullet">
/// <item>Losses: relative 1e-5 for float (a few dozen float roundings through log, exp and the sums), 1e-12 for double
/// (the same error budget in double ulps, with room for long rows), 2e-3 for Half (computed in float, then rounded once
/// to 11 significant bits: 2.4e-4, plus the error of the float values it was computed from).</item>
/// <item>Gradient entries: the same relative tolerance on the entry, plus <see cref="Cancellation"/> times the sum of the
/// magnitudes of the terms that make up the entry (<see cref="LossReference.Result.Magnitude"/>: softmax * sum(w t') and
/// w t' from logits), which is what rounding can leave where those terms cancel: 1e-5 for float (room for sum(w t') over
/// 32000 classes summed plainly in float, off by a few 1e-6), 1e-13 for double (the same in double ulps), 1e-3 for Half.</item>
/// <item>An absolute floor of about one rounding step below the normal range of T, where results carry few bits.</item>
/// </list>
/// </summary>
internal static class LossTolerance<T>
    where T : IFloatingPointIeee754<T>
{
    public static double Relative { get; } = Pick(1e-5, 1e-12, 2e-3);

    public static double Cancellation { get; } = Pick(1e-5, 1e-13, 1e-3);

    public static double Absolute { get; } = Pick(2.4e-38, 4.5e-308, 6e-8);

    /// <summary>The smallest positive normal value of T: smaller results carry fewer bits and are left out of the error statistics.</summary>
    public static double MinNormal { get; } = Pick(1.1754943508222875e-38, 2.2250738585072014e-308, 6.103515625e-05);

    private static double Pick(double single, double @double, double half) =>
        typeof(T) == typeof(float) ? single :
        typeof(T) == typeof(double) ? @double :
        typeof(T) == typeof(Half) ? half :
        throw new NotSupportedException(typeof(T).Name);
}

/// <summary>
/// Comparisons of library results with the reference. Mismatches are collected, so that one run of a matrix of cases
/// reports all of them; <see cref="AssertNoMismatch"/> fails the test. Also records the largest relative errors seen.
/// </summary>
internal sealed class LossCheck<T>
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

    public static double ToDouble(T value) => double.CreateTruncating(value);

    /// <summary>
    /// Records a mismatch unless <paramref name="actual"/> is within <see cref="LossTolerance{T}"/> of <paramref name="expected"/>;
    /// NaN matches NaN, and an expectation that is infinite once rounded to T must be matched exactly.
    /// </summary>
    public void Loss(double expected, T actual, string context)
    {
        double value = ToDouble(actual);
        Comparisons++;
        if (double.IsNaN(expected) || double.IsNaN(value) || double.IsInfinity(Rounded(expected)) || double.IsInfinity(value))
        {
            expected = Rounded(expected);
            if (!(double.IsNaN(expected) && double.IsNaN(value)) && expected != value)
            {
                Mismatch($"{context}: expected {Format(expected)}, actual {Format(value)}.");
            }

            return;
        }

        double error = Math.Abs(value - expected);
        if (Math.Abs(expected) >= LossTolerance<T>.MinNormal)
        {
            MaxLossError = Math.Max(MaxLossError, error / Math.Abs(expected));
        }

        if (error > LossTolerance<T>.Relative * Math.Abs(expected) + LossTolerance<T>.Absolute)
        {
            Mismatch($"{context}: expected {Format(expected)}, actual {Format(value)}, relative error {Format(error / Math.Abs(expected))}.");
        }
    }

    /// <summary>Element-wise comparison of per-row (or per-element) losses.</summary>
    public void Losses(ReadOnlySpan<double> expected, ReadOnlySpan<T> actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Loss(expected[i], actual[i], $"{context}, row {i}");
        }
    }

    /// <summary>
    /// Records a mismatch unless each entry is within Relative * |expected| + Cancellation * magnitude + Absolute of the reference,
    /// or both are NaN, or both are the same infinity.
    /// </summary>
    public void Gradient(ReadOnlySpan<double> expected, ReadOnlySpan<double> magnitude, ReadOnlySpan<T> actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double value = ToDouble(actual[i]);
            Comparisons++;
            if (!double.IsFinite(Rounded(expected[i])) || !double.IsFinite(value))
            {
                if (!(double.IsNaN(expected[i]) && double.IsNaN(value)) && Rounded(expected[i]) != value)
                {
                    Mismatch($"{context}, entry {i}: expected {Format(expected[i])}, actual {Format(value)}.");
                }

                continue;
            }

            double error = Math.Abs(value - expected[i]);
            if (Math.Abs(expected[i]) >= 0.5 * magnitude[i] && Math.Abs(expected[i]) >= LossTolerance<T>.MinNormal)
            {
                MaxGradientError = Math.Max(MaxGradientError, error / Math.Abs(expected[i]));
            }

            if (magnitude[i] >= LossTolerance<T>.MinNormal)
            {
                MaxGradientErrorOfMagnitude = Math.Max(MaxGradientErrorOfMagnitude, error / magnitude[i]);
            }

            double tolerance = LossTolerance<T>.Relative * Math.Abs(expected[i]) + LossTolerance<T>.Cancellation * magnitude[i] + LossTolerance<T>.Absolute;
            if (error > tolerance)
            {
                Mismatch($"{context}, entry {i}: expected {Format(expected[i])}, actual {Format(value)}, error {Format(error)} > tolerance {Format(tolerance)}.");
            }
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

    public string Summary(string name) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{typeof(T).Name} {name}: {Comparisons} values compared; max relative error of losses {MaxLossError:E2}, of gradient entries (terms cancelling by less than half) {MaxGradientError:E2}, of all gradient entries relative to their terms' magnitude {MaxGradientErrorOfMagnitude:E2}.");

    /// <summary>The expectation rounded to T: a finite value beyond T's range must come out as that infinity.</summary>
    private static double Rounded(double expected) => ToDouble(T.CreateTruncating(expected));

    private void Mismatch(string message)
    {
        if (_mismatchCount++ < ReportedMismatches)
        {
            _mismatches.Add(message);
        }
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
