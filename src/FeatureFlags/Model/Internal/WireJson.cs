using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Unicode;

namespace FeatureFlags.Model.Internal;

/// <summary>Reads FeatBit wire JSON (with <see cref="WireParser"/>; the source-generated context writes the cache file).</summary>
internal static class WireJson
{
    /// <summary>
    /// Reads a <c>data-sync</c> payload from either the whole envelope (<c>{"messageType":"data-sync","data":{...}}</c>,
    /// as the server pushes it and <c>/api/public/sdk/server/latest-all</c> returns it) or the bare <c>data</c> object.
    /// </summary>
    /// <exception cref="JsonException">The text is not UTF-8, or the JSON is malformed or is not a data-sync payload.</exception>
    public static DataSyncPayloadDto ReadDataSync(ReadOnlySpan<byte> utf8Json)
    {
        EnsureValidUtf8(utf8Json);
        return ReadValidatedDataSync(utf8Json);
    }

    /// <summary><see cref="ReadDataSync(ReadOnlySpan{byte})"/> for text read into several buffers (a polled body, a file).</summary>
    /// <exception cref="JsonException">The text is not UTF-8, or the JSON is malformed or is not a data-sync payload.</exception>
    public static DataSyncPayloadDto ReadDataSync(in ReadOnlySequence<byte> utf8Json)
    {
        EnsureValidUtf8(utf8Json);
        return ReadValidatedDataSync(utf8Json);
    }

    /// <summary>
    /// <see cref="ReadDataSync(ReadOnlySpan{byte})"/> for text already known to be UTF-8: a WebSocket text message (the socket itself
    /// refuses invalid UTF-8, closing with 1007) or bytes <see cref="EnsureValidUtf8(ReadOnlySpan{byte})"/> has checked.
    /// </summary>
    /// <exception cref="JsonException">The JSON is malformed or is not a data-sync payload.</exception>
    public static DataSyncPayloadDto ReadValidatedDataSync(ReadOnlySpan<byte> utf8Json) => WireParser.Parse(utf8Json);

    /// <summary><see cref="ReadValidatedDataSync(ReadOnlySpan{byte})"/> for a message received into several buffers.</summary>
    /// <exception cref="JsonException">The JSON is malformed or is not a data-sync payload.</exception>
    public static DataSyncPayloadDto ReadValidatedDataSync(in ReadOnlySequence<byte> utf8Json) => WireParser.Parse(utf8Json);

    /// <summary>
    /// Reads one string property of the top-level JSON object without materialising the rest (the streaming
    /// <c>messageType</c>, the cache file's <c>environment</c>). Comments are skipped.
    /// </summary>
    /// <param name="utf8Json">The JSON.</param>
    /// <param name="name">The property name, UTF-8.</param>
    /// <param name="value">The property's value; null when it is absent or not a string.</param>
    /// <returns><see langword="false"/> when the JSON is not an object.</returns>
    /// <exception cref="JsonException">The JSON is malformed before the property is found.</exception>
    public static bool TryReadTopLevelString(ReadOnlySpan<byte> utf8Json, ReadOnlySpan<byte> name, out string? value)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        return TryReadTopLevelString(ref reader, name, out value);
    }

    /// <summary><see cref="TryReadTopLevelString(ReadOnlySpan{byte}, ReadOnlySpan{byte}, out string?)"/> over several buffers.</summary>
    /// <exception cref="JsonException">The JSON is malformed before the property is found.</exception>
    public static bool TryReadTopLevelString(in ReadOnlySequence<byte> utf8Json, ReadOnlySpan<byte> name, out string? value)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        return TryReadTopLevelString(ref reader, name, out value);
    }

    private static bool TryReadTopLevelString(ref Utf8JsonReader reader, ReadOnlySpan<byte> name, out string? value)
    {
        value = null;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(name))
            {
                reader.Read();
                value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                return true;
            }

            reader.Read();
            reader.Skip();
        }

        return true;
    }

    /// <summary>
    /// Refuses text that is not UTF-8 with a <see cref="JsonException"/> giving the 0-based line and byte of the first bad
    /// byte. System.Text.Json only finds invalid UTF-8 when it transcodes a string, and then throws an
    /// <see cref="InvalidOperationException"/> that would escape the callers' <see cref="JsonException"/> handling.
    /// </summary>
    /// <exception cref="JsonException">The text is not valid UTF-8.</exception>
    public static void EnsureValidUtf8(ReadOnlySpan<byte> utf8)
    {
        if (Utf8.IsValid(utf8))
        {
            return;
        }

        var index = 0;
        Span<char> scratch = stackalloc char[256];
        while (index < utf8.Length)
        {
            var status = Utf8.ToUtf16(utf8[index..], scratch, out var read, out _, replaceInvalidSequences: false, isFinalBlock: true);
            index += read;
            if (status != OperationStatus.DestinationTooSmall)
            {
                break;
            }
        }

        ThrowInvalidAt(utf8, Math.Min(index, utf8.Length - 1));
    }

    /// <summary>
    /// <see cref="EnsureValidUtf8(ReadOnlySpan{byte})"/> for text received into several buffers (a polled response): each
    /// buffer is checked in place, and a char split between two buffers is checked from its at most four bytes.
    /// </summary>
    /// <exception cref="JsonException">The text is not valid UTF-8.</exception>
    public static void EnsureValidUtf8(in ReadOnlySequence<byte> utf8)
    {
        if (utf8.IsSingleSegment)
        {
            EnsureValidUtf8(utf8.FirstSpan);
            return;
        }

        if (!IsValidUtf8(utf8))
        {
            // The error path only: the text is made contiguous to name the first bad byte's line and position.
            EnsureValidUtf8(utf8.ToArray());
            throw new JsonException("The text is not valid UTF-8.");
        }
    }

    /// <summary>Whether the buffers of <paramref name="utf8"/>, one after the other, are valid UTF-8.</summary>
    private static bool IsValidUtf8(in ReadOnlySequence<byte> utf8)
    {
        // The bytes of a char that the previous buffer ended in the middle of, and how many its first byte announces.
        Span<byte> split = stackalloc byte[4];
        var carried = 0;
        var expected = 0;
        foreach (var memory in utf8)
        {
            var span = memory.Span;
            if (carried > 0)
            {
                var take = Math.Min(expected - carried, span.Length);
                span[..take].CopyTo(split[carried..]);
                carried += take;
                span = span[take..];
                if (carried < expected)
                {
                    continue; // a buffer shorter than the rest of the char
                }

                if (!Utf8.IsValid(split[..carried]))
                {
                    return false;
                }

                carried = 0;
            }

            var whole = span.Length - IncompleteTail(span, out expected);
            if (!Utf8.IsValid(span[..whole]))
            {
                return false;
            }

            span[whole..].CopyTo(split);
            carried = span.Length - whole;
        }

        return carried == 0; // text that ends inside a char is not UTF-8
    }

    /// <summary>
    /// How many bytes at the end of <paramref name="span"/> start a char that continues past it (0 when none does), and
    /// in <paramref name="charLength"/> how many bytes that char has. Bytes that cannot start a char are left for
    /// <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/> to refuse.
    /// </summary>
    private static int IncompleteTail(ReadOnlySpan<byte> span, out int charLength)
    {
        charLength = 0;
        for (var back = 1; back <= 3 && back <= span.Length; back++)
        {
            var b = span[^back];
            if ((b & 0xC0) == 0x80)
            {
                continue; // a continuation byte: its lead is further back
            }

            // ASCII (0xxxxxxx) ends a char; a lead byte announces 2 (110xxxxx), 3 (1110xxxx) or 4 (11110xxx) bytes.
            var length = b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
            if (length > back)
            {
                charLength = length;
                return back;
            }

            return 0;
        }

        return 0;
    }

    [DoesNotReturn]
    private static void ThrowInvalidAt(ReadOnlySpan<byte> utf8, int index)
    {
        var before = utf8[..index];
        var line = before.Count((byte)'\n');
        var position = index - (before.LastIndexOf((byte)'\n') + 1);
        throw new JsonException(
            $"The text is not valid UTF-8 (byte 0x{utf8[index]:X2}).", path: null, lineNumber: line, bytePositionInLine: position);
    }
}
