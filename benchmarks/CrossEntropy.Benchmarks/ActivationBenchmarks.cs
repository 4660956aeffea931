using System;
using System.Collections.Generic;
using System.Numerics;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace CrossEntropy.Benchmarks;

/// <summary>
/// Softmax, LogSoftmax and Sigmoid on one thread against their peers in TensorPrimitives. Logits are uniform in [-5, 5],
/// where TensorPrimitives.SoftMax (which does not subtract the maximum) does not overflow.
/// </summary>
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
[BenchmarkCategory("Activations")]
public class ActivationBenchmarks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] _x = [];
    private T[] _destination = [];
    private T[] _scratch = [];

    [ParamsSource(nameof(Shapes))]
    public Shape Shape { get; set; } = new(1, 1000);

    public static IEnumerable<Shape> Shapes => Shape.All;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Limit(1);
        _x = Inputs.Uniform<T>(new Random(Inputs.Seed), Shape.Elements, -5, 5);
        _destination = new T[Shape.Elements];
        _scratch = new T[Shape.Classes];
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Softmax")]
    public T[] TensorPrimitives_SoftMax_RowByRow()
    {
        for (int start = 0; start < _x.Length; start += Shape.Classes)
        {
            TensorPrimitives.SoftMax<T>(_x.AsSpan(start, Shape.Classes), _destination.AsSpan(start, Shape.Classes));
        }

        return _destination;
    }

    [Benchmark, BenchmarkCategory("Softmax")]
    public T[] Activations_Softmax()
    {
        Activations.Softmax<T>(_x, _destination, Shape.Classes);
        return _destination;
    }

    /// <summary>Max-subtracted log-softmax, row by row: Max, Subtract, Exp, Sum, then Subtract the Log of the sum.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("LogSoftmax")]
    public T[] TensorPrimitives_LogSoftmax_Composed()
    {
        for (int start = 0; start < _x.Length; start += Shape.Classes)
        {
            ReadOnlySpan<T> row = _x.AsSpan(start, Shape.Classes);
            Span<T> output = _destination.AsSpan(start, Shape.Classes);
            TensorPrimitives.Subtract(row, TensorPrimitives.Max(row), output);
            TensorPrimitives.Exp<T>(output, _scratch);
            TensorPrimitives.Subtract(output, T.Log(TensorPrimitives.Sum<T>(_scratch)), output);
        }

        return _destination;
    }

    [Benchmark, BenchmarkCategory("LogSoftmax")]
    public T[] Activations_LogSoftmax()
    {
        Activations.LogSoftmax<T>(_x, _destination, Shape.Classes);
        return _destination;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Sigmoid")]
    public T[] TensorPrimitives_Sigmoid()
    {
        TensorPrimitives.Sigmoid<T>(_x, _destination);
        return _destination;
    }

    [Benchmark, BenchmarkCategory("Sigmoid")]
    public T[] Activations_Sigmoid()
    {
        Activations.Sigmoid<T>(_x, _destination);
        return _destination;
    }
}
