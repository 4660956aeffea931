using System;
using System.Collections.Generic;
using System.Numerics;
using BenchmarkDotNet.Attributes;

namespace CrossEntropy.Benchmarks;

/// <summary>
/// The focal losses and the KL divergence from logits, with their gradients, on one thread, each against the loss it extends:
/// binary focal against binary cross-entropy, categorical focal against cross-entropy with labels, KL divergence from logits
/// against cross-entropy with the same soft targets. Logits are uniform in [-5, 5]; soft targets are the softmax of other
/// such logits.
/// </summary>
[GenericTypeArguments(typeof(float))]
[BenchmarkCategory("FocalAndDivergence")]
public class FocalAndDivergenceBenchmarks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private ReadOnlyMemory<T> _logits;
    private ReadOnlyMemory<T> _targets;
    private ReadOnlyMemory<T> _binaryTargets;
    private int[] _labels = [];
    private Memory<T> _gradient;

    [ParamsSource(nameof(Shapes))]
    public Shape Shape { get; set; } = new(256, 1000);

    public static IEnumerable<Shape> Shapes => [new(256, 1000), new(8, 32000)];

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Limit(1);
        var random = new Random(Inputs.Seed);
        _logits = Inputs.Uniform<T>(random, Shape.Elements, -5, 5, slot: 0);
        Memory<T> targets = Inputs.Uniform<T>(random, Shape.Elements, -5, 5, slot: 1);
        Activations.Softmax<T>(targets.Span, targets.Span, Shape.Classes);
        _targets = targets;
        _binaryTargets = Inputs.ZerosAndOnes<T>(random, Shape.Elements, slot: 1);
        _labels = Inputs.Labels(random, Shape.Rows, Shape.Classes);
        _gradient = Inputs.Buffer<T>(Shape.Elements, slot: 2);
    }

    [Benchmark(Baseline = true), BenchmarkCategory("BinaryFocal")]
    public T BinaryCrossEntropy_FromLogitsWithGradient() =>
        BinaryCrossEntropy.FromLogitsWithGradient<T>(_logits.Span, _binaryTargets.Span, _gradient.Span);

    [Benchmark, BenchmarkCategory("BinaryFocal")]
    public T BinaryCrossEntropy_FocalFromLogitsWithGradient() =>
        BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(_logits.Span, _binaryTargets.Span, _gradient.Span);

    [Benchmark(Baseline = true), BenchmarkCategory("CategoricalFocal")]
    public T CategoricalCrossEntropy_FromLogitsWithGradient_Labels() =>
        CategoricalCrossEntropy.FromLogitsWithGradient<T>(_logits.Span, _labels, _gradient.Span, Shape.Classes);

    [Benchmark, BenchmarkCategory("CategoricalFocal")]
    public T CategoricalCrossEntropy_FocalFromLogitsWithGradient() =>
        CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(_logits.Span, _labels, _gradient.Span, Shape.Classes);

    [Benchmark(Baseline = true), BenchmarkCategory("KLDivergence")]
    public T CategoricalCrossEntropy_FromLogitsWithGradient_SoftTargets() =>
        CategoricalCrossEntropy.FromLogitsWithGradient<T>(_logits.Span, _targets.Span, _gradient.Span, Shape.Classes);

    [Benchmark, BenchmarkCategory("KLDivergence")]
    public T KLDivergence_FromLogitsWithGradient() =>
        KLDivergence.FromLogitsWithGradient<T>(_logits.Span, _targets.Span, _gradient.Span, Shape.Classes);

    [Benchmark, BenchmarkCategory("KLDivergence")]
    public T KLDivergence_FromLogitsWithGradient_Temperature2() =>
        KLDivergence.FromLogitsWithGradient<T>(_logits.Span, _targets.Span, _gradient.Span, Shape.Classes, temperature: 2);
}
