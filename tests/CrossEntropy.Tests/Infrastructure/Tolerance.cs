using System;
using System.Numerics;

namespace CrossEntropy.Tests;

/// <summary>
/// How far a result of type <typeparamref name="T"/> may be from the exact (double reference) value.
/// Relative: 1e-6 for float (about 17 ulps), 1e-14 for double (about 90 ulps); Half is computed in float and
/// rounded once, so 2^-11 (half an ulp) plus the float error. Absolute: twice the smallest normal number of
/// <typeparamref name="T"/>, for results that are tiny or subnormal and so carry only a few significant bits.
/// </summary>
internal static class Tolerance<T>
    where T : IFloatingPointIeee754<T>
{
    public static double Relative { get; } =
        typeof(T) == typeof(float) ? 1e-6 :
        typeof(T) == typeof(double) ? 1e-14 :
        typeof(T) == typeof(Half) ? 4.9e-4 :
        throw new NotSupportedException(typeof(T).Name);

    public static double Absolute { get; } = 2 * (
        typeof(T) == typeof(float) ? 1.1754943508222875e-38 :
        typeof(T) == typeof(double) ? 2.2250738585072014e-308 :
        typeof(T) == typeof(Half) ? 6.103515625e-05 :
        throw new NotSupportedException(typeof(T).Name));
}
