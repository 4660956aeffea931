using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

public static partial class Activations
{
    /// <summary>Computes the log of the logistic sigmoid of each element of <paramref name="x"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="x">The logits.</param>
    /// <param name="destination">Receives the log-sigmoids; may be <paramref name="x"/> itself.</param>
    /// <remarks>
    /// <para>Effectively computes <c>destination[i] = log(1 / (1 + exp(-x[i])))</c>, as PyTorch's <c>torch.nn.functional.logsigmoid</c>,
    /// evaluated as <c>min(x, 0) - log1p(exp(-|x|))</c>: LogSigmoid(-1000) is -1000, not -infinity.</para>
    /// <para>+infinity gives 0, -infinity gives -infinity, NaN gives NaN.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="x"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> overlaps <paramref name="x"/> without being the same memory.</exception>
    public static void LogSigmoid<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : IFloatingPointIeee754<T>
    {
        ThrowHelper.CheckOutput(x, destination, x.Length, nameof(destination));
        var kernel = new MapKernel<LogSigmoidOperator, T>(x, destination);
        Simd.Run<MapKernel<LogSigmoidOperator, T>, T>(ref kernel, Simd.Groups(x.Length), Simd.GroupSize);
    }

    private readonly struct LogSigmoidOperator : IUnaryBlockOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TBlock Invoke<TBlock, T>(TBlock x, bool belowNormal)
            where TBlock : struct, IBlock<TBlock, T>
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            TBlock zero = BlockMath<TBlock, T>.Zero;
            TBlock z = BlockMath<TBlock, T>.ExpNonPositiveInline(BlockMath<TBlock, T>.NegativeAbs(x), belowNormal, out _);
            return TBlock.Min(x, zero) - BlockMath<TBlock, T>.Log1PUnit(z, BlockMath<TBlock, T>.One / (BlockMath<TBlock, T>.One + z));
        }
    }
}
