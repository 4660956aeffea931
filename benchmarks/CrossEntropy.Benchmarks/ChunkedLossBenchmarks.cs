using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;

namespace CrossEntropy.Benchmarks;

/// <summary>
/// The labelled cross-entropy with its gradient, float, one thread: on whole rows (the baseline), against the same rows split
/// into four chunks of classes, each chunk in its own buffer, computed as a caller who never holds a whole row does: the
/// log-sum-exp of each chunk, merged with LogAddExp, then the loss and gradient of each chunk.
/// </summary>
[BenchmarkCategory("ChunkedLoss")]
public class ChunkedLossBenchmarks
{
    private const int Chunks = 4;

    private ReadOnlyMemory<float> _logits;
    private Memory<float> _gradient;
    private float[][] _chunks = [];
    private float[][] _chunkGradients = [];
    private float[] _logSumExp = [];
    private float[] _chunkLogSumExp = [];
    private int[] _labels = [];

    [ParamsSource(nameof(Shapes))]
    public Shape Shape { get; set; } = new(256, 1000);

    public static IEnumerable<Shape> Shapes => [new(256, 1000), new(8, 32000)];

    private int ChunkClasses => Shape.Classes / Chunks;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Limit(1);
        var random = new Random(Inputs.Seed);
        _logits = Inputs.Uniform<float>(random, Shape.Elements, -5, 5, slot: 0);
        _gradient = Inputs.Buffer<float>(Shape.Elements, slot: 1);
        _labels = Inputs.Labels(random, Shape.Rows, Shape.Classes);
        _logSumExp = new float[Shape.Rows];
        _chunkLogSumExp = new float[Shape.Rows];
        _chunks = new float[Chunks][];
        _chunkGradients = new float[Chunks][];
        ReadOnlySpan<float> logits = _logits.Span;
        for (int k = 0; k < Chunks; k++)
        {
            _chunks[k] = new float[Shape.Rows * ChunkClasses];
            _chunkGradients[k] = new float[Shape.Rows * ChunkClasses];
            for (int row = 0; row < Shape.Rows; row++)
            {
                logits.Slice(row * Shape.Classes + k * ChunkClasses, ChunkClasses).CopyTo(_chunks[k].AsSpan(row * ChunkClasses));
            }
        }
    }

    [Benchmark(Baseline = true)]
    public float CategoricalCrossEntropy_FromLogitsWithGradient() =>
        CategoricalCrossEntropy.FromLogitsWithGradient<float>(_logits.Span, _labels, _gradient.Span, Shape.Classes);

    /// <summary>Four LogSumExp calls, three LogAddExp merges and four FromLogitsChunkWithGradient calls.</summary>
    [Benchmark]
    public float CategoricalCrossEntropy_FromLogitsChunkWithGradient_FourChunks()
    {
        Activations.LogSumExp<float>(_chunks[0], _logSumExp, ChunkClasses);
        for (int k = 1; k < Chunks; k++)
        {
            Activations.LogSumExp<float>(_chunks[k], _chunkLogSumExp, ChunkClasses);
            Activations.LogAddExp<float>(_logSumExp, _chunkLogSumExp, _logSumExp);
        }

        float loss = 0;
        for (int k = 0; k < Chunks; k++)
        {
            loss += CategoricalCrossEntropy.FromLogitsChunkWithGradient<float>(_chunks[k], _labels, _logSumExp, _chunkGradients[k],
                ChunkClasses, k * ChunkClasses, Shape.Classes);
        }

        return loss;
    }
}
