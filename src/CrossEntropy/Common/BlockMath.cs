using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

/// <summary>
/// Elementary functions on blocks, written once in terms of the block operations so that every hardware
/// path evaluates the same sequence of correctly rounded IEEE operations and returns the same bits.
/// Constants are broadcast once into static fields: the kernels inline all of this into one loop, and the JIT
/// inlines only so much per method.
/// </summary>
internal static unsafe class BlockMath<TBlock, T>
    where TBlock : struct, IBlock<TBlock, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// Whether T is float rather than double. The methods below test <c>sizeof(T) == sizeof(float)</c> in place: a constant
    /// to both the JIT and the NativeAOT compiler, where a static readonly field is one only to the JIT, and free of the
    /// inlining budget that a property call would spend.
    /// </summary>
    private static bool IsFloat => sizeof(T) == sizeof(float);

    public static readonly TBlock Zero = C(0);
    public static readonly TBlock One = C(1);

    /// <summary>Lane i holds i.</summary>
    public static readonly TBlock Indices = CreateIndices();
    private static readonly TBlock Half = C(0.5);
    private static readonly TBlock Two = C(2);
    private static readonly TBlock NegativeInfinity = C(double.NegativeInfinity);
    private static readonly TBlock PositiveInfinity = C(double.PositiveInfinity);
    private static readonly TBlock NaN = C(double.NaN);
    private static readonly TBlock SignBit = TBlock.CreateBits(IsFloat ? int.MinValue : long.MinValue);
    private static readonly TBlock MagnitudeBits = TBlock.CreateBits(IsFloat ? int.MaxValue : long.MaxValue);

    /// <summary>The smallest positive normal value, 2^-126 for float and 2^-1022 for double.</summary>
    private static readonly TBlock MinNormal = C(IsFloat ? 1.17549435082228750796873653722224568e-38 : 2.2250738585072014e-308);

    // e^x: x = n ln2 + r. Adding the shifter, 1.5 * 2^23 (2^52) plus the exponent bias, rounds x/ln2 to n and
    // leaves bias + n in the low mantissa bits; ln2 is split in a short high part and the rest (Cody-Waite).
    private static readonly TBlock Log2E = C(1.4426950408889634);
    private static readonly TBlock Shifter = C(IsFloat ? 12582912.0 + 127.0 : 6755399441055744.0 + 1023.0);
    private static readonly TBlock MinusLn2High = C(IsFloat ? -0.693359375 : -6.93145751953125e-1);
    private static readonly TBlock MinusLn2Low = C(IsFloat ? 2.12194440e-4 : -1.42860682030941723212e-6);
    private static readonly TBlock DeepThreshold = C(IsFloat ? -87.0 : -708.0);
    private static readonly TBlock DeepClamp = C(IsFloat ? -110.0 : -760.0);

    /// <summary>An argument whose n is -127 (-1023 for double), where the bits of 2^n are those of 0.</summary>
    private static readonly TBlock ZeroClamp = C(IsFloat ? -88.0 : -709.0);

    // The x whose e^x is below 2^-126 (2^-1022) but not 0 lie within (-104, -87), (-746, -708) for double: its centre and half width.
    private static readonly TBlock SubnormalCentre = C(IsFloat ? -95.5 : -727.0);
    private static readonly TBlock SubnormalHalfWidth = C(IsFloat ? 8.5 : 19.0);
    private static readonly TBlock DeepBias = C(IsFloat ? 64.0 : 128.0);

    /// <summary>149 for float (1074 for double): 2^-149 is the smallest subnormal, the spacing of every value below 2^-125.</summary>
    private static readonly TBlock SubnormalBias = C(IsFloat ? 149.0 : 1074.0);
    private static readonly TBlock HighThreshold = C(IsFloat ? 87.0 : 708.0);
    private static readonly TBlock HighClamp = C(IsFloat ? 110.0 : 760.0);
    private static readonly TBlock HighScale = C(IsFloat ? 18446744073709551616.0 : 340282366920938463463374607431768211456.0);

    // e^r for float: 1 + r + r^2 (1/2 + c3 r + ... + c6 r^4), the coefficients fitted to e^r on [-ln2/2, ln2/2] by
    // Chebyshev interpolation and rounded to float (relative error under 1e-8, a sixth of an ulp).
    private static readonly TBlock FloatCoefficient3 = C(0.16666577756404877);
    private static readonly TBlock FloatCoefficient4 = C(0.041666556149721146);
    private static readonly TBlock FloatCoefficient5 = C(0.008363173343241215);
    private static readonly TBlock FloatCoefficient6 = C(0.0013926175888627768);

    // 1 / k! for the Taylor polynomial of e^r for double, k up to 13.
    private static readonly TBlock Factorial2 = C(1.0 / 2);
    private static readonly TBlock Factorial3 = C(1.0 / 6);
    private static readonly TBlock Factorial4 = C(1.0 / 24);
    private static readonly TBlock Factorial5 = C(1.0 / 120);
    private static readonly TBlock Factorial6 = C(1.0 / 720);
    private static readonly TBlock Factorial7 = C(1.0 / 5040);
    private static readonly TBlock Factorial8 = C(1.0 / 40320);
    private static readonly TBlock Factorial9 = C(1.0 / 362880);
    private static readonly TBlock Factorial10 = C(1.0 / 3628800);
    private static readonly TBlock Factorial11 = C(1.0 / 39916800);
    private static readonly TBlock Factorial12 = C(1.0 / 479001600);
    private static readonly TBlock Factorial13 = C(1.0 / 6227020800);

    // ln x: x = m 2^e, the exponent field read as a number by placing it under the mantissa of 2^23 (2^52).
    private static readonly TBlock SubnormalScale = C(IsFloat ? 16777216.0 : 18014398509481984.0);
    private static readonly TBlock SubnormalExponent = C(IsFloat ? -24.0 : -54.0);
    private static readonly TBlock TwoToMantissa = C(IsFloat ? 8388608.0 : 4503599627370496.0);
    private static readonly TBlock ExponentBias = C(IsFloat ? 127.0 : 1023.0);
    private static readonly TBlock MantissaMask = TBlock.CreateBits(IsFloat ? 0x007F_FFFF : 0x000F_FFFF_FFFF_FFFF);
    private static readonly TBlock Sqrt2 = C(1.4142135623730951);
    private static readonly TBlock Ln2High = C(IsFloat ? 0.693359375 : 6.93145751953125e-1);
    private static readonly TBlock Ln2Low = C(IsFloat ? -2.12194440e-4 : 1.42860682030941723212e-6);

    // atanh(s) = s + s t (a0 + a1 t + a2 t^2 + a3 t^3) with t = s^2, for float and s in [0, 1/3]: the coefficients fitted by
    // Chebyshev interpolation and rounded to float (relative error under 2e-8).
    private static readonly TBlock AtanhFit0 = C(0.33333319425582886);
    private static readonly TBlock AtanhFit1 = C(0.20003780722618103);
    private static readonly TBlock AtanhFit2 = C(0.14118309319019318);
    private static readonly TBlock AtanhFit3 = C(0.1342574954032898);

    // tanh x = x + x z (c3 + c5 z + ...) with z = x^2 for -|x| above TanhSeriesLimit: the Taylor coefficients
    // 2^2n (2^2n - 1) B_2n / (2n)!, float up to x^11, double up to x^23 (the terms fall by a factor of about 40 each).
    private static readonly TBlock TanhSeriesLimit = C(-0.25);
    private static readonly TBlock Tanh3 = C(-0.3333333333333333);
    private static readonly TBlock Tanh5 = C(0.13333333333333333);
    private static readonly TBlock Tanh7 = C(-0.05396825396825397);
    private static readonly TBlock Tanh9 = C(0.021869488536155203);
    private static readonly TBlock Tanh11 = C(-0.008863235529902197);
    private static readonly TBlock Tanh13 = C(0.003592128036572481);
    private static readonly TBlock Tanh15 = C(-0.0014558343870513183);
    private static readonly TBlock Tanh17 = C(0.000590027440945586);
    private static readonly TBlock Tanh19 = C(-0.00023912911424355248);
    private static readonly TBlock Tanh21 = C(9.691537956929451e-05);
    private static readonly TBlock Tanh23 = C(-3.927832388331683e-05);
    private static readonly TBlock Four = C(4);

    // 2 / (2k + 1) for the series of 2 atanh(s): float uses k up to 4, double up to 10.
    private static readonly TBlock Atanh3 = C(2.0 / 3);
    private static readonly TBlock Atanh5 = C(2.0 / 5);
    private static readonly TBlock Atanh7 = C(2.0 / 7);
    private static readonly TBlock Atanh9 = C(2.0 / 9);
    private static readonly TBlock Atanh11 = C(2.0 / 11);
    private static readonly TBlock Atanh13 = C(2.0 / 13);
    private static readonly TBlock Atanh15 = C(2.0 / 15);
    private static readonly TBlock Atanh17 = C(2.0 / 17);
    private static readonly TBlock Atanh19 = C(2.0 / 19);
    private static readonly TBlock Atanh21 = C(2.0 / 21);

    /// <summary>A block with every lane <paramref name="value"/>, rounded to T.</summary>
    public static TBlock C(double value)
    {
        if (typeof(T) == typeof(float))
        {
            float single = (float)value;
            return TBlock.Create(Unsafe.As<float, T>(ref single));
        }

        return TBlock.Create(Unsafe.As<double, T>(ref value));
    }

    private static TBlock CreateIndices()
    {
        Lanes<T> lanes = default;
        for (int i = 0; i < TBlock.Count; i++)
        {
            lanes[i] = T.CreateTruncating(i);
        }

        return TBlock.Load(in lanes[0]);
    }

    /// <summary>|x|: the lanes with their sign bit clear.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock Abs(TBlock x) => x & MagnitudeBits;

    /// <summary>-|x|: the lanes with their sign bit set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock NegativeAbs(TBlock x) => x | SignBit;

    /// <summary>
    /// e^x for x &lt;= 0, -infinity (0) and NaN (NaN), to about 1 ulp, subnormal results included.
    /// x = n ln2 + r with |r| &lt;= ln2/2 (Cody-Waite), e^r by a polynomial, then a scale by 2^n built
    /// from the bits of the rounded n; results below the normal range are built from their own bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock ExpNonPositive(TBlock x) => Exp(x, Zero, withLow: false);

    /// <summary>
    /// e^x for any x: <see cref="ExpNonPositive"/> (the same bits for x &lt;= 0), and for x above 87 (708 for double), where 2^n
    /// alone would overflow, the scale applied as 2^(n - k) then 2^k, so that a result past the largest finite value is +infinity.
    /// +infinity gives +infinity, NaN gives NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock ExpAny(TBlock x)
    {
        // Min(clamp, x) keeps a NaN x, as the Max in Exp does; past the clamp e^x overflows whatever the polynomial says.
        TBlock clamped = TBlock.Min(HighClamp, x);
        TBlock result = Exp(clamped, Zero, withLow: false);
        if (TBlock.LessThanAny(HighThreshold, clamped))
        {
            TBlock p = Polynomial(Reduce(clamped, out TBlock j));
            result = TBlock.Select(TBlock.LessThan(HighThreshold, clamped), p * Pow2(j - DeepBias) * HighScale, result);
        }

        return result;
    }

    /// <summary>
    /// The argument below which e^x needs the care of a subnormal result: -87 for float, -708 for double. Where every
    /// argument is at least this, <see cref="ExpDifference"/> can skip that care (<c>deep: false</c>) and returns the same bits.
    /// </summary>
    public static T DeepLimit => typeof(T) == typeof(float) ? T.CreateTruncating(-87.0) : T.CreateTruncating(-708.0);

    /// <summary>
    /// e^(x - m) for x &lt;= m, with x - m taken exactly (as a rounded difference plus its rounding error), so the
    /// result does not lose the precision a rounded difference of large values would cost. Unless
    /// <paramref name="deep"/>, every x - m must be at least <see cref="DeepLimit"/> (or NaN); where <paramref name="narrow"/>,
    /// m must be positive and every |x| below the next power of two above m.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock ExpDifference(TBlock x, TBlock m, bool deep = true, bool narrow = false)
    {
        // d + low == x - m exactly: by Fast2Sum where m's exponent is at least x's, else by TwoSum.
        TBlock d = x - m;
        TBlock low;
        if (narrow)
        {
            low = x - (d + m);
        }
        else
        {
            TBlock shifted = d - x;
            low = (x - (d - shifted)) - (m + shifted);
        }

        return deep ? Exp(d, low, withLow: true) : Polynomial(Reduce(d, out TBlock j) + low) * Pow2(j);
    }

    /// <summary>
    /// e^(x + low), <paramref name="low"/> a small correction taken where <paramref name="withLow"/>. x is clamped at -88 (-709
    /// for double), where the bits of 2^n are those of 0, so that below it the result is 0 with no multiplication that
    /// underflows: x86 processors finish those, and those that yield a subnormal, in slow microcode. Only where some x lies
    /// in the band whose e^x is below the normal range but not 0 does <see cref="Subnormal"/> compute again, rarely.
    /// All inline: a call in a loop would keep the loop's running values in memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Exp(TBlock x, TBlock low, bool withLow)
    {
        // Max(clamp, x) keeps a NaN x; low, NaN where x is -infinity, is dropped below the clamp.
        TBlock r = Reduce(TBlock.Max(ZeroClamp, x), out TBlock j);
        if (withLow)
        {
            r += TBlock.Select(TBlock.LessThan(x, ZeroClamp), Zero, low);
        }

        TBlock result = Polynomial(r) * Pow2(j);
        return TBlock.LessThanAny(Abs(x - SubnormalCentre), SubnormalHalfWidth) ? Subnormal(x, low, withLow, result) : result;
    }

    /// <summary>
    /// <paramref name="result"/> with the lanes whose e^(x + low) is below 2^-126 (2^-1022 for double) computed again, as
    /// <see cref="Exp"/> leaves them 0 below its clamp. x is clamped where e^x is 0 whatever the polynomial says (and low
    /// dropped). p 2^n rounded once is k 2^-149 (2^-1074), k being p 2^(n + 149) rounded to an integer, and the bits of
    /// k 2^-149 are k, up to 2^-126 itself. Adding 2^23 (2^52) to the exact, normal p 2^(n + 149) rounds it to that integer,
    /// to nearest even, and the sum's bits less those of 2^23 are k: no multiplication yields a subnormal.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TBlock Subnormal(TBlock x, TBlock low, bool withLow, TBlock result)
    {
        TBlock r = Reduce(TBlock.Max(DeepClamp, x), out TBlock j);
        if (withLow)
        {
            r += TBlock.Select(TBlock.LessThan(x, DeepClamp), Zero, low);
        }

        // p 2^(n + 149) below 2^23 is a result below 2^-126; at or above it, n is -126 and Exp's p 2^n is normal and exact.
        TBlock scaled = Polynomial(r) * Pow2(j + SubnormalBias);
        TBlock subnormal = TBlock.LessThan(x, DeepThreshold) & TBlock.LessThan(scaled, TwoToMantissa);
        return TBlock.Select(subnormal, TBlock.SubtractBits(scaled + TwoToMantissa, TwoToMantissa), result);
    }

    /// <summary>r = x - n ln2 with |r| &lt;= ln2/2 (Cody-Waite), with <paramref name="j"/> holding bias + n in its low mantissa bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Reduce(TBlock x, out TBlock j)
    {
        j = TBlock.FusedMultiplyAdd(x, Log2E, Shifter);
        TBlock n = j - Shifter;
        return TBlock.FusedMultiplyAdd(n, MinusLn2Low, TBlock.FusedMultiplyAdd(n, MinusLn2High, x));
    }

    /// <summary>e^r for |r| &lt;= ln2/2: a fitted polynomial of degree 6 for float, the Taylor polynomial of degree 13 for double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Polynomial(TBlock r)
    {
        TBlock p;
        if (sizeof(T) == sizeof(float))
        {
            p = TBlock.FusedMultiplyAdd(FloatCoefficient6, r, FloatCoefficient5);
            p = TBlock.FusedMultiplyAdd(p, r, FloatCoefficient4);
            p = TBlock.FusedMultiplyAdd(p, r, FloatCoefficient3);
        }
        else
        {
            p = TBlock.FusedMultiplyAdd(Factorial13, r, Factorial12);
            p = TBlock.FusedMultiplyAdd(p, r, Factorial11);
            p = TBlock.FusedMultiplyAdd(p, r, Factorial10);
            p = TBlock.FusedMultiplyAdd(p, r, Factorial9);
            p = TBlock.FusedMultiplyAdd(p, r, Factorial8);
            p = TBlock.FusedMultiplyAdd(p, r, Factorial7);
            p = TBlock.FusedMultiplyAdd(p, r, Factorial6);
            p = TBlock.FusedMultiplyAdd(p, r, Factorial5);
            p = TBlock.FusedMultiplyAdd(p, r, Factorial4);
            p = TBlock.FusedMultiplyAdd(p, r, Factorial3);
        }

        p = TBlock.FusedMultiplyAdd(p, r, Factorial2);
        p = TBlock.FusedMultiplyAdd(p, r, One);
        return TBlock.FusedMultiplyAdd(p, r, One);
    }

    /// <summary>2^n from a j that holds bias + n in its low mantissa bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Pow2(TBlock j) => TBlock.ShiftLeftBits(j, sizeof(T) == sizeof(float) ? 23 : 52);

    /// <summary>
    /// ln x for x &gt;= 0 (0 gives -infinity, +infinity gives +infinity, NaN and negative x give NaN), to about 1 ulp.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock Log(TBlock x)
    {
        // Subnormals: scale into the normal range first.
        TBlock tiny = TBlock.LessThan(x, MinNormal);
        TBlock result = LogNormal(TBlock.Select(tiny, x * SubnormalScale, x), tiny & SubnormalExponent);

        // 0 -> -inf, +inf -> +inf, NaN or negative -> NaN.
        TBlock positiveFinite = TBlock.GreaterThan(x, Zero) & TBlock.LessThan(x, PositiveInfinity);
        TBlock special = TBlock.Select(TBlock.Equals(x, Zero), NegativeInfinity, TBlock.Select(TBlock.Equals(x, PositiveInfinity), x, NaN));
        return TBlock.Select(positiveFinite, result, special);
    }

    /// <summary>
    /// ln(x 2^<paramref name="exponent"/>) for a positive normal x (NaN gives NaN). x = m 2^e with m in [sqrt(1/2), sqrt(2));
    /// ln m = 2 atanh(f / (2 + f)) with f = m - 1, by its series.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock LogNormal(TBlock x, TBlock exponent)
    {
        TBlock e = (TBlock.ShiftRightBits(x, sizeof(T) == sizeof(float) ? 23 : 52) | TwoToMantissa) - TwoToMantissa - ExponentBias + exponent;
        TBlock m = (x & MantissaMask) | One;
        TBlock big = TBlock.GreaterThan(m, Sqrt2);
        m = TBlock.Select(big, m * Half, m);
        e += big & One;

        TBlock f = m - One;
        TBlock s = f / (Two + f);
        TBlock z = s * s;
        TBlock poly;
        if (sizeof(T) == sizeof(float))
        {
            poly = TBlock.FusedMultiplyAdd(Atanh9, z, Atanh7);
        }
        else
        {
            poly = TBlock.FusedMultiplyAdd(Atanh21, z, Atanh19);
            poly = TBlock.FusedMultiplyAdd(poly, z, Atanh17);
            poly = TBlock.FusedMultiplyAdd(poly, z, Atanh15);
            poly = TBlock.FusedMultiplyAdd(poly, z, Atanh13);
            poly = TBlock.FusedMultiplyAdd(poly, z, Atanh11);
            poly = TBlock.FusedMultiplyAdd(poly, z, Atanh9);
            poly = TBlock.FusedMultiplyAdd(poly, z, Atanh7);
        }

        poly = TBlock.FusedMultiplyAdd(poly, z, Atanh5);
        poly = TBlock.FusedMultiplyAdd(poly, z, Atanh3);

        // ln(1 + f) = f - (f^2/2 - s (f^2/2 + R)), with R = z * poly.
        TBlock halfSquare = Half * f * f;
        TBlock lnM = f - (halfSquare - s * TBlock.FusedMultiplyAdd(z, poly, halfSquare));
        return TBlock.FusedMultiplyAdd(e, Ln2High, TBlock.FusedMultiplyAdd(e, Ln2Low, lnM));
    }

    /// <summary>
    /// ln(1 + z) for z in [0, 1] or NaN, accurate also where z is far below 1 ulp of 1: the log1p of an exponential e^-|x|.
    /// For float, 2 atanh(s) with s = z / (2 + z) in [0, 1/3], by a polynomial fitted to atanh on that interval (no
    /// exponent to split off, so a short chain of operations); for double, <paramref name="reciprocal"/> = 1 / (1 + z),
    /// which the caller has already, restores what the rounding of 1 + z lost.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock Log1PUnit(TBlock z, TBlock reciprocal)
    {
        if (sizeof(T) == sizeof(float))
        {
            TBlock s = z / (Two + z);
            TBlock twice = s + s;
            TBlock t = s * s;
            TBlock q = TBlock.FusedMultiplyAdd(TBlock.FusedMultiplyAdd(TBlock.FusedMultiplyAdd(AtanhFit3, t, AtanhFit2), t, AtanhFit1), t, AtanhFit0);
            return TBlock.FusedMultiplyAdd(twice * t, q, twice);
        }

        TBlock u = One + z;
        return LogNormal(u, Zero) + (z - (u - One)) * reciprocal;
    }

    /// <summary>ln(1 + x) for x &gt;= -1 or NaN, accurate also where |x| is far below 1 ulp of 1; -1 gives -infinity.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock Log1P(TBlock x)
    {
        // u = 1 + x rounds; (x - (u - 1)) / u restores what the rounding lost (0 where u = 0, which only x = -1 gives).
        TBlock u = One + x;
        return Log(u) + (x - (u - One)) / TBlock.Max(u, MinNormal);
    }

    /// <summary>
    /// tanh x, odd, to a few ulps, ±1 for large |x| and ±infinity, NaN for NaN. Below |x| = 1/4 by its Taylor series (no
    /// cancellation near 0); above, <c>(1 - t) / (1 + t)</c> with <c>t = e^(-2|x|)</c> and the sign of x. Each way is computed
    /// only where some lane takes it; a lane's result does not depend on the others.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock Tanh(TBlock x)
    {
        TBlock n = NegativeAbs(x);
        TBlock small = TBlock.LessThan(TanhSeriesLimit, n);
        TBlock result = TBlock.EqualsAny(small, Zero) ? TanhLarge(x, n) : Zero;
        return TBlock.LessThanAny(TanhSeriesLimit, n) ? TBlock.Select(small, TanhSmall(x), result) : result;
    }

    /// <summary>tanh x by <c>(1 - t) / (1 + t)</c>, <c>t = e^(2n)</c> with <paramref name="n"/> = -|x|, and the sign of x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock TanhLarge(TBlock x, TBlock n)
    {
        TBlock t = ExpNonPositive(n + n);
        return ((One - t) / (One + t)) | (x & SignBit);
    }

    /// <summary>tanh x by its Taylor series, for |x| below 1/4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock TanhSmall(TBlock x)
    {
        TBlock z = x * x;
        TBlock p;
        if (sizeof(T) == sizeof(float))
        {
            p = Tanh11;
        }
        else
        {
            p = TBlock.FusedMultiplyAdd(Tanh23, z, Tanh21);
            p = TBlock.FusedMultiplyAdd(p, z, Tanh19);
            p = TBlock.FusedMultiplyAdd(p, z, Tanh17);
            p = TBlock.FusedMultiplyAdd(p, z, Tanh15);
            p = TBlock.FusedMultiplyAdd(p, z, Tanh13);
            p = TBlock.FusedMultiplyAdd(p, z, Tanh11);
        }

        p = TBlock.FusedMultiplyAdd(p, z, Tanh9);
        p = TBlock.FusedMultiplyAdd(p, z, Tanh7);
        p = TBlock.FusedMultiplyAdd(p, z, Tanh5);
        p = TBlock.FusedMultiplyAdd(p, z, Tanh3);
        return TBlock.FusedMultiplyAdd(x * z, p, x);
    }

    /// <summary>
    /// 1 - tanh^2 x, the derivative of tanh, as <c>4t / (1 + t)^2</c> with <c>t = e^(-2|x|)</c>: accurate where tanh x rounds to
    /// ±1 (no cancellation), 0 for ±infinity, NaN for NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock TanhDerivative(TBlock x)
    {
        TBlock n = NegativeAbs(x);
        TBlock t = ExpNonPositive(n + n);
        TBlock u = One + t;
        return Four * t / (u * u);
    }
}
