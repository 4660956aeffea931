using System;
using System.Collections.Generic;
using System.Numerics;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace CrossEntropy.Benchmarks;

/// <summary>
/// ArgMax against TensorPrimitives.IndexOfMax row by row; TopK (k = 5) alone; the masked softmax against the plain one on the
/// same logits, with a padding mask (each row keeps a prefix of 60 % to 100 % of its entries) and with a random mask (each entry
/// kept with probability 0.9); and the temperature overloads (0.7) against the plain ones. One thread, logits uniform in [-5, 5].
/// </summary>
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
[BenchmarkCategory("ActivationAdditions")]
public class SelectionAndMaskBenchmarks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int K = 5;

    private ReadOnlyMemory<T> _x;
    private Memory<T> _destination;
    private int[] _argMax = [];
    private int[] _indices = [];
    private T[] _values = [];
    private bool[] _padding = [];
    private bool[] _random = [];

    [ParamsSource(nameof(Shapes))]
    public Shape Shape { get; set; } = new(256, 1000);

    public static IEnumerable<Shape> Shapes => [new(64, 10), new(37, 1003), new(256, 1000)];

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Limit(1);
        var random = new Random(Inputs.Seed);
        _x = Inputs.Uniform<T>(random, Shape.Elements, -5, 5, slot: 0);
        _destination = Inputs.Buffer<T>(Shape.Elements, slot: 1);
        _argMax = new int[Shape.Rows];
        _indices = new int[Shape.Rows * K];
        _values = new T[Shape.Rows * K];
        _padding = new bool[Shape.Elements];
        _random = new bool[Shape.Elements];
        for (int row = 0; row < Shape.Rows; row++)
        {
            int kept = Shape.Classes * random.Next(60, 101) / 100;
            for (int c = 0; c < Shape.Classes; c++)
            {
                _padding[row * Shape.Classes + c] = c < Math.Max(kept, 1);
                _random[row * Shape.Classes + c] = random.NextDouble() < 0.9;
            }
        }
    }

    [Benchmark(Baseline = true), BenchmarkCategory("ArgMax")]
    public int[] TensorPrimitives_IndexOfMax_RowByRow()
    {
        ReadOnlySpan<T> x = _x.Span;
        for (int row = 0; row < _argMax.Length; row++)
        {
            _argMax[row] = TensorPrimitives.IndexOfMax(x.Slice(row * Shape.Classes, Shape.Classes));
        }

        return _argMax;
    }

    [Benchmark, BenchmarkCategory("ArgMax")]
    public int[] ArgMax()
    {
        Activations.ArgMax(_x.Span, _argMax, Shape.Classes);
        return _argMax;
    }

    [Benchmark, BenchmarkCategory("TopK")]
    public int[] TopK_5()
    {
        Activations.TopK<T>(_x.Span, _indices, _values, Shape.Classes, K);
        return _indices;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("MaskedSoftmax")]
    public Memory<T> Softmax()
    {
        Activations.Softmax(_x.Span, _destination.Span, Shape.Classes);
        return _destination;
    }

    [Benchmark, BenchmarkCategory("MaskedSoftmax")]
    public Memory<T> Softmax_PaddingMask()
    {
        Activations.Softmax(_x.Span, _padding, _destination.Span, Shape.Classes);
        return _destination;
    }

    [Benchmark, BenchmarkCategory("MaskedSoftmax")]
    public Memory<T> Softmax_RandomMask()
    {
        Activations.Softmax(_x.Span, _random, _destination.Span, Shape.Classes);
        return _destination;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Temperature")]
    public Memory<T> Softmax_NoTemperature()
    {
        Activations.Softmax(_x.Span, _destination.Span, Shape.Classes);
        return _destination;
    }

    [Benchmark, BenchmarkCategory("Temperature")]
    public Memory<T> Softmax_Temperature()
    {
        Activations.Softmax(_x.Span, _destination.Span, Shape.Classes, temperature: 0.7);
        return _destination;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("LogTemperature")]
    public Memory<T> LogSoftmax_NoTemperature()
    {
        Activations.LogSoftmax(_x.Span, _destination.Span, Shape.Classes);
        return _destination;
    }

    [Benchmark, BenchmarkCategory("LogTemperature")]
    public Memory<T> LogSoftmax_Temperature()
    {
        Activations.LogSoftmax(_x.Span, _destination.Span, Shape.Classes, temperature: 0.7);
        return _destination;
    }
}
