using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using System.Runtime.InteropServices;
using CrossEntropy.Tests.Infrastructure;

namespace CrossEntropy.Tests.Determinism;

/// <summary>
/// The inputs one call of a determinism case reads: up to four spans of <typeparamref name="T"/> (their meaning is the
/// case's: logits, targets, weights, output gradients...) and the integer labels. Unused ones are empty.
/// </summary>
internal readonly ref struct Inputs<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> w, ReadOnlySpan<T> v, ReadOnlySpan<int> labels)
{
    public ReadOnlySpan<T> X { get; } = x;

    public ReadOnlySpan<T> Y { get; } = y;

    public ReadOnlySpan<T> W { get; } = w;

    public ReadOnlySpan<T> V { get; } = v;

    public ReadOnlySpan<int> Labels { get; } = labels;
}

/// <summary>
/// Runs the library calls of a case: writes every output element into <paramref name="output"/> (the case's parts one
/// after the other) and every returned loss into <paramref name="scalars"/>.
/// </summary>
internal delegate void Call<T>(Inputs<T> inputs, Span<T> output, Span<T> scalars);

/// <summary>A named slice of a case's output, so that a difference can be reported by what it is.</summary>
internal readonly record struct Part(string Name, int Length);

/// <summary>One batch of inputs and the calls to make on it; the results must not depend on width, threads or placement.</summary>
internal sealed class Case<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public required string Name { get; init; }

    public T[] X { get; init; } = [];

    public T[] Y { get; init; } = [];

    public T[] W { get; init; } = [];

    public T[] V { get; init; } = [];

    public int[] Labels { get; init; } = [];

    public required Part[] Parts { get; init; }

    public required string[] Scalars { get; init; }

    public required Call<T> Call { get; init; }

    public int OutputLength => Parts.Sum(part => part.Length);
}

/// <summary>What one run of a case produced.</summary>
internal sealed record Result<T>(T[] Output, T[] Scalars);

/// <summary>
/// Runs a case under every SIMD width and thread count, or from other places in memory, and lists every run whose bits
/// differ from the reference run (Vector512, one thread, arrays of exactly the input's length). Any NaN equals any NaN.
/// </summary>
internal static class Sweep
{
    /// <summary>The thread counts every case runs with; Parallelism.Force makes them exact whatever the batch size.</summary>
    public static readonly int[] ThreadCounts = [1, 2, 3, 4];

    /// <summary>Start offsets, in elements, of the copies of the inputs and outputs in larger arrays.</summary>
    public static readonly int[] Offsets = [0, 1, 3, 5, 7];

    /// <summary>
    /// The row-wise shapes: one row, a few rows, and counts around the 64-chunk limit (63, 64, 65, 130, 257) so that chunks
    /// hold one or two rows, each with row lengths below, at and above the 8- and 16-lane blocks (1, 2, 7, 15, 16, 17, 33)
    /// and a long row with a partial last block (1003); kept to a few thousand elements each, as the scalar path runs in
    /// Debug at about a twentieth of the vector paths' speed.
    /// </summary>
    public static readonly (int Rows, int Classes)[] Shapes =
    [
        (1, 1), (1, 2), (1, 7), (1, 15), (1, 16), (1, 17), (1, 33), (1, 1003),
        (2, 1), (2, 7), (2, 16), (2, 33), (2, 1003),
        (3, 2), (3, 15), (3, 17), (3, 1003),
        (63, 1), (63, 7), (63, 17),
        (64, 2), (64, 15), (64, 16),
        (65, 1), (65, 7), (65, 17), (65, 33),
        (130, 2), (130, 15),
        (257, 1), (257, 7),
    ];

    /// <summary>
    /// The shapes of [rows, columns] batches for binary cross-entropy: <see cref="Shapes"/>, and one of more than 64 groups of
    /// 64 elements (4290 elements, 68 groups) so that chunks differ in size while the weights cycle through them.
    /// </summary>
    public static readonly (int Rows, int Columns)[] BinaryShapes = [.. Shapes, (130, 33)];

    /// <summary>
    /// Element counts of element-wise calls: mostly not multiples of the 64-element groups, and above 64 groups (4097 and
    /// 4161) so that chunks differ in size.
    /// </summary>
    public static readonly int[] ElementCounts = [1, 2, 15, 63, 64, 65, 127, 1000, 4097, 4161];

    /// <summary>At most this many differences are described per case, so that a broken kernel gives a readable report.</summary>
    private const int MaxReportedPerCase = 4;

    /// <summary>The run every other run is compared with.</summary>
    public static Result<T> Reference<T>(Case<T> c)
        where T : unmanaged, IFloatingPointIeee754<T> => Run(c, VectorWidth.Vector512, 1);

    /// <summary>Runs <paramref name="c"/> with its own arrays on one width and thread count.</summary>
    public static Result<T> Run<T>(Case<T> c, VectorWidth width, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] output = Filled<T>(c.OutputLength);
        T[] scalars = Filled<T>(c.Scalars.Length);
        Invoke(c, new Inputs<T>(c.X, c.Y, c.W, c.V, c.Labels), output, scalars, width, threads);
        return new Result<T>(output, scalars);
    }

    /// <summary>Every width times every thread count against the reference; adds a line per differing run to <paramref name="failures"/>.</summary>
    public static void AllWidthsAndThreads<T>(Case<T> c, List<string> failures)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Result<T> reference = Reference(c);
        int reported = 0;
        foreach (VectorWidth width in Widths.All)
        {
            foreach (int threads in ThreadCounts)
            {
                if (width == VectorWidth.Vector512 && threads == 1)
                {
                    continue;
                }

                Report(c, reference, Run(c, width, threads), $"{width}, {threads} thread(s)", failures, ref reported);
            }
        }
    }

    /// <summary>
    /// The inputs and outputs copied to each of <see cref="Offsets"/> in larger managed arrays, and to guarded native memory
    /// that ends at an inaccessible page, each run on every width (the thread count varies with the run); against the reference.
    /// </summary>
    public static void AllPlacements<T>(Case<T> c, List<string> failures)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Result<T> reference = Reference(c);
        int reported = 0;
        int run = 0;
        foreach (int offset in Offsets)
        {
            T[] x = Shifted(c.X, offset);
            T[] y = Shifted(c.Y, offset);
            T[] w = Shifted(c.W, offset);
            T[] v = Shifted(c.V, offset);
            int[] labels = Shifted(c.Labels, offset);
            foreach (VectorWidth width in Widths.All)
            {
                int threads = ThreadCounts[run++ % ThreadCounts.Length];
                T[] output = Filled<T>(offset + c.OutputLength + 5);
                T[] scalars = Filled<T>(c.Scalars.Length);
                var inputs = new Inputs<T>(
                    x.AsSpan(offset, c.X.Length), y.AsSpan(offset, c.Y.Length), w.AsSpan(offset, c.W.Length), v.AsSpan(offset, c.V.Length),
                    labels.AsSpan(offset, c.Labels.Length));
                Invoke(c, inputs, output.AsSpan(offset, c.OutputLength), scalars, width, threads);
                var result = new Result<T>(output.AsSpan(offset, c.OutputLength).ToArray(), scalars);
                Report(c, reference, result, $"offset {offset}, {width}, {threads} thread(s)", failures, ref reported);
            }
        }

        using Guarded<T> gx = new(c.X);
        using Guarded<T> gy = new(c.Y);
        using Guarded<T> gw = new(c.W);
        using Guarded<T> gv = new(c.V);
        using Guarded<T> gOutput = new(Filled<T>(c.OutputLength));
        foreach (VectorWidth width in Widths.All)
        {
            int threads = ThreadCounts[run++ % ThreadCounts.Length];
            gOutput.Span.Fill(Sentinel<T>());
            T[] scalars = Filled<T>(c.Scalars.Length);
            Invoke(c, new Inputs<T>(gx.Span, gy.Span, gw.Span, gv.Span, c.Labels), gOutput.Span, scalars, width, threads);
            Report(c, reference, new Result<T>(gOutput.Span.ToArray(), scalars), $"guarded memory, {width}, {threads} thread(s)", failures, ref reported);
        }
    }

    /// <summary>Runs <paramref name="c"/> with its own arrays on the hardware's widest path, leaving the thread count to the library.</summary>
    public static Result<T> RunUnforced<T>(Case<T> c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] output = Filled<T>(c.OutputLength);
        T[] scalars = Filled<T>(c.Scalars.Length);
        c.Call(new Inputs<T>(c.X, c.Y, c.W, c.V, c.Labels), output, scalars);
        return new Result<T>(output, scalars);
    }

    /// <summary>Adds a line to <paramref name="failures"/> if <paramref name="actual"/> differs in any bit from <paramref name="expected"/>.</summary>
    public static void Compare<T>(Case<T> c, Result<T> expected, Result<T> actual, string run, List<string> failures)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int reported = 0;
        Report(c, expected, actual, run, failures, ref reported);
    }

    /// <summary>Fails with every collected difference, if any.</summary>
    public static void AssertNone(List<string> failures, int cases)
    {
        if (failures.Count > 0)
        {
            Xunit.Assert.Fail($"{failures.Count} run(s) differ in bits from the reference run (of {cases} cases):{Environment.NewLine}" +
                string.Join(Environment.NewLine, failures.Take(40)));
        }

        // A sweep over nothing would pass without checking anything.
        Xunit.Assert.True(cases > 0, "no case ran");
    }

    /// <summary>The value outputs are filled with before a call: anything left unwritten shows as a difference if a run writes it.</summary>
    public static T Sentinel<T>()
        where T : IFloatingPointIeee754<T> => T.CreateTruncating(-1234.5);

    private static void Invoke<T>(Case<T> c, Inputs<T> inputs, Span<T> output, Span<T> scalars, VectorWidth width, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using (Widths.Limit(width))
        using (Parallelism.Force(threads, minChunkElements: 1))
        {
            c.Call(inputs, output, scalars);
        }
    }

    private static T[] Filled<T>(int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] values = new T[length];
        values.AsSpan().Fill(Sentinel<T>());
        return values;
    }

    private static TValue[] Shifted<TValue>(TValue[] values, int offset)
    {
        TValue[] result = new TValue[offset + values.Length + 3];
        values.CopyTo(result, offset);
        return result;
    }

    private static void Report<T>(Case<T> c, Result<T> expected, Result<T> actual, string run, List<string> failures, ref int reported)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        string? difference = Describe(c, expected, actual);
        if (difference is null)
        {
            return;
        }

        if (reported++ < MaxReportedPerCase)
        {
            failures.Add($"{c.Name} [{run}]: {difference}");
        }
        else if (reported == MaxReportedPerCase + 1)
        {
            failures.Add($"{c.Name}: further differing runs not listed");
        }
    }

    /// <summary>Null if every output element and every scalar has the reference's bits; else the first differences.</summary>
    private static string? Describe<T>(Case<T> c, Result<T> expected, Result<T> actual)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var parts = new List<string>();
        for (int i = 0; i < c.Scalars.Length; i++)
        {
            if (!Check<T>.SameBits(expected.Scalars[i], actual.Scalars[i]))
            {
                parts.Add($"{c.Scalars[i]} expected {Show(expected.Scalars[i])}, actual {Show(actual.Scalars[i])}");
            }
        }

        int start = 0;
        foreach (Part part in c.Parts)
        {
            int count = 0;
            int first = -1;
            for (int i = 0; i < part.Length; i++)
            {
                if (!Check<T>.SameBits(expected.Output[start + i], actual.Output[start + i]))
                {
                    count++;
                    first = first < 0 ? i : first;
                }
            }

            if (count > 0)
            {
                parts.Add($"{part.Name}: {count} of {part.Length} element(s) differ, first at index {first}: expected " +
                    $"{Show(expected.Output[start + first])}, actual {Show(actual.Output[start + first])}");
            }

            start += part.Length;
        }

        return parts.Count == 0 ? null : string.Join("; ", parts);
    }

    /// <summary>The value and its bits in hexadecimal.</summary>
    public static string Show<T>(T value)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        byte[] bytes = MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)).ToArray();
        Array.Reverse(bytes);
        string hex = Convert.ToHexString(bytes);
        return $"{double.CreateTruncating(value).ToString("R", CultureInfo.InvariantCulture)} (0x{hex})";
    }

    /// <summary>A copy in guarded native memory (<see cref="BoundedMemory{T}"/>), or nothing for an empty input.</summary>
    private sealed class Guarded<T> : IDisposable
        where T : unmanaged
    {
        private readonly BoundedMemory<T>? _memory;

        public Guarded(T[] values)
        {
            if (values.Length > 0)
            {
                _memory = BoundedMemory.Allocate<T>(values.Length);
                values.CopyTo(_memory.Span);
            }
        }

        public Span<T> Span => _memory is null ? default : _memory.Span;

        public void Dispose() => _memory?.Dispose();
    }
}
