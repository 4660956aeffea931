using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

public static partial class Activations
{
    /// <summary>Computes the log of the sum of the exponentials of each pair of elements of <paramref name="x"/> and <paramref name="y"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="x">The first values.</param>
    /// <param name="y">The second values, as many as <paramref name="x"/>.</param>
    /// <param name="destination">Receives the results; may be <paramref name="x"/> or <paramref name="y"/> itself.</param>
    /// <remarks>
    /// <para>Effectively computes <c>destination[i] = log(exp(x[i]) + exp(y[i]))</c>, as PyTorch's <c>torch.logaddexp</c>, evaluated
    /// as <c>max(x, y) + log1p(exp(-|x - y|))</c>: exact for any finite input, however large or far apart. It merges the
    /// log-sum-exp of two parts of a row, such as two chunks of a vocabulary.</para>
    /// <para>NaN in either gives NaN; otherwise +infinity in either gives +infinity, and both -infinity gives -infinity.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="y"/> and <paramref name="x"/> differ in length.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="x"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> overlaps an input without being the same memory.</exception>
    public static void LogAddExp<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
        where T : IFloatingPointIeee754<T>
    {
        ThrowHelper.CheckSameLength(x.Length, y.Length, nameof(y), nameof(x));
        Span<T> written = ThrowHelper.CheckOutput(x, destination, x.Length, nameof(destination));
        ThrowHelper.CheckNoPartialOverlap(y, written, nameof(destination));
        var kernel = new BinaryMapKernel<LogAddExpOperator, T>(x, y, written);
        Simd.Run<BinaryMapKernel<LogAddExpOperator, T>, T>(ref kernel, Simd.Groups(x.Length), Simd.GroupSize);
    }

    /// <summary>
    /// max(x, y) + log1p(exp(-|x - y|)), with -|x - y| taken as 0 where x equals y, so that two equal infinities give that
    /// infinity rather than the NaN of their difference.
    /// </summary>
    private readonly struct LogAddExpOperator : IBinaryBlockOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TBlock Invoke<TBlock, T>(TBlock x, TBlock y)
            where TBlock : struct, IBlock<TBlock, T>
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            TBlock one = BlockMath<TBlock, T>.One;
            TBlock gap = TBlock.Select(TBlock.Equals(x, y), BlockMath<TBlock, T>.Zero, BlockMath<TBlock, T>.NegativeAbs(x - y));
            TBlock z = BlockMath<TBlock, T>.ExpNonPositive(gap);
            return TBlock.Max(x, y) + BlockMath<TBlock, T>.Log1PUnit(z, one / (one + z));
        }
    }

    /// <summary>Runs an element-wise operator over two spans of the same length into a third.</summary>
    private readonly ref struct BinaryMapKernel<TOperator, T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) : IKernel
        where TOperator : IBinaryBlockOperator
        where T : IFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> _x = x;
        private readonly ReadOnlySpan<T> _y = y;
        private readonly Span<T> _destination = destination;

        public double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute>
        {
            int offset = Simd.GroupStart(start, _x.Length);
            int length = Simd.GroupStart(end, _x.Length) - offset;
            Kernel<TBlock, TCompute, T>.Map<TOperator>(_x.Slice(offset, length), _y.Slice(offset, length), _destination.Slice(offset, length));
            return 0;
        }
    }
}
