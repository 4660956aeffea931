using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CrossEntropy;

public static partial class BinaryCrossEntropy
{
    /// <summary>Computes the focal loss of logits against binary targets, reduced to one value.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits x.</param>
    /// <param name="targets">The targets y, usually in [0, 1]; the length of <paramref name="logits"/>.</param>
    /// <param name="reduction">Mean divides the summed losses by the number of elements; Sum adds them; a positive <paramref name="normalizer"/> overrides both.</param>
    /// <param name="gamma">The focusing exponent, 0 or positive: 0 gives the binary cross-entropy (times the alpha weighting).</param>
    /// <param name="alpha">The weight of the positive class, 1 - alpha that of the negative one; negative turns the alpha weighting off.</param>
    /// <param name="weights">Empty, or weights w whose length divides the input's, used cyclically.</param>
    /// <param name="normalizer">0, or a positive count the summed loss is divided by whatever <paramref name="reduction"/> says (Hugging Face's <c>num_items_in_batch</c>).</param>
    /// <returns>The reduced loss. Mean of an empty input is NaN; Sum is 0.</returns>
    /// <remarks>
    /// <para>Effectively computes <c>loss[i] = w a_t (1 - p_t)^gamma ce</c>, with <c>p = sigmoid(x)</c>,
    /// <c>ce = binary_cross_entropy_with_logits(x, y)</c>, <c>p_t = p y + (1 - p)(1 - y)</c> and <c>a_t = alpha y + (1 - alpha)(1 - y)</c>
    /// (1 where alpha is negative), as torchvision's <c>sigmoid_focal_loss(x, y, alpha, gamma)</c> (Lin et al. 2017).</para>
    /// <para><c>1 - p_t = (1 - y) sigmoid(x) + y sigmoid(-x)</c>, a sum of two terms that cannot cancel, and its power is taken in
    /// log space, <c>log(1 - p_t) = -|x| - log1p(e^-|x|)</c> where y is 0 or 1 (for gamma = 2, 1 - p_t from e^-|x| is squared):
    /// accurate where p_t is near 1 and for any gamma.</para>
    /// <para>A NaN logit gives NaN. An infinite logit gives the limit: 0 where the target agrees with it, +infinity where it does
    /// not, 0 under a zero weight.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logits"/> differ in length.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="weights"/> does not divide the input's.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gamma"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    public static T FocalFromLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, Reduction reduction = Reduction.Mean,
        double gamma = 2, double alpha = 0.25, ReadOnlySpan<T> weights = default, double normalizer = 0)
        where T : IFloatingPointIeee754<T>
    {
        CheckFocal(logits, targets, gamma, alpha, weights);
        ThrowHelper.CheckReduction(reduction);
        ThrowHelper.CheckNonNegative(normalizer, nameof(normalizer));
        return RunFocal(logits, targets, reduction, gamma, alpha, weights, normalizer, default, default);
    }

    /// <summary>Computes the focal loss of each logit against its binary target (torchvision's <c>reduction='none'</c>).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits x.</param>
    /// <param name="targets">The targets y, usually in [0, 1]; the length of <paramref name="logits"/>.</param>
    /// <param name="losses">Receives one loss per element; may be <paramref name="logits"/> or <paramref name="targets"/> itself.</param>
    /// <param name="gamma">The focusing exponent, 0 or positive: 0 gives the binary cross-entropy (times the alpha weighting).</param>
    /// <param name="alpha">The weight of the positive class, 1 - alpha that of the negative one; negative turns the alpha weighting off.</param>
    /// <param name="weights">Empty, or weights w whose length divides the input's, used cyclically.</param>
    /// <remarks>
    /// <para>Effectively computes <c>losses[i] = w a_t (1 - p_t)^gamma binary_cross_entropy_with_logits(x, y)</c>, as torchvision's
    /// <c>sigmoid_focal_loss(..., reduction='none')</c>, with <c>1 - p_t</c> and its power taken without cancellation.</para>
    /// <para>A NaN logit gives NaN. An infinite logit gives the limit: 0 where the target agrees with it, +infinity where it does
    /// not, 0 under a zero weight.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logits"/> differ in length.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="weights"/> does not divide the input's.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gamma"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="losses"/> is shorter than <paramref name="logits"/>, or overlaps an input other than as the same memory as <paramref name="logits"/> or <paramref name="targets"/>.</exception>
    public static void FocalFromLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, Span<T> losses,
        double gamma = 2, double alpha = 0.25, ReadOnlySpan<T> weights = default)
        where T : IFloatingPointIeee754<T>
    {
        CheckFocal(logits, targets, gamma, alpha, weights);
        Span<T> output = CheckOutput(logits, targets, weights, default, losses, nameof(losses));
        RunFocal(logits, targets, Reduction.Sum, gamma, alpha, weights, 0, output, default);
    }

    /// <summary>Computes the reduced focal loss of logits against binary targets, and its gradient with respect to the logits.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="logits">The logits x.</param>
    /// <param name="targets">The targets y, usually in [0, 1]; the length of <paramref name="logits"/>.</param>
    /// <param name="gradient">Receives d(loss)/d(logits); may be <paramref name="logits"/> or <paramref name="targets"/> itself.</param>
    /// <param name="reduction">Mean divides the summed losses by the number of elements; Sum adds them; a positive <paramref name="normalizer"/> overrides both.</param>
    /// <param name="gamma">The focusing exponent, 0 or positive: 0 gives the binary cross-entropy (times the alpha weighting).</param>
    /// <param name="alpha">The weight of the positive class, 1 - alpha that of the negative one; negative turns the alpha weighting off.</param>
    /// <param name="weights">Empty, or weights w whose length divides the input's, used cyclically.</param>
    /// <param name="normalizer">0, or a positive count the summed loss is divided by whatever <paramref name="reduction"/> says (Hugging Face's <c>num_items_in_batch</c>).</param>
    /// <returns>The reduced loss, as <see cref="FocalFromLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, double, double, ReadOnlySpan{T}, double)"/>.</returns>
    /// <remarks>
    /// <para>Loss and gradient come out of one pass. With <c>q = 1 - p_t</c>, <c>ce</c> the binary cross-entropy and D the number of
    /// elements for Mean (1 for Sum, the normalizer where it is positive), effectively computes the exact derivative
    /// <c>gradient[i] = w a_t q^gamma [sigmoid(x) - y + gamma (1 - 2y) ce sigmoid(x) sigmoid(-x) / q] / D</c>, what autograd gives
    /// for torchvision's <c>sigmoid_focal_loss</c>; the ratio <c>sigmoid(x) sigmoid(-x) / q</c> is taken in a form that stays finite
    /// where q goes to 0, so gamma below 1 is fine.</para>
    /// <para>A NaN logit gives a NaN loss and gradient. An infinite logit gives the limits: a finite gradient.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="targets"/> and <paramref name="logits"/> differ in length.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="weights"/> does not divide the input's.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gamma"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="normalizer"/> is negative or NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradient"/> is shorter than <paramref name="logits"/>, or overlaps an input other than as the same memory as <paramref name="logits"/> or <paramref name="targets"/>.</exception>
    public static T FocalFromLogitsWithGradient<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, Span<T> gradient, Reduction reduction = Reduction.Mean,
        double gamma = 2, double alpha = 0.25, ReadOnlySpan<T> weights = default, double normalizer = 0)
        where T : IFloatingPointIeee754<T>
    {
        CheckFocal(logits, targets, gamma, alpha, weights);
        ThrowHelper.CheckReduction(reduction);
        ThrowHelper.CheckNonNegative(normalizer, nameof(normalizer));
        Span<T> output = CheckOutput(logits, targets, weights, default, gradient, nameof(gradient));
        return RunFocal(logits, targets, reduction, gamma, alpha, weights, normalizer, default, output);
    }

    private static void CheckFocal<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, double gamma, double alpha, ReadOnlySpan<T> weights)
    {
        CheckArguments(logits, targets, weights, default, 0);
        ThrowHelper.CheckNonNegative(gamma, nameof(gamma));
        if (double.IsNaN(alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be a number; a negative one turns the alpha weighting off.");
        }
    }

    private static T RunFocal<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, Reduction reduction, double gamma, double alpha,
        ReadOnlySpan<T> weights, double normalizer, Span<T> losses, Span<T> gradient)
        where T : IFloatingPointIeee754<T>
    {
        double divisor = Reductions.Divisor(reduction, logits.Length, normalizer);
        var kernel = new FocalKernel<T>
        {
            Logits = logits,
            Targets = targets,
            Weights = weights,
            Gamma = gamma,
            Alpha = alpha,
            GradientScale = 1 / divisor,
            Losses = losses,
            Gradient = gradient,
        };
        double total = Simd.Run<FocalKernel<T>, T>(ref kernel, Simd.Groups(logits.Length), Simd.GroupSize);
        return Reductions.Reduce<T>(total, divisor);
    }

    private ref struct FocalKernel<T> : IKernel
        where T : IFloatingPointIeee754<T>
    {
        public ReadOnlySpan<T> Logits;
        public ReadOnlySpan<T> Targets;
        public ReadOnlySpan<T> Weights;
        public double Gamma;
        public double Alpha;
        public double GradientScale;
        public Span<T> Losses;
        public Span<T> Gradient;

        public readonly double Run<TBlock, TCompute>(int start, int end)
            where TBlock : struct, IBlock<TBlock, TCompute>
            where TCompute : unmanaged, IFloatingPointIeee754<TCompute>
        {
            int offset = Simd.GroupStart(start, Logits.Length);
            int length = Simd.GroupStart(end, Logits.Length) - offset;
            return Kernel<TBlock, TCompute, T>.BinaryFocal(
                Logits.Slice(offset, length), Targets.Slice(offset, length), offset, Weights, Gamma, Alpha, GradientScale,
                Simd.Part(Losses, offset, length), Simd.Part(Gradient, offset, length));
        }
    }
}

internal static partial class Kernel<TBlock, T, TMemory>
{
    /// <summary>
    /// The binary focal loss element by element: writes the weighted losses and the gradient (times <paramref name="gradientScale"/>)
    /// where those spans are not empty, and returns the sum of the weighted losses. The input starts at element
    /// <paramref name="offset"/> of the batch, which places it in the cycle of the weights. A negative <paramref name="alpha"/>
    /// turns the alpha weighting off.
    /// </summary>
    public static double BinaryFocal(ReadOnlySpan<TMemory> logits, ReadOnlySpan<TMemory> targets, int offset, ReadOnlySpan<TMemory> weights,
        double gamma, double alpha, double gradientScale, Span<TMemory> losses, Span<TMemory> gradient)
    {
        // The parameters become T here rather than in the pass, where their conversions, inline, would spend the inlining
        // budget of its loop. a_t = alpha y + (1 - alpha)(1 - y) = (1 - alpha) + (2 alpha - 1) y; 1 where alpha is negative.
        T g = T.CreateTruncating(gamma);
        T alphaBase = alpha >= 0 ? T.CreateTruncating(1 - alpha) : T.One;
        T alphaSlope = alpha >= 0 ? T.CreateTruncating(2 * alpha - 1) : T.Zero;
        T scale = T.CreateTruncating(gradientScale);

        // Where a_t vanishes only at a target so large that the loss overflows (alpha within 2^-30 of 1/2), every block takes
        // the careful loop.
        return alphaSlope != T.Zero && T.Abs(alphaSlope) < T.CreateTruncating(Math.ScaleB(1.0, -30))
            ? BinaryFocal<Yes>(logits, targets, offset, weights, gamma, g, alphaBase, alphaSlope, scale, losses, gradient)
            : BinaryFocal<No>(logits, targets, offset, weights, gamma, g, alphaBase, alphaSlope, scale, losses, gradient);
    }

    /// <summary>The pass for <paramref name="gamma"/> and the weights, from the careful loop where <typeparamref name="TCareful"/>.</summary>
    private static double BinaryFocal<TCareful>(ReadOnlySpan<TMemory> logits, ReadOnlySpan<TMemory> targets, int offset, ReadOnlySpan<TMemory> weights,
        double gamma, T g, T alphaBase, T alphaSlope, T scale, Span<TMemory> losses, Span<TMemory> gradient)
        where TCareful : struct, IOption =>
        (gamma, weights.IsEmpty) switch
        {
            (0, true) => BinaryFocal<No, No, No, TCareful>(logits, targets, offset, weights, g, alphaBase, alphaSlope, scale, losses, gradient, 0, default),
            (0, false) => BinaryFocal<No, No, Yes, TCareful>(logits, targets, offset, weights, g, alphaBase, alphaSlope, scale, losses, gradient, 0, default),
            (2, true) => BinaryFocal<Yes, Yes, No, TCareful>(logits, targets, offset, weights, g, alphaBase, alphaSlope, scale, losses, gradient, 0, default),
            (2, false) => BinaryFocal<Yes, Yes, Yes, TCareful>(logits, targets, offset, weights, g, alphaBase, alphaSlope, scale, losses, gradient, 0, default),
            (_, true) => BinaryFocal<Yes, No, No, TCareful>(logits, targets, offset, weights, g, alphaBase, alphaSlope, scale, losses, gradient, 0, default),
            (_, false) => BinaryFocal<Yes, No, Yes, TCareful>(logits, targets, offset, weights, g, alphaBase, alphaSlope, scale, losses, gradient, 0, default),
        };

    /// <summary>
    /// The pass of <see cref="BinaryFocal(ReadOnlySpan{TMemory}, ReadOnlySpan{TMemory}, int, ReadOnlySpan{TMemory}, double, double, double, Span{TMemory}, Span{TMemory})"/>,
    /// with a_t = <paramref name="alphaBase"/> + <paramref name="alphaSlope"/> y; without <typeparamref name="TModulated"/>
    /// (gamma = 0) the loss is the cross-entropy's, times a_t, bit for bit; <typeparamref name="TSquare"/> is gamma = 2, whose
    /// modulation is q squared. Type arguments, so that each loop holds only the operations of its gamma (within the JIT's
    /// inlining budget on Vector128). The blocks from <paramref name="start"/> on, their losses added to <paramref name="sum"/>,
    /// that of the blocks before, as <see cref="BinaryBlocks"/> runs them: the weights only where
    /// <typeparamref name="TWeighted"/>, and the exponentials below the normal range and the care of a zero a_t only where
    /// <typeparamref name="TCareful"/>, from the first block that needs them on, so that the loop holds no call, which would keep
    /// its values in memory. The other blocks have logits whose e^-|x| is normal (|x| up to 87.3, 708 for double), so that where
    /// a_t is 0 their losses are finite (see the caller) and the plain product is the careful one's.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double BinaryFocal<TModulated, TSquare, TWeighted, TCareful>(ReadOnlySpan<TMemory> logits, ReadOnlySpan<TMemory> targets,
        int offset, ReadOnlySpan<TMemory> weights, T gamma, T alphaBase, T alphaSlope, T gradientScale, Span<TMemory> losses,
        Span<TMemory> gradient, int start, CompensatedSum sum)
        where TModulated : struct, IOption
        where TSquare : struct, IOption
        where TWeighted : struct, IOption
        where TCareful : struct, IOption
    {
        TBlock alphaBaseBlock = TBlock.Create(alphaBase);
        TBlock alphaSlopeBlock = TBlock.Create(alphaSlope);
        TBlock g = TBlock.Create(gamma);
        TBlock scale = TBlock.Create(gradientScale);
        TBlock zero = BlockMath<TBlock, T>.Zero;
        TBlock one = BlockMath<TBlock, T>.One;
        int length = logits.Length;
        TBlock logitsTail = Tail(logits, T.Zero);
        TBlock targetsTail = Tail(targets, T.Zero);
        TBlock inTail = TailMask(length);
        TBlock lastLoss = zero;
        TBlock lastGradient = zero;
        for (int i = start; (uint)i < (uint)length; i += Width)
        {
            TBlock x = Load(logits, i, logitsTail);
            if (!TCareful.IsSet && BlockMath<TBlock, T>.ExpBelowNormal(BlockMath<TBlock, T>.NegativeAbs(x)))
            {
                return BinaryFocal<TModulated, TSquare, TWeighted, Yes>(logits, targets, offset, weights, gamma, alphaBase, alphaSlope,
                    gradientScale, losses, gradient, i, sum);
            }

            TBlock y = Load(targets, i, targetsTail);

            // The cross-entropy and its derivative sigmoid(x) - y, as BinaryCrossEntropy.FromLogits computes them without options.
            TBlock negative = TBlock.LessThan(x, zero);
            TBlock z = BlockMath<TBlock, T>.ExpNonPositive(BlockMath<TBlock, T>.NegativeAbs(x), TCareful.IsSet);
            TBlock negativeTarget = one - y;
            TBlock onePlusZ = one + z;
            TBlock small = z / onePlusZ;

            // 1 / (1 + z), as 1 - z / (1 + z) where the modulation needs it: within an ulp, one division fewer. Without the
            // modulation only the double loss takes it, and a division keeps the plain loss's bits.
            TBlock reciprocal = TModulated.IsSet ? one - small : one / onePlusZ;
            TBlock d = TBlock.Select(negative, small - y, negativeTarget - small);
            TBlock linear = TBlock.Select(negative, y, negativeTarget);
            TBlock log1PZ = BlockMath<TBlock, T>.Log1PUnit(z, reciprocal);
            TBlock magnitude = TBlock.Select(TBlock.Equals(linear, zero), zero, BlockMath<TBlock, T>.Abs(x));
            TBlock loss = TBlock.FusedMultiplyAdd(linear, magnitude, log1PZ);
            TBlock alphaT = TBlock.FusedMultiplyAdd(y, alphaSlopeBlock, alphaBaseBlock);
            (loss, d) = Focused<TSquare>(loss, d, x, y, negativeTarget, negative, z, small, reciprocal, log1PZ, g, TModulated.IsSet);

            loss = AlphaWeighted(loss, alphaT, TCareful.IsSet);
            d *= alphaT;
            if (TWeighted.IsSet)
            {
                TBlock weight = Cyclic(weights, offset + i);

                loss = Weighted(loss, weight);
                d *= weight;
            }

            d *= scale;
            if (i <= length - Width)
            {
                StoreBlocks(loss, losses, d, gradient, i);
            }
            else
            {
                loss = TBlock.Select(inTail, loss, zero);
                lastLoss = loss;
                lastGradient = d;
            }

            sum.Add(loss, i);
        }

        // Reduce before the calls below, so that no block is live across a call (every vector register is caller-saved).
        double total = double.CreateTruncating(sum.Total);
        StoreTails(lastLoss, losses, lastGradient, gradient, length);
        return total;
    }

    /// <summary>
    /// <paramref name="loss"/> times <paramref name="alphaT"/>, where <paramref name="careful"/> with a zero a_t (alpha 0 or 1)
    /// making an infinite loss 0 too, as a zero weight does, and leaving a NaN one NaN: the product of the loss clamped to the
    /// finite range, so that a finite loss gets the plain product's bits. The option comes last, as
    /// <see cref="Focused{TSquare}"/>'s does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock AlphaWeighted(TBlock loss, TBlock alphaT, bool careful)
    {
        if (!careful)
        {
            return loss * alphaT;
        }

        TBlock max = BlockMath<TBlock, T>.MaxFinite;
        TBlock clamped = TBlock.Min(max, TBlock.Max(BlockMath<TBlock, T>.Zero - max, loss));
        return TBlock.Select(TBlock.Equals(alphaT, BlockMath<TBlock, T>.Zero), clamped * alphaT, loss * alphaT);
    }

    /// <summary>
    /// The cross-entropy <paramref name="loss"/> of a block times the modulation <c>q^gamma</c>, and the derivative of the
    /// product from the loss's, <paramref name="d"/> = sigmoid(x) - y, where <paramref name="modulated"/> (gamma is not 0);
    /// <typeparamref name="TSquare"/> is gamma = 2. The option comes last as an argument, a constant when the JIT imports the
    /// inlined body (an earlier argument that calls would be spilled to a temporary first), so that the JIT does not inline the
    /// way not taken, which would spend the inlining budget of the loop: its locals, four per vector on Vector128.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TBlock Loss, TBlock Derivative) Focused<TSquare>(TBlock loss, TBlock d, TBlock x, TBlock y, TBlock negativeTarget, TBlock negative, TBlock z,
        TBlock small, TBlock reciprocal, TBlock log1PZ, TBlock g, bool modulated)
        where TSquare : struct, IOption
    {
        if (modulated)
        {
            // q = 1 - p_t = (u + v z) / (1 + z): u, v = 1 - y, y where x >= 0, and y, 1 - y where x < 0. Where u = 0 (y is 0 or 1
            // and agrees with x), q is v z / (1 + z), exact however small it is.
            TBlock u = TBlock.Select(negative, y, negativeTarget);
            TBlock v = TBlock.Select(negative, negativeTarget, y);
            return Modulated(loss, d, x, y, negativeTarget, z, small, reciprocal, log1PZ, g, u, v, TSquare.IsSet);
        }

        return (loss, d);
    }

    /// <summary>
    /// The loss times q^gamma, with <c>q = s / (1 + z)</c>, <c>s = u + v z</c>, and its derivative, q^gamma d + gamma q^(gamma - 1)
    /// (1 - 2y) sigmoid(x) sigmoid(-x) ce; where <paramref name="square"/> (gamma = 2), an option that comes last as
    /// <see cref="Focused{TSquare}"/>'s does, <see cref="Squared"/>. Where u = 0, log q = log v - |x| - log1p(z), exact however
    /// small q is. The second term is 0 where sigmoid(x) sigmoid(-x) is (an infinite logit, whose ce may be infinite).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TBlock Loss, TBlock Derivative) Modulated(TBlock loss, TBlock d, TBlock x, TBlock y, TBlock negativeTarget, TBlock z,
        TBlock small, TBlock reciprocal, TBlock log1PZ, TBlock g, TBlock u, TBlock v, bool square)
    {
        if (square)
        {
            return Squared(loss, d, y, small, reciprocal, TBlock.FusedMultiplyAdd(v, z, u) * reciprocal);
        }

        TBlock zero = BlockMath<TBlock, T>.Zero;
        TBlock agrees = TBlock.Equals(u, zero);
        TBlock s = TBlock.Select(agrees, v, TBlock.FusedMultiplyAdd(v, z, u));

        // s is 1 where every target of the block is 0 or 1, and its log 0: the log is skipped there, with the same bits.
        TBlock hard = TBlock.Equals(y, zero) | TBlock.Equals(y, BlockMath<TBlock, T>.One);
        TBlock logS = TBlock.EqualsAny(hard, zero) ? BlockMath<TBlock, T>.Log(s) : zero;
        TBlock logQ = logS - TBlock.Select(agrees, BlockMath<TBlock, T>.Abs(x), zero) - log1PZ;
        TBlock modulation = BlockMath<TBlock, T>.ExpNonPositive(TBlock.Min(zero, g * logQ));

        // q^(gamma - 1) sigmoid(x) sigmoid(-x) = q^gamma r, r = (agrees ? 1 : z) / ((1 + z) s): finite where q goes to 0.
        TBlock r = TBlock.Select(agrees, BlockMath<TBlock, T>.One, z) * reciprocal / s;
        TBlock slope = TBlock.Select(TBlock.Equals(r, zero), zero, g * (negativeTarget - y) * r * loss);
        return (loss * modulation, modulation * (d + slope));
    }

    /// <summary>
    /// The loss times q^2 and its derivative, q^2 d + 2 (1 - 2y) q sigmoid(x) sigmoid(-x) ce, with sigmoid(x) sigmoid(-x) the
    /// product of <paramref name="small"/> = z / (1 + z) and <paramref name="reciprocal"/> = 1 / (1 + z). That product is 0 at
    /// an infinite logit, whose ce may be infinite: the second term takes ce at most the largest finite value, and is 0 there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TBlock Loss, TBlock Derivative) Squared(TBlock loss, TBlock d, TBlock y, TBlock small, TBlock reciprocal, TBlock q)
    {
        TBlock sigmoids = small * reciprocal;
        TBlock factor = TBlock.FusedMultiplyAdd(y, TBlock.Create(T.CreateTruncating(-4)), TBlock.Create(T.CreateTruncating(2)));
        TBlock slope = factor * sigmoids * q * TBlock.Min(loss, BlockMath<TBlock, T>.MaxFinite);
        TBlock squared = q * q;
        return (loss * squared, TBlock.FusedMultiplyAdd(squared, d, slope));
    }
}
