using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CrossEntropy;

/// <summary>An element-wise function of one block.</summary>
internal interface IUnaryBlockOperator
{
    static abstract TBlock Invoke<TBlock, T>(TBlock x)
        where TBlock : struct, IBlock<TBlock, T>
        where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>
/// The kernels, specialised by the JIT for each block type <typeparamref name="TBlock"/> (the hardware path),
/// computation type <typeparamref name="T"/> (float or double) and memory type <typeparamref name="TMemory"/>
/// (the caller's element type, converted on load and rounded once on store when it differs from T).
/// This file holds the loads, stores and passes the operations share; each operation adds its own in its file.
/// </summary>
internal static partial class Kernel<TBlock, T, TMemory>
    where TBlock : struct, IBlock<TBlock, T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TMemory : IFloatingPointIeee754<TMemory>
{
    private static int Width => TBlock.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Load(ReadOnlySpan<TMemory> source, int index)
    {
        ref TMemory start = ref Unsafe.Add(ref MemoryMarshal.GetReference(source), index);
        if (typeof(TMemory) == typeof(T))
        {
            return TBlock.Load(in Unsafe.As<TMemory, T>(ref start));
        }

        Lanes<T> lanes = default;
        for (int i = 0; i < Width; i++)
        {
            lanes[i] = T.CreateTruncating(Unsafe.Add(ref start, i));
        }

        return TBlock.Load(in lanes[0]);
    }

    /// <summary>Loads the <paramref name="count"/> &lt; Width elements from <paramref name="index"/> on, the other lanes set to <paramref name="fill"/>.</summary>
    private static TBlock LoadTail(ReadOnlySpan<TMemory> source, int index, int count, T fill)
    {
        Lanes<T> lanes = default;
        for (int i = 0; i < Width; i++)
        {
            lanes[i] = i < count ? T.CreateTruncating(source[index + i]) : fill;
        }

        return TBlock.Load(in lanes[0]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(TBlock value, Span<TMemory> destination, int index)
    {
        ref TMemory start = ref Unsafe.Add(ref MemoryMarshal.GetReference(destination), index);
        if (typeof(TMemory) == typeof(T))
        {
            TBlock.Store(value, ref Unsafe.As<TMemory, T>(ref start));
            return;
        }

        Lanes<T> lanes = default;
        TBlock.Store(value, ref lanes[0]);
        for (int i = 0; i < Width; i++)
        {
            Unsafe.Add(ref start, i) = TMemory.CreateTruncating(lanes[i]);
        }
    }

    /// <summary>Stores the first <paramref name="count"/> &lt; Width lanes at <paramref name="index"/>.</summary>
    private static void StoreTail(TBlock value, Span<TMemory> destination, int index, int count)
    {
        Lanes<T> lanes = default;
        TBlock.Store(value, ref lanes[0]);
        for (int i = 0; i < count; i++)
        {
            destination[index + i] = TMemory.CreateTruncating(lanes[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ToCompute(TMemory value) => T.CreateTruncating(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TMemory ToMemory(T value) => TMemory.CreateTruncating(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Exp(TBlock x) => BlockMath<TBlock, T>.ExpNonPositive(x);

    /// <summary>e^(x - m) for x &lt;= m, as precise as if x - m were exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock ExpDifference(TBlock x, TBlock m) => BlockMath<TBlock, T>.ExpDifference(x, m);

    /// <summary>The block at <paramref name="index"/>; past the end of <paramref name="source"/> its lanes are <paramref name="fill"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Load(ReadOnlySpan<TMemory> source, int index, T fill) =>
        index <= source.Length - Width ? Load(source, index) : LoadTail(source, index, source.Length - index, fill);

    /// <summary>Stores the lanes of the block at <paramref name="index"/> that fall within <paramref name="length"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(TBlock value, Span<TMemory> destination, int index, int length)
    {
        if (index <= length - Width)
        {
            Store(value, destination, index);
        }
        else
        {
            StoreTail(value, destination, index, length - index);
        }
    }

    /// <summary>Applies <typeparamref name="TOperator"/> to every element; <paramref name="destination"/> may be <paramref name="x"/>.</summary>
    public static void Map<TOperator>(ReadOnlySpan<TMemory> x, Span<TMemory> destination)
        where TOperator : IUnaryBlockOperator
    {
        for (int i = 0; i < x.Length; i += Width)
        {
            Store(TOperator.Invoke<TBlock, T>(Load(x, i, T.Zero)), destination, i, x.Length);
        }
    }

    /// <summary>The row's maximum by <c>a &gt; b ? a : b</c> in the fixed lane tree; -infinity for an empty row.</summary>
    private static T Max(ReadOnlySpan<TMemory> row)
    {
        TBlock max = TBlock.Create(T.NegativeInfinity);
        for (int i = 0; i < row.Length; i += Width)
        {
            max = BlockMath<TBlock, T>.Max(max, Load(row, i, T.NegativeInfinity));
        }

        return TBlock.Max(max);
    }

    /// <summary>
    /// sum(exp(x - max)) - 1 over a row whose maximum <paramref name="max"/> is finite: the sum without one of
    /// the terms equal to 1, so that log1p of it keeps its relative precision when the other terms are tiny.
    /// </summary>
    private static T SumExpBesideMax(ReadOnlySpan<TMemory> row, T max) =>
        SumExpBesideMax(row, max, default, default, T.Zero, T.Zero, false, out _, out _);

    /// <summary>
    /// <see cref="SumExpBesideMax(ReadOnlySpan{TMemory}, T)"/>, and where <paramref name="withCoefficients"/> is set, in the
    /// same pass the sums of the coefficients <c>a = w * (targets.IsEmpty ? 1 : t * keep + perClass)</c> and of
    /// <c>a * (x - max)</c> over the lanes where a is not 0.
    /// </summary>
    private static T SumExpBesideMax(ReadOnlySpan<TMemory> row, T max, ReadOnlySpan<TMemory> weights, ReadOnlySpan<TMemory> targets,
        T keep, T perClass, bool withCoefficients, out T coefficientSum, out T shiftedSum)
    {
        TBlock m = TBlock.Create(max);
        TBlock zero = TBlock.Create(T.Zero);
        TBlock one = TBlock.Create(T.One);
        CompensatedSum sum = default;
        TBlock maxima = zero;
        TBlock coefficients = zero;
        TBlock shifted = zero;
        for (int i = 0; i < row.Length; i += Width)
        {
            TBlock x = Load(row, i, T.NegativeInfinity);
            TBlock isMax = TBlock.Equals(x, m);
            sum.Add(TBlock.Select(isMax, zero, ExpDifference(x, m)));
            maxima += isMax & one;
            if (withCoefficients)
            {
                TBlock a = Coefficients(weights, targets, i, row.Length, keep, perClass);
                coefficients += a;
                shifted += TBlock.Select(TBlock.Equals(a, zero), zero, a * (x - m));
            }
        }

        coefficientSum = TBlock.Sum(coefficients);
        shiftedSum = TBlock.Sum(shifted);
        return sum.Total + (TBlock.Sum(maxima) - T.One);
    }

    /// <summary>
    /// The per-class coefficients of a loss row at <paramref name="index"/>: the class weights (1 where there are none),
    /// times the smoothed targets <c>t * keep + perClass</c> where there are targets. Lanes past <paramref name="length"/> are 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Coefficients(ReadOnlySpan<TMemory> weights, ReadOnlySpan<TMemory> targets, int index, int length, T keep, T perClass)
    {
        TBlock a = weights.IsEmpty ? Ones(index, length) : Load(weights, index, T.Zero);
        if (!targets.IsEmpty)
        {
            a *= TBlock.FusedMultiplyAdd(Load(targets, index, T.Zero), TBlock.Create(keep), TBlock.Create(perClass));
        }

        return a;
    }

    /// <summary>A block of ones, with 0 in the lanes at or past <paramref name="length"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Ones(int index, int length)
    {
        if (index <= length - Width)
        {
            return TBlock.Create(T.One);
        }

        Lanes<T> lanes = default;
        for (int i = 0; i < length - index; i++)
        {
            lanes[i] = T.One;
        }

        return TBlock.Load(in lanes[0]);
    }

    /// <summary>A sum of blocks with Kahan compensation in each lane, so long rows lose no precision to rounding.</summary>
    private struct CompensatedSum
    {
        private TBlock _sum;
        private TBlock _compensation;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(TBlock value)
        {
            TBlock term = value - _compensation;
            TBlock next = _sum + term;
            _compensation = (next - _sum) - term;
            _sum = next;
        }

        public readonly T Total => TBlock.Sum(_sum) - TBlock.Sum(_compensation);
    }

    /// <summary>ln(1 + x) for x &gt;= 0, keeping relative precision for tiny x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Log1P(T x)
    {
        T u = T.One + x;
        return T.Log(u) + (x - (u - T.One)) / u;
    }
}
