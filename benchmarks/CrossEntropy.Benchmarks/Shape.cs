using System.Collections.Generic;

namespace CrossEntropy.Benchmarks;

/// <summary>A batch shape, rows x classes; <see cref="ToString"/> is how BenchmarkDotNet names the parameter.</summary>
public sealed record Shape(int Rows, int Classes)
{
    public int Elements => Rows * Classes;

    /// <summary>The shapes every benchmark runs: one row, L2-resident batches, 16 MB and 32 MB batches, and an odd shape that hits every tail.</summary>
    public static IEnumerable<Shape> All =>
    [
        new(1, 1000),
        new(256, 1000),
        new(8, 32000),
        new(4096, 1000),
        new(64, 128000),
        new(37, 1003),
    ];

    public override string ToString() => $"{Rows}x{Classes}";
}
