using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FeatureFlags.Model.Internal;

/// <summary>
/// Reads FeatBit's <c>updatedAt</c> (an ISO-8601 string with any number of fraction digits and any offset) as Unix
/// milliseconds, truncating sub-millisecond digits. A number is taken as Unix milliseconds as it is.
/// </summary>
internal sealed class UnixMillisecondsConverter : JsonConverter<long>
{
    public override long Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => ReadValue(ref reader);

    /// <summary>Reads the current token (a number, null or an ISO-8601 string) as Unix milliseconds.</summary>
    /// <exception cref="JsonException">The token is of another type, or the string is not an ISO-8601 date.</exception>
    internal static long ReadValue(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return reader.GetInt64();
        }

        if (reader.TokenType == JsonTokenType.Null)
        {
            return 0;
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"Expected an ISO-8601 date string but found {reader.TokenType}.");
        }

        // The common case, "2023-01-16T02:56:19.531Z" or "...+00:00": System.Text.Json's own ISO-8601 reader, straight from
        // the UTF-8 bytes (no text copy, no culture-aware parse). Only with an explicit offset (without one it would assume
        // local time, where ours assumes UTC) and at most 7 fraction digits (more go through the truncating path below).
        if (!reader.HasValueSequence && !reader.ValueIsEscaped && HasOffsetAndShortFraction(reader.ValueSpan)
            && reader.TryGetDateTimeOffset(out var fast))
        {
            return (fast.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMillisecond;
        }

        // No date is longer than 64 characters; a longer string is malformed (not an ArgumentException from CopyString).
        var raw = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (raw > 64 && !reader.ValueIsEscaped)
        {
            throw new JsonException("The date string is too long to be an ISO-8601 date.");
        }

        Span<char> buffer = stackalloc char[64];
        int length;
        try
        {
            length = reader.CopyString(buffer);
        }
        catch (ArgumentException)
        {
            throw new JsonException("The date string is too long to be an ISO-8601 date.");
        }

        if (!TryParse(buffer[..length], out var ms))
        {
            throw new JsonException($"'{buffer[..length]}' is not an ISO-8601 date.");
        }

        return ms;
    }

    /// <summary>Whether an ISO-8601 text ends with <c>Z</c> or a <c>±hh:mm</c> offset and has at most 7 fraction digits.</summary>
    private static bool HasOffsetAndShortFraction(ReadOnlySpan<byte> utf8)
    {
        var withOffset = utf8.Length > 6 && (utf8[^1] == (byte)'Z'
            || (utf8[^3] == (byte)':' && utf8[^6] is (byte)'+' or (byte)'-'));
        if (!withOffset)
        {
            return false;
        }

        var dot = utf8.IndexOf((byte)'.');
        if (dot < 0)
        {
            return true;
        }

        var digits = 0;
        while (dot + 1 + digits < utf8.Length && char.IsAsciiDigit((char)utf8[dot + 1 + digits]))
        {
            digits++;
        }

        return digits <= 7;
    }

    /// <summary>Writes <paramref name="value"/> as FeatBit writes it (<c>2024-01-01T00:00:00.000Z</c>), formatted on the stack.</summary>
    public override void Write(Utf8JsonWriter writer, long value, JsonSerializerOptions options)
    {
        // Formatted straight into UTF-8 bytes: a full data set has a timestamp per flag and segment, and a string each
        // was a fifth of what serialising it allocated.
        var time = DateTimeOffset.FromUnixTimeMilliseconds(value).UtcDateTime;
        Span<byte> utf8 = stackalloc byte[24];
        Digits(utf8[..4], time.Year);
        utf8[4] = (byte)'-';
        Digits(utf8.Slice(5, 2), time.Month);
        utf8[7] = (byte)'-';
        Digits(utf8.Slice(8, 2), time.Day);
        utf8[10] = (byte)'T';
        Digits(utf8.Slice(11, 2), time.Hour);
        utf8[13] = (byte)':';
        Digits(utf8.Slice(14, 2), time.Minute);
        utf8[16] = (byte)':';
        Digits(utf8.Slice(17, 2), time.Second);
        utf8[19] = (byte)'.';
        Digits(utf8.Slice(20, 3), time.Millisecond);
        utf8[23] = (byte)'Z';
        writer.WriteStringValue(utf8);
    }

    // value as exactly destination.Length decimal digits, zero-padded.
    private static void Digits(Span<byte> destination, int value)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }

    /// <summary>Parses an ISO-8601 timestamp to Unix ms; fractions beyond 7 digits are cut before parsing.</summary>
    internal static bool TryParse(ReadOnlySpan<char> text, out long unixMilliseconds)
    {
        Span<char> buffer = stackalloc char[64];
        return TryParse(text, buffer, out unixMilliseconds);
    }

    private static bool TryParse(ReadOnlySpan<char> text, Span<char> normalised, out long unixMilliseconds)
    {
        unixMilliseconds = 0;
        text = text.Trim();

        // DateTimeOffset parsing accepts at most 7 fraction digits: keep the first 7 (truncation, not rounding).
        var dot = text.IndexOf('.');
        if (dot >= 0)
        {
            var end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }

            var digits = Math.Min(end - dot - 1, 7);
            var rest = text[end..];
            var needed = dot + 1 + digits + rest.Length;
            if (needed > normalised.Length)
            {
                return false;
            }

            text[..(dot + 1 + digits)].CopyTo(normalised);
            rest.CopyTo(normalised[(dot + 1 + digits)..]);
            text = normalised[..needed];
        }

        // A timestamp without an offset is UTC (AssumeUniversal), as the server writes UTC.
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return false;
        }

        // Ticks / 10_000 truncates toward zero, so sub-millisecond digits are dropped.
        unixMilliseconds = (parsed.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMillisecond;
        return true;
    }
}
