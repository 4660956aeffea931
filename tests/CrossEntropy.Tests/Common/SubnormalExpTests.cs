using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Common;

/// <summary>
/// e^x where the result falls below the normal range, where BlockMath builds it from its bits: every float from -104.5 to
/// -86.5 (results from 0 through the subnormals to the normal ones just above), e^(x - m) for a few maxima, among them one
/// whose fine steps reach the results that round up to the smallest normal, and a dense sample for double. On every width
/// each result must have the same bits, lie within one step of e^x correctly rounded (computed in double, or from
/// e^(x + 1074 ln2) for double), and equal it wherever e^x lies farther from a rounding boundary than the error of the
/// polynomial could reach.
/// </summary>
public sealed class SubnormalExpTests
{
    private const double Ln2 = 0.6931471805599453;

    /// <summary>1074 ln2 (744.44007192138126231410729844608...) split in the nearest double, whose sum with any x in [-1488, -372] is exact, and the rest.</summary>
    private const double SubnormalShiftHigh = 744.4400719213812;
    private const double SubnormalShiftLow = 4.422444340918698e-14;

    [Fact]
    public void FloatEveryArgumentOfTheBand()
    {
        var x = new System.Collections.Generic.List<float>();
        for (float value = -86.5f; value >= -104.5f; value = MathF.BitDecrement(value))
        {
            x.Add(value);
        }

        float[] arguments = [.. x];
        float[] results = OnEveryWidth(arguments, m: null);
        var seen = new Coverage();
        for (int i = 0; i < arguments.Length; i++)
        {
            CheckFloat(arguments[i], m: null, Math.Exp(arguments[i]), results[i], ref seen);
        }

        Assert.True(seen.Zero > 0 && seen.Smallest > 0 && seen.Subnormal > 0 && seen.Normal > 0, seen.ToString());
    }

    /// <summary>
    /// x - m around ln 2^-126 in steps of 2^-28 (x near 0.04, m = 87.375), fine enough to reach the results that round up to
    /// 2^-126 from below and those that are 2^-126 from above; x - m is inexact in float, so the kernels' correction counts.
    /// </summary>
    [Fact]
    public void FloatStepToTheSmallestNormal()
    {
        const float m = 87.375f;
        float[] x = new float[8192];
        x[0] = (float)(m + Math.Log(Math.ScaleB(1.0, -126))) - 4096 * MathF.ScaleB(1, -28);
        for (int i = 1; i < x.Length; i++)
        {
            x[i] = MathF.BitIncrement(x[i - 1]);
        }

        float[] results = OnEveryWidth(x, m);
        var seen = new Coverage();
        for (int i = 0; i < x.Length; i++)
        {
            CheckFloat(x[i], m, Math.Exp((double)x[i] - m), results[i], ref seen);
        }

        Assert.True(seen.RoundedUpToNormal > 0 && seen.NormalBoundary > 0 && seen.Subnormal > 0 && seen.Normal > 0, seen.ToString());
    }

    [Fact]
    public void FloatDifferenceFromTheMaximum()
    {
        foreach (float m in new[] { 0.75f, -3.7f, 5.3f, 100.25f })
        {
            float[] x = new float[18 * 8192];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = m + (float)(-104.5 + i / 8192.0);
            }

            float[] results = OnEveryWidth(x, m);
            var seen = new Coverage();
            for (int i = 0; i < x.Length; i++)
            {
                CheckFloat(x[i], m, Math.Exp((double)x[i] - m), results[i], ref seen);
            }

            That.Holds(seen.Zero > 0 && seen.Smallest > 0 && seen.Subnormal > 0 && seen.Normal > 0, $"m = {m}: {seen}");
        }
    }

    [Fact]
    public void DoubleDenseSampleOfTheBand()
    {
        var x = new System.Collections.Generic.List<double>();
        for (double value = -700; value >= -750; value -= 1.0 / 2048 + 1e-10)
        {
            x.Add(value);
        }

        // Every double around the step to the smallest normal and around the last nonzero result.
        foreach (double boundary in new[] { -1022 * Ln2, -1074.5 * Ln2 })
        {
            double value = boundary;
            for (int i = 0; i < 20000; i++)
            {
                value = Math.BitDecrement(value);
            }

            for (int i = 0; i < 40000; i++, value = Math.BitIncrement(value))
            {
                x.Add(value);
            }
        }

        double[] arguments = [.. x];
        double[] results = OnEveryWidth(arguments, m: null);
        var seen = new Coverage();
        for (int i = 0; i < arguments.Length; i++)
        {
            CheckDouble(arguments[i], m: null, arguments[i], results[i], ref seen);
        }

        Assert.True(seen.Zero > 0 && seen.Smallest > 0 && seen.Subnormal > 0 && seen.Normal > 0, seen.ToString());
    }

    /// <summary>e^(x - m) for double, with x - m exact (all multiples of 2^-11) so that the platform's e^x is a reference.</summary>
    [Fact]
    public void DoubleDifferenceFromTheMaximum()
    {
        foreach (double m in new[] { 0.75, -3.625, 5.3125 })
        {
            double[] x = new double[48 * 2048];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = m + (-748 + i / 2048.0);
            }

            double[] results = OnEveryWidth(x, m);
            var seen = new Coverage();
            for (int i = 0; i < x.Length; i++)
            {
                CheckDouble(x[i], m, x[i] - m, results[i], ref seen);
            }

            That.Holds(seen.Zero > 0 && seen.Smallest > 0 && seen.Subnormal > 0 && seen.Normal > 0, $"m = {m}: {seen}");
        }
    }

    [Fact]
    public void SpecialArgumentsOnEveryWidth()
    {
        float[] floats = [float.NegativeInfinity, -float.MaxValue, -1e6f, -110.5f, -104f, float.NaN];
        float[] floatResults = OnEveryWidth(floats, m: null);
        Assert.Equal([0, 0, 0, 0, 0], Array.ConvertAll(floatResults[..5], BitConverter.SingleToInt32Bits));
        Assert.True(float.IsNaN(floatResults[5]));

        double[] doubles = [double.NegativeInfinity, -double.MaxValue, -1e6, -760.5, -746, double.NaN];
        double[] doubleResults = OnEveryWidth(doubles, m: null);
        Assert.Equal([0L, 0L, 0L, 0L, 0L], Array.ConvertAll(doubleResults[..5], BitConverter.DoubleToInt64Bits));
        Assert.True(double.IsNaN(doubleResults[5]));

        // -infinity less a maximum, as a masked logit gives, is exactly 0 too.
        Assert.Equal(0, BitConverter.SingleToInt32Bits(OnEveryWidth([float.NegativeInfinity], m: 2.5f)[0]));
        Assert.Equal(0L, BitConverter.DoubleToInt64Bits(OnEveryWidth([double.NegativeInfinity], m: 2.5)[0]));
    }

    /// <summary>
    /// Checks e^x of a float against <paramref name="exact"/> (in double, far more precise than float): within one step of it
    /// correctly rounded, and equal to that where e^x lies farther from the midpoint between two floats than 2^-21 of the
    /// result, which bounds the polynomial's error with room to spare.
    /// </summary>
    private static void CheckFloat(float x, float? m, double exact, float actual, ref Coverage seen)
    {
        float expected = (float)exact;
        long steps = BitConverter.SingleToInt32Bits(actual) - (long)BitConverter.SingleToInt32Bits(expected);
        double position = exact / Math.ScaleB(1.0, Math.Max(Math.ILogB(exact), -126) - 23);
        bool farFromMidpoint = Math.Abs(position - Math.Floor(position) - 0.5) > Math.ScaleB(position, -21);
        That.Holds(Math.Abs(steps) <= 1 && (steps == 0 || !farFromMidpoint), $"{Describe(x, m)}: {actual:R}, correctly rounded {expected:R}");

        seen.Add(actual, float.Epsilon, (float)Math.ScaleB(1.0, -126), exact < Math.ScaleB(1.0, -126));
    }

    /// <summary>
    /// Checks e^<paramref name="x"/> for double: within one step of the platform's e^x, and, below 2^-1034 (k steps of 2^-1074
    /// with k &lt; 2^40), equal to k correctly rounded where k = e^(x + 1074 ln2), computed with x + 1074 ln2 split exactly,
    /// lies farther from a midpoint than its error (2^-45 of k) could reach.
    /// </summary>
    private static void CheckDouble(double argument, double? m, double x, double actual, ref Coverage seen)
    {
        double platform = Math.Exp(x);
        long steps = BitConverter.DoubleToInt64Bits(actual) - BitConverter.DoubleToInt64Bits(platform);
        That.Holds(Math.Abs(steps) <= 1, $"{Describe(argument, m)}: {actual:R}, platform {platform:R}");
        double k = Math.Exp((x + SubnormalShiftHigh) + SubnormalShiftLow);
        if (k < Math.ScaleB(1.0, 40) && Math.Abs(k - Math.Floor(k) - 0.5) > Math.ScaleB(k, -45))
        {
            That.Holds(BitConverter.DoubleToInt64Bits(actual) == (long)Math.Round(k, MidpointRounding.ToEven), $"{Describe(argument, m)}: {actual:R}, k = {k:R}");
        }

        seen.Add(actual, double.Epsilon, Math.ScaleB(1.0, -1022), k < Math.ScaleB(1.0, 52));
    }

    /// <summary>
    /// e^x, or e^(x - m) where <paramref name="m"/> is given (as a row's maximum, from the kernels' deep call), on every
    /// width; asserts that all give the same bits and returns them.
    /// </summary>
    private static T[] OnEveryWidth<T>(T[] x, T? m)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[]? first = null;
        foreach (VectorWidth width in Widths.All)
        {
            T[] results;
            using (Widths.Limit(width))
            {
                results = Simd.Current switch
                {
                    VectorWidth.Vector512 => Exp<Block512<T>, T>(x, m),
                    VectorWidth.Vector256 => Exp<Block256<T>, T>(x, m),
                    VectorWidth.Vector128 => Exp<Block128<T>, T>(x, m),
                    _ => Exp<BlockScalar<T>, T>(x, m),
                };
            }

            first ??= results;
            for (int i = 0; i < x.Length; i++)
            {
                That.Holds(Bits(results[i]) == Bits(first[i]), $"{typeof(T).Name} {Describe(x[i], m)} on {width}: {results[i]:R}, on {Widths.All[0]}: {first[i]:R}");
            }
        }

        return first!;
    }

    private static T[] Exp<TBlock, T>(T[] x, T? m)
        where TBlock : struct, IBlock<TBlock, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int count = TBlock.Count;
        T[] padded = new T[(x.Length + count - 1) / count * count];
        x.CopyTo(padded, 0);
        T[] results = new T[padded.Length];
        for (int i = 0; i < padded.Length; i += count)
        {
            TBlock block = TBlock.Load(in padded[i]);
            TBlock e = m is { } max ? BlockMath<TBlock, T>.ExpDifference(block, TBlock.Create(max)) : BlockMath<TBlock, T>.ExpNonPositive(block);
            TBlock.Store(e, ref results[i]);
        }

        return results[..x.Length];
    }

    /// <summary>The exponential taken, for a message: e^x, or e^(x - m).</summary>
    private static string Describe<T>(T x, T? m)
        where T : struct, IFloatingPointIeee754<T> =>
        m is { } max ? $"e^({x:R} - {max:R})" : $"e^{x:R}";

    private static long Bits<T>(T value)
        where T : unmanaged =>
        Unsafe.SizeOf<T>() == sizeof(float) ? Unsafe.BitCast<T, int>(value) : Unsafe.BitCast<T, long>(value);

    /// <summary>How many results of each kind a sweep produced, so that a sweep that misses a boundary fails.</summary>
    private struct Coverage
    {
        public int Zero;
        public int Smallest;
        public int Subnormal;
        public int RoundedUpToNormal;
        public int NormalBoundary;
        public int Normal;

        public void Add<T>(T actual, T smallest, T minNormal, bool exactBelowNormal)
            where T : IFloatingPointIeee754<T>
        {
            if (T.IsZero(actual))
            {
                Zero++;
            }
            else if (actual == smallest)
            {
                Smallest++;
            }
            else if (actual == minNormal)
            {
                if (exactBelowNormal)
                {
                    RoundedUpToNormal++;
                }
                else
                {
                    NormalBoundary++;
                }
            }
            else if (T.IsSubnormal(actual))
            {
                Subnormal++;
            }
            else if (T.IsNormal(actual))
            {
                Normal++;
            }
        }

        public override readonly string ToString() =>
            $"0: {Zero}, 2^-149/2^-1074: {Smallest}, other subnormals: {Subnormal}, rounded up to the smallest normal: {RoundedUpToNormal}, the smallest normal from above: {NormalBoundary}, normal: {Normal}";
    }
}
