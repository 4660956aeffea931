using System;
using Xunit;

namespace CrossEntropy.Tests;

/// <summary>
/// What a rejected call tells its caller: the parameter, both lengths and what the length should be, in words a user can
/// act on.
/// </summary>
public class ErrorMessageTests
{
    private static void Rejected(Action call, string parameter, params string[] phrases)
    {
        ArgumentException exception = Assert.ThrowsAny<ArgumentException>(call);
        Assert.Equal(parameter, exception.ParamName);
        foreach (string phrase in phrases)
        {
            Assert.Contains(phrase, exception.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ShortOutputsSayHowLongTheyShouldBe()
    {
        float[] x = new float[12];
        Rejected(() => CrossEntropy.Activations.Softmax<float>(x, new float[11], 4), "destination",
            "destination has 11 elements but needs at least 12", "one for each input element (3 rows of 4 classes)");
        Rejected(() => CrossEntropy.Activations.LogSoftmax<float>(x, new float[5], 4), "destination", "5 elements", "at least 12", "3 rows of 4 classes");
        Rejected(() => CrossEntropy.Activations.LogSumExp<float>(x, new float[2], 4), "destination",
            "destination has 2 elements but needs at least 3, one for each row (3 rows of 4 classes)");
        Rejected(() => CrossEntropy.Activations.Sigmoid<float>(x, new float[10]), "destination",
            "destination has 10 elements but needs at least 12, one for each input element.");
        Rejected(() => CrossEntropy.Activations.SoftmaxBackward<float>(x, x, new float[8], 6), "inputGradient", "8 elements", "at least 12", "2 rows of 6 classes");
        Rejected(() => CategoricalCrossEntropy.FromLogits<float>(x, [0, 1, 2], new float[2], 4), "losses",
            "losses has 2 elements but needs at least 3, one for each row (3 rows of 4 classes)");
        Rejected(() => CategoricalCrossEntropy.FromLogitsWithGradient<float>(x, [0, 1, 2], new float[3], 4), "gradient",
            "gradient has 3 elements but needs at least 12", "3 rows of 4 classes");
        Rejected(() => BinaryCrossEntropy.FromLogitsWithGradient<float>(x, new float[12], new float[7]), "gradient",
            "gradient has 7 elements but needs at least 12");
    }

    [Fact]
    public void MismatchedInputsSayWhatTheyShouldMatch()
    {
        float[] x = new float[12];
        Rejected(() => CategoricalCrossEntropy.FromLogits<float>(x, [0, 1], 4), "labels",
            "labels has 2 entries but needs 3, one for each row (3 rows of 4 classes)");
        Rejected(() => BinaryCrossEntropy.FromLogits<float>(x, new float[11]), "targets",
            "targets has 11 elements but needs 12, one for each element of the input");
        Rejected(() => CrossEntropy.Activations.SigmoidBackward<float>(x, new float[13], new float[12]), "outputGradient",
            "outputGradient has 13 elements but needs 12, one for each element of output");
        Rejected(() => CrossEntropy.Activations.Softmax<float>(x, new float[12], 5), "x", "x has 12 elements, which is not a multiple of classes (5)");
    }

    [Fact]
    public void LabelsPassedAsFloatsPointToTheIntegerOverload()
    {
        float[] logits = new float[12];
        float[] labelsAsFloats = [0, 1, 2];
        string[] phrases = ["targets has 3 elements but needs 12", "3 rows of 4 classes", "ReadOnlySpan<int> labels"];
        Rejected(() => CategoricalCrossEntropy.FromLogits<float>(logits, labelsAsFloats, 4), "targets", phrases);
        Rejected(() => CategoricalCrossEntropy.FromLogitsWithGradient<float>(logits, labelsAsFloats, new float[12], 4), "targets", phrases);
        Rejected(() => CategoricalCrossEntropy.FromProbabilities<float>(logits, labelsAsFloats, new float[3], 4), "targets", phrases);
    }
}
