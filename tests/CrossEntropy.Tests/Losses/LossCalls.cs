using System;
using System.Numerics;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// The arguments of a <see cref="CategoricalCrossEntropy"/> call, dispatched to the overload for logits or probabilities
/// and for integer labels or (when <see cref="Soft"/>) soft targets.
/// </summary>
internal readonly ref struct CategoricalCall<T>
    where T : IFloatingPointIeee754<T>
{
    public required bool FromLogits { get; init; }

    public required ReadOnlySpan<T> Input { get; init; }

    public required int Classes { get; init; }

    public bool Soft { get; init; }

    public ReadOnlySpan<int> Labels { get; init; }

    public ReadOnlySpan<T> Targets { get; init; }

    public ReadOnlySpan<T> Weights { get; init; }

    public int IgnoreIndex { get; init; }

    public double Smoothing { get; init; }

    public T Loss(Reduction reduction) => (FromLogits, Soft) switch
    {
        (true, false) => CategoricalCrossEntropy.FromLogits(Input, Labels, Classes, reduction, Weights, IgnoreIndex, Smoothing),
        (true, true) => CategoricalCrossEntropy.FromLogits(Input, Targets, Classes, reduction, Weights, Smoothing),
        (false, false) => CategoricalCrossEntropy.FromProbabilities(Input, Labels, Classes, reduction, Weights, IgnoreIndex, Smoothing),
        (false, true) => CategoricalCrossEntropy.FromProbabilities(Input, Targets, Classes, reduction, Weights, Smoothing),
    };

    public void Losses(Span<T> losses)
    {
        switch (FromLogits, Soft)
        {
            case (true, false):
                CategoricalCrossEntropy.FromLogits(Input, Labels, losses, Classes, Weights, IgnoreIndex, Smoothing);
                break;
            case (true, true):
                CategoricalCrossEntropy.FromLogits(Input, Targets, losses, Classes, Weights, Smoothing);
                break;
            case (false, false):
                CategoricalCrossEntropy.FromProbabilities(Input, Labels, losses, Classes, Weights, IgnoreIndex, Smoothing);
                break;
            case (false, true):
                CategoricalCrossEntropy.FromProbabilities(Input, Targets, losses, Classes, Weights, Smoothing);
                break;
        }
    }

    public T WithGradient(Span<T> gradient, Reduction reduction) => (FromLogits, Soft) switch
    {
        (true, false) => CategoricalCrossEntropy.FromLogitsWithGradient(Input, Labels, gradient, Classes, reduction, Weights, IgnoreIndex, Smoothing),
        (true, true) => CategoricalCrossEntropy.FromLogitsWithGradient(Input, Targets, gradient, Classes, reduction, Weights, Smoothing),
        (false, false) => CategoricalCrossEntropy.FromProbabilitiesWithGradient(Input, Labels, gradient, Classes, reduction, Weights, IgnoreIndex, Smoothing),
        (false, true) => CategoricalCrossEntropy.FromProbabilitiesWithGradient(Input, Targets, gradient, Classes, reduction, Weights, Smoothing),
    };

    public string Describe() =>
        $"{(FromLogits ? "logits" : "probabilities")}, {(Soft ? "targets" : $"labels (ignoreIndex {IgnoreIndex})")}, " +
        $"classes {Classes}, rows {Input.Length / Classes}, {(Weights.IsEmpty ? "no weights" : "class weights")}, smoothing {Smoothing}";
}

/// <summary>The arguments of a <see cref="BinaryCrossEntropy"/> call, dispatched to the overload for logits or probabilities.</summary>
internal readonly ref struct BinaryCall<T>
    where T : IFloatingPointIeee754<T>
{
    public required bool FromLogits { get; init; }

    public required ReadOnlySpan<T> Input { get; init; }

    public required ReadOnlySpan<T> Targets { get; init; }

    public ReadOnlySpan<T> Weights { get; init; }

    /// <summary>Only for logits; probabilities have no positive weights.</summary>
    public ReadOnlySpan<T> PositiveWeights { get; init; }

    public double Smoothing { get; init; }

    public T Loss(Reduction reduction) => FromLogits
        ? BinaryCrossEntropy.FromLogits(Input, Targets, reduction, Weights, PositiveWeights, Smoothing)
        : BinaryCrossEntropy.FromProbabilities(Input, Targets, reduction, Weights, Smoothing);

    public void Losses(Span<T> losses)
    {
        if (FromLogits)
        {
            BinaryCrossEntropy.FromLogits(Input, Targets, losses, Weights, PositiveWeights, Smoothing);
        }
        else
        {
            BinaryCrossEntropy.FromProbabilities(Input, Targets, losses, Weights, Smoothing);
        }
    }

    public T WithGradient(Span<T> gradient, Reduction reduction) => FromLogits
        ? BinaryCrossEntropy.FromLogitsWithGradient(Input, Targets, gradient, reduction, Weights, PositiveWeights, Smoothing)
        : BinaryCrossEntropy.FromProbabilitiesWithGradient(Input, Targets, gradient, reduction, Weights, Smoothing);

    public string Describe() =>
        $"{(FromLogits ? "logits" : "probabilities")}, length {Input.Length}, weights {Weights.Length}, positive weights {PositiveWeights.Length}, smoothing {Smoothing}";
}
