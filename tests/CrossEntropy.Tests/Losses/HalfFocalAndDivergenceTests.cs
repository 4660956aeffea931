using System;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// Half is computed in float and rounded once: the focal losses and the KL divergence give, per element or row and in their
/// gradients, the float results on the same values rounded to Half.
/// </summary>
public sealed class HalfFocalAndDivergenceTests
{
    private const int Seed = 65504;

    [Fact]
    public void BinaryFocalIsTheFloatResultRounded()
    {
        var random = new Random(Seed);
        Half[] logits = TestData.To<Half>(TestData.Uniform(random, 77, 20));
        Half[] targets = TestData.To<Half>(TestData.BinaryTargets(random, 77));
        float[] x = Array.ConvertAll(logits, v => (float)v);
        float[] t = Array.ConvertAll(targets, v => (float)v);
        Half[] losses = new Half[77];
        Half[] gradient = new Half[77];
        float[] floatLosses = new float[77];
        float[] floatGradient = new float[77];
        BinaryCrossEntropy.FocalFromLogits<Half>(logits, targets, losses, 0.5, 0.25);
        BinaryCrossEntropy.FocalFromLogits<float>(x, t, floatLosses, 0.5, 0.25);
        BinaryCrossEntropy.FocalFromLogitsWithGradient<Half>(logits, targets, gradient, Reduction.Sum, 0.5, 0.25);
        BinaryCrossEntropy.FocalFromLogitsWithGradient<float>(x, t, floatGradient, Reduction.Sum, 0.5, 0.25);
        Check<Half>.SameBits(Array.ConvertAll(floatLosses, v => (Half)v), losses, "losses");
        Check<Half>.SameBits(Array.ConvertAll(floatGradient, v => (Half)v), gradient, "gradient");
    }

    [Fact]
    public void CategoricalFocalIsTheFloatResultRounded()
    {
        var random = new Random(Seed);
        foreach (int classes in new[] { 5, 40 })
        {
            Half[] logits = TestData.To<Half>(TestData.Uniform(random, 9 * classes, 8));
            int[] labels = TestData.Labels(random, 9, classes, -100);
            float[] x = Array.ConvertAll(logits, v => (float)v);
            Half[] losses = new Half[9];
            Half[] gradient = new Half[logits.Length];
            float[] floatLosses = new float[9];
            float[] floatGradient = new float[logits.Length];
            CategoricalCrossEntropy.FocalFromLogits<Half>(logits, labels, losses, classes);
            CategoricalCrossEntropy.FocalFromLogits<float>(x, labels, floatLosses, classes);
            CategoricalCrossEntropy.FocalFromLogitsWithGradient<Half>(logits, labels, gradient, classes, Reduction.Sum);
            CategoricalCrossEntropy.FocalFromLogitsWithGradient<float>(x, labels, floatGradient, classes, Reduction.Sum);
            Check<Half>.SameBits(Array.ConvertAll(floatLosses, v => (Half)v), losses, "losses");
            Check<Half>.SameBits(Array.ConvertAll(floatGradient, v => (Half)v), gradient, "gradient");
        }
    }

    [Fact]
    public void KLDivergenceIsTheFloatResultRounded()
    {
        var random = new Random(Seed);
        foreach (int classes in new[] { 5, 40 })
        {
            double[] values = TestData.Uniform(random, 9 * classes, 8);
            Half[] logits = TestData.To<Half>(values);
            Half[] targets = TestData.To<Half>(TestData.SoftTargets(random, 9, classes));
            float[] x = Array.ConvertAll(logits, v => (float)v);
            float[] t = Array.ConvertAll(targets, v => (float)v);
            Half[] losses = new Half[9];
            Half[] gradient = new Half[logits.Length];
            float[] floatLosses = new float[9];
            float[] floatGradient = new float[logits.Length];
            KLDivergence.FromLogits<Half>(logits, targets, losses, classes, temperature: 2);
            KLDivergence.FromLogits<float>(x, t, floatLosses, classes, temperature: 2);
            KLDivergence.FromLogitsWithGradient<Half>(logits, targets, gradient, classes, Reduction.Sum, temperature: 2);
            KLDivergence.FromLogitsWithGradient<float>(x, t, floatGradient, classes, Reduction.Sum, temperature: 2);
            Check<Half>.SameBits(Array.ConvertAll(floatLosses, v => (Half)v), losses, "losses from logits");
            Check<Half>.SameBits(Array.ConvertAll(floatGradient, v => (Half)v), gradient, "gradient from logits");
            KLDivergence.FromLogProbabilities<Half>(logits, targets, losses, classes);
            KLDivergence.FromLogProbabilities<float>(x, t, floatLosses, classes);
            Check<Half>.SameBits(Array.ConvertAll(floatLosses, v => (Half)v), losses, "losses from log-probabilities");
        }
    }
}
