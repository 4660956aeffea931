using System;
using System.Collections.Generic;
using System.Numerics;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace CrossEntropy.Benchmarks;

/// <summary>
/// Every public entry point family the other classes leave out, on one thread, on a short and a long shape, for float,
/// double and Half: what each option costs over the plain call of its family (the baseline of each category), the backward
/// passes against their forward pass, and LogSumExp against the same steps composed from TensorPrimitives calls.
/// </summary>
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
[GenericTypeArguments(typeof(Half))]
[BenchmarkCategory("EntryPoints")]
public class EntryPointBenchmarks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private ReadOnlyMemory<T> _logits;
    private ReadOnlyMemory<T> _probabilities;
    private ReadOnlyMemory<T> _softTargets;
    private ReadOnlyMemory<T> _binaryTargets;
    private ReadOnlyMemory<T> _classWeights;
    private ReadOnlyMemory<T> _outputGradient;
    private int[] _labels = [];
    private Memory<T> _destination;
    private Memory<T> _rowOutput;

    [ParamsSource(nameof(Shapes))]
    public Shape Shape { get; set; } = new(64, 10);

    public static IEnumerable<Shape> Shapes => [new(64, 10), new(256, 1000)];

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Limit(1);
        var random = new Random(Inputs.Seed);
        _logits = Inputs.Uniform<T>(random, Shape.Elements, -5, 5, slot: 0);
        _labels = Inputs.Labels(random, Shape.Rows, Shape.Classes);
        _destination = Inputs.Buffer<T>(Shape.Elements, slot: 1);
        _rowOutput = Inputs.Buffer<T>(Shape.Rows, slot: 2);
        _binaryTargets = Inputs.ZerosAndOnes<T>(random, Shape.Elements, slot: 2);
        _outputGradient = Inputs.Uniform<T>(random, Shape.Elements, -1, 1, slot: 2);
        _classWeights = Inputs.Uniform<T>(random, Shape.Classes, 0.5, 2, slot: 2);

        // Softmax rows as probabilities and as soft targets.
        Memory<T> probabilities = Inputs.Buffer<T>(Shape.Elements, slot: 2);
        Activations.Softmax<T>(_logits.Span, probabilities.Span, Shape.Classes);
        _probabilities = probabilities;
        Memory<T> softTargets = Inputs.Buffer<T>(Shape.Elements, slot: 2);
        Activations.Softmax<T>(Inputs.Uniform<T>(random, Shape.Elements, -2, 2, slot: 0).Span, softTargets.Span, Shape.Classes);
        _softTargets = softTargets;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Categorical")]
    public T CategoricalCrossEntropy_FromLogitsWithGradient() =>
        CategoricalCrossEntropy.FromLogitsWithGradient<T>(_logits.Span, _labels, _destination.Span, Shape.Classes);

    [Benchmark, BenchmarkCategory("Categorical")]
    public T CategoricalCrossEntropy_FromLogits() =>
        CategoricalCrossEntropy.FromLogits<T>(_logits.Span, _labels, Shape.Classes);

    [Benchmark, BenchmarkCategory("Categorical")]
    public T CategoricalCrossEntropy_FromLogitsWithGradient_ClassWeights() =>
        CategoricalCrossEntropy.FromLogitsWithGradient<T>(_logits.Span, _labels, _destination.Span, Shape.Classes, classWeights: _classWeights.Span);

    [Benchmark, BenchmarkCategory("Categorical")]
    public T CategoricalCrossEntropy_FromLogitsWithGradient_LabelSmoothing() =>
        CategoricalCrossEntropy.FromLogitsWithGradient<T>(_logits.Span, _labels, _destination.Span, Shape.Classes, labelSmoothing: 0.1);

    [Benchmark, BenchmarkCategory("Categorical")]
    public T CategoricalCrossEntropy_FromLogitsWithGradient_SoftTargets() =>
        CategoricalCrossEntropy.FromLogitsWithGradient<T>(_logits.Span, _softTargets.Span, _destination.Span, Shape.Classes);

    [Benchmark, BenchmarkCategory("Categorical")]
    public Memory<T> CategoricalCrossEntropy_FromLogits_PerRow()
    {
        CategoricalCrossEntropy.FromLogits<T>(_logits.Span, _labels, _rowOutput.Span, Shape.Classes);
        return _rowOutput;
    }

    [Benchmark, BenchmarkCategory("Categorical")]
    public T CategoricalCrossEntropy_FromProbabilitiesWithGradient() =>
        CategoricalCrossEntropy.FromProbabilitiesWithGradient<T>(_probabilities.Span, _labels, _destination.Span, Shape.Classes);

    [Benchmark, BenchmarkCategory("Categorical")]
    public T CategoricalCrossEntropy_FromProbabilitiesWithGradient_SoftTargets() =>
        CategoricalCrossEntropy.FromProbabilitiesWithGradient<T>(_probabilities.Span, _softTargets.Span, _destination.Span, Shape.Classes);

    [Benchmark(Baseline = true), BenchmarkCategory("Binary")]
    public T BinaryCrossEntropy_FromLogitsWithGradient() =>
        BinaryCrossEntropy.FromLogitsWithGradient<T>(_logits.Span, _binaryTargets.Span, _destination.Span);

    /// <summary>One weight per column of the [rows, classes] batch: the per-element gather of a broadcast weight.</summary>
    [Benchmark, BenchmarkCategory("Binary")]
    public T BinaryCrossEntropy_FromLogitsWithGradient_ColumnWeights() =>
        BinaryCrossEntropy.FromLogitsWithGradient<T>(_logits.Span, _binaryTargets.Span, _destination.Span, weights: _classWeights.Span);

    [Benchmark, BenchmarkCategory("Binary")]
    public T BinaryCrossEntropy_FromLogitsWithGradient_PositiveWeights() =>
        BinaryCrossEntropy.FromLogitsWithGradient<T>(_logits.Span, _binaryTargets.Span, _destination.Span, positiveWeights: _classWeights.Span);

    [Benchmark, BenchmarkCategory("Binary")]
    public T BinaryCrossEntropy_FromLogitsWithGradient_LabelSmoothing() =>
        BinaryCrossEntropy.FromLogitsWithGradient<T>(_logits.Span, _binaryTargets.Span, _destination.Span, labelSmoothing: 0.1);

    [Benchmark, BenchmarkCategory("Binary")]
    public T BinaryCrossEntropy_FromLogitsWithGradient_SoftTargets() =>
        BinaryCrossEntropy.FromLogitsWithGradient<T>(_logits.Span, _probabilities.Span, _destination.Span);

    [Benchmark, BenchmarkCategory("Binary")]
    public T BinaryCrossEntropy_FromProbabilitiesWithGradient() =>
        BinaryCrossEntropy.FromProbabilitiesWithGradient<T>(_probabilities.Span, _binaryTargets.Span, _destination.Span);

    [Benchmark(Baseline = true), BenchmarkCategory("Backward")]
    public Memory<T> Activations_Softmax()
    {
        Activations.Softmax<T>(_logits.Span, _destination.Span, Shape.Classes);
        return _destination;
    }

    [Benchmark, BenchmarkCategory("Backward")]
    public Memory<T> Activations_SoftmaxBackward()
    {
        Activations.SoftmaxBackward<T>(_probabilities.Span, _outputGradient.Span, _destination.Span, Shape.Classes);
        return _destination;
    }

    [Benchmark, BenchmarkCategory("Backward")]
    public Memory<T> Activations_LogSoftmaxBackward()
    {
        Activations.LogSoftmaxBackward<T>(_logits.Span, _outputGradient.Span, _destination.Span, Shape.Classes);
        return _destination;
    }

    [Benchmark, BenchmarkCategory("Backward")]
    public Memory<T> Activations_SigmoidBackward()
    {
        Activations.SigmoidBackward<T>(_probabilities.Span, _outputGradient.Span, _destination.Span);
        return _destination;
    }

    [Benchmark, BenchmarkCategory("Backward")]
    public Memory<T> Activations_LogSigmoid()
    {
        Activations.LogSigmoid<T>(_logits.Span, _destination.Span);
        return _destination;
    }

    /// <summary>Per row: Max, Subtract, Exp, Sum, then the maximum plus the Log of the sum.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("LogSumExp")]
    public Memory<T> TensorPrimitives_LogSumExp_Composed()
    {
        ReadOnlySpan<T> x = _logits.Span;
        Span<T> scratch = _destination.Span[..Shape.Classes];
        Span<T> destination = _rowOutput.Span;
        for (int row = 0; row < Shape.Rows; row++)
        {
            ReadOnlySpan<T> values = x.Slice(row * Shape.Classes, Shape.Classes);
            T max = TensorPrimitives.Max(values);
            TensorPrimitives.Subtract(values, max, scratch);
            TensorPrimitives.Exp<T>(scratch, scratch);
            destination[row] = max + T.Log(TensorPrimitives.Sum<T>(scratch));
        }

        return _rowOutput;
    }

    [Benchmark, BenchmarkCategory("LogSumExp")]
    public Memory<T> Activations_LogSumExp()
    {
        Activations.LogSumExp<T>(_logits.Span, _rowOutput.Span, Shape.Classes);
        return _rowOutput;
    }
}
