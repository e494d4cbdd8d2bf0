using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;

namespace FeatureFlags.Model.Internal;

/// <summary>
/// A hand-written reader of the FeatBit <c>data-sync</c> wire JSON (one pass of a <see cref="Utf8JsonReader"/>, over a
/// span or a segmented <see cref="ReadOnlySequence{T}"/>) straight into the wire entities, with the short repeated
/// strings shared through a <see cref="Utf8StringPool"/> and every list sized exactly.
/// </summary>
/// <remarks>
/// It accepts exactly what the source-generated serializer accepted (<see cref="WireJsonContext"/>'s options): comments,
/// trailing commas, case-insensitive property names, numbers written as strings, unknown properties; a malformed flag or
/// segment is skipped with an error (<see cref="TolerantList{T}"/>) while structurally broken JSON fails the whole
/// message. Test/FeatureFlags.Tests/Model/WireParserTests.cs proves it equal to the serializer path.
/// </remarks>
internal sealed partial class WireParser
{
    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    // The first attempt: comments refused, which takes the reader's faster path (no comment skipping per token).
    private static readonly JsonReaderOptions StrictReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = true,
    };

    /// <summary>
    /// Whether this is the first, comment-refusing attempt: then an error of the reader itself (a comment, or broken
    /// JSON) is not an entity error but ends the attempt, and the message is read again with comments skipped.
    /// </summary>
    private readonly bool _strict;

    private readonly Utf8StringPool _pool;
    private readonly byte[] _nameBuffer = new byte[NameBufferLength];

    // One scratch list per element type: lists of one type never nest, so each is free when a list of its type starts.
    private readonly List<VariationDto> _variations = [];
    private readonly List<TargetUserDto> _targets = [];
    private readonly List<RuleDto> _rules = [];
    private readonly List<ConditionDto> _conditions = [];
    private readonly List<RolloutVariationDto> _rollouts = [];
    private readonly List<SegmentRuleDto> _segmentRules = [];
    private readonly List<string?> _strings = [];
    private readonly List<double> _doubles = [];
    private Dictionary<(double Min, double Max), double[]>? _intervals;
    private readonly double[][] _recentIntervals = new double[8][];
    private int _recentCount;
    private Dictionary<(string?, string?, string?), ConditionDto>? _sharedConditions;

    private delegate T? ElementReader<T>(WireParser parser, ref Utf8JsonReader reader);

    /// <param name="strict">The comment-refusing first attempt (see <see cref="_strict"/>).</param>
    /// <param name="length">The message's length in bytes: a flag is about 1 KB and brings a dozen new texts, so a
    /// one-flag patch gets a small pool and a full data-sync one that starts at its largest.</param>
    private WireParser(bool strict, long length)
    {
        _strict = strict;
        _pool = new Utf8StringPool((int)Math.Min(length / 64, int.MaxValue));
    }

    /// <summary>Parses a payload from UTF-8 that is known to be valid (see <see cref="WireJson.ReadValidatedDataSync(ReadOnlySpan{byte})"/>).</summary>
    /// <exception cref="JsonException">The JSON is malformed or is not a data-sync payload.</exception>
    public static DataSyncPayloadDto Parse(ReadOnlySpan<byte> utf8Json)
    {
        var strict = new Utf8JsonReader(utf8Json, StrictReaderOptions);
        try
        {
            return new WireParser(strict: true, utf8Json.Length).ReadRoot(ref strict);
        }
        catch (JsonException ex) when (IsReaderError(ex))
        {
            // A comment (or broken JSON, which fails again below with the same error as before).
        }

        var reader = new Utf8JsonReader(utf8Json, ReaderOptions);
        return new WireParser(strict: false, utf8Json.Length).ReadRootAsJson(ref reader);
    }

    /// <summary>Parses a payload from segmented UTF-8 known to be valid (a WebSocket message received into pooled buffers).</summary>
    /// <exception cref="JsonException">The JSON is malformed or is not a data-sync payload.</exception>
    public static DataSyncPayloadDto Parse(in ReadOnlySequence<byte> utf8Json)
    {
        if (utf8Json.IsSingleSegment)
        {
            return Parse(utf8Json.FirstSpan);
        }

        var strict = new Utf8JsonReader(utf8Json, StrictReaderOptions);
        try
        {
            return new WireParser(strict: true, utf8Json.Length).ReadRoot(ref strict);
        }
        catch (JsonException ex) when (IsReaderError(ex))
        {
            // As for a span: read again with comments skipped.
        }

        var reader = new Utf8JsonReader(utf8Json, ReaderOptions);
        return new WireParser(strict: false, utf8Json.Length).ReadRootAsJson(ref reader);
    }

    /// <summary>An error of the reader itself (its own subclass), as opposed to one this parser throws for an entity.</summary>
    private static bool IsReaderError(JsonException ex) => ex.GetType() != typeof(JsonException);

    /// <summary>
    /// <see cref="ReadRoot"/>, with the reader's own exception type (a subclass) turned into a plain
    /// <see cref="JsonException"/>, as the serializer path threw: callers and tests match the exact type.
    /// </summary>
    private DataSyncPayloadDto ReadRootAsJson(ref Utf8JsonReader reader)
    {
        try
        {
            return ReadRoot(ref reader);
        }
        catch (JsonException ex) when (IsReaderError(ex))
        {
            throw new JsonException(ex.Message, ex.Path, ex.LineNumber, ex.BytePositionInLine, ex);
        }
    }

    /// <summary>The envelope (<c>{"messageType":"data-sync","data":{...}}</c>) or the bare <c>data</c> object.</summary>
    private DataSyncPayloadDto ReadRoot(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("The JSON is empty.");
        }

        if (reader.TokenType == JsonTokenType.Null)
        {
            EnsureEnd(ref reader);
            throw new JsonException("The JSON is null.");
        }

        ExpectObject(ref reader, "the message");
        string? messageType = null;
        DataSyncPayloadDto? data = null;
        var bare = new DataSyncPayloadDto();
        Exception? bareError = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = NameOf(ref reader);
            reader.Read();
            if (Is(name, "messageType"u8))
            {
                messageType = ReadPooledString(ref reader);
            }
            else if (Is(name, "data"u8))
            {
                data = reader.TokenType == JsonTokenType.Null ? null : ReadPayload(ref reader, new DataSyncPayloadDto());
            }
            else if (data is null && IsPayloadProperty(name))
            {
                // The bare form's properties count only when there is no 'data' (as the serializer path read the
                // envelope first): an error in one is kept, and thrown only if the message turns out to be bare.
                var start = reader;
                try
                {
                    ReadPayloadProperty(ref reader, name, bare);
                }
                catch (Exception ex) when (IsEntityError(ex))
                {
                    bareError ??= ex;
                    reader = start;
                    reader.Skip();
                }
            }
            else
            {
                reader.Skip();
            }
        }

        EnsureEnd(ref reader);
        if (data is not null)
        {
            if (messageType is not null && !string.Equals(messageType, "data-sync", StringComparison.OrdinalIgnoreCase))
            {
                throw new JsonException($"Expected a data-sync message but found '{messageType}'.");
            }

            return data;
        }

        if (bareError is not null)
        {
            ExceptionDispatchInfo.Throw(bareError);
        }

        if (bare.FeatureFlags is null && bare.Segments is null)
        {
            throw new JsonException("The JSON has neither 'data' nor 'featureFlags'/'segments'.");
        }

        return bare;
    }

    private static bool IsPayloadProperty(ReadOnlySpan<byte> name)
        => Is(name, "eventType"u8) || Is(name, "featureFlags"u8) || Is(name, "segments"u8);

    private DataSyncPayloadDto ReadPayload(ref Utf8JsonReader reader, DataSyncPayloadDto payload)
    {
        ExpectObject(ref reader, "'data'");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = NameOf(ref reader);
            reader.Read();
            if (!ReadPayloadProperty(ref reader, name, payload))
            {
                reader.Skip();
            }
        }

        return payload;
    }

    private bool ReadPayloadProperty(ref Utf8JsonReader reader, scoped ReadOnlySpan<byte> name, DataSyncPayloadDto payload)
    {
        if (Is(name, "eventType"u8))
        {
            payload.EventType = ReadPooledString(ref reader);
        }
        else if (Is(name, "featureFlags"u8))
        {
            payload.FeatureFlags = ReadTolerantList(ref reader, static (WireParser p, ref Utf8JsonReader r) => p.ReadFlag(ref r));
        }
        else if (Is(name, "segments"u8))
        {
            payload.Segments = ReadTolerantList(ref reader, static (WireParser p, ref Utf8JsonReader r) => p.ReadSegment(ref r));
        }
        else
        {
            return false;
        }

        return true;
    }

    /// <summary>A list whose malformed elements are skipped with an error (see <see cref="TolerantListConverter{T}"/>).</summary>
    private TolerantList<T>? ReadTolerantList<T>(ref Utf8JsonReader reader, ElementReader<T> read)
        where T : class
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException($"Expected an array of {typeof(T).Name} but found {reader.TokenType}.");
        }

        var list = new TolerantList<T>();
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = reader;
            try
            {
                var item = read(this, ref reader);
                if (item is null)
                {
                    list.Errors.Add($"element {index} is null");
                }
                else
                {
                    list.Items.Add(item);
                }
            }
            catch (Exception ex) when (IsEntityError(ex))
            {
                // Rewind to the element's start and skip it whole; Skip fails only on broken JSON, which must fail.
                reader = start;
                reader.Skip();
                list.Errors.Add($"element {index}: {ex.Message}");
            }

            index++;
        }

        return list;
    }

    /// <summary>What a malformed entity throws: the entity is skipped, the message goes on.</summary>
    /// <remarks>In the strict attempt an error of the reader ends the attempt instead (see <see cref="_strict"/>).</remarks>
    private bool IsEntityError(Exception ex)
        => ex is JsonException json ? !_strict || !IsReaderError(json) : ex is InvalidOperationException or FormatException or OverflowException;

    private const int NameBufferLength = 128;

    /// <summary>
    /// The current property name as UTF-8 (unescaped); empty when it is too long to be one we know. An escaped or split
    /// name is unescaped into a buffer that the next name overwrites: callers match the name before reading its value.
    /// </summary>
    private ReadOnlySpan<byte> NameOf(ref Utf8JsonReader reader)
    {
        var buffer = _nameBuffer;
        if (!reader.HasValueSequence && !reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }

        var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        return length > buffer.Length ? [] : buffer.AsSpan(0, reader.CopyString(buffer));
    }

    /// <summary>Property names match case-insensitively, as the serializer's <c>PropertyNameCaseInsensitive</c>.</summary>
    private static bool Is(ReadOnlySpan<byte> name, ReadOnlySpan<byte> expected)
        => name.Length == expected.Length && (name.SequenceEqual(expected) || Ascii.EqualsIgnoreCase(name, expected));

    private static void ExpectObject(ref Utf8JsonReader reader, string what)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"Expected {what} to be a JSON object but found {reader.TokenType}.");
        }
    }

    /// <summary>Only whitespace and comments may follow the root value (the reader throws on anything else).</summary>
    private static void EnsureEnd(ref Utf8JsonReader reader)
    {
        if (reader.Read())
        {
            throw new JsonException($"Unexpected {reader.TokenType} after the JSON value.");
        }
    }
}
