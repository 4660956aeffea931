using System;
using System.Collections.Generic;
using System.Numerics;
using BenchmarkDotNet.Attributes;

namespace CrossEntropy.Benchmarks;

/// <summary>
/// The training-loop options of the categorical losses on one thread: cross-entropy with soft capping, z-loss and the
/// log-sum-exp output against the plain loss with its gradient (goal: within 1.3x), and the loss from log-probabilities
/// (nll_loss) with its gradient (goal: at least 4 elements per nanosecond for float).
/// </summary>
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
[BenchmarkCategory("TrainingOptions")]
public class TrainingOptionBenchmarks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private ReadOnlyMemory<T> _logits;
    private ReadOnlyMemory<T> _logProbabilities;
    private int[] _labels = [];
    private Memory<T> _gradient;
    private Memory<T> _logSumExp;

    [ParamsSource(nameof(Shapes))]
    public Shape Shape { get; set; } = new(256, 1000);

    public static IEnumerable<Shape> Shapes => [new(256, 1000), new(8, 32000)];

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Limit(1);
        var random = new Random(Inputs.Seed);
        _logits = Inputs.Uniform<T>(random, Shape.Elements, -5, 5, slot: 0);
        _labels = Inputs.Labels(random, Shape.Rows, Shape.Classes);
        _gradient = Inputs.Buffer<T>(Shape.Elements, slot: 1);
        _logSumExp = Inputs.Buffer<T>(Shape.Rows, slot: 2);
        Memory<T> logProbabilities = Inputs.Buffer<T>(Shape.Elements, slot: 3);
        Activations.LogSoftmax<T>(_logits.Span, logProbabilities.Span, Shape.Classes);
        _logProbabilities = logProbabilities;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("FromLogitsWithGradient")]
    public T CategoricalCrossEntropy_FromLogitsWithGradient() =>
        CategoricalCrossEntropy.FromLogitsWithGradient<T>(_logits.Span, _labels, _gradient.Span, Shape.Classes);

    /// <summary>Gemma 2's soft cap of 30, PaLM's z-loss of 1e-4, and the rows' log-sum-exp written out.</summary>
    [Benchmark, BenchmarkCategory("FromLogitsWithGradient")]
    public T CategoricalCrossEntropy_FromLogitsWithGradient_SoftCapZLossLogSumExp() =>
        CategoricalCrossEntropy.FromLogitsWithGradient<T>(_logits.Span, _labels, _gradient.Span, Shape.Classes,
            softCap: 30, zLoss: 1e-4, logSumExp: _logSumExp.Span);

    [Benchmark, BenchmarkCategory("FromLogProbabilitiesWithGradient")]
    public T CategoricalCrossEntropy_FromLogProbabilitiesWithGradient() =>
        CategoricalCrossEntropy.FromLogProbabilitiesWithGradient<T>(_logProbabilities.Span, _labels, _gradient.Span, Shape.Classes);
}
