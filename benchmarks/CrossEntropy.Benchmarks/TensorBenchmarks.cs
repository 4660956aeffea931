using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;

namespace CrossEntropy.Benchmarks;

/// <summary>
/// The overloads on tensors, float, one thread, on an image model's output: <c>[8, 21, 128, 128]</c> (a batch of 8 images of
/// 128 x 128 pixels, 21 classes as PASCAL VOC segmentation), classes along dimension 1. The shape is given as 131072 positions x
/// 21 classes, so that Elements/ns counts every logit. Peers: a plain scalar loop over the classes of each pixel, and the span
/// overload on the same number of rows of 21 (the cost of the classes-last layout, once transposed).
/// </summary>
[BenchmarkCategory("Tensors")]
public class TensorImageBenchmarks
{
    private static readonly nint[] Lengths = [8, 21, 128, 128];
    private static readonly nint[] LabelLengths = [8, 128, 128];
    private const int Classes = 21;
    private const int Pixels = 128 * 128;

    private Memory<float> _x;
    private Memory<float> _destination;
    private int[] _labels = [];
    private int[] _indices = [];

    [ParamsSource(nameof(Shapes))]
    public Shape Shape { get; set; } = new(8 * Pixels, Classes);

    public static IEnumerable<Shape> Shapes => [new(8 * Pixels, Classes)];

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Limit(1);
        _x = Inputs.Uniform<float>(new Random(Inputs.Seed), Shape.Elements, -5, 5, slot: 0);
        _destination = Inputs.Buffer<float>(Shape.Elements, slot: 1);
        _labels = Inputs.Labels(new Random(Inputs.Seed + 1), Shape.Rows, Classes);
        _indices = new int[Shape.Rows];
    }

    /// <summary>Max-subtracted softmax over the classes of each pixel, 16384 elements apart, in plain scalar code.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Softmax")]
    public Memory<float> ScalarLoop_Softmax_Dimension1()
    {
        ReadOnlySpan<float> x = _x.Span;
        Span<float> destination = _destination.Span;
        for (int image = 0; image < 8; image++)
        {
            int first = image * Classes * Pixels;
            for (int pixel = 0; pixel < Pixels; pixel++)
            {
                float max = x[first + pixel];
                for (int c = 1; c < Classes; c++)
                {
                    max = MathF.Max(max, x[first + c * Pixels + pixel]);
                }

                float sum = 0;
                for (int c = 0; c < Classes; c++)
                {
                    int i = first + c * Pixels + pixel;
                    destination[i] = MathF.Exp(x[i] - max);
                    sum += destination[i];
                }

                float scale = 1 / sum;
                for (int c = 0; c < Classes; c++)
                {
                    destination[first + c * Pixels + pixel] *= scale;
                }
            }
        }

        return _destination;
    }

    [Benchmark, BenchmarkCategory("Softmax")]
    public Memory<float> Span_Softmax_RowsOf21()
    {
        Activations.Softmax<float>(_x.Span, _destination.Span, Classes);
        return _destination;
    }

    [Benchmark, BenchmarkCategory("Softmax")]
    public Memory<float> Tensor_Softmax_Dimension1()
    {
        Activations.Softmax(new ReadOnlyTensorSpan<float>(_x.Span, Lengths), new TensorSpan<float>(_destination.Span, Lengths), 1);
        return _destination;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("CrossEntropyWithGradient")]
    public float Span_CrossEntropyWithGradient_RowsOf21() =>
        CategoricalCrossEntropy.FromLogitsWithGradient<float>(_x.Span, _labels, _destination.Span, Classes);

    [Benchmark, BenchmarkCategory("CrossEntropyWithGradient")]
    public float Tensor_CrossEntropyWithGradient_Dimension1() =>
        CategoricalCrossEntropy.FromLogitsWithGradient(new ReadOnlyTensorSpan<float>(_x.Span, Lengths),
            new ReadOnlyTensorSpan<int>(_labels, LabelLengths, default), new TensorSpan<float>(_destination.Span, Lengths));

    /// <summary>The first maximum over the classes of each pixel, in plain scalar code.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("ArgMax")]
    public int[] ScalarLoop_ArgMax_Dimension1()
    {
        ReadOnlySpan<float> x = _x.Span;
        for (int image = 0; image < 8; image++)
        {
            int first = image * Classes * Pixels;
            for (int pixel = 0; pixel < Pixels; pixel++)
            {
                float best = x[first + pixel];
                int index = 0;
                for (int c = 1; c < Classes; c++)
                {
                    float value = x[first + c * Pixels + pixel];
                    if (value > best)
                    {
                        best = value;
                        index = c;
                    }
                }

                _indices[image * Pixels + pixel] = index;
            }
        }

        return _indices;
    }

    [Benchmark, BenchmarkCategory("ArgMax")]
    public int[] Tensor_ArgMax_Dimension1()
    {
        Activations.ArgMax(new ReadOnlyTensorSpan<float>(_x.Span, Lengths), new TensorSpan<int>(_indices, LabelLengths, default), 1);
        return _indices;
    }
}

/// <summary>
/// What the tensor overloads' checks and dispatch cost over the span overloads on a dense tensor whose classes are last, where
/// they give the same bits: one sample of 10 classes, and a batch of 256 rows of 1000. Building the two <c>TensorSpan</c>s is
/// measured on its own (passed to a method that does nothing), as it is part of every call but not of the library's work.
/// </summary>
[BenchmarkCategory("Tensors")]
public class TensorDispatchBenchmarks
{
    private Memory<float> _x;
    private Memory<float> _destination;
    private nint[] _lengths = [];

    [ParamsSource(nameof(Shapes))]
    public Shape Shape { get; set; } = new(1, 10);

    public static IEnumerable<Shape> Shapes => [new(1, 10), new(256, 1000)];

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Limit(1);
        _x = Inputs.Uniform<float>(new Random(Inputs.Seed), Shape.Elements, -5, 5, slot: 0);
        _destination = Inputs.Buffer<float>(Shape.Elements, slot: 1);
        _lengths = [Shape.Rows, Shape.Classes];
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Softmax")]
    public Memory<float> Span_Softmax()
    {
        Activations.Softmax<float>(_x.Span, _destination.Span, Shape.Classes);
        return _destination;
    }

    [Benchmark, BenchmarkCategory("Softmax")]
    public Memory<float> Tensor_Softmax_LastDimension()
    {
        Activations.Softmax(new ReadOnlyTensorSpan<float>(_x.Span, _lengths), new TensorSpan<float>(_destination.Span, _lengths), -1);
        return _destination;
    }

    [Benchmark, BenchmarkCategory("Softmax")]
    public int TensorSpans_Only() =>
        Ranks(new ReadOnlyTensorSpan<float>(_x.Span, _lengths), new TensorSpan<float>(_destination.Span, _lengths), -1);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Ranks(in ReadOnlyTensorSpan<float> x, in TensorSpan<float> destination, int dimension) =>
        x.Rank + destination.Rank + dimension;
}
