using System;
using System.Diagnostics;
using System.Globalization;

namespace ChunkedCrossEntropy;

/// <summary>The sizes of a run: rows of hidden states, vocabulary, hidden dimension, chunk width, and the rows checked against the unchunked loss.</summary>
public sealed record ExampleOptions(int Rows = 2048, int Vocabulary = 128256, int Dimension = 32, int ChunkClasses = 8192, int CheckRows = 16, int Seed = 7)
{
    /// <summary>Reads <c>--rows</c>, <c>--vocabulary</c>, <c>--dimension</c>, <c>--chunk</c> and <c>--check-rows</c>; <c>--small</c> picks a size that runs in a moment.</summary>
    public static ExampleOptions Parse(string[] args)
    {
        var options = new ExampleOptions();
        for (int i = 0; i < args.Length; i++)
        {
            int Next() => int.Parse(args[++i], CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--small" => Small,
                "--rows" => options with { Rows = Next() },
                "--vocabulary" => options with { Vocabulary = Next() },
                "--dimension" => options with { Dimension = Next() },
                "--chunk" => options with { ChunkClasses = Next() },
                "--check-rows" => options with { CheckRows = Next() },
                _ => throw new ArgumentException($"Unknown argument {args[i]}: use --small, --rows, --vocabulary, --dimension, --chunk, --check-rows."),
            };
        }

        return options;
    }

    /// <summary>64 rows, a vocabulary of 1000 in chunks of 96 (the last one shorter), dimension 16, every row checked.</summary>
    public static ExampleOptions Small => new(Rows: 64, Vocabulary: 1000, Dimension: 16, ChunkClasses: 96, CheckRows: 64);
}

/// <summary>
/// What a run found: the loss, the memory the chunked computation allocated against the whole logits matrix, its time, and
/// the check on the first rows: the chunked and unchunked losses and the largest gradient differences, relative to the largest entry.
/// </summary>
public sealed record ExampleResult(float Loss, long AllocatedBytes, long FullLogitsBytes, long HeapBytes, TimeSpan Elapsed,
    float CheckChunkedLoss, float CheckUnchunkedLoss, double HiddenGradientError, double ClassifierGradientError);

/// <summary>Makes the data, runs the fused loss, and checks it against the unchunked one on a subset.</summary>
public static class ChunkedExample
{
    /// <summary>Makes random hidden states, classifier and labels of the sizes in <paramref name="options"/> (seeded), runs the chunked loss and gradients on all rows, then both ways on the first rows.</summary>
    public static ExampleResult Run(ExampleOptions options)
    {
        var random = new Random(options.Seed);
        int d = options.Dimension;
        float[] hidden = Uniform(random, options.Rows * d, 1);
        float[] classifier = Uniform(random, options.Vocabulary * d, 0.5f);
        int[] labels = new int[options.Rows];
        for (int n = 0; n < labels.Length; n++)
        {
            labels[n] = random.Next(options.Vocabulary);
        }

        float[] hiddenGradient = new float[hidden.Length];
        float[] classifierGradient = new float[classifier.Length];

        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var stopwatch = Stopwatch.StartNew();
        float loss = FusedLinearCrossEntropy.Chunked(hidden, classifier, labels, d, options.ChunkClasses, hiddenGradient, classifierGradient);
        TimeSpan elapsed = stopwatch.Elapsed;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        long heap = GC.GetTotalMemory(forceFullCollection: false);

        // The check: the first rows through both ways, each with gradients of its own.
        int checkRows = Math.Min(options.CheckRows, options.Rows);
        ReadOnlySpan<float> checkHidden = hidden.AsSpan(0, checkRows * d);
        ReadOnlySpan<int> checkLabels = labels.AsSpan(0, checkRows);
        float[] chunkedHidden = new float[checkRows * d];
        float[] chunkedClassifier = new float[classifier.Length];
        float[] wholeHidden = new float[checkRows * d];
        float[] wholeClassifier = new float[classifier.Length];
        float chunkedLoss = FusedLinearCrossEntropy.Chunked(checkHidden, classifier, checkLabels, d, options.ChunkClasses, chunkedHidden, chunkedClassifier);
        float wholeLoss = FusedLinearCrossEntropy.Unchunked(checkHidden, classifier, checkLabels, d, wholeHidden, wholeClassifier);

        return new ExampleResult(loss, allocated, (long)options.Rows * options.Vocabulary * sizeof(float), heap, elapsed,
            chunkedLoss, wholeLoss, RelativeError(chunkedHidden, wholeHidden), RelativeError(chunkedClassifier, wholeClassifier));
    }

    private static float[] Uniform(Random random, int length, float bound)
    {
        float[] values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((2 * random.NextDouble() - 1) * bound);
        }

        return values;
    }

    /// <summary>max |actual - expected| / max |expected|.</summary>
    private static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        double difference = 0;
        double largest = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            difference = Math.Max(difference, Math.Abs((double)actual[i] - expected[i]));
            largest = Math.Max(largest, Math.Abs((double)expected[i]));
        }

        return difference / largest;
    }
}
