using System;
using System.Numerics;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Losses;

/// <summary>
/// Rejected arguments: the exception type and parameter name, through every entry point (reduced, per-row, with
/// gradient), and outputs that still hold their sentinel afterwards (every argument is checked before anything is
/// written). Bad labels and probabilities are placed last; outputs over an input they may not share memory with leave
/// that memory as it was. Each case runs on every SIMD width.
/// </summary>
public abstract class ValidationTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Classes = 3;
    private const int Rows = 4;
    private const int Length = 6;

    /// <summary>Where an input starts one element before or after an output: they overlap without starting together.</summary>
    private static readonly (int ValuesAt, int OutputAt)[] Shifted = [(1, 0), (0, 1)];

    /// <summary>Where an input and an output that may share no memory at all overlap: from the same element, or shifted.</summary>
    private static readonly (int ValuesAt, int OutputAt)[] Overlapping = [(0, 0), (1, 0), (0, 1)];

    public static TheoryData<bool, bool> Kinds => new() { { true, false }, { true, true }, { false, false }, { false, true } };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void CategoricalRejectsBadShapesAndOptions(bool fromLogits, bool soft)
    {
        CategoricalArgs valid = CategoricalArgs.Valid(fromLogits, soft);
        RejectedEverywhere<ArgumentOutOfRangeException>("classes", valid with { Classes = 0 });
        RejectedEverywhere<ArgumentOutOfRangeException>("classes", valid with { Classes = -1 });
        RejectedEverywhere<ArgumentException>(null, valid with { Input = valid.Input[..^1], Targets = soft ? valid.Targets[..^1] : valid.Targets });
        RejectedEverywhere<ArgumentException>("classWeights", valid with { Weights = Values(1, 2) });
        RejectedEverywhere<ArgumentException>("classWeights", valid with { Weights = Values(1, 2, 3, 4) });
        foreach (double smoothing in new[] { -0.01, 1.01, double.NaN, double.PositiveInfinity })
        {
            RejectedEverywhere<ArgumentOutOfRangeException>("labelSmoothing", valid with { Smoothing = smoothing });
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CategoricalRejectsBadLabels(bool fromLogits)
    {
        CategoricalArgs valid = CategoricalArgs.Valid(fromLogits, soft: false);
        RejectedEverywhere<ArgumentOutOfRangeException>("labels", valid with { Labels = [0, 1, 2, Classes] });
        RejectedEverywhere<ArgumentOutOfRangeException>("labels", valid with { Labels = [0, 1, 2, -1] });
        RejectedEverywhere<ArgumentOutOfRangeException>("labels", valid with { Labels = [-1, 1, 2, -100], IgnoreIndex = -1 });
        RejectedEverywhere<ArgumentOutOfRangeException>("labels", valid with { Labels = [0, 1, 2, int.MinValue] });
        RejectedEverywhere<ArgumentException>("labels", valid with { Labels = [0, 1, 2] });
        RejectedEverywhere<ArgumentException>("labels", valid with { Labels = [0, 1, 2, 0, 1] });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CategoricalRejectsTargetsOfAnotherLength(bool fromLogits)
    {
        CategoricalArgs valid = CategoricalArgs.Valid(fromLogits, soft: true);
        RejectedEverywhere<ArgumentException>("targets", valid with { Targets = valid.Targets[..^1] });
        RejectedEverywhere<ArgumentException>("targets", valid with { Targets = [.. valid.Targets, T.Zero] });
    }

    [Theory]
    [InlineData(1.5)]
    [InlineData(-0.25)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void CategoricalRejectsProbabilitiesOutsideZeroOne(double bad)
    {
        foreach (bool soft in new[] { false, true })
        {
            CategoricalArgs valid = CategoricalArgs.Valid(fromLogits: false, soft);
            RejectedEverywhere<ArgumentOutOfRangeException>("probabilities", valid with { Input = [.. valid.Input[..^1], T.CreateTruncating(bad)] });
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void CategoricalRejectsBadOutputsAndReductions(bool fromLogits, bool soft)
    {
        CategoricalArgs args = CategoricalArgs.Valid(fromLogits, soft);
        ForEachWidth(() =>
        {
            T[] losses = LossBuffers<T>.Filled(Rows - 1);
            Rejected<ArgumentException>("losses", () => args.Call().Losses(losses), losses);
            T[] gradient = LossBuffers<T>.Filled(Rows * Classes - 1);
            Rejected<ArgumentException>("gradient", () => args.Call().WithGradient(gradient, Reduction.Mean), gradient);
            gradient = LossBuffers<T>.Filled(Rows * Classes);
            Rejected<ArgumentOutOfRangeException>("reduction", () => args.Call().Loss((Reduction)2));
            Rejected<ArgumentOutOfRangeException>("reduction", () => args.Call().WithGradient(gradient, (Reduction)(-1)), gradient);

            // Each output over the input or the targets one element either way, and over the class weights anywhere.
            CategoricalArgs weighted = args with { Weights = Values(1, 2, 3) };
            foreach ((string output, int length) in new[] { ("gradient", Rows * Classes), ("losses", Rows) })
            {
                foreach ((int valuesAt, int outputAt) in Shifted)
                {
                    RejectedOverlap(output, length, outputAt, args.Input, valuesAt, (input, o) => Write(args.CallOn(input, args.Targets), output, o));
                    if (soft)
                    {
                        RejectedOverlap(output, length, outputAt, args.Targets, valuesAt, (targets, o) => Write(args.CallOn(args.Input, targets), output, o));
                    }
                }

                foreach ((int valuesAt, int outputAt) in Overlapping)
                {
                    RejectedOverlap(output, length, outputAt, weighted.Weights, valuesAt,
                        (weights, o) => Write(weighted.CallOn(weighted.Input, weighted.Targets, weights), output, o));
                }
            }
        });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BinaryRejectsBadArguments(bool fromLogits)
    {
        BinaryArgs valid = BinaryArgs.Valid(fromLogits);
        RejectedEverywhere<ArgumentException>("targets", valid with { Targets = valid.Targets[..^1] });
        RejectedEverywhere<ArgumentException>("targets", valid with { Targets = [.. valid.Targets, T.Zero] });
        RejectedEverywhere<ArgumentException>("weights", valid with { Weights = Values(1, 2, 3, 4) });
        RejectedEverywhere<ArgumentException>("weights", valid with { Weights = Values(1, 2, 3, 4, 5, 6, 7) });
        if (fromLogits)
        {
            RejectedEverywhere<ArgumentException>("positiveWeights", valid with { PositiveWeights = Values(1, 2, 3, 4) });
        }

        foreach (double smoothing in new[] { -0.01, 1.01, double.NaN, double.NegativeInfinity })
        {
            RejectedEverywhere<ArgumentOutOfRangeException>("labelSmoothing", valid with { Smoothing = smoothing });
        }
    }

    [Theory]
    [InlineData(1.5)]
    [InlineData(-0.25)]
    [InlineData(double.NaN)]
    [InlineData(double.NegativeInfinity)]
    public void BinaryRejectsProbabilitiesOutsideZeroOne(double bad)
    {
        BinaryArgs valid = BinaryArgs.Valid(fromLogits: false);
        RejectedEverywhere<ArgumentOutOfRangeException>("probabilities", valid with { Input = [.. valid.Input[..^1], T.CreateTruncating(bad)] });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BinaryRejectsBadOutputsAndReductions(bool fromLogits)
    {
        BinaryArgs args = BinaryArgs.Valid(fromLogits);
        ForEachWidth(() =>
        {
            T[] losses = LossBuffers<T>.Filled(Length - 1);
            Rejected<ArgumentException>("losses", () => args.Call().Losses(losses), losses);
            T[] gradient = LossBuffers<T>.Filled(Length - 1);
            Rejected<ArgumentException>("gradient", () => args.Call().WithGradient(gradient, Reduction.Sum), gradient);
            gradient = LossBuffers<T>.Filled(Length);
            Rejected<ArgumentOutOfRangeException>("reduction", () => args.Call().Loss((Reduction)2));
            Rejected<ArgumentOutOfRangeException>("reduction", () => args.Call().WithGradient(gradient, (Reduction)2), gradient);

            // Each output over the input or the targets one element either way, and over the weights or positive weights anywhere.
            foreach (string output in new[] { "losses", "gradient" })
            {
                foreach ((int valuesAt, int outputAt) in Shifted)
                {
                    RejectedOverlap(output, Length, outputAt, args.Input, valuesAt, (input, o) => Write(args.CallOn(input, args.Targets), output, o));
                    RejectedOverlap(output, Length, outputAt, args.Targets, valuesAt, (targets, o) => Write(args.CallOn(args.Input, targets), output, o));
                }

                foreach ((int valuesAt, int outputAt) in Overlapping)
                {
                    RejectedOverlap(output, Length, outputAt, args.Weights, valuesAt,
                        (weights, o) => Write(args.CallOn(args.Input, args.Targets, weights, args.PositiveWeights), output, o));
                    if (fromLogits)
                    {
                        RejectedOverlap(output, Length, outputAt, args.PositiveWeights, valuesAt,
                            (positiveWeights, o) => Write(args.CallOn(args.Input, args.Targets, args.Weights, positiveWeights), output, o));
                    }
                }
            }
        });
    }

    /// <summary>Every entry point throws <typeparamref name="TException"/> naming <paramref name="paramName"/> (any name when null) and writes nothing, on every width.</summary>
    private static void RejectedEverywhere<TException>(string? paramName, CategoricalArgs args)
        where TException : ArgumentException =>
        ForEachWidth(() =>
        {
            T[] losses = LossBuffers<T>.Filled(Rows + 2);
            T[] gradient = LossBuffers<T>.Filled(Rows * Classes + 2);
            Rejected<TException>(paramName, () => args.Call().Loss(Reduction.Mean));
            Rejected<TException>(paramName, () => args.Call().Losses(losses), losses);
            Rejected<TException>(paramName, () => args.Call().WithGradient(gradient, Reduction.Sum), gradient);
        });

    private static void RejectedEverywhere<TException>(string? paramName, BinaryArgs args)
        where TException : ArgumentException =>
        ForEachWidth(() =>
        {
            T[] losses = LossBuffers<T>.Filled(Length + 2);
            T[] gradient = LossBuffers<T>.Filled(Length + 2);
            Rejected<TException>(paramName, () => args.Call().Loss(Reduction.Sum));
            Rejected<TException>(paramName, () => args.Call().Losses(losses), losses);
            Rejected<TException>(paramName, () => args.Call().WithGradient(gradient, Reduction.Mean), gradient);
        });

    /// <summary>
    /// <paramref name="call"/> throws exactly <typeparamref name="TException"/> with <paramref name="paramName"/> (unless null), and
    /// <paramref name="output"/> still holds the sentinel.
    /// </summary>
    private static void Rejected<TException>(string? paramName, Action call, T[]? output = null)
        where TException : ArgumentException
    {
        TException exception = Assert.Throws<TException>(call);
        if (paramName is not null)
        {
            Assert.Equal(paramName, exception.ParamName);
        }

        if (output is not null)
        {
            That.Holds(LossBuffers<T>.UntouchedOutside(output, 0, 0), $"{typeof(TException).Name} for {paramName}: an output changed although the call was rejected.");
        }
    }

    /// <summary>A call reading <paramref name="values"/> (one of its inputs) and writing <paramref name="output"/>.</summary>
    private delegate void OverlapCall(ReadOnlySpan<T> values, Span<T> output);

    /// <summary>
    /// With <paramref name="values"/> at <paramref name="valuesAt"/> and an output of <paramref name="outputLength"/> elements at
    /// <paramref name="outputAt"/> in one array (the rest the sentinel), <paramref name="call"/> throws an ArgumentException naming
    /// <paramref name="outputName"/> and leaves the array as it was.
    /// </summary>
    private static void RejectedOverlap(string outputName, int outputLength, int outputAt, T[] values, int valuesAt, OverlapCall call)
    {
        T[] shared = LossBuffers<T>.Filled(Math.Max(valuesAt + values.Length, outputAt + outputLength));
        values.CopyTo(shared, valuesAt);
        T[] before = (T[])shared.Clone();
        ArgumentException exception = Assert.Throws<ArgumentException>(() => call(shared.AsSpan(valuesAt, values.Length), shared.AsSpan(outputAt, outputLength)));
        Assert.Equal(outputName, exception.ParamName);
        Check<T>.SameBits(before, shared, $"{outputName} at {outputAt} over an input at {valuesAt}: the shared array");
    }

    private static void Write(CategoricalCall<T> call, string output, Span<T> span)
    {
        if (output == "losses")
        {
            call.Losses(span);
        }
        else
        {
            _ = call.WithGradient(span, Reduction.Mean);
        }
    }

    private static void Write(BinaryCall<T> call, string output, Span<T> span)
    {
        if (output == "losses")
        {
            call.Losses(span);
        }
        else
        {
            _ = call.WithGradient(span, Reduction.Mean);
        }
    }

    private static T[] Values(params double[] values) => TestData.To<T>(values);

    private static void ForEachWidth(Action check)
    {
        foreach (VectorWidth width in Widths.All)
        {
            using (Widths.Limit(width))
            {
                check();
            }
        }
    }

    /// <summary>The arguments of a categorical call as arrays, so that a lambda can capture them.</summary>
    private sealed record CategoricalArgs(bool FromLogits, bool Soft, T[] Input, T[] Targets, int[] Labels, int Classes, T[] Weights, int IgnoreIndex, double Smoothing)
    {
        /// <summary>Four rows of three classes that every entry point accepts.</summary>
        public static CategoricalArgs Valid(bool fromLogits, bool soft) =>
            new(fromLogits, soft,
                fromLogits ? Values(-4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7) : Values(0.1, 0.2, 0.7, 0.3, 0.3, 0.4, 0.5, 0.25, 0.25, 1, 0, 0),
                Values(1, 0, 0, 0.5, 0.5, 0, 0, 0, 1, 0.2, 0.3, 0.5), [0, 1, 2, 1], ValidationTests<T>.Classes, [], -100, 0.1);

        public CategoricalCall<T> Call() => CallOn(Input, Targets);

        /// <summary>The call with the input and targets taken from other memory.</summary>
        public CategoricalCall<T> CallOn(ReadOnlySpan<T> input, ReadOnlySpan<T> targets) => CallOn(input, targets, Weights);

        /// <summary>The call with the input, targets and class weights taken from other memory.</summary>
        public CategoricalCall<T> CallOn(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights) => new()
        {
            FromLogits = FromLogits, Input = input, Classes = Classes, Soft = Soft, Labels = Labels, Targets = targets, Weights = weights,
            IgnoreIndex = IgnoreIndex, Smoothing = Smoothing,
        };
    }

    /// <summary>The arguments of a binary call as arrays.</summary>
    private sealed record BinaryArgs(bool FromLogits, T[] Input, T[] Targets, T[] Weights, T[] PositiveWeights, double Smoothing)
    {
        /// <summary>Six elements, weights of length 2 and positive weights of length 3, that every entry point accepts.</summary>
        public static BinaryArgs Valid(bool fromLogits) =>
            new(fromLogits, fromLogits ? Values(-2, -1, 0, 1, 2, 3) : Values(0, 0.2, 0.4, 0.6, 0.8, 1), Values(0, 1, 0.5, 1, 0, 1),
                Values(0.5, 2), fromLogits ? Values(1, 2, 3) : [], 0.1);

        public BinaryCall<T> Call() => CallOn(Input, Targets);

        /// <summary>The call with the input and targets taken from other memory.</summary>
        public BinaryCall<T> CallOn(ReadOnlySpan<T> input, ReadOnlySpan<T> targets) => CallOn(input, targets, Weights, PositiveWeights);

        /// <summary>The call with every span taken from other memory.</summary>
        public BinaryCall<T> CallOn(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, ReadOnlySpan<T> positiveWeights) => new()
        {
            FromLogits = FromLogits, Input = input, Targets = targets, Weights = weights, PositiveWeights = positiveWeights, Smoothing = Smoothing,
        };
    }
}

public sealed class FloatValidationTests : ValidationTests<float>;

public sealed class DoubleValidationTests : ValidationTests<double>;
