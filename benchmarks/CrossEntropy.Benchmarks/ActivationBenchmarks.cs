using System;
using System.Collections.Generic;
using System.Numerics;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace CrossEntropy.Benchmarks;

/// <summary>
/// Softmax, LogSoftmax and Sigmoid on one thread against their peers in TensorPrimitives (and softmax against a plain
/// scalar loop). Logits are uniform in [-5, 5], where TensorPrimitives.SoftMax (which does not subtract the maximum) does
/// not overflow.
/// </summary>
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
[BenchmarkCategory("Activations")]
public class ActivationBenchmarks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private ReadOnlyMemory<T> _x;
    private Memory<T> _destination;
    private Memory<T> _scratch;

    [ParamsSource(nameof(Shapes))]
    public Shape Shape { get; set; } = new(1, 1000);

    public static IEnumerable<Shape> Shapes => Shape.All;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Limit(1);
        _x = Inputs.Uniform<T>(new Random(Inputs.Seed), Shape.Elements, -5, 5, slot: 0);
        _destination = Inputs.Buffer<T>(Shape.Elements, slot: 1);
        _scratch = Inputs.Buffer<T>(Shape.Classes, slot: 2);
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Softmax")]
    public Memory<T> TensorPrimitives_SoftMax_RowByRow()
    {
        ReadOnlySpan<T> x = _x.Span;
        Span<T> destination = _destination.Span;
        for (int start = 0; start < x.Length; start += Shape.Classes)
        {
            TensorPrimitives.SoftMax<T>(x.Slice(start, Shape.Classes), destination.Slice(start, Shape.Classes));
        }

        return _destination;
    }

    /// <summary>Max-subtracted softmax, row by row, in plain scalar code.</summary>
    [Benchmark, BenchmarkCategory("Softmax")]
    public Memory<T> ScalarLoop_Softmax()
    {
        ReadOnlySpan<T> x = _x.Span;
        Span<T> destination = _destination.Span;
        for (int start = 0; start < x.Length; start += Shape.Classes)
        {
            ReadOnlySpan<T> row = x.Slice(start, Shape.Classes);
            Span<T> output = destination.Slice(start, Shape.Classes);
            T max = row[0];
            for (int i = 1; i < row.Length; i++)
            {
                max = T.Max(max, row[i]);
            }

            T sum = T.Zero;
            for (int i = 0; i < row.Length; i++)
            {
                output[i] = T.Exp(row[i] - max);
                sum += output[i];
            }

            T scale = T.One / sum;
            for (int i = 0; i < row.Length; i++)
            {
                output[i] *= scale;
            }
        }

        return _destination;
    }

    [Benchmark, BenchmarkCategory("Softmax")]
    public Memory<T> Activations_Softmax()
    {
        Activations.Softmax<T>(_x.Span, _destination.Span, Shape.Classes);
        return _destination;
    }

    /// <summary>Max-subtracted log-softmax, row by row: Max, Subtract, Exp, Sum, then Subtract the Log of the sum.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("LogSoftmax")]
    public Memory<T> TensorPrimitives_LogSoftmax_Composed()
    {
        ReadOnlySpan<T> x = _x.Span;
        Span<T> destination = _destination.Span;
        Span<T> scratch = _scratch.Span;
        for (int start = 0; start < x.Length; start += Shape.Classes)
        {
            ReadOnlySpan<T> row = x.Slice(start, Shape.Classes);
            Span<T> output = destination.Slice(start, Shape.Classes);
            TensorPrimitives.Subtract(row, TensorPrimitives.Max(row), output);
            TensorPrimitives.Exp<T>(output, scratch);
            TensorPrimitives.Subtract(output, T.Log(TensorPrimitives.Sum<T>(scratch)), output);
        }

        return _destination;
    }

    [Benchmark, BenchmarkCategory("LogSoftmax")]
    public Memory<T> Activations_LogSoftmax()
    {
        Activations.LogSoftmax<T>(_x.Span, _destination.Span, Shape.Classes);
        return _destination;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Sigmoid")]
    public Memory<T> TensorPrimitives_Sigmoid()
    {
        TensorPrimitives.Sigmoid<T>(_x.Span, _destination.Span);
        return _destination;
    }

    [Benchmark, BenchmarkCategory("Sigmoid")]
    public Memory<T> Activations_Sigmoid()
    {
        Activations.Sigmoid<T>(_x.Span, _destination.Span);
        return _destination;
    }
}
