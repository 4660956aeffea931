using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CrossEntropy;

/// <summary>Argument checks shared by the public methods, each naming the parameter at fault.</summary>
internal static class ThrowHelper
{
    /// <summary>
    /// Throws unless <paramref name="output"/> has room for <paramref name="length"/> elements and the part written either starts
    /// at <paramref name="input"/>'s first element or does not overlap it; returns that part.
    /// </summary>
    public static Span<T> CheckOutput<T>(ReadOnlySpan<T> input, Span<T> output, int length, string outputName)
    {
        if (output.Length < length)
        {
            ThrowDestinationTooShort(outputName);
        }

        CheckNoPartialOverlap(input, output[..length], outputName);
        return output[..length];
    }

    /// <summary>Throws if <paramref name="written"/>, the part of an output a call writes, overlaps <paramref name="input"/> without starting at the same element.</summary>
    public static void CheckNoPartialOverlap<T>(ReadOnlySpan<T> input, Span<T> written, string outputName)
    {
        if (input.Overlaps(written) && !Unsafe.AreSame(ref MemoryMarshal.GetReference(input), ref MemoryMarshal.GetReference(written)))
        {
            ThrowPartialOverlap(outputName);
        }
    }

    /// <summary>The number of rows of <paramref name="classes"/> elements in <paramref name="length"/>, or throws.</summary>
    public static int Rows(int length, int classes, string inputName)
    {
        if (classes <= 0)
        {
            ThrowClassesNotPositive(classes);
        }

        if (length % classes != 0)
        {
            throw new ArgumentException($"The length {length} is not a multiple of classes ({classes}).", inputName);
        }

        return length / classes;
    }

    public static void CheckSameLength(int expected, int actual, string name)
    {
        if (expected != actual)
        {
            throw new ArgumentException($"The length {actual} does not match the input's length {expected}.", name);
        }
    }

    /// <summary>Throws unless <paramref name="output"/> has room for <paramref name="length"/> elements and the part written shares no memory with <paramref name="input"/>.</summary>
    public static void CheckSeparateOutput<T>(ReadOnlySpan<T> input, Span<T> output, int length, string outputName)
    {
        if (output.Length < length)
        {
            ThrowDestinationTooShort(outputName);
        }

        if (input.Overlaps(output[..length]))
        {
            throw new ArgumentException("The output shares memory with an input that no output may overlap.", outputName);
        }
    }

    /// <summary>Throws unless every value is in [0, 1] (NaN is not).</summary>
    public static void CheckProbabilities<T>(ReadOnlySpan<T> probabilities)
        where T : System.Numerics.IFloatingPointIeee754<T>
    {
        foreach (T p in probabilities)
        {
            if (!(p >= T.Zero && p <= T.One))
            {
                throw new ArgumentOutOfRangeException(nameof(probabilities), p, "Probabilities must be in [0, 1].");
            }
        }
    }

    public static void CheckLabelSmoothing(double labelSmoothing)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "labelSmoothing must be in [0, 1].");
        }
    }

    public static void CheckReduction(Reduction reduction)
    {
        if (reduction is not (Reduction.Mean or Reduction.Sum))
        {
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Unknown reduction.");
        }
    }

    [DoesNotReturn]
    public static void ThrowDestinationTooShort(string name) =>
        throw new ArgumentException("Destination is too short.", name);

    [DoesNotReturn]
    public static void ThrowPartialOverlap(string name) =>
        throw new ArgumentException("The output overlaps an input without starting at its first element.", name);

    [DoesNotReturn]
    private static void ThrowClassesNotPositive(int classes) =>
        throw new ArgumentOutOfRangeException(nameof(classes), classes, "classes must be positive.");
}
