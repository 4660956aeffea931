using System;
using System.Collections.Generic;
using System.Linq;
using CrossEntropy;

namespace IrisTraining;

/// <summary>The training loss and held-out accuracy after one epoch.</summary>
/// <param name="Epoch">The epoch number, from 1.</param>
/// <param name="TrainingLoss">The mean cross-entropy over the epoch's training batches.</param>
/// <param name="TestAccuracy">The share of the test flowers classified correctly after the epoch.</param>
public sealed record EpochResult(int Epoch, float TrainingLoss, float TestAccuracy);

/// <summary>What a training run produced.</summary>
/// <param name="Epochs">One result per epoch.</param>
/// <param name="TrainingRows">The number of training flowers.</param>
/// <param name="TestRows">The number of held-out flowers.</param>
/// <param name="TestCorrect">How many held-out flowers the final classifier gets right.</param>
/// <param name="Classifier">The trained classifier.</param>
public sealed record TrainingResult(IReadOnlyList<EpochResult> Epochs, int TrainingRows, int TestRows, int TestCorrect, IrisClassifier Classifier)
{
    /// <summary>The share of held-out flowers the final classifier gets right.</summary>
    public float TestAccuracy => (float)TestCorrect / TestRows;
}

/// <summary>Trains an <see cref="IrisClassifier"/> with mini-batch gradient descent on the cross-entropy loss.</summary>
public static class IrisTrainer
{
    /// <summary>The share of each species held out for testing.</summary>
    public const double TestFraction = 0.3;

    private const int BatchSize = 16;
    private const float LearningRate = 0.5f;

    /// <summary>Splits the data, standardizes it with the training statistics and trains for the given number of epochs.</summary>
    /// <param name="data">The flowers.</param>
    /// <param name="epochs">The number of passes over the training set.</param>
    /// <param name="seed">The seed of the split and of the per-epoch shuffle; the same seed gives the same result.</param>
    /// <returns>The per-epoch losses and accuracies, and the trained classifier.</returns>
    public static TrainingResult Train(IrisDataSet data, int epochs = 100, int seed = 42)
    {
        var random = new Random(seed);
        (int[] trainingRows, int[] testRows) = data.StratifiedSplit(TestFraction, random);
        float[] mean = Mean(data, trainingRows);
        var classifier = new IrisClassifier(mean, StandardDeviation(data, trainingRows, mean), data.Species.Count);
        (float[] trainingFeatures, int[] trainingLabels) = Standardized(data, trainingRows, classifier);
        (float[] testFeatures, int[] testLabels) = Standardized(data, testRows, classifier);

        int classes = classifier.Classes;
        var batchFeatures = new float[BatchSize * IrisDataSet.FeatureCount];
        var batchLabels = new int[BatchSize];
        var logits = new float[BatchSize * classes];
        var gradient = new float[BatchSize * classes];
        int[] order = [.. Enumerable.Range(0, trainingLabels.Length)];
        var results = new List<EpochResult>(epochs);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            random.Shuffle(order);
            double lossSum = 0;
            for (int start = 0; start < order.Length; start += BatchSize)
            {
                int rows = Math.Min(BatchSize, order.Length - start);
                for (int r = 0; r < rows; r++)
                {
                    int row = order[start + r];
                    trainingFeatures.AsSpan(row * IrisDataSet.FeatureCount, IrisDataSet.FeatureCount)
                        .CopyTo(batchFeatures.AsSpan(r * IrisDataSet.FeatureCount));
                    batchLabels[r] = trainingLabels[row];
                }

                Span<float> batchLogits = logits.AsSpan(0, rows * classes);
                Span<float> batchGradient = gradient.AsSpan(0, rows * classes);
                ReadOnlySpan<float> features = batchFeatures.AsSpan(0, rows * IrisDataSet.FeatureCount);
                classifier.Logits(features, batchLogits);

                // The mean cross-entropy of the batch and its gradient with respect to every logit, in one pass.
                float loss = CategoricalCrossEntropy.FromLogitsWithGradient<float>(
                    batchLogits, batchLabels.AsSpan(0, rows), batchGradient, classes);

                classifier.Step(features, batchGradient, LearningRate);
                lossSum += (double)loss * rows;
            }

            int correct = CountCorrect(classifier, testFeatures, testLabels);
            results.Add(new EpochResult(epoch, (float)(lossSum / order.Length), (float)correct / testLabels.Length));
        }

        return new TrainingResult(results, trainingLabels.Length, testLabels.Length, CountCorrect(classifier, testFeatures, testLabels), classifier);
    }

    private static float[] Mean(IrisDataSet data, int[] rows)
    {
        var mean = new float[IrisDataSet.FeatureCount];
        for (int f = 0; f < mean.Length; f++)
        {
            double sum = 0;
            foreach (int row in rows)
            {
                sum += data.Features[row * IrisDataSet.FeatureCount + f];
            }

            mean[f] = (float)(sum / rows.Length);
        }

        return mean;
    }

    private static float[] StandardDeviation(IrisDataSet data, int[] rows, float[] mean)
    {
        var deviation = new float[IrisDataSet.FeatureCount];
        for (int f = 0; f < deviation.Length; f++)
        {
            double sum = 0;
            foreach (int row in rows)
            {
                double d = data.Features[row * IrisDataSet.FeatureCount + f] - mean[f];
                sum += d * d;
            }

            deviation[f] = (float)Math.Sqrt(sum / rows.Length);
        }

        return deviation;
    }

    private static (float[] Features, int[] Labels) Standardized(IrisDataSet data, int[] rows, IrisClassifier classifier)
    {
        var features = new float[rows.Length * IrisDataSet.FeatureCount];
        var labels = new int[rows.Length];
        for (int r = 0; r < rows.Length; r++)
        {
            classifier.Standardize(
                data.Features.Slice(rows[r] * IrisDataSet.FeatureCount, IrisDataSet.FeatureCount),
                features.AsSpan(r * IrisDataSet.FeatureCount, IrisDataSet.FeatureCount));
            labels[r] = data.Labels[rows[r]];
        }

        return (features, labels);
    }

    private static int CountCorrect(IrisClassifier classifier, float[] features, int[] labels)
    {
        int classes = classifier.Classes;
        var logits = new float[labels.Length * classes];
        classifier.Logits(features, logits);
        int correct = 0;
        for (int r = 0; r < labels.Length; r++)
        {
            ReadOnlySpan<float> row = logits.AsSpan(r * classes, classes);
            int predicted = 0;
            for (int c = 1; c < classes; c++)
            {
                if (row[c] > row[predicted])
                {
                    predicted = c;
                }
            }

            correct += predicted == labels[r] ? 1 : 0;
        }

        return correct;
    }
}
