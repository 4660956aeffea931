namespace CrossEntropy.Tests;

/// <summary>The SIMD paths every check runs on, set per thread with <see cref="Simd.Limit"/>.</summary>
internal static class Widths
{
    /// <summary>Vector512, Vector256, Vector128 and scalar; a width the hardware lacks is capped to the widest it has.</summary>
    public static readonly VectorWidth[] All = [VectorWidth.Vector512, VectorWidth.Vector256, VectorWidth.Vector128, VectorWidth.Scalar];

    private static readonly VectorWidth[] Vectors = [VectorWidth.Vector512, VectorWidth.Vector256, VectorWidth.Vector128];

    /// <summary>
    /// The widths for case number <paramref name="index"/> of a long sweep: all of them for every third case, the vector
    /// widths for the others. The scalar path is about ten times slower than the vector paths, so it runs on a third of
    /// the cases; as 3 is prime to the 8- and 16-lane blocks, those still reach every tail length.
    /// </summary>
    public static VectorWidth[] ForCase(int index) => index % 3 == 0 ? All : Vectors;
}
