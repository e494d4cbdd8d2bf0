using System.Buffers;
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

    /// <summary>
    /// <see cref="ReadDataSync"/> for text already known to be UTF-8: a WebSocket text message (the socket itself
    /// refuses invalid UTF-8, closing with 1007) or bytes <see cref="EnsureValidUtf8"/> has checked.
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

        index = Math.Min(index, utf8.Length - 1);
        var before = utf8[..index];
        var line = before.Count((byte)'\n');
        var position = index - (before.LastIndexOf((byte)'\n') + 1);
        throw new JsonException(
            $"The text is not valid UTF-8 (byte 0x{utf8[index]:X2}).", path: null, lineNumber: line, bytePositionInLine: position);
    }
}
