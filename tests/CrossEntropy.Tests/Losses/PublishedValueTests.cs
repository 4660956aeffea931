using System;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// Values printed in the documentation or asserted in the test suites of TensorFlow and Keras, for inputs where their
/// semantics and ours agree. Where they differ (Keras clips probabilities to [1e-7, 1 - 1e-7], renormalises probability
/// rows, and its "sum_over_batch_size" divides by the number of rows rather than by the summed weights), the mapping is
/// stated in each test. Each check runs on every SIMD width. The tolerance is half a unit in the last printed digit
/// (a truncated "66.6666" gets a whole unit), or 2e-7 relative for values printed from a float32 evaluation (about two
/// float ulps), and never below the loss tolerance of T.
/// </summary>
public abstract class PublishedValueTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// TensorFlow documentation, tf.nn.softmax_cross_entropy_with_logits (https://www.tensorflow.org/api_docs/python/tf/nn/softmax_cross_entropy_with_logits):
    /// logits [[4, 2, 1], [0, 5, 1]], labels [[1, 0, 0], [0, 0.8, 0.2]] give [0.16984604, 0.82474494].
    /// </summary>
    [Fact]
    public void TensorFlowSoftmaxCrossEntropyWithLogits()
    {
        T[] logits = Values(4, 2, 1, 0, 5, 1);
        T[] targets = Values(1, 0, 0, 0, 0.8, 0.2);
        ForEachWidth(() =>
        {
            T[] losses = new T[2];
            CategoricalCrossEntropy.FromLogits<T>(logits, targets, losses, 3);
            Published(0.16984604, losses[0], Float32(0.16984604));
            Published(0.82474494, losses[1], Float32(0.82474494));
        });
    }

    /// <summary>
    /// TensorFlow documentation, tf.nn.sparse_softmax_cross_entropy_with_logits (https://www.tensorflow.org/api_docs/python/tf/nn/sparse_softmax_cross_entropy_with_logits):
    /// logits [[2, -5, .5, -.1], [0, 0, 1.9, 1.4], [-100, 100, -100, -100]], labels [0, 3, 1] give [0.29750752, 1.1448325, 0].
    /// </summary>
    [Fact]
    public void TensorFlowSparseSoftmaxCrossEntropyWithLogits()
    {
        T[] logits = Values(2, -5, 0.5, -0.1, 0, 0, 1.9, 1.4, -100, 100, -100, -100);
        ForEachWidth(() =>
        {
            T[] losses = new T[3];
            CategoricalCrossEntropy.FromLogits<T>(logits, [0, 3, 1], losses, 4);
            Published(0.29750752, losses[0], Float32(0.29750752));
            Published(1.1448325, losses[1], Float32(1.1448325));
            Published(0, losses[2], Float32(1));
        });
    }

    /// <summary>
    /// TensorFlow documentation, tf.nn.sigmoid_cross_entropy_with_logits (https://www.tensorflow.org/api_docs/python/tf/nn/sigmoid_cross_entropy_with_logits):
    /// logits [1, -1, 0, 1, -1, 0, 0], labels [0, 0, 0, 1, 1, 1, 0.5] give
    /// [1.3132617, 0.3132617, 0.6931472, 0.3132617, 1.3132617, 0.6931472, 0.6931472].
    /// </summary>
    [Fact]
    public void TensorFlowSigmoidCrossEntropyWithLogits()
    {
        T[] logits = Values(1, -1, 0, 1, -1, 0, 0);
        T[] targets = Values(0, 0, 0, 1, 1, 1, 0.5);
        double[] published = [1.3132617, 0.3132617, 0.6931472, 0.3132617, 1.3132617, 0.6931472, 0.6931472];
        ForEachWidth(() =>
        {
            T[] losses = new T[7];
            BinaryCrossEntropy.FromLogits<T>(logits, targets, losses);
            for (int i = 0; i < published.Length; i++)
            {
                Published(published[i], losses[i], Float32(published[i]));
            }
        });
    }

    /// <summary>
    /// TensorFlow documentation, tf.nn.weighted_cross_entropy_with_logits (https://www.tensorflow.org/api_docs/python/tf/nn/weighted_cross_entropy_with_logits):
    /// labels [1, 0.5, 0], logits [1.5, -0.1, -10] with pos_weight 1.5 give [3.0211994e-01, 8.8049585e-01, 4.5776367e-05], and with
    /// pos_weight 0.5 [1.00706644e-01, 5.08297503e-01, 4.57763672e-05]: PyTorch's pos_weight. The third value printed there is off
    /// by 0.8% (a float32 evaluation of log(1 + e^-10)); the exact value, log1p(e^-10) = 4.5398899e-05, is checked instead.
    /// </summary>
    [Theory]
    [InlineData(1.5, 3.0211994e-01, 8.8049585e-01)]
    [InlineData(0.5, 1.00706644e-01, 5.08297503e-01)]
    public void TensorFlowWeightedCrossEntropyWithLogits(double positiveWeight, double first, double second)
    {
        T[] logits = Values(1.5, -0.1, -10);
        T[] targets = Values(1, 0.5, 0);
        T[] positiveWeights = Values(positiveWeight);
        ForEachWidth(() =>
        {
            T[] losses = new T[3];
            BinaryCrossEntropy.FromLogits<T>(logits, targets, losses, default, positiveWeights);
            Published(first, losses[0], Float32(first));
            Published(second, losses[1], Float32(second));
            Published(4.5398899e-05, losses[2], 5e-13);
        });
    }

    /// <summary>
    /// Keras documentation, tf.keras.losses.BinaryCrossentropy (TensorFlow 2.3 to 2.15, https://www.tensorflow.org/api_docs/python/tf/keras/losses/BinaryCrossentropy):
    /// y_true [[0, 1], [0, 0]], y_pred [[0.6, 0.4], [0.4, 0.6]] give 0.815 (mean), 0.458 with sample_weight [1, 0], 1.630 with
    /// reduction SUM, [0.916, 0.714] with NONE. Keras averages each row first: its per-row values are the means of our
    /// per-element losses, its SUM is our Sum divided by the 2 columns, and sample weights per row are our per-element
    /// weights [1, 1, 0, 0]. Its 1e-7 clip does not reach these probabilities.
    /// </summary>
    [Fact]
    public void KerasBinaryCrossentropyFromProbabilities()
    {
        T[] p = Values(0.6, 0.4, 0.4, 0.6);
        T[] y = Values(0, 1, 0, 0);
        ForEachWidth(() =>
        {
            Published(0.815, BinaryCrossEntropy.FromProbabilities<T>(p, y), 5e-4);
            Published(0.458, BinaryCrossEntropy.FromProbabilities<T>(p, y, Reduction.Mean, Values(1, 1, 0, 0)), 5e-4);
            Published(1.630, Half(BinaryCrossEntropy.FromProbabilities<T>(p, y, Reduction.Sum)), 5e-4);
            T[] losses = new T[4];
            BinaryCrossEntropy.FromProbabilities<T>(p, y, losses);
            Published(0.916, RowMean(losses, 0, 2), 5e-4);
            Published(0.714, RowMean(losses, 2, 2), 5e-4);
        });
    }

    /// <summary>
    /// Keras documentation, keras.losses.BinaryCrossentropy(from_logits=True) (https://keras.io/api/losses/probabilistic_losses/):
    /// y_true [0, 1, 0, 0], y_pred [-18.6, 0.51, 2.94, -12.8] give 0.865.
    /// </summary>
    [Fact]
    public void KerasBinaryCrossentropyFromLogits()
    {
        T[] logits = Values(-18.6, 0.51, 2.94, -12.8);
        T[] y = Values(0, 1, 0, 0);
        ForEachWidth(() => Published(0.865, BinaryCrossEntropy.FromLogits<T>(logits, y), 5e-4));
    }

    /// <summary>
    /// Keras documentation, keras.ops.binary_crossentropy (https://keras.io/api/ops/nn/#binary_crossentropy-function):
    /// target [0, 1, 1, 0], output [0.1, 0.9, 0.8, 0.2] give [0.10536054, 0.10536054, 0.22314355, 0.22314355] (float32 printed; the
    /// inputs are rounded to float32 there, hence a tolerance of 1e-6 relative).
    /// </summary>
    [Fact]
    public void KerasOpsBinaryCrossentropy()
    {
        T[] p = Values(0.1, 0.9, 0.8, 0.2);
        T[] y = Values(0, 1, 1, 0);
        double[] published = [0.10536054, 0.10536054, 0.22314355, 0.22314355];
        ForEachWidth(() =>
        {
            T[] losses = new T[4];
            BinaryCrossEntropy.FromProbabilities<T>(p, y, losses);
            for (int i = 0; i < published.Length; i++)
            {
                Published(published[i], losses[i], 1e-6 * published[i]);
            }
        });
    }

    /// <summary>
    /// Keras test suite, keras/losses_test.py (keras-team/keras), BinaryCrossentropyTest: y_true [[1, 0, 1], [0, 1, 1]], logits
    /// [[100, -100, 100], [100, 100, -100]] give 33.333 (test_unweighted), 76.667 with sample_weight 2.3 (test_scalar_weighted,
    /// our weights [2.3]), 100 with sample_weight [4, 3] per row (test_sample_weighted, our weights [4, 4, 4, 3, 3, 3]), per-row
    /// means (0, 66.6666) (test_no_reduction); logits [[100, -100, -100]], y_true [[1, 0, 1]] with label_smoothing 0.1 give
    /// (100 + 50 * 0.1) / 3 (test_label_smoothing).
    /// </summary>
    [Fact]
    public void KerasBinaryCrossentropyTestSuite()
    {
        T[] logits = Values(100, -100, 100, 100, 100, -100);
        T[] y = Values(1, 0, 1, 0, 1, 1);
        ForEachWidth(() =>
        {
            Published(33.333, BinaryCrossEntropy.FromLogits<T>(logits, y), 5e-4);
            Published(76.667, BinaryCrossEntropy.FromLogits<T>(logits, y, Reduction.Mean, Values(2.3)), 5e-4);
            Published(100, BinaryCrossEntropy.FromLogits<T>(logits, y, Reduction.Mean, Values(4, 4, 4, 3, 3, 3)), 5e-4);
            T[] losses = new T[6];
            BinaryCrossEntropy.FromLogits<T>(logits, y, losses);
            Published(0, RowMean(losses, 0, 3), 1e-4);
            Published(66.6666, RowMean(losses, 3, 3), 1e-4);
            Published((100 + 50 * 0.1) / 3, BinaryCrossEntropy.FromLogits<T>(Values(100, -100, -100), Values(1, 0, 1), Reduction.Mean, default, default, 0.1), 5e-4);
        });
    }

    /// <summary>
    /// Keras test suite, keras/losses_test.py, CategoricalCrossentropyTest and SparseCategoricalCrossentropyTest with logits
    /// [[8, 1, 1], [0, 9, 1], [2, 3, 5]] and labels [0, 1, 2]: 0.0573 (test_unweighted), per row (0.001822, 0.000459, 0.169846)
    /// (test_no_reduction), 0.31829 with sample_weight [1.2, 3.4, 5.6] (test_sample_weighted). Keras divides the weighted sum
    /// by the 3 rows; with one label per class its sample weights are our class weights, so 0.31829 is our Sum / 3.
    /// </summary>
    [Fact]
    public void KerasCategoricalCrossentropyTestSuite()
    {
        T[] logits = Values(8, 1, 1, 0, 9, 1, 2, 3, 5);
        T[] oneHot = Values(1, 0, 0, 0, 1, 0, 0, 0, 1);
        int[] labels = [0, 1, 2];
        ForEachWidth(() =>
        {
            Published(0.0573, CategoricalCrossEntropy.FromLogits<T>(logits, labels, 3), 5e-4);
            Published(0.0573, CategoricalCrossEntropy.FromLogits<T>(logits, oneHot, 3), 5e-4);
            T[] losses = new T[3];
            CategoricalCrossEntropy.FromLogits<T>(logits, labels, losses, 3);
            Published(0.001822, losses[0], 5e-7);
            Published(0.000459, losses[1], 5e-7);
            Published(0.169846, losses[2], 5e-7);
            Published(0.31829, double.CreateTruncating(CategoricalCrossEntropy.FromLogits<T>(logits, labels, 3, Reduction.Sum, Values(1.2, 3.4, 5.6))) / 3, 5e-6);
        });
    }

    /// <summary>
    /// Keras test suite, keras/losses_test.py, SparseCategoricalCrossentropyTest with ignore_class=-1: a fourth row [7.8, 2, 1]
    /// labelled -1 leaves 0.0573 (test_unweighted_ignore_class; our Mean divides by the 3 rows left) and 0.31829 with sample
    /// weights [1.2, 3.4, 5.6, 10.4] (test_sample_weighted_ignore_class; Keras divides by the 3 rows left: our Sum / 3).
    /// </summary>
    [Fact]
    public void KerasSparseCategoricalCrossentropyIgnoreClass()
    {
        T[] logits = Values(8, 1, 1, 0, 9, 1, 2, 3, 5, 7.8, 2, 1);
        int[] labels = [0, 1, 2, -1];
        ForEachWidth(() =>
        {
            Published(0.0573, CategoricalCrossEntropy.FromLogits<T>(logits, labels, 3, Reduction.Mean, default, -1), 5e-4);
            T sum = CategoricalCrossEntropy.FromLogits<T>(logits, labels, 3, Reduction.Sum, Values(1.2, 3.4, 5.6), -1);
            Published(0.31829, double.CreateTruncating(sum) / 3, 5e-6);
        });
    }

    /// <summary>
    /// Keras test suite, keras/losses_test.py, SparseCategoricalCrossentropyTest.test_unweighted_ignore_class_for_segmentation:
    /// 12 pixels of 3 probabilities, labels [[[0, 2], [-1, -1]], [[0, 2], [-1, -1]], [[0, 0], [0, 0]]] with ignore_class -1 give
    /// 0.575646375 (= (ln 2 + ln 10 + ln 5) / 8). Every row sums to 1 and the zero probabilities have zero targets, so Keras's
    /// renormalisation and clip change nothing.
    /// </summary>
    [Fact]
    public void KerasSparseCategoricalCrossentropySegmentation()
    {
        T[] p = Values(
            1, 0, 0, 0, 0, 1, 0.2, 0.5, 0.3, 0, 1, 0,
            1, 0, 0, 0, 0.5, 0.5, 0.2, 0.5, 0.3, 0, 1, 0,
            1, 0, 0, 1, 0, 0, 0.1, 0.9, 0, 0.2, 0.8, 0);
        int[] labels = [0, 2, -1, -1, 0, 2, -1, -1, 0, 0, 0, 0];
        ForEachWidth(() => Published(0.575646375, CategoricalCrossEntropy.FromProbabilities<T>(p, labels, 3, Reduction.Mean, default, -1), 1e-6));
    }

    /// <summary>
    /// Keras test suite, keras/losses_test.py, KerasLossesTest.test_categorical_crossentropy_loss_with_unknown_rank_tensor (also
    /// the sparse variant): probabilities [[0.9, 0.05, 0.05], [0.05, 0.89, 0.06], [0.05, 0.01, 0.94]] (rows summing to 1) give
    /// [0.105, 0.116, 0.062]; logits [[8, 1, 1], [0, 9, 1], [2, 3, 5]] give [0.002, 0, 0.17]; both checked there to 1e-3.
    /// </summary>
    [Fact]
    public void KerasCategoricalCrossentropyPerRow()
    {
        T[] p = Values(0.9, 0.05, 0.05, 0.05, 0.89, 0.06, 0.05, 0.01, 0.94);
        T[] logits = Values(8, 1, 1, 0, 9, 1, 2, 3, 5);
        T[] oneHot = Values(1, 0, 0, 0, 1, 0, 0, 0, 1);
        ForEachWidth(() =>
        {
            T[] losses = new T[3];
            CategoricalCrossEntropy.FromProbabilities<T>(p, oneHot, losses, 3);
            Published(0.105, losses[0], 1e-3);
            Published(0.116, losses[1], 1e-3);
            Published(0.062, losses[2], 1e-3);
            CategoricalCrossEntropy.FromLogits<T>(logits, [0, 1, 2], losses, 3);
            Published(0.002, losses[0], 1e-3);
            Published(0, losses[1], 1e-3);
            Published(0.17, losses[2], 1e-3);
        });
    }

    /// <summary>
    /// Keras test suite, keras/losses_test.py, CategoricalCrossentropyTest.test_label_smoothing: logits [[100, -100, -100]], label 0,
    /// label_smoothing 0.1 give 400 * 0.1 / 3 (Keras smooths one-hot targets to (1 - s) y + s / C, as PyTorch).
    /// </summary>
    [Fact]
    public void KerasCategoricalCrossentropyLabelSmoothing()
    {
        T[] logits = Values(100, -100, -100);
        ForEachWidth(() =>
        {
            Published(400 * 0.1 / 3, CategoricalCrossEntropy.FromLogits<T>(logits, [0], 3, Reduction.Mean, default, -100, 0.1), 5e-4);
            Published(400 * 0.1 / 3, CategoricalCrossEntropy.FromLogits<T>(logits, Values(1, 0, 0), 3, Reduction.Mean, default, 0.1), 5e-4);
        });
    }

    private static T[] Values(params double[] values) => TestData.To<T>(values);

    /// <summary>The uncertainty of a value printed from a float32 computation: about two float ulps.</summary>
    private static double Float32(double published) => 2e-7 * Math.Abs(published);

    private static double Half(T value) => double.CreateTruncating(value) / 2;

    private static double RowMean(T[] losses, int start, int count)
    {
        double sum = 0;
        for (int i = start; i < start + count; i++)
        {
            sum += double.CreateTruncating(losses[i]);
        }

        return sum / count;
    }

    private static void Published(double published, T actual, double tolerance) => Published(published, double.CreateTruncating(actual), tolerance);

    /// <summary>Fails unless <paramref name="actual"/> is within the printed precision of <paramref name="published"/> (and at least the loss tolerance of T).</summary>
    private static void Published(double published, double actual, double tolerance)
    {
        double allowed = Math.Max(tolerance, Tolerance<T>.Loss * Math.Abs(published));
        That.Holds(Math.Abs(actual - published) <= allowed, $"published {published:R}, actual {actual:R}, allowed difference {allowed:R}");
    }

    private static void ForEachWidth(Action check)
    {
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                check();
            }
        }
    }
}

public sealed class FloatPublishedValueTests : PublishedValueTests<float>;

public sealed class DoublePublishedValueTests : PublishedValueTests<double>;
