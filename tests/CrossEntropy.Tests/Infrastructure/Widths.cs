using System.Collections.Concurrent;
using System.Linq;

namespace CrossEntropy.Tests.Infrastructure;

/// <summary>The SIMD paths every check runs on, set per thread with <see cref="Limit"/>, and which of them ran.</summary>
internal static class Widths
{
    /// <summary>Vector512, Vector256, Vector128 and scalar; a width the hardware lacks is capped to the widest it has.</summary>
    public static readonly VectorWidth[] All = [VectorWidth.Vector512, VectorWidth.Vector256, VectorWidth.Vector128, VectorWidth.Scalar];

    private static readonly VectorWidth[] Vectors = [VectorWidth.Vector512, VectorWidth.Vector256, VectorWidth.Vector128];

    private static readonly ConcurrentDictionary<VectorWidth, bool> Taken = new();

    /// <summary>The paths kernels took under <see cref="Limit"/> so far in this test run.</summary>
    public static VectorWidth[] Ran => [.. All.Where(Taken.ContainsKey)];

    /// <summary>
    /// The widths for case number <paramref name="index"/> of a long sweep: all of them for every third case, the vector
    /// widths for the others. The scalar path is about ten times slower than the vector paths, so it runs on a third of
    /// the cases; as 3 is prime to the 8- and 16-lane blocks, those still reach every tail length.
    /// </summary>
    public static VectorWidth[] ForCase(int index) => index % 3 == 0 ? All : Vectors;

    /// <summary>
    /// Caps the path kernels take on this thread at <paramref name="width"/> until the scope is disposed (<see cref="Simd.Limit"/>),
    /// and records the path they take: <paramref name="width"/>, or the widest below it that the hardware has.
    /// </summary>
    public static Simd.LimitScope Limit(VectorWidth width)
    {
        Simd.LimitScope scope = Simd.Limit(width);
        Taken.TryAdd(Simd.Current, true);
        return scope;
    }

    /// <summary>Which paths ran and which did not, and why; and whether a * b + c was fused.</summary>
    public static string Report()
    {
        VectorWidth[] ran = Ran;
        string[] notRun = [.. All.Except(ran).Select(width => $"{width} ({(width > Simd.Hardware ? "not accelerated here" : "no test ran it")})")];
        return $"SIMD paths run: {(ran.Length == 0 ? "none" : string.Join(", ", ran))}" +
            (notRun.Length == 0 ? string.Empty : $"; not run: {string.Join(", ", notRun)}") +
            $"; FMA: {(Simd.FusedMultiplyAdd ? "yes" : "no")}";
    }
}
