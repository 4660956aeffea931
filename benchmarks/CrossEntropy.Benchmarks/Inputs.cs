using System;
using System.Numerics;

namespace CrossEntropy.Benchmarks;

/// <summary>Benchmark inputs, the same on every run: each class draws them from a <see cref="Random"/> seeded with <see cref="Seed"/>.</summary>
internal static class Inputs
{
    public const int Seed = 42;

    /// <summary>Values drawn uniformly from [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public static T[] Uniform<T>(Random random, int count, double min, double max)
        where T : IFloatingPointIeee754<T>
    {
        var values = new T[count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = T.CreateTruncating(min + random.NextDouble() * (max - min));
        }

        return values;
    }

    /// <summary>Binary targets, each 0 or 1 with equal chance.</summary>
    public static T[] ZerosAndOnes<T>(Random random, int count)
        where T : IFloatingPointIeee754<T>
    {
        var values = new T[count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = T.CreateTruncating(random.Next(2));
        }

        return values;
    }

    /// <summary>One class label per row, each in [0, <paramref name="classes"/>).</summary>
    public static int[] Labels(Random random, int rows, int classes)
    {
        var labels = new int[rows];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = random.Next(classes);
        }

        return labels;
    }
}
