using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

/// <summary>
/// Elementary functions on blocks, written once in terms of the block operations so that every hardware
/// path evaluates the same sequence of correctly rounded IEEE operations and returns the same bits.
/// </summary>
internal static class BlockMath<TBlock, T>
    where TBlock : struct, IBlock<TBlock, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static bool IsFloat => typeof(T) == typeof(float);

    /// <summary>The smallest positive normal value, 2^-126 for float and 2^-1022 for double.</summary>
    private static TBlock MinNormal => C(IsFloat ? 1.17549435082228750796873653722224568e-38 : 2.2250738585072014e-308);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock C(double value) => TBlock.Create(T.CreateTruncating(value));

    /// <summary>Per lane <c>a &gt; b ? a : b</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock Max(TBlock a, TBlock b) => TBlock.Select(TBlock.GreaterThan(a, b), a, b);

    /// <summary>Per lane <c>a &lt; b ? a : b</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock Min(TBlock a, TBlock b) => TBlock.Select(TBlock.LessThan(a, b), a, b);

    /// <summary>The lanes with their sign bit cleared.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock Abs(TBlock x) => x & TBlock.CreateBits(IsFloat ? 0x7FFF_FFFF : long.MaxValue);

    /// <summary>
    /// e^x for x &lt;= 0, -infinity (0) and NaN (NaN), to about 1 ulp, subnormal results included.
    /// x = n ln2 + r with |r| &lt;= ln2/2 (Cody-Waite), e^r by its Taylor polynomial, then a scale by 2^n built
    /// from the bits of the rounded n, in two steps where 2^n alone is below the normal range.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock ExpNonPositive(TBlock x) => ExpNonPositive(x, TBlock.Create(T.Zero));

    /// <summary>
    /// e^(x - m) for x &lt;= m, with x - m taken exactly (as a rounded difference plus its rounding error), so the
    /// result does not lose the precision a rounded difference of large values would cost.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock ExpDifference(TBlock x, TBlock m)
    {
        // TwoSum: d + low == x - m exactly.
        TBlock d = x - m;
        TBlock shifted = d - x;
        TBlock low = (x - (d - shifted)) - (m + shifted);
        return ExpNonPositive(d, low);
    }

    /// <summary>e^(x + low) for a small correction <paramref name="low"/>, which is ignored where the result is subnormal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock ExpNonPositive(TBlock x, TBlock low)
    {
        TBlock result = ScaledExp(x, low, out TBlock j, out TBlock p);
        TBlock deep = TBlock.LessThan(x, C(IsFloat ? -87.0 : -708.0));
        if (TBlock.AnyTrue(deep))
        {
            // Clamp where e^x is 0 whatever the polynomial says, then scale by 2^(n + k) and 2^-k.
            ScaledExp(Max(x, C(IsFloat ? -110.0 : -760.0)), TBlock.Create(T.Zero), out j, out p);
            TBlock k = C(IsFloat ? 64.0 : 128.0);
            TBlock twoStep = p * Pow2(j + k) * C(IsFloat ? 5.42101086242752217003726400434970855712890625e-20 : 2.9387358770557187699218413430556141945466638919302188037718792657e-39);
            result = TBlock.Select(deep, twoStep, result);
        }

        return result;
    }

    /// <summary>p * 2^n for n = round(x / ln2), where <paramref name="j"/> carries n in its low mantissa bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock ScaledExp(TBlock x, TBlock low, out TBlock j, out TBlock p)
    {
        // 1.5 * 2^23 (2^52 for double) plus the exponent bias: adding it rounds x/ln2 to an integer n
        // and leaves bias + n in the low bits of j.
        TBlock shifter = C(IsFloat ? 12582912.0 + 127.0 : 6755399441055744.0 + 1023.0);
        j = TBlock.FusedMultiplyAdd(x, C(1.4426950408889634), shifter);
        TBlock n = j - shifter;
        TBlock r = IsFloat
            ? TBlock.FusedMultiplyAdd(n, C(2.12194440e-4), TBlock.FusedMultiplyAdd(n, C(-0.693359375), x))
            : TBlock.FusedMultiplyAdd(n, C(-1.42860682030941723212e-6), TBlock.FusedMultiplyAdd(n, C(-6.93145751953125e-1), x));
        r += low;

        if (IsFloat)
        {
            p = C(1.0 / 5040);
            p = TBlock.FusedMultiplyAdd(p, r, C(1.0 / 720));
            p = TBlock.FusedMultiplyAdd(p, r, C(1.0 / 120));
            p = TBlock.FusedMultiplyAdd(p, r, C(1.0 / 24));
            p = TBlock.FusedMultiplyAdd(p, r, C(1.0 / 6));
            p = TBlock.FusedMultiplyAdd(p, r, C(0.5));
        }
        else
        {
            p = C(1.0 / 6227020800);
            p = TBlock.FusedMultiplyAdd(p, r, C(1.0 / 479001600));
            p = TBlock.FusedMultiplyAdd(p, r, C(1.0 / 39916800));
            p = TBlock.FusedMultiplyAdd(p, r, C(1.0 / 3628800));
            p = TBlock.FusedMultiplyAdd(p, r, C(1.0 / 362880));
            p = TBlock.FusedMultiplyAdd(p, r, C(1.0 / 40320));
            p = TBlock.FusedMultiplyAdd(p, r, C(1.0 / 5040));
            p = TBlock.FusedMultiplyAdd(p, r, C(1.0 / 720));
            p = TBlock.FusedMultiplyAdd(p, r, C(1.0 / 120));
            p = TBlock.FusedMultiplyAdd(p, r, C(1.0 / 24));
            p = TBlock.FusedMultiplyAdd(p, r, C(1.0 / 6));
            p = TBlock.FusedMultiplyAdd(p, r, C(0.5));
        }

        p = TBlock.FusedMultiplyAdd(p, r, C(1.0));
        p = TBlock.FusedMultiplyAdd(p, r, C(1.0));
        return p * Pow2(j);
    }

    /// <summary>2^n from a j that holds bias + n in its low mantissa bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Pow2(TBlock j) => TBlock.ShiftLeftBits(j, IsFloat ? 23 : 52);

    /// <summary>
    /// ln x for x &gt;= 0 (0 gives -infinity, +infinity gives +infinity, NaN and negative x give NaN), to about 1 ulp.
    /// x = m 2^e with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(f / (2 + f)) with f = m - 1, by its series.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock Log(TBlock x)
    {
        int mantissaBits = IsFloat ? 23 : 52;
        TBlock one = C(1.0);

        // Subnormals: scale into the normal range first.
        TBlock tiny = TBlock.LessThan(x, MinNormal);
        TBlock scaled = TBlock.Select(tiny, x * C(IsFloat ? 16777216.0 : 18014398509481984.0), x);
        TBlock eAdjust = TBlock.Select(tiny, C(IsFloat ? -24.0 : -54.0), TBlock.Create(T.Zero));

        // Exponent field as a float: its bits placed under the mantissa of 2^23 (2^52), minus 2^23 + bias.
        TBlock twoToMantissa = C(IsFloat ? 8388608.0 : 4503599627370496.0);
        TBlock e = (TBlock.ShiftRightBits(scaled, mantissaBits) | twoToMantissa) - twoToMantissa
            - C(IsFloat ? 127.0 : 1023.0) + eAdjust;
        TBlock m = (scaled & TBlock.CreateBits(IsFloat ? 0x007F_FFFF : 0x000F_FFFF_FFFF_FFFF)) | one;
        TBlock big = TBlock.GreaterThan(m, C(1.4142135623730951));
        m = TBlock.Select(big, m * C(0.5), m);
        e = e + (big & one);

        TBlock f = m - one;
        TBlock s = f / (C(2.0) + f);
        TBlock z = s * s;
        TBlock poly;
        if (IsFloat)
        {
            poly = C(2.0 / 9);
            poly = TBlock.FusedMultiplyAdd(poly, z, C(2.0 / 7));
            poly = TBlock.FusedMultiplyAdd(poly, z, C(2.0 / 5));
            poly = TBlock.FusedMultiplyAdd(poly, z, C(2.0 / 3));
        }
        else
        {
            poly = C(2.0 / 21);
            poly = TBlock.FusedMultiplyAdd(poly, z, C(2.0 / 19));
            poly = TBlock.FusedMultiplyAdd(poly, z, C(2.0 / 17));
            poly = TBlock.FusedMultiplyAdd(poly, z, C(2.0 / 15));
            poly = TBlock.FusedMultiplyAdd(poly, z, C(2.0 / 13));
            poly = TBlock.FusedMultiplyAdd(poly, z, C(2.0 / 11));
            poly = TBlock.FusedMultiplyAdd(poly, z, C(2.0 / 9));
            poly = TBlock.FusedMultiplyAdd(poly, z, C(2.0 / 7));
            poly = TBlock.FusedMultiplyAdd(poly, z, C(2.0 / 5));
            poly = TBlock.FusedMultiplyAdd(poly, z, C(2.0 / 3));
        }

        // ln(1 + f) = f - (f^2/2 - s (f^2/2 + R)), with R = z * poly.
        TBlock halfSquare = C(0.5) * f * f;
        TBlock lnM = f - (halfSquare - s * TBlock.FusedMultiplyAdd(z, poly, halfSquare));
        TBlock result = TBlock.FusedMultiplyAdd(e, C(IsFloat ? 0.693359375 : 6.93145751953125e-1),
            TBlock.FusedMultiplyAdd(e, C(IsFloat ? -2.12194440e-4 : 1.42860682030941723212e-6), lnM));

        // 0 -> -inf, +inf -> +inf, NaN or negative -> NaN.
        TBlock positiveFinite = TBlock.GreaterThan(x, TBlock.Create(T.Zero)) & TBlock.LessThan(x, TBlock.Create(T.PositiveInfinity));
        TBlock special = TBlock.Select(TBlock.Equals(x, TBlock.Create(T.Zero)), TBlock.Create(T.NegativeInfinity),
            TBlock.Select(TBlock.Equals(x, TBlock.Create(T.PositiveInfinity)), x, TBlock.Create(T.NaN)));
        return TBlock.Select(positiveFinite, result, special);
    }

    /// <summary>ln(1 + x) for x &gt;= -1 or NaN, accurate also where |x| is far below 1 ulp of 1; -1 gives -infinity.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock Log1P(TBlock x)
    {
        // u = 1 + x rounds; (x - (u - 1)) / u restores what the rounding lost (0 where u = 0, which only x = -1 gives).
        TBlock one = C(1.0);
        TBlock u = one + x;
        return Log(u) + (x - (u - one)) / Max(u, MinNormal);
    }
}
