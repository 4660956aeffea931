using System.Runtime.CompilerServices;

namespace CrossEntropy;

/// <summary>Sixteen values on the stack: room for the lanes of one block.</summary>
[InlineArray(Length)]
internal struct Lanes<T>
{
    public const int Length = 16;

    private T _element0;
}
