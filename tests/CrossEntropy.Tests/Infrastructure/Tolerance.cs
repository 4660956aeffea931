using System;
using System.Numerics;

namespace CrossEntropy.Tests.Infrastructure;

/// <summary>
/// How far a result of type <typeparamref name="T"/> may be from the exact value of a double reference. Half is computed in
/// float and rounded once to its 11 significant bits, which alone is an error of up to 2^-11 (4.9e-4) relative.
/// </summary>
internal static class Tolerance<T>
    where T : IFloatingPointIeee754<T>
{
    /// <summary>
    /// Relative, for the activations and other results of a few roundings through exp, log and a sum: 1e-6 for float (about
    /// 17 ulps), 1e-14 for double (about 90 ulps), 4.9e-4 for Half (the rounding to Half, and the float error).
    /// </summary>
    public static double Relative { get; } = Pick(1e-6, 1e-14, 4.9e-4);

    /// <summary>
    /// Relative, for losses and gradient entries: 1e-5 for float (a few dozen float roundings through log, exp and the sums),
    /// 1e-12 for double (the same error budget in double ulps, with room for long rows), 2e-3 for Half (the rounding to Half
    /// and the error of the float values it was computed from).
    /// </summary>
    public static double Loss { get; } = Pick(1e-5, 1e-12, 2e-3);

    /// <summary>
    /// For gradient entries, beside <see cref="Loss"/>: this times the sum of the magnitudes of the terms that make up the entry
    /// (softmax * sum(w t') and w t' from logits), which is what rounding can leave where those terms cancel: 1e-5 for float
    /// (room for sum(w t') over 32000 classes summed plainly in float, off by a few 1e-6), 1e-13 for double (the same in
    /// double ulps), 1e-3 for Half.
    /// </summary>
    public static double Cancellation { get; } = Pick(1e-5, 1e-13, 1e-3);

    /// <summary>
    /// The floor under every tolerance, for results that are tiny or subnormal and so carry few significant bits: twice the
    /// smallest normal number of float (which float and Half are computed in) or double, and for Half the spacing of its
    /// subnormals, twice the error of rounding to them.
    /// </summary>
    public static double Absolute { get; } = Pick(2 * 1.1754943508222875e-38, 2 * 2.2250738585072014e-308, 5.9604644775390625e-08);

    /// <summary>The smallest positive normal value of T: smaller results carry fewer bits and are left out of error statistics.</summary>
    public static double MinNormal { get; } = Pick(1.1754943508222875e-38, 2.2250738585072014e-308, 6.103515625e-05);

    private static double Pick(double single, double @double, double half) =>
        typeof(T) == typeof(float) ? single :
        typeof(T) == typeof(double) ? @double :
        typeof(T) == typeof(Half) ? half :
        throw new NotSupportedException(typeof(T).Name);
}
