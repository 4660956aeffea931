using System;
using System.Linq;
using System.Numerics.Tensors;
using ChunkedCrossEntropy;
using IrisTraining;
using ModelOutputs;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests;

/// <summary>The examples in docs/examples do what their READMEs say.</summary>
public class ExampleTests
{
    [Fact]
    public void IrisTrainingLossFallsAndHeldOutAccuracyIsAtLeast95Percent()
    {
        IrisDataSet data = IrisDataSet.Load(IrisDataSet.DefaultPath);
        TrainingResult result = IrisTrainer.Train(data);

        Assert.Equal(150, data.Rows);
        Assert.Equal(45, result.TestRows);
        float[] losses = result.Epochs.Select(e => e.TrainingLoss).ToArray();
        Assert.All(losses, loss => Assert.True(float.IsFinite(loss)));
        That.Holds(losses[^1] < 0.25f * losses[0], $"The training loss went from {losses[0]} to {losses[^1]}.");
        That.Holds(result.TestAccuracy >= 0.95f, $"Held-out accuracy {result.TestAccuracy} is below 0.95.");
    }

    [Fact]
    public void ModelOutputsTopClassesAreTheFavouredOnesAndATemperatureSpreadsThem()
    {
        Tensor<float> logits = Classification.Logits(images: 3, seed: 1);
        TopClasses[] sharp = Classification.Top(logits, k: 5, temperature: 1);
        TopClasses[] soft = Classification.Top(logits, k: 5, temperature: 2);
        for (int image = 0; image < 3; image++)
        {
            int truth = Classification.TrueClass(image);
            Assert.Equal([truth, (truth + 1) % 1000, (truth + 500) % 1000], sharp[image].Classes[..3]);
            Assert.Equal(sharp[image].Classes, soft[image].Classes);

            // softmax(x / T) of the top two: their ratio is e^((9 - 8) / T).
            Assert.Equal(Math.E, sharp[image].Probabilities[0] / sharp[image].Probabilities[1], 1e-4);
            Assert.Equal(Math.Sqrt(Math.E), soft[image].Probabilities[0] / soft[image].Probabilities[1], 1e-4);
            Assert.True(soft[image].Probabilities[0] < sharp[image].Probabilities[0]);
        }
    }

    [Fact]
    public void ModelOutputsSegmentationMapsMostPixelsAndItsGradientIsSoftmaxLessOneHot()
    {
        (Tensor<float> logits, Tensor<int> labels) = Segmentation.Synthetic(images: 2, seed: 2);
        SegmentationResult result = Segmentation.Run(logits, labels);

        That.Holds(result.PixelAccuracy > 0.9f, $"pixel accuracy {result.PixelAccuracy}");
        Assert.InRange(result.Loss, 0.1f, 1f);
        int labelled = labels.Count(label => label != Segmentation.Void);
        for (int y = 0; y < Segmentation.Size; y++)
        {
            for (int x = 0; x < Segmentation.Size; x++)
            {
                double max = Enumerable.Range(0, Segmentation.Classes).Max(c => (double)logits[1, c, y, x]);
                double sum = Enumerable.Range(0, Segmentation.Classes).Sum(c => Math.Exp(logits[1, c, y, x] - max));
                int best = Enumerable.Range(0, Segmentation.Classes).First(c => logits[1, c, y, x] == max);
                Assert.Equal(best, result.ClassMap[1, y, x]);
                Assert.Equal(1 / sum, result.Confidence[1, y, x], 1e-6);
                for (int c = 0; c < Segmentation.Classes; c++)
                {
                    double expected = labels[1, y, x] == Segmentation.Void ? 0
                        : (Math.Exp(logits[1, c, y, x] - max) / sum - (c == labels[1, y, x] ? 1 : 0)) / labelled;
                    Assert.Equal(expected, result.Gradient[1, c, y, x], 1e-7);
                }
            }
        }
    }

    /// <summary>
    /// The fused linear cross-entropy of docs/examples/ChunkedCrossEntropy, on its small size: a loss near log(vocabulary), less
    /// memory than the whole logits matrix, and the loss and both gradients of the unchunked call on every row.
    /// </summary>
    [Fact]
    public void ChunkedCrossEntropyAgreesWithTheUnchunkedLoss()
    {
        ExampleOptions options = ExampleOptions.Parse(["--small"]);
        ExampleResult result = ChunkedExample.Run(options);

        Assert.Equal(options.Rows, options.CheckRows);
        Assert.InRange(result.Loss, Math.Log(options.Vocabulary) - 1, Math.Log(options.Vocabulary) + 1);
        That.Holds(result.AllocatedBytes < result.FullLogitsBytes / 4, $"The chunked loss allocated {result.AllocatedBytes} bytes.");
        Assert.Equal(result.CheckUnchunkedLoss, result.CheckChunkedLoss, 1e-5 * Math.Abs(result.CheckUnchunkedLoss));
        Assert.Equal(result.Loss, result.CheckChunkedLoss);
        Assert.InRange(result.HiddenGradientError, 0, 1e-5);
        Assert.InRange(result.ClassifierGradientError, 0, 1e-5);
    }
}
