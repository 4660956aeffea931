using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

/// <summary>
/// Elementary functions on blocks, written once in terms of the block operations so that every hardware
/// path evaluates the same sequence of correctly rounded IEEE operations and returns the same bits.
/// Each constant is a value of T in <see cref="K"/> and that value broadcast into a block field, and the methods take it by
/// <see cref="IBlock{TSelf, T}.Constant"/>: the kernels inline all of this into one loop, and the JIT inlines only so much
/// per method, where a field costs it nothing; the wide blocks broadcast the value instead, which the NativeAOT compiler
/// folds as the JIT does.
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

    /// <summary>0 in every lane. BlockMath itself takes <c>default</c>, the same bits.</summary>
    public static readonly TBlock Zero = TBlock.Create(K.Zero);

    /// <summary>
    /// 1 in every lane. BlockMath itself takes its own copy through <see cref="IBlock{TSelf, T}.Constant"/>: a field that a
    /// method reads both by value and by reference is not folded by the JIT.
    /// </summary>
    public static readonly TBlock One = TBlock.Create(K.One);

    /// <summary>The largest finite value in every lane.</summary>
    public static readonly TBlock MaxFinite = TBlock.Create(K.MaxFinite);

    /// <summary>Lane i holds i.</summary>
    public static readonly TBlock Indices = CreateIndices();

    /// <summary>True once the static fields are set up: what <see cref="BeforeLoop"/> reads, a value rather than a block.</summary>
    private static readonly bool Ready = true;
    private static readonly TBlock OneBlock = TBlock.Create(K.One);
    private static readonly TBlock Half = TBlock.Create(K.Half);
    private static readonly TBlock Two = TBlock.Create(K.Two);
    private static readonly TBlock NegativeOne = TBlock.Create(K.NegativeOne);
    private static readonly TBlock NegativeInfinity = TBlock.Create(K.NegativeInfinity);
    private static readonly TBlock PositiveInfinity = TBlock.Create(K.PositiveInfinity);
    private static readonly TBlock NaN = TBlock.Create(K.NaN);
    private static readonly TBlock SignBit = TBlock.Create(K.SignBit);
    private static readonly TBlock MagnitudeBits = TBlock.Create(K.MagnitudeBits);
    private static readonly TBlock MinNormal = TBlock.Create(K.MinNormal);
    private static readonly TBlock Log2E = TBlock.Create(K.Log2E);
    private static readonly TBlock Shifter = TBlock.Create(K.Shifter);
    private static readonly TBlock MinusLn2High = TBlock.Create(K.MinusLn2High);
    private static readonly TBlock MinusLn2Low = TBlock.Create(K.MinusLn2Low);
    private static readonly TBlock DeepThreshold = TBlock.Create(K.DeepThreshold);
    private static readonly TBlock DeepClamp = TBlock.Create(K.DeepClamp);
    private static readonly TBlock ZeroClamp = TBlock.Create(K.ZeroClamp);
    private static readonly TBlock SubnormalCentre = TBlock.Create(K.SubnormalCentre);
    private static readonly TBlock SubnormalHalfWidth = TBlock.Create(K.SubnormalHalfWidth);
    private static readonly TBlock DeepBias = TBlock.Create(K.DeepBias);
    private static readonly TBlock SubnormalBias = TBlock.Create(K.SubnormalBias);
    private static readonly TBlock HighThreshold = TBlock.Create(K.HighThreshold);
    private static readonly TBlock HighClamp = TBlock.Create(K.HighClamp);
    private static readonly TBlock HighScale = TBlock.Create(K.HighScale);
    private static readonly TBlock FloatCoefficient3 = TBlock.Create(K.FloatCoefficient3);
    private static readonly TBlock FloatCoefficient4 = TBlock.Create(K.FloatCoefficient4);
    private static readonly TBlock FloatCoefficient5 = TBlock.Create(K.FloatCoefficient5);
    private static readonly TBlock FloatCoefficient6 = TBlock.Create(K.FloatCoefficient6);
    private static readonly TBlock Factorial2 = TBlock.Create(K.Factorial2);
    private static readonly TBlock Factorial3 = TBlock.Create(K.Factorial3);
    private static readonly TBlock Factorial4 = TBlock.Create(K.Factorial4);
    private static readonly TBlock Factorial5 = TBlock.Create(K.Factorial5);
    private static readonly TBlock Factorial6 = TBlock.Create(K.Factorial6);
    private static readonly TBlock Factorial7 = TBlock.Create(K.Factorial7);
    private static readonly TBlock Factorial8 = TBlock.Create(K.Factorial8);
    private static readonly TBlock Factorial9 = TBlock.Create(K.Factorial9);
    private static readonly TBlock Factorial10 = TBlock.Create(K.Factorial10);
    private static readonly TBlock Factorial11 = TBlock.Create(K.Factorial11);
    private static readonly TBlock Factorial12 = TBlock.Create(K.Factorial12);
    private static readonly TBlock Factorial13 = TBlock.Create(K.Factorial13);
    private static readonly TBlock SubnormalScale = TBlock.Create(K.SubnormalScale);
    private static readonly TBlock SubnormalExponent = TBlock.Create(K.SubnormalExponent);
    private static readonly TBlock TwoToMantissa = TBlock.Create(K.TwoToMantissa);
    private static readonly TBlock ExponentBias = TBlock.Create(K.ExponentBias);
    private static readonly TBlock MantissaMask = TBlock.Create(K.MantissaMask);
    private static readonly TBlock Sqrt2 = TBlock.Create(K.Sqrt2);
    private static readonly TBlock Ln2High = TBlock.Create(K.Ln2High);
    private static readonly TBlock Ln2Low = TBlock.Create(K.Ln2Low);
    private static readonly TBlock AtanhFit0 = TBlock.Create(K.AtanhFit0);
    private static readonly TBlock AtanhFit1 = TBlock.Create(K.AtanhFit1);
    private static readonly TBlock AtanhFit2 = TBlock.Create(K.AtanhFit2);
    private static readonly TBlock AtanhFit3 = TBlock.Create(K.AtanhFit3);
    private static readonly TBlock TanhSeriesLimit = TBlock.Create(K.TanhSeriesLimit);
    private static readonly TBlock Tanh3 = TBlock.Create(K.Tanh3);
    private static readonly TBlock Tanh5 = TBlock.Create(K.Tanh5);
    private static readonly TBlock Tanh7 = TBlock.Create(K.Tanh7);
    private static readonly TBlock Tanh9 = TBlock.Create(K.Tanh9);
    private static readonly TBlock Tanh11 = TBlock.Create(K.Tanh11);
    private static readonly TBlock Tanh13 = TBlock.Create(K.Tanh13);
    private static readonly TBlock Tanh15 = TBlock.Create(K.Tanh15);
    private static readonly TBlock Tanh17 = TBlock.Create(K.Tanh17);
    private static readonly TBlock Tanh19 = TBlock.Create(K.Tanh19);
    private static readonly TBlock Tanh21 = TBlock.Create(K.Tanh21);
    private static readonly TBlock Tanh23 = TBlock.Create(K.Tanh23);
    private static readonly TBlock Four = TBlock.Create(K.Four);
    private static readonly TBlock Atanh3 = TBlock.Create(K.Atanh3);
    private static readonly TBlock Atanh5 = TBlock.Create(K.Atanh5);
    private static readonly TBlock Atanh7 = TBlock.Create(K.Atanh7);
    private static readonly TBlock Atanh9 = TBlock.Create(K.Atanh9);
    private static readonly TBlock Atanh11 = TBlock.Create(K.Atanh11);
    private static readonly TBlock Atanh13 = TBlock.Create(K.Atanh13);
    private static readonly TBlock Atanh15 = TBlock.Create(K.Atanh15);
    private static readonly TBlock Atanh17 = TBlock.Create(K.Atanh17);
    private static readonly TBlock Atanh19 = TBlock.Create(K.Atanh19);
    private static readonly TBlock Atanh21 = TBlock.Create(K.Atanh21);

    /// <summary>
    /// The constants as values of T. Nothing but these values is set up here, so the NativeAOT compiler runs this class's
    /// static constructor at compile time and reads its fields as constants, as the JIT does: it cannot run that of
    /// <see cref="BlockMath{TBlock, T}"/>, whose blocks are made by static abstract calls.
    /// </summary>
    private static class K
    {
        public static readonly T Zero = C(0);
        public static readonly T One = C(1);
        public static readonly T Half = C(0.5);
        public static readonly T Two = C(2);
        public static readonly T NegativeOne = C(-1);
        public static readonly T NegativeInfinity = C(double.NegativeInfinity);
        public static readonly T PositiveInfinity = C(double.PositiveInfinity);
        public static readonly T NaN = C(double.NaN);
        public static readonly T SignBit = Bits(IsFloat ? int.MinValue : long.MinValue);
        public static readonly T MagnitudeBits = Bits(IsFloat ? int.MaxValue : long.MaxValue);
        public static readonly T MaxFinite = Bits(IsFloat ? 0x7F7F_FFFF : 0x7FEF_FFFF_FFFF_FFFF);

        /// <summary>The smallest positive normal value, 2^-126 for float and 2^-1022 for double.</summary>
        public static readonly T MinNormal = C(IsFloat ? 1.17549435082228750796873653722224568e-38 : 2.2250738585072014e-308);

        // e^x: x = n ln2 + r. Adding the shifter, 1.5 * 2^23 (2^52) plus the exponent bias, rounds x/ln2 to n and
        // leaves bias + n in the low mantissa bits; ln2 is split in a short high part and the rest (Cody-Waite).
        public static readonly T Log2E = C(1.4426950408889634);
        public static readonly T Shifter = C(IsFloat ? 12582912.0 + 127.0 : 6755399441055744.0 + 1023.0);
        public static readonly T MinusLn2High = C(IsFloat ? -0.693359375 : -6.93145751953125e-1);
        public static readonly T MinusLn2Low = C(IsFloat ? 2.12194440e-4 : -1.42860682030941723212e-6);
        public static readonly T DeepThreshold = C(IsFloat ? -87.0 : -708.0);
        public static readonly T DeepClamp = C(IsFloat ? -110.0 : -760.0);

        /// <summary>An argument whose n is -127 (-1023 for double), where the bits of 2^n are those of 0.</summary>
        public static readonly T ZeroClamp = C(IsFloat ? -88.0 : -709.0);

        // The x whose e^x is below 2^-126 (2^-1022) but not 0 lie within (-104, -87), (-746, -708) for double: its centre and half width.
        public static readonly T SubnormalCentre = C(IsFloat ? -95.5 : -727.0);
        public static readonly T SubnormalHalfWidth = C(IsFloat ? 8.5 : 19.0);
        public static readonly T DeepBias = C(IsFloat ? 64.0 : 128.0);

        /// <summary>149 for float (1074 for double): 2^-149 is the smallest subnormal, the spacing of every value below 2^-125.</summary>
        public static readonly T SubnormalBias = C(IsFloat ? 149.0 : 1074.0);
        public static readonly T HighThreshold = C(IsFloat ? 87.0 : 708.0);
        public static readonly T HighClamp = C(IsFloat ? 110.0 : 760.0);
        public static readonly T HighScale = C(IsFloat ? 18446744073709551616.0 : 340282366920938463463374607431768211456.0);

        // e^r for float: 1 + r + r^2 (1/2 + c3 r + ... + c6 r^4), the coefficients fitted to e^r on [-ln2/2, ln2/2] by
        // Chebyshev interpolation and rounded to float (relative error under 1e-8, a sixth of an ulp).
        public static readonly T FloatCoefficient3 = C(0.16666577756404877);
        public static readonly T FloatCoefficient4 = C(0.041666556149721146);
        public static readonly T FloatCoefficient5 = C(0.008363173343241215);
        public static readonly T FloatCoefficient6 = C(0.0013926175888627768);

        // 1 / k! for the Taylor polynomial of e^r for double, k up to 13.
        public static readonly T Factorial2 = C(1.0 / 2);
        public static readonly T Factorial3 = C(1.0 / 6);
        public static readonly T Factorial4 = C(1.0 / 24);
        public static readonly T Factorial5 = C(1.0 / 120);
        public static readonly T Factorial6 = C(1.0 / 720);
        public static readonly T Factorial7 = C(1.0 / 5040);
        public static readonly T Factorial8 = C(1.0 / 40320);
        public static readonly T Factorial9 = C(1.0 / 362880);
        public static readonly T Factorial10 = C(1.0 / 3628800);
        public static readonly T Factorial11 = C(1.0 / 39916800);
        public static readonly T Factorial12 = C(1.0 / 479001600);
        public static readonly T Factorial13 = C(1.0 / 6227020800);

        // ln x: x = m 2^e, the exponent field read as a number by placing it under the mantissa of 2^23 (2^52).
        public static readonly T SubnormalScale = C(IsFloat ? 16777216.0 : 18014398509481984.0);
        public static readonly T SubnormalExponent = C(IsFloat ? -24.0 : -54.0);
        public static readonly T TwoToMantissa = C(IsFloat ? 8388608.0 : 4503599627370496.0);
        public static readonly T ExponentBias = C(IsFloat ? 127.0 : 1023.0);
        public static readonly T MantissaMask = Bits(IsFloat ? 0x007F_FFFF : 0x000F_FFFF_FFFF_FFFF);
        public static readonly T Sqrt2 = C(1.4142135623730951);
        public static readonly T Ln2High = C(IsFloat ? 0.693359375 : 6.93145751953125e-1);
        public static readonly T Ln2Low = C(IsFloat ? -2.12194440e-4 : 1.42860682030941723212e-6);

        // atanh(s) = s + s t (a0 + a1 t + a2 t^2 + a3 t^3) with t = s^2, for float and s in [0, 1/3]: the coefficients fitted by
        // Chebyshev interpolation and rounded to float (relative error under 2e-8).
        public static readonly T AtanhFit0 = C(0.33333319425582886);
        public static readonly T AtanhFit1 = C(0.20003780722618103);
        public static readonly T AtanhFit2 = C(0.14118309319019318);
        public static readonly T AtanhFit3 = C(0.1342574954032898);

        // tanh x = x + x z (c3 + c5 z + ...) with z = x^2 for -|x| above TanhSeriesLimit: the Taylor coefficients
        // 2^2n (2^2n - 1) B_2n / (2n)!, float up to x^11, double up to x^23 (the terms fall by a factor of about 40 each).
        public static readonly T TanhSeriesLimit = C(-0.25);
        public static readonly T Tanh3 = C(-0.3333333333333333);
        public static readonly T Tanh5 = C(0.13333333333333333);
        public static readonly T Tanh7 = C(-0.05396825396825397);
        public static readonly T Tanh9 = C(0.021869488536155203);
        public static readonly T Tanh11 = C(-0.008863235529902197);
        public static readonly T Tanh13 = C(0.003592128036572481);
        public static readonly T Tanh15 = C(-0.0014558343870513183);
        public static readonly T Tanh17 = C(0.000590027440945586);
        public static readonly T Tanh19 = C(-0.00023912911424355248);
        public static readonly T Tanh21 = C(9.691537956929451e-05);
        public static readonly T Tanh23 = C(-3.927832388331683e-05);
        public static readonly T Four = C(4);

        // 2 / (2k + 1) for the series of 2 atanh(s): float uses k up to 4, double up to 10.
        public static readonly T Atanh3 = C(2.0 / 3);
        public static readonly T Atanh5 = C(2.0 / 5);
        public static readonly T Atanh7 = C(2.0 / 7);
        public static readonly T Atanh9 = C(2.0 / 9);
        public static readonly T Atanh11 = C(2.0 / 11);
        public static readonly T Atanh13 = C(2.0 / 13);
        public static readonly T Atanh15 = C(2.0 / 15);
        public static readonly T Atanh17 = C(2.0 / 17);
        public static readonly T Atanh19 = C(2.0 / 19);
        public static readonly T Atanh21 = C(2.0 / 21);

        /// <summary><paramref name="value"/> rounded to T.</summary>
        private static T C(double value)
        {
            if (typeof(T) == typeof(float))
            {
                float single = (float)value;
                return Unsafe.As<float, T>(ref single);
            }

            return Unsafe.As<double, T>(ref value);
        }

        /// <summary>The value whose bits are <paramref name="bits"/> (a 32-bit pattern for float, 64-bit for double).</summary>
        private static T Bits(long bits)
        {
            if (typeof(T) == typeof(float))
            {
                int single = (int)bits;
                return Unsafe.As<int, T>(ref single);
            }

            return Unsafe.As<long, T>(ref bits);
        }
    }

    /// <summary>
    /// Reads <see cref="Ready"/>, for a loop to call before it starts: NativeAOT code checks that the static fields are set up
    /// where it first reads one, which would otherwise be in every iteration of the loop. The JIT compiles code only after they
    /// are, and folds the read away.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BeforeLoop() => _ = Ready;

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
    public static TBlock Abs(TBlock x) => x & TBlock.Constant(K.MagnitudeBits, in MagnitudeBits);

    /// <summary>-|x|: the lanes with their sign bit set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock NegativeAbs(TBlock x) => x | TBlock.Constant(K.SignBit, in SignBit);

    /// <summary>
    /// e^x for x &lt;= 0, -infinity (0) and NaN (NaN), to about 1 ulp, subnormal results included.
    /// x = n ln2 + r with |r| &lt;= ln2/2 (Cody-Waite), e^r by a polynomial, then a scale by 2^n built
    /// from the bits of the rounded n; results below the normal range are built from their own bits, where
    /// <paramref name="belowNormal"/> says some x may be below -87 (-708 for double): otherwise the code holds no call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock ExpNonPositive(TBlock x, bool belowNormal = true) => Exp(x, default, withLow: false, belowNormal);

    /// <summary>
    /// <see cref="ExpNonPositive"/>, with the results below the normal range, where <paramref name="belowNormal"/>, computed
    /// inline rather than in a call: for a loop that runs where they are common. <paramref name="subnormal"/> says whether
    /// some x lay in their band, where a result may be subnormal, an operand that x86 processors take in slow microcode.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock ExpNonPositiveInline(TBlock x, bool belowNormal, out bool subnormal)
    {
        // Tested on the argument, a constant where inlined, before anything else: neither the branch nor Subnormal's code
        // is then compiled into a loop that leaves the band out.
        TBlock result = Exp(x, default, withLow: false, belowNormal: false);
        subnormal = false;
        if (!belowNormal)
        {
            return result;
        }

        subnormal = InSubnormalBand(x);
        return subnormal ? Subnormal(x, default, withLow: false, result) : result;
    }

    /// <summary>The lanes of <paramref name="x"/> that are below the normal range: subnormal, or 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock BelowNormalLanes(TBlock x) => TBlock.LessThan(Abs(x), TBlock.Constant(K.MinNormal, in MinNormal));

    /// <summary>
    /// e^x for any x: <see cref="ExpNonPositive"/> (the same bits for x &lt;= 0), and for x above 87 (708 for double), where 2^n
    /// alone would overflow, the scale applied as 2^(n - k) then 2^k, so that a result past the largest finite value is +infinity.
    /// +infinity gives +infinity, NaN gives NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock ExpAny(TBlock x)
    {
        // Min(clamp, x) keeps a NaN x, as the Max in Exp does; past the clamp e^x overflows whatever the polynomial says.
        TBlock clamped = TBlock.Min(TBlock.Constant(K.HighClamp, in HighClamp), x);
        TBlock result = Exp(clamped, default, withLow: false);
        if (TBlock.LessThanAny(TBlock.Constant(K.HighThreshold, in HighThreshold), clamped))
        {
            TBlock p = Polynomial(Reduce(clamped, out TBlock j));
            result = TBlock.Select(TBlock.LessThan(TBlock.Constant(K.HighThreshold, in HighThreshold), clamped), p * Pow2(j - TBlock.Constant(K.DeepBias, in DeepBias)) * TBlock.Constant(K.HighScale, in HighScale), result);
        }

        return result;
    }

    /// <summary>
    /// The argument below which e^x needs the care of a subnormal result: -87 for float, -708 for double. Where every
    /// argument is at least this, <see cref="ExpDifference"/> can skip that care (<c>deep: false</c>) and returns the same bits.
    /// </summary>
    public static T DeepLimit
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => typeof(T) == typeof(float) ? T.CreateTruncating(-87.0) : T.CreateTruncating(-708.0);
    }

    /// <summary>
    /// e^(x - m) for x &lt;= m, with x - m taken exactly (as a rounded difference plus its rounding error), so the
    /// result does not lose the precision a rounded difference of large values would cost. Unless
    /// <paramref name="deep"/>, every x - m must be at least <see cref="DeepLimit"/> (or NaN); where <paramref name="narrow"/>,
    /// m must be positive and every |x| below the next power of two above m. Unless <paramref name="belowNormal"/>, no
    /// result may fall below the normal range (<see cref="BelowNormal"/>), so that no call to compute it again is compiled in;
    /// where <paramref name="inline"/>, those results are computed inline rather than in a call, for a loop that runs where
    /// they are common. Where <paramref name="minusInfinity"/> (and not <paramref name="deep"/>), x may also be -infinity,
    /// whose result is 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock ExpDifference(TBlock x, TBlock m, bool deep = true, bool narrow = false, bool belowNormal = true, bool inline = false,
        bool minusInfinity = false)
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

        if (deep)
        {
            return Exp(d, low, withLow: true, belowNormal, inline);
        }

        return minusInfinity ? ExpBesideMinusInfinity(d, low) : Polynomial(Reduce(d, out TBlock j) + low) * Pow2(j);
    }

    /// <summary>
    /// e^(d + low) of <see cref="ExpDifference"/> where d may also be -infinity (and low then NaN), whose result is +0. As in
    /// Exp, d is clamped where 2^n is 0, and low is replaced there by -1, which keeps the polynomial positive. Each Max keeps
    /// what it must: a NaN d, and a finite low (at most half an ulp of d, far under 1, where d is at least the deep limit).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock ExpBesideMinusInfinity(TBlock d, TBlock low) =>
        Polynomial(Reduce(TBlock.Max(TBlock.Constant(K.ZeroClamp, in ZeroClamp), d), out TBlock j) + TBlock.Max(low, TBlock.Constant(K.NegativeOne, in NegativeOne))) * Pow2(j);

    /// <summary>
    /// Whether some e^(x - m) of <see cref="ExpDifference"/> with <c>deep</c> may fall below the normal range (but not to 0),
    /// where it takes the out-of-line computation of the subnormal results.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool BelowNormal(TBlock x, TBlock m) => InSubnormalBand(x - m);

    /// <summary>
    /// Whether some x is below -87 (-708 for double), where e^x of <see cref="ExpNonPositive"/> may fall below the normal range
    /// and take the care its <c>belowNormal</c> compiles in: one comparison, true also for x whose e^x is 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool ExpBelowNormal(TBlock x) => TBlock.LessThanAny(x, TBlock.Constant(K.DeepThreshold, in DeepThreshold));

    /// <summary>Whether some e^x of <see cref="Exp"/> lies in the band below the normal range that <see cref="Subnormal"/> computes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool InSubnormalBand(TBlock x) =>
        TBlock.LessThanAny(Abs(x - TBlock.Constant(K.SubnormalCentre, in SubnormalCentre)), TBlock.Constant(K.SubnormalHalfWidth, in SubnormalHalfWidth));

    /// <summary>
    /// e^(x + low), <paramref name="low"/> a small correction taken where <paramref name="withLow"/>. x is clamped at -88 (-709
    /// for double), where the bits of 2^n are those of 0, so that below it the result is 0 with no multiplication that
    /// underflows: x86 processors finish those, and those that yield a subnormal, in slow microcode. Only where some x lies
    /// in the band whose e^x is below the normal range but not 0 does <see cref="Subnormal"/> compute again, in a call, rarely;
    /// where <paramref name="belowNormal"/> is false, the caller has made sure that no x is (<see cref="InSubnormalBand"/>).
    /// All inline: a call in a loop would keep the loop's running values in memory. So does the call to
    /// <see cref="SubnormalCall"/>, even untaken: a loop that must not pay for it leaves the band to a loop of its own, which
    /// may compute it inline (<paramref name="inline"/>, <see cref="ExpNonPositiveInline"/>). The options are tested in the
    /// order of their arguments, constants where inlined, so that a loop compiles only the way it takes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Exp(TBlock x, TBlock low, bool withLow, bool belowNormal = true, bool inline = false)
    {
        // Max(clamp, x) keeps a NaN x; low, NaN where x is -infinity, is dropped below the clamp.
        TBlock r = Reduce(TBlock.Max(TBlock.Constant(K.ZeroClamp, in ZeroClamp), x), out TBlock j);
        if (withLow)
        {
            r += TBlock.Select(TBlock.LessThan(x, TBlock.Constant(K.ZeroClamp, in ZeroClamp)), default, low);
        }

        TBlock result = Polynomial(r) * Pow2(j);
        if (!belowNormal)
        {
            return result;
        }

        if (inline)
        {
            return InSubnormalBand(x) ? Subnormal(x, low, withLow, result) : result;
        }

        return InSubnormalBand(x) ? SubnormalCall(x, low, withLow, result) : result;
    }

    /// <summary><see cref="Subnormal"/> as a call.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TBlock SubnormalCall(TBlock x, TBlock low, bool withLow, TBlock result) => Subnormal(x, low, withLow, result);

    /// <summary>
    /// <paramref name="result"/> with the lanes whose e^(x + low) is below 2^-126 (2^-1022 for double) computed again, as
    /// <see cref="Exp"/> leaves them 0 below its clamp. x is clamped where e^x is 0 whatever the polynomial says (and low
    /// dropped). p 2^n rounded once is k 2^-149 (2^-1074), k being p 2^(n + 149) rounded to an integer, and the bits of
    /// k 2^-149 are k, up to 2^-126 itself. Adding 2^23 (2^52) to the exact, normal p 2^(n + 149) rounds it to that integer,
    /// to nearest even, and the sum's bits less those of 2^23 are k: no multiplication yields a subnormal.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Subnormal(TBlock x, TBlock low, bool withLow, TBlock result)
    {
        TBlock r = Reduce(TBlock.Max(TBlock.Constant(K.DeepClamp, in DeepClamp), x), out TBlock j);
        if (withLow)
        {
            r += TBlock.Select(TBlock.LessThan(x, TBlock.Constant(K.DeepClamp, in DeepClamp)), default, low);
        }

        // p 2^(n + 149) below 2^23 is a result below 2^-126; at or above it, n is -126 and Exp's p 2^n is normal and exact.
        TBlock scaled = Polynomial(r) * Pow2(j + TBlock.Constant(K.SubnormalBias, in SubnormalBias));
        TBlock subnormal = TBlock.LessThan(x, TBlock.Constant(K.DeepThreshold, in DeepThreshold)) & TBlock.LessThan(scaled, TBlock.Constant(K.TwoToMantissa, in TwoToMantissa));
        return TBlock.Select(subnormal, TBlock.SubtractBits(scaled + TBlock.Constant(K.TwoToMantissa, in TwoToMantissa), TBlock.Constant(K.TwoToMantissa, in TwoToMantissa)), result);
    }

    /// <summary>r = x - n ln2 with |r| &lt;= ln2/2 (Cody-Waite), with <paramref name="j"/> holding bias + n in its low mantissa bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Reduce(TBlock x, out TBlock j)
    {
        j = TBlock.FusedMultiplyAdd(x, TBlock.Constant(K.Log2E, in Log2E), TBlock.Constant(K.Shifter, in Shifter));
        TBlock n = j - TBlock.Constant(K.Shifter, in Shifter);
        return TBlock.FusedMultiplyAdd(n, TBlock.Constant(K.MinusLn2Low, in MinusLn2Low), TBlock.FusedMultiplyAdd(n, TBlock.Constant(K.MinusLn2High, in MinusLn2High), x));
    }

    /// <summary>e^r for |r| &lt;= ln2/2: a fitted polynomial of degree 6 for float, the Taylor polynomial of degree 13 for double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Polynomial(TBlock r)
    {
        TBlock p;
        if (sizeof(T) == sizeof(float))
        {
            p = TBlock.FusedMultiplyAdd(TBlock.Constant(K.FloatCoefficient6, in FloatCoefficient6), r, TBlock.Constant(K.FloatCoefficient5, in FloatCoefficient5));
            p = TBlock.FusedMultiplyAdd(p, r, TBlock.Constant(K.FloatCoefficient4, in FloatCoefficient4));
            p = TBlock.FusedMultiplyAdd(p, r, TBlock.Constant(K.FloatCoefficient3, in FloatCoefficient3));
        }
        else
        {
            p = TBlock.FusedMultiplyAdd(TBlock.Constant(K.Factorial13, in Factorial13), r, TBlock.Constant(K.Factorial12, in Factorial12));
            p = TBlock.FusedMultiplyAdd(p, r, TBlock.Constant(K.Factorial11, in Factorial11));
            p = TBlock.FusedMultiplyAdd(p, r, TBlock.Constant(K.Factorial10, in Factorial10));
            p = TBlock.FusedMultiplyAdd(p, r, TBlock.Constant(K.Factorial9, in Factorial9));
            p = TBlock.FusedMultiplyAdd(p, r, TBlock.Constant(K.Factorial8, in Factorial8));
            p = TBlock.FusedMultiplyAdd(p, r, TBlock.Constant(K.Factorial7, in Factorial7));
            p = TBlock.FusedMultiplyAdd(p, r, TBlock.Constant(K.Factorial6, in Factorial6));
            p = TBlock.FusedMultiplyAdd(p, r, TBlock.Constant(K.Factorial5, in Factorial5));
            p = TBlock.FusedMultiplyAdd(p, r, TBlock.Constant(K.Factorial4, in Factorial4));
            p = TBlock.FusedMultiplyAdd(p, r, TBlock.Constant(K.Factorial3, in Factorial3));
        }

        p = TBlock.FusedMultiplyAdd(p, r, TBlock.Constant(K.Factorial2, in Factorial2));
        p = TBlock.FusedMultiplyAdd(p, r, TBlock.Constant(K.One, in OneBlock));
        return TBlock.FusedMultiplyAdd(p, r, TBlock.Constant(K.One, in OneBlock));
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
        TBlock tiny = TBlock.LessThan(x, TBlock.Constant(K.MinNormal, in MinNormal));
        TBlock result = LogNormal(TBlock.Select(tiny, x * TBlock.Constant(K.SubnormalScale, in SubnormalScale), x), tiny & TBlock.Constant(K.SubnormalExponent, in SubnormalExponent));

        // 0 -> -inf, +inf -> +inf, NaN or negative -> NaN.
        TBlock positiveFinite = TBlock.GreaterThan(x, default) & TBlock.LessThan(x, TBlock.Constant(K.PositiveInfinity, in PositiveInfinity));
        TBlock special = TBlock.Select(TBlock.Equals(x, default), TBlock.Constant(K.NegativeInfinity, in NegativeInfinity), TBlock.Select(TBlock.Equals(x, TBlock.Constant(K.PositiveInfinity, in PositiveInfinity)), x, TBlock.Constant(K.NaN, in NaN)));
        return TBlock.Select(positiveFinite, result, special);
    }

    /// <summary>
    /// ln(x 2^<paramref name="exponent"/>) for a positive normal x (NaN gives NaN). x = m 2^e with m in [sqrt(1/2), sqrt(2));
    /// ln m = 2 atanh(f / (2 + f)) with f = m - 1, by its series.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock LogNormal(TBlock x, TBlock exponent)
    {
        TBlock e = (TBlock.ShiftRightBits(x, sizeof(T) == sizeof(float) ? 23 : 52) | TBlock.Constant(K.TwoToMantissa, in TwoToMantissa)) - TBlock.Constant(K.TwoToMantissa, in TwoToMantissa) - TBlock.Constant(K.ExponentBias, in ExponentBias) + exponent;
        TBlock m = (x & TBlock.Constant(K.MantissaMask, in MantissaMask)) | TBlock.Constant(K.One, in OneBlock);
        TBlock big = TBlock.GreaterThan(m, TBlock.Constant(K.Sqrt2, in Sqrt2));
        m = TBlock.Select(big, m * TBlock.Constant(K.Half, in Half), m);
        e += big & TBlock.Constant(K.One, in OneBlock);

        TBlock f = m - TBlock.Constant(K.One, in OneBlock);
        TBlock s = f / (TBlock.Constant(K.Two, in Two) + f);
        TBlock z = s * s;
        TBlock poly;
        if (sizeof(T) == sizeof(float))
        {
            poly = TBlock.FusedMultiplyAdd(TBlock.Constant(K.Atanh9, in Atanh9), z, TBlock.Constant(K.Atanh7, in Atanh7));
        }
        else
        {
            poly = TBlock.FusedMultiplyAdd(TBlock.Constant(K.Atanh21, in Atanh21), z, TBlock.Constant(K.Atanh19, in Atanh19));
            poly = TBlock.FusedMultiplyAdd(poly, z, TBlock.Constant(K.Atanh17, in Atanh17));
            poly = TBlock.FusedMultiplyAdd(poly, z, TBlock.Constant(K.Atanh15, in Atanh15));
            poly = TBlock.FusedMultiplyAdd(poly, z, TBlock.Constant(K.Atanh13, in Atanh13));
            poly = TBlock.FusedMultiplyAdd(poly, z, TBlock.Constant(K.Atanh11, in Atanh11));
            poly = TBlock.FusedMultiplyAdd(poly, z, TBlock.Constant(K.Atanh9, in Atanh9));
            poly = TBlock.FusedMultiplyAdd(poly, z, TBlock.Constant(K.Atanh7, in Atanh7));
        }

        poly = TBlock.FusedMultiplyAdd(poly, z, TBlock.Constant(K.Atanh5, in Atanh5));
        poly = TBlock.FusedMultiplyAdd(poly, z, TBlock.Constant(K.Atanh3, in Atanh3));

        // ln(1 + f) = f - (f^2/2 - s (f^2/2 + R)), with R = z * poly.
        TBlock halfSquare = TBlock.Constant(K.Half, in Half) * f * f;
        TBlock lnM = f - (halfSquare - s * TBlock.FusedMultiplyAdd(z, poly, halfSquare));
        return TBlock.FusedMultiplyAdd(e, TBlock.Constant(K.Ln2High, in Ln2High), TBlock.FusedMultiplyAdd(e, TBlock.Constant(K.Ln2Low, in Ln2Low), lnM));
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
            TBlock s = z / (TBlock.Constant(K.Two, in Two) + z);
            TBlock twice = s + s;
            TBlock t = s * s;
            TBlock q = TBlock.FusedMultiplyAdd(TBlock.FusedMultiplyAdd(TBlock.FusedMultiplyAdd(TBlock.Constant(K.AtanhFit3, in AtanhFit3), t, TBlock.Constant(K.AtanhFit2, in AtanhFit2)), t, TBlock.Constant(K.AtanhFit1, in AtanhFit1)), t, TBlock.Constant(K.AtanhFit0, in AtanhFit0));
            return TBlock.FusedMultiplyAdd(twice * t, q, twice);
        }

        TBlock u = TBlock.Constant(K.One, in OneBlock) + z;
        return LogNormal(u, default) + (z - (u - TBlock.Constant(K.One, in OneBlock))) * reciprocal;
    }

    /// <summary>ln(1 + x) for x &gt;= -1 or NaN, accurate also where |x| is far below 1 ulp of 1; -1 gives -infinity.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock Log1P(TBlock x)
    {
        // u = 1 + x rounds; (x - (u - 1)) / u restores what the rounding lost (0 where u = 0, which only x = -1 gives).
        TBlock u = TBlock.Constant(K.One, in OneBlock) + x;
        return Log(u) + (x - (u - TBlock.Constant(K.One, in OneBlock))) / TBlock.Max(u, TBlock.Constant(K.MinNormal, in MinNormal));
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
        TBlock small = TBlock.LessThan(TBlock.Constant(K.TanhSeriesLimit, in TanhSeriesLimit), n);
        TBlock result = TBlock.EqualsAny(small, default) ? TanhLarge(x, n) : default;
        return TBlock.LessThanAny(TBlock.Constant(K.TanhSeriesLimit, in TanhSeriesLimit), n) ? TBlock.Select(small, TanhSmall(x), result) : result;
    }

    /// <summary>
    /// tanh x by <c>(1 - t) / (1 + t)</c>, <c>t = e^(2n)</c> with <paramref name="n"/> = -|x|, and the sign of x. A t below the
    /// normal range leaves 1 - t and 1 + t at 1, so it is not computed to its subnormal bits, and the code holds no call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock TanhLarge(TBlock x, TBlock n)
    {
        TBlock t = ExpNonPositive(n + n, belowNormal: false);
        return ((TBlock.Constant(K.One, in OneBlock) - t) / (TBlock.Constant(K.One, in OneBlock) + t)) | (x & TBlock.Constant(K.SignBit, in SignBit));
    }

    /// <summary>tanh x by its Taylor series, for |x| below 1/4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock TanhSmall(TBlock x)
    {
        TBlock z = x * x;
        TBlock p;
        if (sizeof(T) == sizeof(float))
        {
            p = TBlock.Constant(K.Tanh11, in Tanh11);
        }
        else
        {
            p = TBlock.FusedMultiplyAdd(TBlock.Constant(K.Tanh23, in Tanh23), z, TBlock.Constant(K.Tanh21, in Tanh21));
            p = TBlock.FusedMultiplyAdd(p, z, TBlock.Constant(K.Tanh19, in Tanh19));
            p = TBlock.FusedMultiplyAdd(p, z, TBlock.Constant(K.Tanh17, in Tanh17));
            p = TBlock.FusedMultiplyAdd(p, z, TBlock.Constant(K.Tanh15, in Tanh15));
            p = TBlock.FusedMultiplyAdd(p, z, TBlock.Constant(K.Tanh13, in Tanh13));
            p = TBlock.FusedMultiplyAdd(p, z, TBlock.Constant(K.Tanh11, in Tanh11));
        }

        p = TBlock.FusedMultiplyAdd(p, z, TBlock.Constant(K.Tanh9, in Tanh9));
        p = TBlock.FusedMultiplyAdd(p, z, TBlock.Constant(K.Tanh7, in Tanh7));
        p = TBlock.FusedMultiplyAdd(p, z, TBlock.Constant(K.Tanh5, in Tanh5));
        p = TBlock.FusedMultiplyAdd(p, z, TBlock.Constant(K.Tanh3, in Tanh3));
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
        TBlock u = TBlock.Constant(K.One, in OneBlock) + t;
        return TBlock.Constant(K.Four, in Four) * t / (u * u);
    }
}
