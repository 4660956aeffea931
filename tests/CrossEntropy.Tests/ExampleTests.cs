using System.Linq;
using IrisTraining;
using Xunit;

namespace CrossEntropy.Tests;

/// <summary>The Iris example in docs/examples/IrisTraining trains as its README says.</summary>
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
}
