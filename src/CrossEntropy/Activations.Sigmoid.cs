using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

public static partial class Activations
{
    /// <summary>Computes the logistic sigmoid of each element of <paramref name="x"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="x">The logits.</param>
    /// <param name="destination">Receives the sigmoids; may be <paramref name="x"/> itself.</param>
    /// <remarks>
    /// <para>Effectively computes <c>destination[i] = 1 / (1 + exp(-x[i]))</c>, as PyTorch's <c>torch.sigmoid</c>, evaluated as
    /// <c>exp(x) / (1 + exp(x))</c> for negative x so that tiny results keep their relative precision.</para>
    /// <para>+infinity gives 1, -infinity gives 0, NaN gives NaN.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="x"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> overlaps <paramref name="x"/> without being the same memory.</exception>
    public static void Sigmoid<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : IFloatingPointIeee754<T>
    {
        ThrowHelper.CheckOutput(x, destination, x.Length, nameof(destination));
        var kernel = new MapKernel<SigmoidOperator, T>(x, destination);
        Simd.Run<MapKernel<SigmoidOperator, T>, T>(ref kernel, Simd.Groups(x.Length), Simd.GroupSize);
    }

    /// <summary>Computes the gradient of a loss with respect to the input of <see cref="Sigmoid{T}(ReadOnlySpan{T}, Span{T})"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="output">What the sigmoid wrote: <c>y</c>.</param>
    /// <param name="outputGradient">The gradient of the loss with respect to <paramref name="output"/>, <c>g</c>.</param>
    /// <param name="inputGradient">Receives the gradient with respect to the sigmoid input; may be <paramref name="output"/> or <paramref name="outputGradient"/>.</param>
    /// <remarks>
    /// <para>Effectively computes <c>inputGradient[i] = g[i] * y[i] * (1 - y[i])</c>, what PyTorch's autograd computes for <c>sigmoid</c>.</para>
    /// <para>NaN and infinities propagate through the arithmetic as IEEE 754 defines.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="outputGradient"/> and <paramref name="output"/> differ in length.</exception>
    /// <exception cref="ArgumentException"><paramref name="inputGradient"/> is shorter than <paramref name="output"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="inputGradient"/> overlaps an input without being the same memory.</exception>
    public static void SigmoidBackward<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> outputGradient, Span<T> inputGradient)
        where T : IFloatingPointIeee754<T>
    {
        ThrowHelper.CheckSameLength(output.Length, outputGradient.Length, nameof(outputGradient), nameof(output));
        Span<T> written = ThrowHelper.CheckOutput(output, inputGradient, output.Length, nameof(inputGradient));
        ThrowHelper.CheckNoPartialOverlap(outputGradient, written, nameof(inputGradient));
        var kernel = new SigmoidBackwardKernel<T>(output, outputGradient, inputGradient);
        Simd.Run<SigmoidBackwardKernel<T>, T>(ref kernel, Simd.Groups(output.Length), Simd.GroupSize);
    }

    private readonly struct SigmoidOperator : IUnaryBlockOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TBlock Invoke<TBlock, T>(TBlock x, bool belowNormal)
            where TBlock : struct, IBlock<TBlock, T>
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            // Made here rather than read from BlockMath's fields, which NativeAOT code reads whole in every iteration.
            TBlock one = TBlock.Create(T.One);
            TBlock z = BlockMath<TBlock, T>.ExpNonPositiveInline(BlockMath<TBlock, T>.NegativeAbs(x), belowNormal, out bool subnormal);
            TBlock negative = TBlock.LessThan(x, default);
            // subnormal is false unless belowNormal; the argument, a constant, keeps the branch out of the loop without the care.
            if (!belowNormal || !subnormal)
            {
                return TBlock.Select(negative, z, one) / (one + z);
            }

            // A subnormal z would make the sum and the division slow; there 1 + z is 1, and the sigmoid z itself or 1.
            TBlock tiny = BlockMath<TBlock, T>.BelowNormalLanes(z);
            TBlock normal = TBlock.Select(tiny, default, z);
            return TBlock.Select(tiny & negative, z, TBlock.Select(negative, normal, one) / (one + normal));
        }
    }

    /// <summary>Runs an element-wise operator over one span into another.</summary>
    private readonly ref struct MapKernel<TOperator, T>(ReadOnlySpan<T> x, Span<T> destination) : IKernel
        where TOperator : IUnaryBlockOperator
        where T : IFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> _x = x;
        private readonly Span<T> _destination = destination;

        public double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute>
        {
            int offset = Simd.GroupStart(start, _x.Length);
            int length = Simd.GroupStart(end, _x.Length) - offset;
            Kernel<TBlock, TCompute, T>.Map<TOperator>(_x.Slice(offset, length), _destination.Slice(offset, length));
            return 0;
        }
    }

    private readonly ref struct SigmoidBackwardKernel<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> outputGradient, Span<T> inputGradient) : IKernel
        where T : IFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> _output = output;
        private readonly ReadOnlySpan<T> _outputGradient = outputGradient;
        private readonly Span<T> _inputGradient = inputGradient;

        public double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute>
        {
            int offset = Simd.GroupStart(start, _output.Length);
            int length = Simd.GroupStart(end, _output.Length) - offset;
            Kernel<TBlock, TCompute, T>.SigmoidBackward(
                _output.Slice(offset, length), _outputGradient.Slice(offset, length), _inputGradient.Slice(offset, length));
            return 0;
        }
    }
}

internal static partial class Kernel<TBlock, T, TMemory>
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void SigmoidBackward(ReadOnlySpan<TMemory> output, ReadOnlySpan<TMemory> outputGradient, Span<TMemory> inputGradient)
    {
        TBlock one = BlockMath<TBlock, T>.One;
        TBlock yTail = Tail(output, T.Zero);
        TBlock gTail = Tail(outputGradient, T.Zero);
        TBlock last = yTail;
        for (int i = 0; (uint)i < (uint)output.Length; i += Width)
        {
            TBlock y = Load(output, i, yTail);
            TBlock r = Load(outputGradient, i, gTail) * y * (one - y);
            if (i <= output.Length - Width)
            {
                Store(r, inputGradient, i);
            }
            else
            {
                last = r;
            }
        }

        StoreTail(last, inputGradient, output.Length);
    }
}
