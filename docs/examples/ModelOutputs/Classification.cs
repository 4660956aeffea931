using System;
using System.Numerics.Tensors;
using CrossEntropy;

namespace ModelOutputs;

/// <summary>One image's most likely classes, most likely first, and their probabilities.</summary>
/// <param name="Classes">The class indices.</param>
/// <param name="Probabilities">The probability of each, after the temperature.</param>
public sealed record TopClasses(int[] Classes, float[] Probabilities);

/// <summary>Post-processing of an image classifier's output: <c>[images, classes]</c> logits to the top classes with probabilities.</summary>
public static class Classification
{
    /// <summary>The classes of the synthetic classifier, as ImageNet's.</summary>
    public const int Classes = 1000;

    /// <summary>
    /// Synthetic logits of a classifier for <paramref name="images"/> images: noise in [-2, 2], the true class of each image
    /// (<c>image * 101 + 7</c>) at 9 and two look-alike classes just below it, at 8 and 7.
    /// </summary>
    /// <param name="images">The number of images.</param>
    /// <param name="seed">The seed of the noise.</param>
    /// <returns>The <c>[images, 1000]</c> logits.</returns>
    public static Tensor<float> Logits(int images, int seed)
    {
        var random = new Random(seed);
        float[] values = new float[images * Classes];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = 4 * random.NextSingle() - 2;
        }

        Tensor<float> logits = Tensor.Create(values, [images, Classes]);
        for (int image = 0; image < images; image++)
        {
            int truth = TrueClass(image);
            logits[image, truth] = 9;
            logits[image, (truth + 1) % Classes] = 8;
            logits[image, (truth + 500) % Classes] = 7;
        }

        return logits;
    }

    /// <summary>The class the synthetic logits of <paramref name="image"/> favour.</summary>
    /// <param name="image">The image index.</param>
    /// <returns>Its true class.</returns>
    public static int TrueClass(int image) => (image * 101 + 7) % Classes;

    /// <summary>
    /// The <paramref name="k"/> most likely classes of each image under <c>softmax(logits / temperature)</c> along the classes: a
    /// temperature above 1 spreads the probability, below 1 sharpens it; the order of the classes does not change.
    /// </summary>
    /// <param name="logits">The <c>[images, classes]</c> logits.</param>
    /// <param name="k">How many classes per image.</param>
    /// <param name="temperature">The positive temperature.</param>
    /// <returns>The top classes of each image.</returns>
    public static TopClasses[] Top(Tensor<float> logits, int k, double temperature)
    {
        int images = (int)logits.Lengths[0];
        int classes = (int)logits.Lengths[1];

        // The tensor is dense, its rows one after the other: the span methods take its memory as [images, classes] rows.
        ReadOnlySpan<float> rows = logits.AsReadOnlyTensorSpan().GetSpan([0, 0], (int)logits.FlattenedLength);
        float[] probabilities = new float[rows.Length];
        Activations.Softmax(rows, probabilities, classes, temperature);

        // torch.topk: the k largest of each row, in descending order, ties to the lower class.
        int[] indices = new int[images * k];
        float[] values = new float[images * k];
        Activations.TopK<float>(probabilities, indices, values, classes, k);

        var result = new TopClasses[images];
        for (int image = 0; image < images; image++)
        {
            result[image] = new TopClasses(indices[(image * k)..((image + 1) * k)], values[(image * k)..((image + 1) * k)]);
        }

        return result;
    }
}
