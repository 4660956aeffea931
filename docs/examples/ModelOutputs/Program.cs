using System;
using System.Globalization;
using System.Linq;
using System.Numerics.Tensors;
using CrossEntropy;
using ModelOutputs;

// Post-processes a classifier's and a segmentation model's outputs, prints what it computed, and checks it.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

Tensor<float> scores = Classification.Logits(images: 3, seed: 1);
foreach (double temperature in new[] { 1.0, 2.0 })
{
    Console.WriteLine($"classifier, [3, {Classification.Classes}] logits, top 5 at temperature {temperature}:");
    TopClasses[] top = Classification.Top(scores, k: 5, temperature);
    for (int image = 0; image < top.Length; image++)
    {
        Console.WriteLine($"  image {image}: " + string.Join("  ", top[image].Classes.Zip(top[image].Probabilities, (c, p) => $"{c} {p:P1}")));
        Check(top[image].Classes[0] == Classification.TrueClass(image), $"image {image}'s top class is its true class");
        Check(top[image].Probabilities.Zip(top[image].Probabilities.Skip(1), (a, b) => a >= b).All(x => x), "probabilities descend");
    }
}

(Tensor<float> logits, Tensor<int> labels) = Segmentation.Synthetic(images: 2, seed: 2);
SegmentationResult result = Segmentation.Run(logits, labels);
Console.WriteLine($"segmentation, [2, {Segmentation.Classes}, {Segmentation.Size}, {Segmentation.Size}] logits (classes {Segmentation.Symbols}), image 0's class map:");
foreach (string line in Segmentation.Draw(result.ClassMap, 0))
{
    Console.WriteLine("  " + line);
}

float meanConfidence = result.Confidence.Sum() / result.Confidence.FlattenedLength;
Console.WriteLine($"pixel accuracy {result.PixelAccuracy:P1}, mean confidence {meanConfidence:P1}, loss {result.Loss:F4} (mean over labelled pixels)");

float reduced = CategoricalCrossEntropy.FromLogits(logits.AsReadOnlyTensorSpan(), labels.AsReadOnlyTensorSpan(), ignoreIndex: Segmentation.Void);
Check(reduced == result.Loss, "the loss alone is the loss that came with the gradient");
Check(result.PixelAccuracy > 0.9f, "most pixels get their label");
Check(result.Loss > 0 && result.Loss < 1, "the loss is that of a mostly right model");
float largest = 0;
for (int n = 0; n < 2; n++)
{
    for (int y = 0; y < Segmentation.Size; y++)
    {
        for (int x = 0; x < Segmentation.Size; x++)
        {
            // Each pixel's gradient is (softmax - one_hot(label)) / labelled pixels: it sums to 0, and is 0 where the label is void.
            float sum = 0;
            for (int c = 0; c < Segmentation.Classes; c++)
            {
                sum += result.Gradient[n, c, y, x];
                largest = MathF.Max(largest, MathF.Abs(result.Gradient[n, c, y, x]));
                Check(labels[n, y, x] != Segmentation.Void || result.Gradient[n, c, y, x] == 0, "void pixels get no gradient");
            }

            Check(MathF.Abs(sum) < 1e-6f, "each pixel's gradient sums to 0");
        }
    }
}

Console.WriteLine($"gradient: [2, {Segmentation.Classes}, {Segmentation.Size}, {Segmentation.Size}], largest entry {largest:E2}; every check passed");

static void Check(bool condition, string what)
{
    if (!condition)
    {
        throw new InvalidOperationException($"Check failed: {what}.");
    }
}
