using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

/// <summary>Element-wise binary cross-entropy, from probabilities or from logits, with its gradient.</summary>
/// <remarks>
/// <para><c>targets</c> has the length of the input. <c>weights</c> (PyTorch's <c>weight</c>) and <c>positiveWeights</c>
/// (PyTorch's <c>pos_weight</c>) are empty or have a length that divides the input's; element <c>i</c> uses <c>w[i % w.Length]</c>,
/// so one weight per column of a row-major <c>[rows, labels]</c> batch is PyTorch's broadcast. Label smoothing s replaces each
/// target y by <c>y (1 - s) + 0.5 s</c>. Mean divides the summed losses by the number of elements.</para>
/// <para>Every argument is checked before anything is written; nothing allocates on one thread (a batch spread over threads
/// allocates about 1.7 KB for the thread pool); results are bit-for-bit the same on every SIMD width and thread count; a NaN
/// result stays NaN, its sign and payload unspecified.</para>
/// <para>Batches large enough to spread over threads use at most as many as the AppContext setting
/// <c>CrossEntropy.MaxDegreeOfParallelism</c> allows (every core where it is unset); where it holds anything but a positive
/// integer, such a call throws <see cref="InvalidOperationException"/>.</para>
/// </remarks>
public static partial class BinaryCrossEntropy
{
    private static void CheckArguments<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, ReadOnlySpan<T> positiveWeights, double labelSmoothing)
    {
        ThrowHelper.CheckSameLength(input.Length, targets.Length, nameof(targets), "the input");
        CheckBroadcast(input.Length, weights.Length, nameof(weights));
        CheckBroadcast(input.Length, positiveWeights.Length, nameof(positiveWeights));
        ThrowHelper.CheckLabelSmoothing(labelSmoothing);
    }

    private static void CheckBroadcast(int length, int weightsLength, string name)
    {
        if (weightsLength != 0 && length % weightsLength != 0)
        {
            throw new ArgumentException($"The length {weightsLength} does not divide the input's length {length}.", name);
        }
    }

    /// <summary>
    /// Checks an output (losses or gradient): room for the input, and the part written either the input's or the targets' memory
    /// or none of theirs, and none of the weights'. Returns that part.
    /// </summary>
    private static Span<T> CheckOutput<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, ReadOnlySpan<T> positiveWeights, Span<T> output, string name)
    {
        Span<T> written = ThrowHelper.CheckOutput(input, output, input.Length, name);
        ThrowHelper.CheckNoPartialOverlap(targets, written, name);
        ThrowHelper.CheckSeparateOutput(weights, written, input.Length, name);
        ThrowHelper.CheckSeparateOutput(positiveWeights, written, input.Length, name);
        return written;
    }

    /// <summary>Runs the kernel over every element and returns the reduced loss.</summary>
    private static T Run<TOperator, T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, Reduction reduction, ReadOnlySpan<T> weights,
        ReadOnlySpan<T> positiveWeights, double labelSmoothing, Span<T> losses, Span<T> gradient, double normalizer)
        where TOperator : IBinaryLossOperator
        where T : IFloatingPointIeee754<T>
    {
        double divisor = Reductions.Divisor(reduction, input.Length, normalizer);
        var kernel = new BinaryKernel<TOperator, T>
        {
            Input = input,
            Targets = targets,
            Weights = weights,
            PositiveWeights = positiveWeights,
            LabelSmoothing = labelSmoothing,
            GradientScale = 1 / divisor,
            Losses = losses,
            Gradient = gradient,
        };
        double total = Simd.Run<BinaryKernel<TOperator, T>, T>(ref kernel, Simd.Groups(input.Length), Simd.GroupSize);
        return Reductions.Reduce<T>(total, divisor);
    }

    private ref struct BinaryKernel<TOperator, T> : IKernel
        where TOperator : IBinaryLossOperator
        where T : IFloatingPointIeee754<T>
    {
        public ReadOnlySpan<T> Input;
        public ReadOnlySpan<T> Targets;
        public ReadOnlySpan<T> Weights;
        public ReadOnlySpan<T> PositiveWeights;
        public double LabelSmoothing;
        public double GradientScale;
        public Span<T> Losses;
        public Span<T> Gradient;

        public readonly double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute>
        {
            int offset = Simd.GroupStart(start, Input.Length);
            int length = Simd.GroupStart(end, Input.Length) - offset;
            return Kernel<TBlock, TCompute, T>.BinaryCrossEntropy<TOperator>(
                Input.Slice(offset, length), Targets.Slice(offset, length), offset, Weights, PositiveWeights, LabelSmoothing, GradientScale,
                Simd.Part(Losses, offset, length), Simd.Part(Gradient, offset, length));
        }
    }
}

/// <summary>The element-wise binary cross-entropy of one block, and its derivative with respect to the input.</summary>
internal interface IBinaryLossOperator
{
    /// <summary>The input value a lane past the end is loaded with: one whose loss is finite.</summary>
    static abstract double Fill { get; }

    /// <summary>
    /// Whether the loss of <paramref name="input"/> takes an exponential below the normal range, whose care
    /// (<see cref="BlockMath{TBlock, T}.ExpNonPositive"/>) <see cref="Invoke{TBlock, T}(TBlock, TBlock, out TBlock, bool)"/>
    /// compiles in only where its <c>belowNormal</c> is set.
    /// </summary>
    static abstract bool BelowNormal<TBlock, T>(TBlock input)
        where TBlock : struct, IBlock<TBlock, T>
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>The loss and gradient of one block, without positive weights.</summary>
    static abstract TBlock Invoke<TBlock, T>(TBlock input, TBlock target, out TBlock gradient, bool belowNormal)
        where TBlock : struct, IBlock<TBlock, T>
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>The loss and gradient of one block with its positive weights (ones where there are none).</summary>
    static abstract TBlock Invoke<TBlock, T>(TBlock input, TBlock target, TBlock positiveWeight, out TBlock gradient, bool belowNormal)
        where TBlock : struct, IBlock<TBlock, T>
        where T : unmanaged, IFloatingPointIeee754<T>;
}

internal static partial class Kernel<TBlock, T, TMemory>
{
    /// <summary>
    /// Binary cross-entropy element by element: writes the weighted losses and the gradient (times <paramref name="gradientScale"/>)
    /// where those spans are not empty, and returns the sum of the weighted losses. The input starts at element
    /// <paramref name="offset"/> of the batch, which places it in the cycles of the weights.
    /// </summary>
    public static double BinaryCrossEntropy<TOperator>(ReadOnlySpan<TMemory> input, ReadOnlySpan<TMemory> targets, int offset, ReadOnlySpan<TMemory> weights,
        ReadOnlySpan<TMemory> positiveWeights, double labelSmoothing, double gradientScale, Span<TMemory> losses, Span<TMemory> gradient)
        where TOperator : IBinaryLossOperator =>
        weights.IsEmpty && positiveWeights.IsEmpty && labelSmoothing == 0
            ? BinaryCrossEntropy<TOperator, No>(input, targets, offset, weights, positiveWeights, labelSmoothing, gradientScale, losses, gradient)
            : BinaryCrossEntropy<TOperator, Yes>(input, targets, offset, weights, positiveWeights, labelSmoothing, gradientScale, losses, gradient);

    /// <summary>
    /// The pass of <see cref="BinaryCrossEntropy{TOperator}"/>; without <typeparamref name="TWeighted"/> there are no weights,
    /// positive weights or label smoothing.
    /// </summary>
    private static double BinaryCrossEntropy<TOperator, TWeighted>(ReadOnlySpan<TMemory> input, ReadOnlySpan<TMemory> targets, int offset, ReadOnlySpan<TMemory> weights,
        ReadOnlySpan<TMemory> positiveWeights, double labelSmoothing, double gradientScale, Span<TMemory> losses, Span<TMemory> gradient)
        where TOperator : IBinaryLossOperator
        where TWeighted : struct, IOption =>
        input.Length < Width
            ? BinaryPartialBlock<TOperator, TWeighted>(input, targets, offset, weights, positiveWeights, labelSmoothing, gradientScale, losses, gradient)
            : BinaryBlocks<TOperator, TWeighted, No>(input, targets, offset, weights, positiveWeights, labelSmoothing, gradientScale, losses, gradient, 0, default);

    /// <summary>
    /// <see cref="BinaryCrossEntropy{TOperator, TWeighted}"/> of fewer elements than a block: one block, without the frame of
    /// the loop over blocks and the sum it carries.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double BinaryPartialBlock<TOperator, TWeighted>(ReadOnlySpan<TMemory> input, ReadOnlySpan<TMemory> targets, int offset,
        ReadOnlySpan<TMemory> weights, ReadOnlySpan<TMemory> positiveWeights, double labelSmoothing, double gradientScale, Span<TMemory> losses,
        Span<TMemory> gradient)
        where TOperator : IBinaryLossOperator
        where TWeighted : struct, IOption
    {
        T smoothing = T.CreateTruncating(labelSmoothing);
        TBlock x = Tail(input, T.CreateTruncating(TOperator.Fill));
        TBlock loss = BinaryLoss<TOperator, Yes>(x, Tail(targets, T.Zero), TBlock.Create(T.One - smoothing), TBlock.Create(T.CreateTruncating(0.5) * smoothing),
            positiveWeights, weights, offset, out TBlock g, TWeighted.IsSet);
        loss = TBlock.Select(TailMask(input.Length), loss, BlockMath<TBlock, T>.Zero);
        double total = double.CreateTruncating(CompensatedSum.OfOne(loss));
        StoreTails(loss, losses, g * TBlock.Create(T.CreateTruncating(gradientScale)), gradient, input.Length);
        return total;
    }

    /// <summary>
    /// The blocks of <see cref="BinaryCrossEntropy{TOperator, TWeighted}"/> from <paramref name="start"/> on, their losses added
    /// to <paramref name="sum"/>, that of the blocks before: returns the total. Unless <typeparamref name="TBelowNormal"/>, the
    /// loop leaves the exponentials below the normal range out of its code, and hands the rest of the blocks from the first
    /// that has one on to the form with them. The loop then holds no call, which would keep its values in memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double BinaryBlocks<TOperator, TWeighted, TBelowNormal>(ReadOnlySpan<TMemory> input, ReadOnlySpan<TMemory> targets, int offset,
        ReadOnlySpan<TMemory> weights, ReadOnlySpan<TMemory> positiveWeights, double labelSmoothing, double gradientScale, Span<TMemory> losses,
        Span<TMemory> gradient, int start, CompensatedSum sum)
        where TOperator : IBinaryLossOperator
        where TWeighted : struct, IOption
        where TBelowNormal : struct, IOption
    {
        T smoothing = T.CreateTruncating(labelSmoothing);
        TBlock keep = TBlock.Create(T.One - smoothing);
        TBlock half = TBlock.Create(T.CreateTruncating(0.5) * smoothing);
        TBlock scale = TBlock.Create(T.CreateTruncating(gradientScale));
        TBlock zero = BlockMath<TBlock, T>.Zero;
        T fill = T.CreateTruncating(TOperator.Fill);
        int length = input.Length;
        TBlock inputTail = Tail(input, fill);
        TBlock targetsTail = Tail(targets, T.Zero);
        TBlock inTail = TailMask(length);
        TBlock lastLoss = zero;
        TBlock lastGradient = zero;
        for (int i = start; (uint)i < (uint)length; i += Width)
        {
            TBlock x = Load(input, i, inputTail);
            if (!TBelowNormal.IsSet && TOperator.BelowNormal<TBlock, T>(x))
            {
                return BinaryBlocks<TOperator, TWeighted, Yes>(input, targets, offset, weights, positiveWeights, labelSmoothing, gradientScale,
                    losses, gradient, i, sum);
            }

            TBlock loss = BinaryLoss<TOperator, TBelowNormal>(x, Load(targets, i, targetsTail), keep, half, positiveWeights, weights, offset + i,
                out TBlock g, TWeighted.IsSet);
            g *= scale;
            if (i <= length - Width)
            {
                StoreBlocks(loss, losses, g, gradient, i);
            }
            else
            {
                loss = TBlock.Select(inTail, loss, zero);
                lastLoss = loss;
                lastGradient = g;
            }

            sum.Add(loss, i);
        }

        // Reduce before the calls below, so that no block is live across a call (every vector register is caller-saved).
        double total = double.CreateTruncating(sum.Total);
        StoreTails(lastLoss, losses, lastGradient, gradient, length);
        return total;
    }

    /// <summary>
    /// The weighted loss of one block and its gradient: where <paramref name="weighted"/>, of the smoothed targets
    /// <c>y keep + half</c>, with the positive weights and weights at <paramref name="index"/> (ones where there are none);
    /// the operator's plain loss otherwise. The option comes last as an argument, a constant when the JIT imports the inlined
    /// body, so that the JIT does not inline the way not taken, which would spend the inlining budget of the loop (its locals,
    /// four per vector on Vector128). It is the only option that is an argument: of two, the first would be spilled to a
    /// temporary before the second's call, and no longer be a constant; <typeparamref name="TBelowNormal"/> goes on to the
    /// operator as its own last argument.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock BinaryLoss<TOperator, TBelowNormal>(TBlock x, TBlock y, TBlock keep, TBlock half, ReadOnlySpan<TMemory> positiveWeights,
        ReadOnlySpan<TMemory> weights, int index, out TBlock gradient, bool weighted)
        where TOperator : IBinaryLossOperator
        where TBelowNormal : struct, IOption
    {
        if (!weighted)
        {
            return TOperator.Invoke<TBlock, T>(x, y, out gradient, TBelowNormal.IsSet);
        }

        TBlock positiveWeight = positiveWeights.IsEmpty ? BlockMath<TBlock, T>.One : Cyclic(positiveWeights, index);
        TBlock loss = TOperator.Invoke<TBlock, T>(x, TBlock.FusedMultiplyAdd(y, keep, half), positiveWeight, out gradient, TBelowNormal.IsSet);
        TBlock weight = weights.IsEmpty ? BlockMath<TBlock, T>.One : Cyclic(weights, index);
        gradient *= weight;
        return Weighted(loss, weight);
    }

    /// <summary>
    /// <paramref name="loss"/> times <paramref name="weight"/>, where a zero weight makes any loss but NaN 0, an infinite one (from
    /// an infinite logit) included.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Weighted(TBlock loss, TBlock weight) =>
        TBlock.Select(TBlock.Equals(weight, BlockMath<TBlock, T>.Zero) & TBlock.Equals(loss, loss), BlockMath<TBlock, T>.Zero, loss * weight);

    /// <summary>Stores a whole block of losses and one of the gradient at <paramref name="index"/>, each where its output is not empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreBlocks(TBlock loss, Span<TMemory> losses, TBlock g, Span<TMemory> gradient, int index)
    {
        if (!losses.IsEmpty)
        {
            Store(loss, losses, index);
        }

        if (!gradient.IsEmpty)
        {
            Store(g, gradient, index);
        }
    }

    /// <summary>Stores the last, partial blocks of losses and of the gradient of <paramref name="length"/> elements, each where its output is not empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTails(TBlock lastLoss, Span<TMemory> losses, TBlock lastGradient, Span<TMemory> gradient, int length)
    {
        if (!losses.IsEmpty)
        {
            StoreTail(lastLoss, losses, length);
        }

        if (!gradient.IsEmpty)
        {
            StoreTail(lastGradient, gradient, length);
        }
    }

    /// <summary>The block of <c>w[(index + lane) % w.Length]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Cyclic(ReadOnlySpan<TMemory> weights, int index)
    {
        int start = index % weights.Length;
        return start <= weights.Length - Width ? Load(weights, start) : Wrapped(weights, start);
    }

    /// <summary>
    /// The block of <see cref="Cyclic"/> where the cycle ends within it, lane by lane. Not inline: it runs only where a cycle
    /// ends, and inline it would spend the inlining budget of the loop (its locals, on Vector128).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TBlock Wrapped(ReadOnlySpan<TMemory> weights, int start)
    {
        Lanes<T> lanes = default;
        for (int lane = 0, k = start; lane < Width; lane++)
        {
            lanes[lane] = ToCompute(weights[k]);
            k = k + 1 == weights.Length ? 0 : k + 1;
        }

        return TBlock.Load(in lanes[0]);
    }
}
