using System;
using System.Numerics.Tensors;
using CrossEntropy;

namespace ModelOutputs;

/// <summary>What the post-processing and the loss of a segmentation output produced.</summary>
/// <param name="ClassMap">The most likely class of each pixel, <c>[images, height, width]</c>.</param>
/// <param name="Confidence">The probability of that class, <c>[images, height, width]</c>.</param>
/// <param name="PixelAccuracy">The share of labelled pixels whose most likely class is their label.</param>
/// <param name="Loss">The mean cross-entropy over the labelled pixels.</param>
/// <param name="Gradient">d(loss)/d(logits), <c>[images, classes, height, width]</c>.</param>
public sealed record SegmentationResult(Tensor<int> ClassMap, Tensor<float> Confidence, float PixelAccuracy, float Loss, Tensor<float> Gradient);

/// <summary>
/// Post-processing and training loss of a segmentation model's output: <c>[images, classes, height, width]</c> logits (NCHW,
/// the classes along dimension 1) to a class map and confidences, and the cross-entropy against a label map.
/// </summary>
public static class Segmentation
{
    /// <summary>Background, disk, square, stripe.</summary>
    public const int Classes = 4;

    /// <summary>The label of pixels left out of the loss (as PASCAL VOC's object borders).</summary>
    public const int Void = 255;

    /// <summary>The height and width of the synthetic images.</summary>
    public const int Size = 24;

    /// <summary>The symbol of each class in <see cref="Draw"/>.</summary>
    public const string Symbols = ".o#=";

    /// <summary>
    /// A synthetic batch: each image holds a disk, a square and a stripe on a background at places that depend on the image;
    /// the labels are that map, with its outermost pixels void. The logits favour each pixel's true class by 2.5 over noise in
    /// [-1.5, 1.5] on every class, so a few pixels come out wrong.
    /// </summary>
    /// <param name="images">The number of images.</param>
    /// <param name="seed">The seed of the noise.</param>
    /// <returns>The <c>[images, 4, 24, 24]</c> logits and the <c>[images, 24, 24]</c> labels.</returns>
    public static (Tensor<float> Logits, Tensor<int> Labels) Synthetic(int images, int seed)
    {
        var random = new Random(seed);
        Tensor<float> logits = Tensor.Create(new float[images * Classes * Size * Size], [images, Classes, Size, Size]);
        Tensor<int> labels = Tensor.Create(new int[images * Size * Size], [images, Size, Size]);
        for (int n = 0; n < images; n++)
        {
            for (int y = 0; y < Size; y++)
            {
                for (int x = 0; x < Size; x++)
                {
                    int truth = Shape(n, y, x);
                    labels[n, y, x] = x == 0 || y == 0 || x == Size - 1 || y == Size - 1 ? Void : truth;
                    for (int c = 0; c < Classes; c++)
                    {
                        logits[n, c, y, x] = (c == truth ? 2.5f : 0) + 3 * random.NextSingle() - 1.5f;
                    }
                }
            }
        }

        return (logits, labels);
    }

    private static int Shape(int n, int y, int x)
    {
        int cx = 14 + 2 * n;
        int cy = 9;
        if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= 25)
        {
            return 1;
        }

        if (x >= 3 && x < 9 && y >= 4 + n && y < 10 + n)
        {
            return 2;
        }

        return y >= 18 && y < 21 ? 3 : 0;
    }

    /// <summary>
    /// The class map and confidences (<c>argmax</c> and <c>softmax</c> along dimension 1), and the mean cross-entropy with its
    /// gradient, as <c>torch.nn.functional.cross_entropy(logits, labels, ignore_index=255)</c> and its backward pass.
    /// </summary>
    /// <param name="logits">The <c>[images, classes, height, width]</c> logits.</param>
    /// <param name="labels">The <c>[images, height, width]</c> labels, <see cref="Void"/> where unlabelled.</param>
    /// <returns>What it computed.</returns>
    public static SegmentationResult Run(Tensor<float> logits, Tensor<int> labels)
    {
        ReadOnlySpan<nint> lengths = logits.Lengths;
        nint[] pixels = [lengths[0], lengths[2], lengths[3]];

        Tensor<int> classMap = Tensor.Create(new int[labels.FlattenedLength], pixels);
        Activations.ArgMax(logits.AsReadOnlyTensorSpan(), classMap.AsTensorSpan(), dimension: 1);

        Tensor<float> probabilities = Tensor.Create(new float[logits.FlattenedLength], lengths);
        Activations.Softmax(logits.AsReadOnlyTensorSpan(), probabilities.AsTensorSpan(), dimension: 1);

        Tensor<float> confidence = Tensor.Create(new float[labels.FlattenedLength], pixels);
        int labelled = 0;
        int correct = 0;
        for (int n = 0; n < pixels[0]; n++)
        {
            for (int y = 0; y < pixels[1]; y++)
            {
                for (int x = 0; x < pixels[2]; x++)
                {
                    confidence[n, y, x] = probabilities[n, classMap[n, y, x], y, x];
                    if (labels[n, y, x] != Void)
                    {
                        labelled++;
                        correct += classMap[n, y, x] == labels[n, y, x] ? 1 : 0;
                    }
                }
            }
        }

        Tensor<float> gradient = Tensor.Create(new float[logits.FlattenedLength], lengths);
        float loss = CategoricalCrossEntropy.FromLogitsWithGradient(logits.AsReadOnlyTensorSpan(), labels.AsReadOnlyTensorSpan(), gradient.AsTensorSpan(),
            ignoreIndex: Void);
        return new SegmentationResult(classMap, confidence, (float)correct / labelled, loss, gradient);
    }

    /// <summary>One image of a class map as text, a symbol of <see cref="Symbols"/> per pixel.</summary>
    /// <param name="classMap">The <c>[images, height, width]</c> class map.</param>
    /// <param name="image">The image to draw.</param>
    /// <returns>One line per row of pixels.</returns>
    public static string[] Draw(Tensor<int> classMap, int image)
    {
        string[] lines = new string[classMap.Lengths[1]];
        for (int y = 0; y < lines.Length; y++)
        {
            char[] row = new char[classMap.Lengths[2]];
            for (int x = 0; x < row.Length; x++)
            {
                row[x] = Symbols[classMap[image, y, x]];
            }

            lines[y] = new string(row);
        }

        return lines;
    }
}
