using System;
using CrossEntropy;

// Uses the CrossEntropy package as a consumer does and checks a few results; exits with 1 if any is wrong. Then prints
// the hashes of its results on a fixed corpus (Corpus.cs), which .ci/consumer-check compares across runtimes and machines.
int failures = 0;

float[] probabilities = new float[2];
Activations.Softmax<float>([1000f, 1000f], probabilities);
Check("Softmax([1000, 1000])", probabilities[0] == 0.5f && probabilities[1] == 0.5f, $"[{probabilities[0]}, {probabilities[1]}]");

// cross_entropy([1, 2, 3], label 2) = log(e^1 + e^2 + e^3) - 3 = log(1 + e^-1 + e^-2).
double[] logits = [1, 2, 3];
double expected = Math.Log(1 + Math.Exp(-1) + Math.Exp(-2));
double loss = CategoricalCrossEntropy.FromLogits<double>(logits, [2], classes: 3);
Check("CategoricalCrossEntropy.FromLogits", Math.Abs(loss - expected) <= 1e-15, $"{loss:R}, expected {expected:R}");

// Its gradient is softmax(logits) - one_hot(2).
double[] gradient = new double[3];
double lossWithGradient = CategoricalCrossEntropy.FromLogitsWithGradient<double>(logits, [2], gradient, classes: 3);
double sum = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
bool gradientRight = lossWithGradient == loss
    && Math.Abs(gradient[0] - Math.Exp(1) / sum) <= 1e-15
    && Math.Abs(gradient[1] - Math.Exp(2) / sum) <= 1e-15
    && Math.Abs(gradient[2] - (Math.Exp(3) / sum - 1)) <= 1e-15;
Check("CategoricalCrossEntropy.FromLogitsWithGradient", gradientRight, $"{lossWithGradient:R}, [{string.Join(", ", gradient)}]");

// binary_cross_entropy_with_logits(0, 1) = log(1 + e^0) = log 2.
double binary = BinaryCrossEntropy.FromLogits<double>([0.0], [1.0]);
Check("BinaryCrossEntropy.FromLogits", Math.Abs(binary - Math.Log(2)) <= 1e-15, $"{binary:R}");

float logSumExp = Activations.LogSumExp<float>([-1e4f, -1e4f]);
Check("LogSumExp([-1e4, -1e4])", logSumExp == -1e4f + MathF.Log(2), $"{logSumExp:R}");

Console.WriteLine(failures == 0 ? "CrossEntropy package: all checks passed" : $"CrossEntropy package: {failures} check(s) failed");
Corpus.Print();
return failures == 0 ? 0 : 1;

void Check(string name, bool passed, string actual)
{
    if (!passed)
    {
        failures++;
        Console.Error.WriteLine($"FAILED {name}: {actual}");
    }
}
