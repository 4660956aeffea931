using System;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// The focal losses and their gradients in double precision, written from their definitions (torchvision's
/// <c>sigmoid_focal_loss</c>; the categorical <c>-w[y] (1 - p_y)^gamma log p_y</c> of Lin et al.), with the derivatives worked
/// out by hand. Nothing here shares code with the library.
/// </summary>
internal static class FocalReference
{
    /// <summary>log sigmoid(x) without overflow.</summary>
    public static double LogSigmoid(double x) => x >= 0 ? -LossReference.Log1P(Math.Exp(-x)) : x - LossReference.Log1P(Math.Exp(x));

    /// <summary>
    /// One element of the binary focal loss, its derivative with respect to the logit, and the magnitude of the derivative's
    /// terms: <c>w a_t ce (1 - p_t)^gamma</c> with <c>a_t = alpha t + (1 - alpha)(1 - t)</c> (1 for a negative alpha).
    /// </summary>
    public static (double Loss, double Gradient, double Magnitude) Binary(double x, double t, double gamma, double alpha, double w)
    {
        // -log sigmoid(x) = softplus(-x): ce = (1 - t) softplus(x) + t softplus(-x), two non-negative terms.
        double ce = (1 - t) * LossReference.Softplus(x) + t * LossReference.Softplus(-x);
        double sigmoid = LossReference.Sigmoid(x);
        double sigmoidNegative = LossReference.Sigmoid(-x);

        // 1 - p_t = (1 - t) sigmoid(x) + t sigmoid(-x); for t = 0 or 1 its log is log sigmoid(x) or log sigmoid(-x).
        double logQ = t == 1 ? LogSigmoid(-x) : t == 0 ? LogSigmoid(x) : Math.Log((1 - t) * sigmoid + t * sigmoidNegative);
        double modulation = gamma == 0 ? 1 : Math.Exp(gamma * logQ);
        double at = alpha >= 0 ? alpha * t + (1 - alpha) * (1 - t) : 1;

        // d ce / dx = sigmoid(x) - t = (1 - t) sigmoid(x) - t sigmoid(-x); d q^gamma / dx = gamma q^(gamma - 1) (1 - 2t) sigmoid(x) sigmoid(-x).
        double dce = (1 - t) * sigmoid - t * sigmoidNegative;
        double dModulation = gamma == 0 ? 0 : gamma * (1 - 2 * t) * Math.Exp((gamma - 1) * logQ + LogSigmoid(x) + LogSigmoid(-x));
        double second = ce * dModulation;
        double terms = ((1 - t) * sigmoid + t * sigmoidNegative) * modulation + Math.Abs(second);
        return (w * at * ce * modulation, w * at * (dce * modulation + second), Math.Abs(w * at) * terms);
    }

    /// <summary>
    /// One row of the categorical focal loss with label <paramref name="label"/> and class weight <paramref name="w"/>:
    /// <c>-w (1 - p_y)^gamma log p_y</c>, its gradient <c>G (one_hot - p)</c> with <c>G = w [gamma q^(gamma - 1) p_y log p_y - q^gamma]</c>,
    /// <c>q = 1 - p_y</c> summed from the other classes' probabilities, and each entry's magnitude (nothing cancels: |entry|).
    /// </summary>
    public static (double Loss, double[] Gradient) Categorical(ReadOnlySpan<double> row, int label, double gamma, double w)
    {
        double[] logP = LossReference.LogSoftmax(row);
        double[] p = LossReference.Softmax(row);
        double q = 0;
        for (int c = 0; c < row.Length; c++)
        {
            q += c == label ? 0 : p[c];
        }

        double py = p[label];
        double modulation = gamma == 0 ? 1 : Math.Pow(q, gamma);

        // gamma q^(gamma - 1) p log p: where q underflows, p log p ~ -q and the term is -gamma q^gamma, 0.
        double focusing = gamma == 0 || q == 0 ? 0 : gamma * Math.Pow(q, gamma - 1) * py * logP[label];
        double g = w * (focusing - modulation);
        double[] gradient = new double[row.Length];
        for (int c = 0; c < row.Length; c++)
        {
            gradient[c] = c == label ? g * q : -g * p[c];
        }

        return (w == 0 ? 0 : -w * modulation * logP[label], gradient);
    }
}
