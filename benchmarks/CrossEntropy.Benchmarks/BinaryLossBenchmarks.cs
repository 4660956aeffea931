using System;
using System.Collections.Generic;
using System.Numerics;
using BenchmarkDotNet.Attributes;

namespace CrossEntropy.Benchmarks;

/// <summary>
/// Mean binary cross-entropy from logits with its gradient, on one thread, against a plain scalar loop doing the same work.
/// Logits are uniform in [-10, 10], targets 0 or 1.
/// </summary>
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
[BenchmarkCategory("BinaryCrossEntropy")]
public class BinaryLossBenchmarks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private ReadOnlyMemory<T> _logits;
    private ReadOnlyMemory<T> _targets;
    private Memory<T> _gradient;

    [ParamsSource(nameof(Shapes))]
    public Shape Shape { get; set; } = new(1, 1000);

    public static IEnumerable<Shape> Shapes => Shape.All;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Limit(1);
        var random = new Random(Inputs.Seed);
        _logits = Inputs.Uniform<T>(random, Shape.Elements, -10, 10, slot: 0);
        _targets = Inputs.ZerosAndOnes<T>(random, Shape.Elements, slot: 1);
        _gradient = Inputs.Buffer<T>(Shape.Elements, slot: 2);
    }

    /// <summary>loss = max(x, 0) - x y + log(1 + exp(-|x|)) and gradient (sigmoid(x) - y) / n, element by element.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("FromLogitsWithGradient")]
    public T ScalarLoop_BinaryCrossEntropyWithGradient()
    {
        ReadOnlySpan<T> logits = _logits.Span;
        ReadOnlySpan<T> targets = _targets.Span;
        Span<T> gradient = _gradient.Span;
        T total = T.Zero;
        T inverseCount = T.One / T.CreateTruncating(logits.Length);
        for (int i = 0; i < logits.Length; i++)
        {
            T x = logits[i];
            T y = targets[i];
            T z = T.Exp(-T.Abs(x));
            total += T.Max(x, T.Zero) - x * y + T.LogP1(z);
            T sigmoid = x >= T.Zero ? T.One / (T.One + z) : z / (T.One + z);
            gradient[i] = (sigmoid - y) * inverseCount;
        }

        return total * inverseCount;
    }

    [Benchmark, BenchmarkCategory("FromLogitsWithGradient")]
    public T BinaryCrossEntropy_FromLogitsWithGradient() =>
        BinaryCrossEntropy.FromLogitsWithGradient<T>(_logits.Span, _targets.Span, _gradient.Span);
}
