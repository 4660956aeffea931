using System;
using System.Numerics.Tensors;
using CrossEntropy;

namespace ChunkedCrossEntropy;

/// <summary>
/// A linear classifier layer fused with its cross-entropy: hidden states [rows, dimension] times a classifier
/// [vocabulary, dimension] gives the logits [rows, vocabulary], of which only one chunk of the vocabulary exists at a time.
/// </summary>
public static class FusedLinearCrossEntropy
{
    /// <summary>
    /// The mean cross-entropy of the logits against <paramref name="labels"/>, and its gradients with respect to the hidden
    /// states and the classifier, holding at most rows x <paramref name="chunkClasses"/> logits. Two passes over the
    /// vocabulary: the first merges each chunk's log-sum-exp into each row's; the second computes each chunk's logits again,
    /// its part of the loss and its gradient, and accumulates that into the gradients of both inputs.
    /// </summary>
    /// <returns>The mean loss.</returns>
    public static float Chunked(ReadOnlySpan<float> hidden, ReadOnlySpan<float> classifier, ReadOnlySpan<int> labels, int dimension, int chunkClasses,
        Span<float> hiddenGradient, Span<float> classifierGradient)
    {
        int rows = labels.Length;
        int vocabulary = classifier.Length / dimension;
        float[] logits = new float[rows * Math.Min(chunkClasses, vocabulary)];
        float[] logSumExp = new float[rows];
        float[] chunkLogSumExp = new float[rows];

        for (int offset = 0; offset < vocabulary; offset += chunkClasses)
        {
            int width = Math.Min(chunkClasses, vocabulary - offset);
            Span<float> chunk = logits.AsSpan(0, rows * width);
            Logits(hidden, classifier.Slice(offset * dimension, width * dimension), dimension, chunk);
            Activations.LogSumExp<float>(chunk, offset == 0 ? logSumExp : chunkLogSumExp, width);
            if (offset > 0)
            {
                Activations.LogAddExp<float>(logSumExp, chunkLogSumExp, logSumExp);
            }
        }

        hiddenGradient.Clear();
        double loss = 0;
        for (int offset = 0; offset < vocabulary; offset += chunkClasses)
        {
            int width = Math.Min(chunkClasses, vocabulary - offset);
            Span<float> chunk = logits.AsSpan(0, rows * width);
            ReadOnlySpan<float> weights = classifier.Slice(offset * dimension, width * dimension);
            Logits(hidden, weights, dimension, chunk);

            // The gradient of the chunk's logits goes over the logits themselves.
            loss += CategoricalCrossEntropy.FromLogitsChunkWithGradient<float>(chunk, labels, logSumExp, chunk, width, offset, vocabulary);
            Backward(hidden, weights, chunk, dimension, hiddenGradient, classifierGradient.Slice(offset * dimension, width * dimension));
        }

        return (float)loss;
    }

    /// <summary>The same loss and gradients through the whole logits matrix and <see cref="CategoricalCrossEntropy.FromLogitsWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, Reduction, ReadOnlySpan{T}, int, double, ReadOnlySpan{T}, double, double, double, Span{T})"/>.</summary>
    /// <returns>The mean loss.</returns>
    public static float Unchunked(ReadOnlySpan<float> hidden, ReadOnlySpan<float> classifier, ReadOnlySpan<int> labels, int dimension,
        Span<float> hiddenGradient, Span<float> classifierGradient)
    {
        int vocabulary = classifier.Length / dimension;
        float[] logits = new float[labels.Length * vocabulary];
        Logits(hidden, classifier, dimension, logits);
        float loss = CategoricalCrossEntropy.FromLogitsWithGradient<float>(logits, labels, logits, vocabulary);
        hiddenGradient.Clear();
        Backward(hidden, classifier, logits, dimension, hiddenGradient, classifierGradient);
        return loss;
    }

    /// <summary><c>logits[n, c] = hidden[n] . weights[c]</c>, one dot product per entry.</summary>
    private static void Logits(ReadOnlySpan<float> hidden, ReadOnlySpan<float> weights, int dimension, Span<float> logits)
    {
        int rows = hidden.Length / dimension;
        int classes = weights.Length / dimension;
        for (int n = 0; n < rows; n++)
        {
            ReadOnlySpan<float> h = hidden.Slice(n * dimension, dimension);
            Span<float> row = logits.Slice(n * classes, classes);
            for (int c = 0; c < classes; c++)
            {
                row[c] = TensorPrimitives.Dot(h, weights.Slice(c * dimension, dimension));
            }
        }
    }

    /// <summary>
    /// Back through <c>logits = hidden weights^T</c>: adds <c>sum_c g[n, c] weights[c]</c> to each row of
    /// <paramref name="hiddenGradient"/> and sets <c>weightsGradient[c] = sum_n g[n, c] hidden[n]</c>.
    /// </summary>
    private static void Backward(ReadOnlySpan<float> hidden, ReadOnlySpan<float> weights, ReadOnlySpan<float> gradient, int dimension,
        Span<float> hiddenGradient, Span<float> weightsGradient)
    {
        int rows = hidden.Length / dimension;
        int classes = weights.Length / dimension;
        weightsGradient.Clear();
        for (int n = 0; n < rows; n++)
        {
            ReadOnlySpan<float> h = hidden.Slice(n * dimension, dimension);
            Span<float> dh = hiddenGradient.Slice(n * dimension, dimension);
            for (int c = 0; c < classes; c++)
            {
                float g = gradient[n * classes + c];
                Span<float> dw = weightsGradient.Slice(c * dimension, dimension);
                TensorPrimitives.MultiplyAdd(weights.Slice(c * dimension, dimension), g, dh, dh);
                TensorPrimitives.MultiplyAdd(h, g, dw, dw);
            }
        }
    }
}
