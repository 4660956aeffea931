namespace CrossEntropy;

/// <summary>How a loss over a batch is reduced to one value (PyTorch's <c>reduction</c>).</summary>
/// <remarks>Per-element or per-row losses (PyTorch's <c>reduction='none'</c>) are the overloads that take a <c>losses</c> output.</remarks>
public enum Reduction
{
    /// <summary>
    /// The mean, as PyTorch's <c>reduction='mean'</c>: the sum of the losses divided by the summed class weights of the
    /// non-ignored labels (CategoricalCrossEntropy with labels), the number of rows (CategoricalCrossEntropy with soft
    /// targets) or the number of elements (BinaryCrossEntropy).
    /// </summary>
    Mean,

    /// <summary>The sum of the losses.</summary>
    Sum,
}
