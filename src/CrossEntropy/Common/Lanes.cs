using System.Runtime.CompilerServices;

// Stack buffers such as these are written before they are read; zeroing them on every call costs more than short rows take.
[module: SkipLocalsInit]

namespace CrossEntropy;

/// <summary>Sixteen values on the stack: room for the lanes of one block.</summary>
[InlineArray(Length)]
internal struct Lanes<T>
{
    public const int Length = 16;

    private T _element0;
}

/// <summary>Sixteen blocks on the stack: one per class of a row of one block.</summary>
[InlineArray(Lanes<float>.Length)]
internal struct LaneBlocks<TBlock>
{
    private TBlock _element0;
}

/// <summary>
/// Blocks on the stack for the classes of a run of blocks of positions of the inner layout, block by block: every class of a
/// block lies in consecutive slots, so that a pass over them reads the L1 cache whatever the classes' stride in memory.
/// </summary>
[InlineArray(Length)]
internal struct StagedBlocks<TBlock>
{
    public const int Length = 512;

    private TBlock _element0;
}
