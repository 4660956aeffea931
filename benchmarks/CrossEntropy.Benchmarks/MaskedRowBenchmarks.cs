using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;

namespace CrossEntropy.Benchmarks;

/// <summary>
/// Rows with masked entries, float, one thread: 10 % of each row's entries set to -infinity (padding, illegal moves), or
/// to 100 below the row's other entries (exponentials that underflow), against the same rows unmasked (the baseline of each
/// category). Sigmoid takes the same inputs, so its masked entries are below -87.
/// </summary>
[BenchmarkCategory("MaskedRows")]
public class MaskedRowBenchmarks
{
    private ReadOnlyMemory<float> _plain;
    private ReadOnlyMemory<float> _negativeInfinity;
    private ReadOnlyMemory<float> _farBelow;
    private int[] _labels = [];
    private Memory<float> _destination;

    [ParamsSource(nameof(Shapes))]
    public Shape Shape { get; set; } = new(2048, 1000);

    public static IEnumerable<Shape> Shapes => [new(2048, 1000)];

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Limit(1);
        var random = new Random(Inputs.Seed);
        _plain = Inputs.Uniform<float>(random, Shape.Elements, -5, 5, slot: 0);
        _labels = Inputs.Labels(random, Shape.Rows, Shape.Classes);
        _destination = Inputs.Buffer<float>(Shape.Elements, slot: 1);
        _negativeInfinity = Masked(random, float.NegativeInfinity);
        _farBelow = Masked(random, -105);

        // The labels stay on unmasked entries, so that every loss is finite.
        ReadOnlySpan<float> masked = _negativeInfinity.Span;
        ReadOnlySpan<float> below = _farBelow.Span;
        for (int row = 0; row < Shape.Rows; row++)
        {
            while (masked[row * Shape.Classes + _labels[row]] < -5 || below[row * Shape.Classes + _labels[row]] < -5)
            {
                _labels[row] = (_labels[row] + 1) % Shape.Classes;
            }
        }
    }

    /// <summary>A copy of the plain inputs with 10 % of each row's entries, at random places, set to <paramref name="value"/>.</summary>
    private Memory<float> Masked(Random random, float value)
    {
        Memory<float> buffer = Inputs.Buffer<float>(Shape.Elements, slot: 2);
        _plain.Span.CopyTo(buffer.Span);
        Span<float> values = buffer.Span;
        for (int row = 0; row < Shape.Rows; row++)
        {
            for (int masked = 0; masked < Shape.Classes / 10; masked++)
            {
                values[row * Shape.Classes + random.Next(Shape.Classes)] = value;
            }
        }

        return buffer;
    }

    private Memory<float> Softmax(ReadOnlyMemory<float> x)
    {
        Activations.Softmax<float>(x.Span, _destination.Span, Shape.Classes);
        return _destination;
    }

    private Memory<float> LogSoftmax(ReadOnlyMemory<float> x)
    {
        Activations.LogSoftmax<float>(x.Span, _destination.Span, Shape.Classes);
        return _destination;
    }

    private float CrossEntropy(ReadOnlyMemory<float> x) =>
        CategoricalCrossEntropy.FromLogitsWithGradient<float>(x.Span, _labels, _destination.Span, Shape.Classes);

    private Memory<float> Sigmoid(ReadOnlyMemory<float> x)
    {
        Activations.Sigmoid<float>(x.Span, _destination.Span);
        return _destination;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Softmax")]
    public Memory<float> Activations_Softmax_Unmasked() => Softmax(_plain);

    [Benchmark, BenchmarkCategory("Softmax")]
    public Memory<float> Activations_Softmax_NegativeInfinity() => Softmax(_negativeInfinity);

    [Benchmark, BenchmarkCategory("Softmax")]
    public Memory<float> Activations_Softmax_FarBelow() => Softmax(_farBelow);

    [Benchmark(Baseline = true), BenchmarkCategory("LogSoftmax")]
    public Memory<float> Activations_LogSoftmax_Unmasked() => LogSoftmax(_plain);

    [Benchmark, BenchmarkCategory("LogSoftmax")]
    public Memory<float> Activations_LogSoftmax_NegativeInfinity() => LogSoftmax(_negativeInfinity);

    [Benchmark, BenchmarkCategory("LogSoftmax")]
    public Memory<float> Activations_LogSoftmax_FarBelow() => LogSoftmax(_farBelow);

    [Benchmark(Baseline = true), BenchmarkCategory("FromLogitsWithGradient")]
    public float CategoricalCrossEntropy_FromLogitsWithGradient_Unmasked() => CrossEntropy(_plain);

    [Benchmark, BenchmarkCategory("FromLogitsWithGradient")]
    public float CategoricalCrossEntropy_FromLogitsWithGradient_NegativeInfinity() => CrossEntropy(_negativeInfinity);

    [Benchmark, BenchmarkCategory("FromLogitsWithGradient")]
    public float CategoricalCrossEntropy_FromLogitsWithGradient_FarBelow() => CrossEntropy(_farBelow);

    [Benchmark(Baseline = true), BenchmarkCategory("Sigmoid")]
    public Memory<float> Activations_Sigmoid_Unmasked() => Sigmoid(_plain);

    [Benchmark, BenchmarkCategory("Sigmoid")]
    public Memory<float> Activations_Sigmoid_FarBelow() => Sigmoid(_farBelow);
}
