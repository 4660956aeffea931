using System;
using System.Collections.Generic;
using System.Numerics;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;

namespace CrossEntropy.Benchmarks;

/// <summary>
/// Softmax and cross-entropy with its gradient on the large batches, with the library allowed 1 and then 2 threads, and a plain
/// copy of the batch as the measure of what the memory allows. The peers
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

    /// <summary>
    /// Not the library: the logits copied to the output in <see cref="Threads"/> equal parts, one per thread. How much a
    /// second thread speeds up merely reading and writing a batch this size is the most it can do for the kernels above.
    /// </summary>
    [Benchmark, BenchmarkCategory("Copy")]
    public Memory<T> Memory_Copy()
    {
        if (Threads == 1)
        {
            _logits.Span.CopyTo(_destination.Span);
        }
        else
        {
            CopyInParts();
        }

        return _destination;
    }

    private void CopyInParts()
    {
        int part = Shape.Elements / Threads;
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, index =>
        {
            int length = index == Threads - 1 ? Shape.Elements - index * part : part;
            _logits.Span.Slice(index * part, length).CopyTo(_destination.Span.Slice(index * part, length));
        });
    }
}
