using System;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace CrossEntropy;

/// <summary>The hardware paths a kernel can run on, by vector width in bits.</summary>
internal enum VectorWidth
{
    Scalar = 0,
    Vector128 = 128,
    Vector256 = 256,
    Vector512 = 512,
}

/// <summary>A computation over blocks, run on the block type of the chosen hardware path.</summary>
internal interface IKernel
{
    void Run<TBlock, T>()
        where TBlock : struct, IBlock<TBlock, T>
        where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>Chooses the hardware path, and lets tests cap it per thread to exercise every path on one machine.</summary>
internal static class Simd
{
    [ThreadStatic]
    private static VectorWidth? t_limit;

    /// <summary>The widest path this hardware accelerates.</summary>
    public static VectorWidth Hardware =>
        Vector512.IsHardwareAccelerated ? VectorWidth.Vector512 :
        Vector256.IsHardwareAccelerated ? VectorWidth.Vector256 :
        Vector128.IsHardwareAccelerated ? VectorWidth.Vector128 :
        VectorWidth.Scalar;

    /// <summary>The path kernels take on this thread: the hardware's, unless a test capped it lower.</summary>
    public static VectorWidth Current => t_limit is { } limit && limit < Hardware ? limit : Hardware;

    /// <summary>Caps the path on this thread until the returned scope is disposed (tests only).</summary>
    public static LimitScope Limit(VectorWidth width)
    {
        VectorWidth? previous = t_limit;
        t_limit = width;
        return new LimitScope(previous);
    }

    /// <summary>
    /// Runs <paramref name="kernel"/> on the path for <see cref="Current"/>, computing in double for
    /// <typeparamref name="TMemory"/> = double and in float for float and Half. Other types compute in double.
    /// </summary>
    public static void Run<TKernel, TMemory>(ref TKernel kernel)
        where TKernel : IKernel, allows ref struct
    {
        if (typeof(TMemory) == typeof(float) || typeof(TMemory) == typeof(Half))
        {
            Run<TKernel, float>(ref kernel, Current);
        }
        else
        {
            Run<TKernel, double>(ref kernel, Current);
        }
    }

    private static void Run<TKernel, T>(ref TKernel kernel, VectorWidth width)
        where TKernel : IKernel, allows ref struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (width)
        {
            case VectorWidth.Vector512:
                kernel.Run<Block512<T>, T>();
                break;
            case VectorWidth.Vector256:
                kernel.Run<Block256<T>, T>();
                break;
            case VectorWidth.Vector128:
                kernel.Run<Block128<T>, T>();
                break;
            default:
                kernel.Run<BlockScalar<T>, T>();
                break;
        }
    }

    public readonly struct LimitScope(VectorWidth? previous) : IDisposable
    {
        public void Dispose() => t_limit = previous;
    }
}
