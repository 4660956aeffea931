using System;
using System.Collections.Generic;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using FsCheck.Xunit;

namespace CrossEntropy.Tests.Determinism;

/// <summary>
/// Random shapes (1 to 140 rows of 1 to 70 classes), random data (the property's seed salts the case's seed) and a random
/// width and thread count (2 to 4): the loss calls and the softmax must give the bits of the Vector512, single-threaded
/// run. The sweeps cover fixed shapes; this reaches the shapes in between.
/// </summary>
public abstract class DeterminismProperties<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Property(MaxTest = 25)]
    public void CategoricalWithLabelsOnAnyShape(int seed, byte rowPick, byte classPick, byte runPick, bool weighted, bool smoothed) =>
        SameBits(Pick(rowPick, classPick, runPick), (rows, classes) =>
            DeterminismCases.CategoricalLabels<T>(rows, classes, fromLogits: true, weighted, smoothed ? 0.2 : 0, seed % 2 == 0, seed));

    [Property(MaxTest = 25)]
    public void CategoricalWithSoftTargetsOnAnyShape(int seed, byte rowPick, byte classPick, byte runPick, bool weighted, bool fromLogits) =>
        SameBits(Pick(rowPick, classPick, runPick), (rows, classes) =>
            DeterminismCases.CategoricalTargets<T>(rows, classes, fromLogits, weighted, 0.1, seed % 2 != 0, seed));

    [Property(MaxTest = 25)]
    public void BinaryOnAnyShape(int seed, byte rowPick, byte classPick, byte runPick, bool weighted, bool fromLogits) =>
        SameBits(Pick(rowPick, classPick, runPick), (rows, columns) =>
            DeterminismCases.Binary<T>(rows, columns, fromLogits, weighted, fromLogits && weighted, 0, seed % 2 == 0, seed));

    [Property(MaxTest = 25)]
    public void SoftmaxOnAnyShape(int seed, byte rowPick, byte classPick, byte runPick) =>
        SameBits(Pick(rowPick, classPick, runPick), (rows, classes) => DeterminismCases.Softmax<T>(rows, classes, seed));

    private static (int Rows, int Classes, VectorWidth Width, int Threads) Pick(byte rowPick, byte classPick, byte runPick) =>
        (1 + (rowPick % 140), 1 + (classPick % 70), Widths.All[runPick % 4], 2 + (runPick / 4 % 3));

    private static void SameBits((int Rows, int Classes, VectorWidth Width, int Threads) pick, Func<int, int, Case<T>> build)
    {
        Case<T> c = build(pick.Rows, pick.Classes);
        var failures = new List<string>();
        Sweep.Compare(c, Sweep.Reference(c), Sweep.Run(c, pick.Width, pick.Threads), $"{pick.Width}, {pick.Threads} thread(s)", failures);
        Sweep.AssertNone(failures, 1);
    }
}

public sealed class FloatDeterminismProperties : DeterminismProperties<float>;

public sealed class DoubleDeterminismProperties : DeterminismProperties<double>;
