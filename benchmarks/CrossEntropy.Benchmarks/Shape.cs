using System;
using System.Collections.Generic;
using System.Linq;

namespace CrossEntropy.Benchmarks;

/// <summary>
/// A batch shape, rows x classes. <see cref="ToString"/> is how BenchmarkDotNet names the parameter; shapes sort by size,
/// so the tables list them from the smallest batch to the largest.
/// </summary>
public sealed record Shape(int Rows, int Classes) : IComparable<Shape>, IComparable
{
    public int Elements => Rows * Classes;

    /// <summary>
    /// The shapes of most classifiers: a single sample of 2 or 10 classes at inference, batches of 10 classes (MNIST,
    /// CIFAR-10), and a batch of 100 classes.
    /// </summary>
    public static IEnumerable<Shape> Short =>
    [
        new(1, 2),
        new(1, 10),
        new(64, 10),
        new(1024, 10),
        new(256, 100),
    ];

    /// <summary>One row, an odd shape that hits every tail, L2-resident batches, and 16 MB and 32 MB float batches.</summary>
    public static IEnumerable<Shape> Long =>
    [
        new(1, 1000),
        new(37, 1003),
        new(256, 1000),
        new(8, 32000),
        new(4096, 1000),
        new(64, 128000),
    ];

    /// <summary>Every shape, short rows first.</summary>
    public static IEnumerable<Shape> All => Short.Concat(Long);

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
