using System;
using System.Collections.Generic;
using System.Numerics;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace CrossEntropy.Benchmarks;

/// <summary>
/// Mean cross-entropy with integer labels and its gradient, on one thread, against the same work composed from
/// TensorPrimitives calls (max-subtracted, so both are exact on these inputs).
/// </summary>
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
[BenchmarkCategory("CategoricalCrossEntropy")]
public class CategoricalLossBenchmarks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private ReadOnlyMemory<T> _logits;
    private int[] _labels = [];
    private Memory<T> _gradient;

    [ParamsSource(nameof(Shapes))]
    public Shape Shape { get; set; } = new(1, 1000);

    public static IEnumerable<Shape> Shapes => Shape.All;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Limit(1);
        var random = new Random(Inputs.Seed);
        _logits = Inputs.Uniform<T>(random, Shape.Elements, -5, 5, slot: 0);
        _labels = Inputs.Labels(random, Shape.Rows, Shape.Classes);
        _gradient = Inputs.Buffer<T>(Shape.Elements, slot: 1);
    }

    /// <summary>
    /// Per row: Max, Subtract, Exp, Sum, the loss from the Log of the sum, then Multiply by 1 / (sum x rows) and subtract
    /// 1 / rows at the label.
    /// </summary>
    [Benchmark(Baseline = true), BenchmarkCategory("FromLogitsWithGradient")]
    public T TensorPrimitives_CrossEntropyWithGradient_Composed()
    {
        ReadOnlySpan<T> allLogits = _logits.Span;
        Span<T> allGradients = _gradient.Span;
        T total = T.Zero;
        T inverseRows = T.One / T.CreateTruncating(Shape.Rows);
        for (int row = 0, start = 0; row < Shape.Rows; row++, start += Shape.Classes)
        {
            ReadOnlySpan<T> logits = allLogits.Slice(start, Shape.Classes);
            Span<T> gradient = allGradients.Slice(start, Shape.Classes);
            T max = TensorPrimitives.Max(logits);
            TensorPrimitives.Subtract(logits, max, gradient);
            TensorPrimitives.Exp<T>(gradient, gradient);
            T sum = TensorPrimitives.Sum<T>(gradient);
            total += T.Log(sum) - (logits[_labels[row]] - max);
            TensorPrimitives.Multiply<T>(gradient, inverseRows / sum, gradient);
            gradient[_labels[row]] -= inverseRows;
        }

        return total * inverseRows;
    }

    [Benchmark, BenchmarkCategory("FromLogitsWithGradient")]
    public T CategoricalCrossEntropy_FromLogitsWithGradient() =>
        CategoricalCrossEntropy.FromLogitsWithGradient<T>(_logits.Span, _labels, _gradient.Span, Shape.Classes);
}
