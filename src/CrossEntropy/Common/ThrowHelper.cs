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
    /// at <paramref name="input"/>'s first element or does not overlap it; returns that part. <paramref name="classes"/> is the
    /// row length of a batch, for the message (0: element-wise).
    /// </summary>
    public static Span<T> CheckOutput<T>(ReadOnlySpan<T> input, Span<T> output, int length, string outputName, int classes = 0)
    {
        if (output.Length < length)
        {
            ThrowDestinationTooShort(outputName, output.Length, length, input.Length, classes);
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

        int rows = length / classes;
        if (rows * classes != length)
        {
            ThrowNotRows(length, classes, inputName);
        }

        return rows;
    }

    /// <summary>Throws unless <paramref name="name"/> has one element for each of the <paramref name="expected"/> elements of <paramref name="inputName"/>.</summary>
    public static void CheckSameLength(int expected, int actual, string name, string inputName)
    {
        if (expected != actual)
        {
            throw new ArgumentException($"{name} has {actual} elements but needs {expected}, one for each element of {inputName}.", name);
        }
    }

    /// <summary>Throws unless there is one label for each of <paramref name="rows"/> rows.</summary>
    public static void CheckLabelCount(int labels, int rows, int classes)
    {
        if (labels != rows)
        {
            throw new ArgumentException($"labels has {labels} entries but needs {rows}, one for each row ({Shape(rows, classes)}).", nameof(labels));
        }
    }

    /// <summary>Throws unless soft targets have the input's length, pointing integer labels to their own overloads.</summary>
    public static void CheckTargetCount(int expected, int actual, int classes)
    {
        if (expected != actual)
        {
            throw new ArgumentException(
                $"targets has {actual} elements but needs {expected}, a distribution over the classes for each row ({Shape(expected / classes, classes)}). " +
                "Integer class labels take the overloads with a ReadOnlySpan<int> labels parameter.", "targets");
        }
    }

    /// <summary>
    /// Throws unless <paramref name="output"/> has room for <paramref name="length"/> elements and the part written shares no memory
    /// with <paramref name="input"/>, whatever their element types; returns that part. <paramref name="classes"/> is the row length
    /// of a batch, for the message.
    /// </summary>
    public static Span<TOutput> CheckSeparateOutput<TInput, TOutput>(ReadOnlySpan<TInput> input, Span<TOutput> output, int length, string outputName, int classes = 0)
    {
        if (output.Length < length)
        {
            ThrowDestinationTooShort(outputName, output.Length, length, input.Length, classes);
        }

        CheckNoOverlap(input, output[..length], outputName);
        return output[..length];
    }

    /// <summary>Throws if the bytes of <paramref name="written"/>, the part of an output a call writes, overlap those of <paramref name="input"/>.</summary>
    public static void CheckNoOverlap<TInput, TOutput>(ReadOnlySpan<TInput> input, Span<TOutput> written, string outputName)
    {
        long inputBytes = (long)input.Length * Unsafe.SizeOf<TInput>();
        long writtenBytes = (long)written.Length * Unsafe.SizeOf<TOutput>();
        long offset = Unsafe.ByteOffset(ref MemoryMarshal.GetReference(input), ref Unsafe.As<TOutput, TInput>(ref MemoryMarshal.GetReference(written)));
        if (inputBytes > 0 && writtenBytes > 0 && offset < inputBytes && -offset < writtenBytes)
        {
            throw new ArgumentException("The output shares memory with an input that no output may overlap.", outputName);
        }
    }

    /// <summary>Throws unless the output <paramref name="name"/> of <paramref name="actual"/> elements has room for <paramref name="perRow"/> of them for each of <paramref name="rows"/> rows.</summary>
    public static void CheckPerRowOutput(int actual, int rows, int perRow, int classes, string name)
    {
        if (actual < rows * perRow)
        {
            throw new ArgumentException(
                $"{name} has {actual} elements but needs at least {rows * perRow}, {perRow} for each row ({Shape(rows, classes)}).", name);
        }
    }

    /// <summary>
    /// Throws unless <paramref name="temperature"/> is positive and finite, also once converted to float where
    /// <typeparamref name="T"/> is computed in float (float and Half).
    /// </summary>
    public static void CheckTemperature<T>(double temperature)
    {
        bool inFloat = typeof(T) == typeof(float) || typeof(T) == typeof(Half);
        if (!(temperature > 0 && double.IsFinite(temperature)) || (inFloat && !((float)temperature > 0 && float.IsFinite((float)temperature))))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature,
                inFloat ? "temperature must be positive and finite, in float as well." : "temperature must be positive and finite.");
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

    /// <summary>Throws unless <paramref name="sampleWeights"/> is empty or has one weight per row.</summary>
    public static void CheckSampleWeights(int sampleWeights, int rows)
    {
        if (sampleWeights != 0 && sampleWeights != rows)
        {
            throw new ArgumentException($"sampleWeights has {sampleWeights} entries; it must be empty or have one per row ({rows}).", nameof(sampleWeights));
        }
    }

    /// <summary>Throws unless <paramref name="value"/>, the scalar parameter <paramref name="name"/>, is 0 (off) or positive, not NaN: a normalizer, soft cap, z-loss weight or focal gamma.</summary>
    public static void CheckNonNegative(double value, string name)
    {
        if (!(value >= 0))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be 0 or positive.");
        }
    }

    public static void CheckReduction(Reduction reduction)
    {
        if (reduction is not (Reduction.Mean or Reduction.Sum))
        {
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Unknown reduction.");
        }
    }

    /// <summary>
    /// Throws for an output <paramref name="name"/> of <paramref name="actual"/> elements where <paramref name="required"/> are needed:
    /// one for each element of an input of <paramref name="inputLength"/>, or one for each row of it where <paramref name="classes"/> is
    /// positive and <paramref name="required"/> is its number of rows.
    /// </summary>
    [DoesNotReturn]
    private static void ThrowDestinationTooShort(string name, int actual, int required, int inputLength, int classes)
    {
        string need = classes <= 0 ? "one for each input element"
            : required == inputLength ? $"one for each input element ({Shape(inputLength / classes, classes)})"
            : $"one for each row ({Shape(inputLength / classes, classes)})";
        throw new ArgumentException($"{name} has {actual} elements but needs at least {required}, {need}.", name);
    }

    private static string Shape(int rows, int classes) => $"{rows} rows of {classes} classes";

    [DoesNotReturn]
    public static void ThrowPartialOverlap(string name) =>
        throw new ArgumentException("The output overlaps an input without starting at its first element.", name);

    [DoesNotReturn]
    private static void ThrowClassesNotPositive(int classes) =>
        throw new ArgumentOutOfRangeException(nameof(classes), classes, "classes must be positive.");

    [DoesNotReturn]
    private static void ThrowNotRows(int length, int classes, string inputName) =>
        throw new ArgumentException(
            $"{inputName} has {length} elements, which is not a multiple of classes ({classes}): a batch is rows * classes elements.", inputName);
}
