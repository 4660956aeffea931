using System;
using System.Runtime.CompilerServices;
using Xunit;

namespace CrossEntropy.Tests.Infrastructure;

/// <summary>
/// Assertions whose message is an interpolated string formatted only when the assertion fails: in the loops over every
/// element, formatting each passing element's message would cost more than the check itself.
/// </summary>
internal static class That
{
    /// <summary>Fails with <paramref name="message"/> unless <paramref name="condition"/> holds.</summary>
    public static void Holds(bool condition, [InterpolatedStringHandlerArgument(nameof(condition))] ref FailureMessage message)
    {
        if (!condition)
        {
            Assert.Fail(message.ToStringAndClear());
        }
    }
}

/// <summary>The message of <see cref="That.Holds"/>: its parts are formatted only where the condition is false.</summary>
[InterpolatedStringHandler]
internal ref struct FailureMessage
{
    private DefaultInterpolatedStringHandler _text;

    public FailureMessage(int literalLength, int formattedCount, bool condition, out bool format)
    {
        format = !condition;
        _text = format ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
    }

    public void AppendLiteral(string value) => _text.AppendLiteral(value);

    public void AppendFormatted<TValue>(TValue value) => _text.AppendFormatted(value);

    public void AppendFormatted<TValue>(TValue value, string? format) => _text.AppendFormatted(value, format);

    public void AppendFormatted<TValue>(TValue value, int alignment) => _text.AppendFormatted(value, alignment);

    public void AppendFormatted<TValue>(TValue value, int alignment, string? format) => _text.AppendFormatted(value, alignment, format);

    public void AppendFormatted(ReadOnlySpan<char> value) => _text.AppendFormatted(value);

    public void AppendFormatted(string? value) => _text.AppendFormatted(value);

    public string ToStringAndClear() => _text.ToStringAndClear();
}
