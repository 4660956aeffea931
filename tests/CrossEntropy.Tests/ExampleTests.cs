using System;
using System.Linq;
using ChunkedCrossEntropy;
using IrisTraining;
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
        Assert.True(losses[^1] < 0.25f * losses[0], $"The training loss went from {losses[0]} to {losses[^1]}.");
        Assert.True(result.TestAccuracy >= 0.95f, $"Held-out accuracy {result.TestAccuracy} is below 0.95.");
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
        Assert.True(result.AllocatedBytes < result.FullLogitsBytes / 4, $"The chunked loss allocated {result.AllocatedBytes} bytes.");
        Assert.Equal(result.CheckUnchunkedLoss, result.CheckChunkedLoss, 1e-5 * Math.Abs(result.CheckUnchunkedLoss));
        Assert.Equal(result.Loss, result.CheckChunkedLoss);
        Assert.InRange(result.HiddenGradientError, 0, 1e-5);
        Assert.InRange(result.ClassifierGradientError, 0, 1e-5);
    }
}
