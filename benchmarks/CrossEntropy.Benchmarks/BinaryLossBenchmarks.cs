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
    private T[] _logits = [];
    private T[] _targets = [];
    private T[] _gradient = [];

    [ParamsSource(nameof(Shapes))]
    public Shape Shape { get; set; } = new(1, 1000);

    public static IEnumerable<Shape> Shapes => Shape.All;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Limit(1);
        var random = new Random(Inputs.Seed);
        _logits = Inputs.Uniform<T>(random, Shape.Elements, -10, 10);
        _targets = Inputs.ZerosAndOnes<T>(random, Shape.Elements);
        _gradient = new T[Shape.Elements];
    }

    /// <summary>loss = max(x, 0) - x y + log(1 + exp(-|x|)) and gradient (sigmoid(x) - y) / n, element by element.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("FromLogitsWithGradient")]
    public T ScalarLoop_BinaryCrossEntropyWithGradient()
    {
        T total = T.Zero;
        T inverseCount = T.One / T.CreateTruncating(_logits.Length);
        for (int i = 0; i < _logits.Length; i++)
        {
            T x = _logits[i];
            T y = _targets[i];
            T z = T.Exp(-T.Abs(x));
            total += T.Max(x, T.Zero) - x * y + T.LogP1(z);
            T sigmoid = x >= T.Zero ? T.One / (T.One + z) : z / (T.One + z);
            _gradient[i] = (sigmoid - y) * inverseCount;
        }

        return total * inverseCount;
    }

    [Benchmark, BenchmarkCategory("FromLogitsWithGradient")]
    public T BinaryCrossEntropy_FromLogitsWithGradient() =>
        BinaryCrossEntropy.FromLogitsWithGradient<T>(_logits, _targets, _gradient);
}
