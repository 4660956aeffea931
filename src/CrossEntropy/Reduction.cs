namespace CrossEntropy;

/// <summary>How a loss over a batch is reduced to one value (PyTorch's <c>reduction</c>).</summary>
/// <remarks>Per-element or per-row losses (PyTorch's <c>reduction='none'</c>) are the overloads that take a <c>losses</c> output.</remarks>
public enum Reduction
{
    /// <summary>The weighted mean: the sum of the losses divided by the sum of the weights that apply (the number of losses when there are none).</summary>
    Mean,

    /// <summary>The sum of the losses.</summary>
    Sum,
}
