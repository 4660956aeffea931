using System;
using System.Collections.Generic;
using System.Numerics;
using BenchmarkDotNet.Attributes;

namespace CrossEntropy.Benchmarks;

/// <summary>
/// Softmax and cross-entropy with its gradient on the large batches, with the library allowed 1 and then 2 threads. The peers
/// are single-threaded and measured in the other classes; here the "Speed-up vs 1 thread" column compares each case with
/// the same method and shape at <see cref="Threads"/> = 1.
/// </summary>
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
[BenchmarkCategory("Parallel")]
public class ParallelBenchmarks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private ReadOnlyMemory<T> _logits;
    private int[] _labels = [];
    private Memory<T> _destination;

    [ParamsSource(nameof(Shapes))]
    public Shape Shape { get; set; } = new(4096, 1000);

    public static IEnumerable<Shape> Shapes => Shape.Large;

    /// <summary>The most threads one call may use, set through the library's CrossEntropy.MaxDegreeOfParallelism switch.</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Limit(Threads);
        var random = new Random(Inputs.Seed);
        _logits = Inputs.Uniform<T>(random, Shape.Elements, -5, 5, slot: 0);
        _labels = Inputs.Labels(random, Shape.Rows, Shape.Classes);
        _destination = Inputs.Buffer<T>(Shape.Elements, slot: 1);
    }

    [Benchmark, BenchmarkCategory("Softmax")]
    public Memory<T> Activations_Softmax()
    {
        Activations.Softmax<T>(_logits.Span, _destination.Span, Shape.Classes);
        return _destination;
    }

    [Benchmark, BenchmarkCategory("FromLogitsWithGradient")]
    public T CategoricalCrossEntropy_FromLogitsWithGradient() =>
        CategoricalCrossEntropy.FromLogitsWithGradient<T>(_logits.Span, _labels, _destination.Span, Shape.Classes);
}
