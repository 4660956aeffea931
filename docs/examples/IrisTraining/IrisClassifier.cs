using System;
using CrossEntropy;

namespace IrisTraining;

/// <summary>
/// Softmax regression on standardized measurements: <c>logits = W z + b</c> with <c>z = (x - mean) / standard deviation</c>,
/// and class probabilities <c>softmax(logits)</c>.
/// </summary>
public sealed class IrisClassifier
{
    private readonly float[] _mean;
    private readonly float[] _standardDeviation;
    private readonly float[] _weights;
    private readonly float[] _bias;

    /// <summary>Creates a classifier with zero weights that standardizes each measurement with the given statistics.</summary>
    /// <param name="mean">The mean of each measurement over the training set.</param>
    /// <param name="standardDeviation">The standard deviation of each measurement over the training set.</param>
    /// <param name="classes">The number of species.</param>
    public IrisClassifier(float[] mean, float[] standardDeviation, int classes)
    {
        _mean = mean;
        _standardDeviation = standardDeviation;
        _weights = new float[classes * IrisDataSet.FeatureCount];
        _bias = new float[classes];
    }

    /// <summary>The number of species.</summary>
    public int Classes => _bias.Length;

    /// <summary>Standardizes rows of measurements: each value minus its mean, divided by its standard deviation.</summary>
    /// <param name="measurements">Rows of <see cref="IrisDataSet.FeatureCount"/> measurements.</param>
    /// <param name="destination">Receives the standardized values.</param>
    public void Standardize(ReadOnlySpan<float> measurements, Span<float> destination)
    {
        for (int i = 0; i < measurements.Length; i++)
        {
            int f = i % IrisDataSet.FeatureCount;
            destination[i] = (measurements[i] - _mean[f]) / _standardDeviation[f];
        }
    }

    /// <summary>Computes the logits of rows of standardized features.</summary>
    /// <param name="features">Rows of <see cref="IrisDataSet.FeatureCount"/> standardized features.</param>
    /// <param name="logits">Receives <see cref="Classes"/> logits per row.</param>
    public void Logits(ReadOnlySpan<float> features, Span<float> logits)
    {
        int rows = features.Length / IrisDataSet.FeatureCount;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> z = features.Slice(r * IrisDataSet.FeatureCount, IrisDataSet.FeatureCount);
            for (int c = 0; c < Classes; c++)
            {
                float sum = _bias[c];
                for (int f = 0; f < z.Length; f++)
                {
                    sum += _weights[c * IrisDataSet.FeatureCount + f] * z[f];
                }

                logits[r * Classes + c] = sum;
            }
        }
    }

    /// <summary>Takes one gradient-descent step, given the gradient of the loss with respect to the logits of a batch.</summary>
    /// <param name="features">The batch's rows of standardized features.</param>
    /// <param name="logitGradient">d(loss)/d(logits), <see cref="Classes"/> values per row.</param>
    /// <param name="learningRate">The step size.</param>
    /// <remarks>Since <c>logits = W z + b</c>, <c>d(loss)/dW[c, f] = sum_rows g[c] z[f]</c> and <c>d(loss)/db[c] = sum_rows g[c]</c>.</remarks>
    public void Step(ReadOnlySpan<float> features, ReadOnlySpan<float> logitGradient, float learningRate)
    {
        int rows = features.Length / IrisDataSet.FeatureCount;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> z = features.Slice(r * IrisDataSet.FeatureCount, IrisDataSet.FeatureCount);
            for (int c = 0; c < Classes; c++)
            {
                float g = logitGradient[r * Classes + c];
                _bias[c] -= learningRate * g;
                for (int f = 0; f < z.Length; f++)
                {
                    _weights[c * IrisDataSet.FeatureCount + f] -= learningRate * g * z[f];
                }
            }
        }
    }

    /// <summary>Computes the probability of each species for one flower.</summary>
    /// <param name="measurements">The flower's <see cref="IrisDataSet.FeatureCount"/> measurements in centimetres.</param>
    /// <param name="probabilities">Receives <see cref="Classes"/> probabilities that sum to 1.</param>
    public void Predict(ReadOnlySpan<float> measurements, Span<float> probabilities)
    {
        Span<float> z = stackalloc float[IrisDataSet.FeatureCount];
        Standardize(measurements, z);
        Logits(z, probabilities);
        Activations.Softmax<float>(probabilities[..Classes], probabilities);
    }
}
