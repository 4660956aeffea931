using System;
using Xunit;
using Xunit.Abstractions;

namespace CrossEntropy.Tests.Losses;

public class ZzProbe(ITestOutputHelper output)
{
    [Fact]
    public void Probe()
    {
        float[] logits = [0.3f, -1.2f];
        float[] targets = [0.6f, 0.25f];
        float[] weights = [1.5f];
        foreach (VectorWidth width in Widths.All)
        {
            using (Simd.Limit(width))
            {
                float[] g = new float[2];
                float l1 = CategoricalCrossEntropy.FromLogitsWithGradient<float>(logits, targets, g, 1, Reduction.Mean, weights, 0.1);
                float[] t2 = (float[])targets.Clone();
                float l2 = CategoricalCrossEntropy.FromLogitsWithGradient<float>(logits, t2, t2, 1, Reduction.Mean, weights, 0.1);
                float[] t3 = (float[])targets.Clone();
                float l3 = CategoricalCrossEntropy.FromLogitsWithGradient<float>(logits, t3, t3, 1, Reduction.Mean, default, 0);
                float[] g4 = new float[2];
                float l4 = CategoricalCrossEntropy.FromLogitsWithGradient<float>(logits, targets, g4, 1, Reduction.Mean, default, 0);
                output.WriteLine($"{width}: out-of-place {l1} [{g[0]}, {g[1]}]; over targets {l2} [{t2[0]}, {t2[1]}]; plain out {l4} [{g4[0]}, {g4[1]}] over targets {l3} [{t3[0]}, {t3[1]}]");
                float[] row = [2, float.NegativeInfinity, 1, float.NegativeInfinity];
                float[] gr = new float[4];
                float[] losses = new float[1];
                float a = CategoricalCrossEntropy.FromLogits<float>(row, [0], 4, Reduction.Mean, default, -100, 0.1);
                float b = CategoricalCrossEntropy.FromLogitsWithGradient<float>(row, [0], gr, 4, Reduction.Mean, default, -100, 0.1);
                CategoricalCrossEntropy.FromLogits<float>(row, [0], losses, 4, default, -100, 0.1);
                
                float d = CategoricalCrossEntropy.FromLogits<float>([2, float.NegativeInfinity], [0], 2, Reduction.Mean, default, -100, 0.1);
                float e = CategoricalCrossEntropy.FromLogits<float>(row, [0.5f, 0, 0.5f, 0], 4, Reduction.Mean, default, 0.1);
                output.WriteLine($"  smoothed: loss {a}, with gradient {b} [{string.Join(", ", gr)}], per-row {losses[0]}, 2 classes {d}, targets {e}");
            }
        }
    }
}
