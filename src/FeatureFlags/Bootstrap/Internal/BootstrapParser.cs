using System.Buffers;
using System.Text.Json;
using FeatureFlags.Model.Internal;

namespace FeatureFlags.Bootstrap.Internal;

/// <summary>
/// Reads a bootstrap file: a FeatBit <c>data-sync</c> message (envelope or bare <c>data</c>), or the hand-written
/// format <c>{"flags": {"key": value | {"value": value, "users": {"user-key": value}}}}</c>, which is compiled into real
/// FeatBit flags (variations, individual targets, a fallthrough) so evaluation treats both alike.
/// </summary>
/// <remarks>
/// The format is detected by the root object: a <c>flags</c> property means hand-written; anything else is read as
/// FeatBit JSON. In the hand-written format an object is a rich entry only when its properties are exactly
/// <c>value</c> and optionally <c>users</c>; any other object is a JSON flag value.
/// </remarks>
internal static class BootstrapParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    // The format scan reads what the document would accept.
    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        CommentHandling = DocumentOptions.CommentHandling,
        AllowTrailingCommas = DocumentOptions.AllowTrailingCommas,
    };

    /// <summary>Parses <paramref name="utf8Json"/>; always returns a <c>full</c> data set.</summary>
    /// <param name="utf8Json">The file's bytes, in one buffer or several.</param>
    /// <param name="version">The version (<c>updatedAt</c>) given to hand-written flags; it must grow between loads.</param>
    /// <exception cref="JsonException">The file is not valid JSON or not a bootstrap file.</exception>
    public static DataSyncPayloadDto Parse(in ReadOnlySequence<byte> utf8Json, long version)
    {
        WireJson.EnsureValidUtf8(utf8Json);
        if (IsHandWritten(utf8Json))
        {
            using var document = JsonDocument.Parse(utf8Json, DocumentOptions);
            return ParseSimple(document.RootElement.GetProperty("flags"), version);
        }

        // FeatBit JSON is read once, by the wire parser, without a document of the whole file first.
        var payload = WireJson.ReadValidatedDataSync(utf8Json);
        payload.EventType = "full";
        return payload;
    }

    /// <summary>
    /// Whether the root is an object with a <c>flags</c> property: a scan of the top-level property names that skips
    /// their values. Anything else (another root, malformed JSON) is left to the FeatBit parser, which reports it.
    /// </summary>
    private static bool IsHandWritten(in ReadOnlySequence<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("flags"u8))
                {
                    return true;
                }

                reader.Read();
                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Malformed: the FeatBit parser reads it again and names the error's line and position.
        }

        return false;
    }

    private static DataSyncPayloadDto ParseSimple(JsonElement flags, long version)
    {
        if (flags.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("'flags' must be an object of flag key -> value.");
        }

        var list = new TolerantList<FlagDto>();
        foreach (var property in flags.EnumerateObject())
        {
            list.Items.Add(CompileFlag(property.Name, property.Value, version));
        }

        return new DataSyncPayloadDto { EventType = "full", FeatureFlags = list, Segments = new TolerantList<SegmentDto>() };
    }

    private static FlagDto CompileFlag(string key, JsonElement entry, long version)
    {
        var value = entry;
        JsonElement? users = null;
        if (IsRichEntry(entry))
        {
            value = entry.GetProperty("value");
            if (entry.TryGetProperty("users", out var u))
            {
                if (u.ValueKind != JsonValueKind.Object)
                {
                    throw new JsonException($"Flag '{key}': 'users' must be an object of user key -> value.");
                }

                users = u;
            }
        }

        var type = TypeOf(key, value);
        var variations = new List<VariationDto>();
        var fallthroughId = VariationOf(variations, ValueOf(value));
        var targets = new Dictionary<string, TargetUserDto>(StringComparer.Ordinal);
        if (users is { } userValues)
        {
            foreach (var user in userValues.EnumerateObject())
            {
                if (TypeOf(key, user.Value) != type)
                {
                    throw new JsonException($"Flag '{key}': the value for user '{user.Name}' is a {TypeOf(key, user.Value)}, not a {type} like the flag's value.");
                }

                var id = VariationOf(variations, ValueOf(user.Value));
                if (!targets.TryGetValue(id, out var target))
                {
                    target = new TargetUserDto { VariationId = id, KeyIds = [] };
                    targets[id] = target;
                }

                target.KeyIds!.Add(user.Name);
            }
        }

        return new FlagDto
        {
            Id = key,
            Key = key,
            VariationType = type,
            Variations = variations,
            TargetUsers = [.. targets.Values],
            Rules = [],
            IsEnabled = true,
            DisabledVariationId = fallthroughId,
            Fallthrough = new FallthroughDto { Variations = [new RolloutVariationDto { Id = fallthroughId, Rollout = [0, 1], ExptRollout = 1 }] },
            UpdatedAt = version,
        };
    }

    private static bool IsRichEntry(JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("value", out _))
        {
            return false;
        }

        foreach (var property in entry.EnumerateObject())
        {
            if (property.Name is not ("value" or "users"))
            {
                return false;
            }
        }

        return true;
    }

    private static string VariationOf(List<VariationDto> variations, string value)
    {
        var existing = variations.Find(v => string.Equals(v.Value, value, StringComparison.Ordinal));
        if (existing is not null)
        {
            return existing.Id!;
        }

        var id = "v" + variations.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        variations.Add(new VariationDto { Id = id, Value = value });
        return id;
    }

    private static string TypeOf(string key, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.Object or JsonValueKind.Array => "json",
        _ => throw new JsonException($"Flag '{key}': a flag value must be a boolean, string, number, object or array, not {value.ValueKind}."),
    };

    private static string ValueOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.String => value.GetString()!,
        _ => value.GetRawText(),
    };
}
