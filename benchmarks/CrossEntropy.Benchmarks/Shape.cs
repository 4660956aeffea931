using System;
using System.Collections.Generic;

namespace CrossEntropy.Benchmarks;

/// <summary>
/// A batch shape, rows x classes. <see cref="ToString"/> is how BenchmarkDotNet names the parameter; shapes sort by size,
/// so the tables list them from the smallest batch to the largest.
/// </summary>
public sealed record Shape(int Rows, int Classes) : IComparable<Shape>, IComparable
{
    public int Elements => Rows * Classes;

    /// <summary>One row, an odd shape that hits every tail, L2-resident batches, and 16 MB and 32 MB float batches.</summary>
    public static IEnumerable<Shape> All =>
    [
        new(1, 1000),
        new(37, 1003),
        new(256, 1000),
        new(8, 32000),
        new(4096, 1000),
        new(64, 128000),
    ];

    /// <summary>The batches large enough to be split across threads.</summary>
    public static IEnumerable<Shape> Large =>
    [
        new(4096, 1000),
        new(64, 128000),
    ];

    public int CompareTo(Shape? other) =>
        other is null ? 1 : Elements != other.Elements ? Elements.CompareTo(other.Elements) : Classes.CompareTo(other.Classes);

    public int CompareTo(object? obj) => CompareTo(obj as Shape);

    public override string ToString() => $"{Rows}x{Classes}";
}
