using System;
using System.Globalization;
using IrisTraining;

// Trains a softmax-regression classifier on Fisher's Iris data and prints its progress.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
IrisDataSet data = IrisDataSet.Load(IrisDataSet.DefaultPath);
TrainingResult result = IrisTrainer.Train(data);

Console.WriteLine($"Iris: {data.Rows} flowers, {data.Species.Count} species; {result.TrainingRows} for training, {result.TestRows} held out (stratified)");
Console.WriteLine("epoch  training loss  test accuracy");
foreach (EpochResult epoch in result.Epochs)
{
    if (epoch.Epoch == 1 || epoch.Epoch % 10 == 0 || epoch.Epoch == result.Epochs.Count)
    {
        Console.WriteLine($"{epoch.Epoch,5}  {epoch.TrainingLoss,13:F4}  {epoch.TestAccuracy,12:P1}");
    }
}

Console.WriteLine($"held-out accuracy: {result.TestAccuracy:P1} ({result.TestCorrect} of {result.TestRows})");

float[] flower = [6.1f, 2.8f, 4.7f, 1.2f];
float[] probabilities = new float[data.Species.Count];
result.Classifier.Predict(flower, probabilities);
Console.Write($"a flower measuring {string.Join(", ", flower)} cm:");
for (int c = 0; c < probabilities.Length; c++)
{
    Console.Write($" {data.Species[c]} {probabilities[c]:F3}");
}

Console.WriteLine();
