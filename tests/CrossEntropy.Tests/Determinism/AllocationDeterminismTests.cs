using System;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Determinism;

/// <summary>
/// The library promises no allocation on any call path. A single-threaded call (Parallelism.Force(1)) of Softmax and of
/// CategoricalCrossEntropy.FromLogitsWithGradient on a warm 64 x 100 batch must allocate 0 bytes on the calling thread,
/// on every width. The first call of each pair warms up the JIT, static fields and type initialisers.
/// </summary>
public sealed class AllocationDeterminismTests
{
    private const int Rows = 64;
    private const int Classes = 100;

    [Fact]
    public void FloatSingleThreadedCallsAllocateNothing() => SingleThreadedCallsAllocateNothing<float>();

    [Fact]
    public void DoubleSingleThreadedCallsAllocateNothing() => SingleThreadedCallsAllocateNothing<double>();

    private static void SingleThreadedCallsAllocateNothing<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(DeterminismCases.Seed(77, Rows, Classes));
        int[] labels = TestData.Labels(random, Rows, Classes, -100);
        T[] logits = TestData.To<T>(TestData.Logits(random, Rows, Classes, negativeInfinity: true, Array.ConvertAll(labels, label => label < 0 ? -1 : label)));
        T[] weights = TestData.To<T>(TestData.Weights(random, Classes, withZero: true));
        T[] probabilities = new T[logits.Length];
        T[] gradient = new T[logits.Length];
        foreach (VectorWidth width in Widths.All)
        {
            long softmaxBytes;
            long lossBytes;
            using (Widths.Limit(width))
            using (Parallelism.Force(1))
            {
                softmaxBytes = Allocations.Fewest(() => CrossEntropy.Activations.Softmax<T>(logits, probabilities, Classes));
                lossBytes = Allocations.Fewest(() =>
                    CategoricalCrossEntropy.FromLogitsWithGradient<T>(logits, labels, gradient, Classes, Reduction.Mean, weights, labelSmoothing: 0.1));
            }

            That.Holds(softmaxBytes == 0, $"{typeof(T).Name} Softmax on {width} allocated {softmaxBytes} bytes");
            That.Holds(lossBytes == 0, $"{typeof(T).Name} CategoricalCrossEntropy.FromLogitsWithGradient on {width} allocated {lossBytes} bytes");
        }
    }
}
