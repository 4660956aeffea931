using System;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using System.Threading;

namespace CrossEntropy;

/// <summary>The hardware paths a kernel can run on, by vector width in bits.</summary>
internal enum VectorWidth
{
    Scalar = 0,
    Vector128 = 128,
    Vector256 = 256,
    Vector512 = 512,
}

/// <summary>
/// A computation over a batch of work items (rows, or groups of <see cref="Simd.GroupSize"/> elements), run on the block
/// type of the chosen hardware path over any contiguous range of items. Items are independent; a loss kernel returns the
/// sum of its items' losses, other kernels return 0.
/// </summary>
internal interface IKernel
{
    double Run<TBlock, T>(int start, int end)
        where TBlock : struct, IBlock<TBlock, T>
        where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>Chooses the hardware path, and lets tests cap it per thread to exercise every path on one machine.</summary>
internal static class Simd
{
    [ThreadStatic]
    private static VectorWidth? t_limit;

    /// <summary>How many <see cref="Limit"/> scopes are open on any thread: while none is, no call reads the thread's cap.</summary>
    private static int s_limits;

    /// <summary>
    /// Whether the hardware rounds a * b + c once (x86 FMA, Arm64). Where it does not (x86 before FMA, or the runtime's AVX2
    /// switch off), every path computes the product and the sum with two roundings instead of emulating the fused operation
    /// in software, at the cost of the results' bits matching those of machines that have it.
    /// </summary>
    public static readonly bool FusedMultiplyAdd = Fma.IsSupported || AdvSimd.IsSupported;

    /// <summary>The widest path this hardware accelerates.</summary>
    public static VectorWidth Hardware =>
        Vector512.IsHardwareAccelerated ? VectorWidth.Vector512 :
        Vector256.IsHardwareAccelerated ? VectorWidth.Vector256 :
        Vector128.IsHardwareAccelerated ? VectorWidth.Vector128 :
        VectorWidth.Scalar;

    /// <summary>The path kernels take on this thread: the hardware's, unless a test capped it lower.</summary>
    public static VectorWidth Current => Volatile.Read(ref s_limits) == 0 ? Hardware : Limited;

    private static VectorWidth Limited => t_limit is { } limit && limit < Hardware ? limit : Hardware;

    /// <summary>Caps the path on this thread until the returned scope is disposed (tests only).</summary>
    public static LimitScope Limit(VectorWidth width)
    {
        VectorWidth? previous = t_limit;
        t_limit = width;
        Interlocked.Increment(ref s_limits);
        return new LimitScope(previous);
    }

    /// <summary>
    /// The elements of one item of an element-wise kernel: a whole number of blocks for both float and double, so that no
    /// split between items depends on the element type's block.
    /// </summary>
    public const int GroupSize = 64;

    /// <summary>The number of element groups of <see cref="GroupSize"/> covering <paramref name="length"/> elements.</summary>
    public static int Groups(int length) => (int)(((uint)length + GroupSize - 1) / GroupSize);

    /// <summary>
    /// The first element of <paramref name="group"/> among <paramref name="length"/> elements; <paramref name="length"/> for
    /// the end of the last group, which may hold fewer than <see cref="GroupSize"/>.
    /// </summary>
    public static int GroupStart(int group, int length) => (int)Math.Min((long)group * GroupSize, length);

    /// <summary>
    /// The part of an optional span that a kernel's range of items covers: <paramref name="length"/> elements from
    /// <paramref name="start"/> on, or the span itself where it is empty.
    /// </summary>
    public static ReadOnlySpan<TValue> Part<TValue>(ReadOnlySpan<TValue> values, int start, int length) =>
        values.IsEmpty ? values : values.Slice(start, length);

    /// <inheritdoc cref="Part{TValue}(ReadOnlySpan{TValue}, int, int)"/>
    public static Span<TValue> Part<TValue>(Span<TValue> values, int start, int length) =>
        values.IsEmpty ? values : values.Slice(start, length);

    /// <summary>
    /// Runs <paramref name="kernel"/> over <paramref name="items"/> items of <paramref name="itemLength"/> elements on the path
    /// for <see cref="Current"/>, computing in double for <typeparamref name="TMemory"/> = double and in float for float and
    /// Half (other types compute in double), spread over threads by <see cref="Parallelism"/> unless <paramref name="inOrder"/>
    /// (see <see cref="Parallelism.Run"/>); a single item, which is one chunk on the calling thread whatever the settings, runs
    /// directly. Returns the sum of the kernel's results.
    /// </summary>
    public static double Run<TKernel, TMemory>(ref TKernel kernel, int items, int itemLength, bool inOrder = false)
        where TKernel : IKernel, allows ref struct
    {
        VectorWidth width = Current;
        bool inFloat = typeof(TMemory) == typeof(float) || typeof(TMemory) == typeof(Half);

        // One item is one chunk on the calling thread whatever the settings: run it without the parallel machinery's cost.
        if (items == 1)
        {
            return inFloat ? Run<TKernel, float>(ref kernel, width, 0, 1) : Run<TKernel, double>(ref kernel, width, 0, 1);
        }

        return inFloat
            ? Parallelism.Run<TKernel, float>(ref kernel, width, items, itemLength, inOrder)
            : Parallelism.Run<TKernel, double>(ref kernel, width, items, itemLength, inOrder);
    }

    /// <summary>
    /// Runs <paramref name="kernel"/> over items <paramref name="start"/> to <paramref name="end"/> on the path for <paramref name="width"/>.
    /// Block512 and Block256 always fuse multiply-adds: their paths run only where the hardware has FMA, as every x86 processor
    /// that accelerates Vector256 does (the runtime's AVX2 switch turns both off).
    /// </summary>
    public static double Run<TKernel, T>(ref TKernel kernel, VectorWidth width, int start, int end)
        where TKernel : IKernel, allows ref struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Debug.Assert(width < VectorWidth.Vector256 || FusedMultiplyAdd, "The Vector256 and Vector512 paths need FMA hardware.");
        return width switch
        {
            VectorWidth.Vector512 => kernel.Run<Block512<T>, T>(start, end),
            VectorWidth.Vector256 => kernel.Run<Block256<T>, T>(start, end),
            VectorWidth.Vector128 => kernel.Run<Block128<T>, T>(start, end),
            _ => kernel.Run<BlockScalar<T>, T>(start, end),
        };
    }

    public readonly struct LimitScope(VectorWidth? previous) : IDisposable
    {
        public void Dispose()
        {
            t_limit = previous;
            Interlocked.Decrement(ref s_limits);
        }
    }
}
