using System.Text.Json.Serialization;

namespace FeatureFlags.Model.Internal;

// The FeatBit wire model, as the evaluation server serialises it (camelCase, web defaults).
// Only the fields evaluation needs are mapped; every other field is ignored. Nothing here is validated:
// FlagCompiler turns these into compiled, validated entities.

/// <summary>A feature flag as sent by the server.</summary>
internal sealed class FlagDto
{
    public string? Id { get; set; }

    public string? Key { get; set; }

    public string? VariationType { get; set; }

    public List<VariationDto>? Variations { get; set; }

    public List<TargetUserDto>? TargetUsers { get; set; }

    public List<RuleDto>? Rules { get; set; }

    public bool IsEnabled { get; set; }

    public string? DisabledVariationId { get; set; }

    public FallthroughDto? Fallthrough { get; set; }

    public bool ExptIncludeAllTargets { get; set; }

    public bool IsArchived { get; set; }

    // ISO-8601 on the wire, Unix milliseconds here (UnixMillisecondsConverter, registered on WireJsonContext).
    public long UpdatedAt { get; set; }
}

/// <summary>One value a flag can serve.</summary>
internal sealed class VariationDto
{
    public string? Id { get; set; }

    public string? Value { get; set; }
}

/// <summary>Individually targeted user keys and the variation they get.</summary>
internal sealed class TargetUserDto
{
    public List<string?>? KeyIds { get; set; }

    public string? VariationId { get; set; }
}

/// <summary>A targeting rule: all conditions must match; then the rollout picks the variation.</summary>
internal sealed class RuleDto
{
    public string? Id { get; set; }

    public string? Name { get; set; }

    public string? DispatchKey { get; set; }

    public bool IncludedInExpt { get; set; }

    public List<ConditionDto>? Conditions { get; set; }

    public List<RolloutVariationDto>? Variations { get; set; }
}

/// <summary>The default rule, served when no target or rule matched.</summary>
internal sealed class FallthroughDto
{
    public string? DispatchKey { get; set; }

    public bool IncludedInExpt { get; set; }

    public List<RolloutVariationDto>? Variations { get; set; }
}

/// <summary>One condition of a rule; <c>value</c> is always a string (lists are JSON inside the string).</summary>
internal sealed class ConditionDto
{
    public string? Property { get; set; }

    public string? Op { get; set; }

    public string? Value { get; set; }
}

/// <summary>A variation's share of a rollout: the bucket interval [min, max] and the experiment share.</summary>
internal sealed class RolloutVariationDto
{
    public string? Id { get; set; }

    public double[]? Rollout { get; set; }

    public double ExptRollout { get; set; }
}

/// <summary>A user segment as sent by the server.</summary>
internal sealed class SegmentDto
{
    public string? Id { get; set; }

    public List<string?>? Included { get; set; }

    public List<string?>? Excluded { get; set; }

    public List<SegmentRuleDto>? Rules { get; set; }

    public bool IsArchived { get; set; }

    // ISO-8601 on the wire, Unix milliseconds here (UnixMillisecondsConverter, registered on WireJsonContext).
    public long UpdatedAt { get; set; }
}

/// <summary>A segment rule: all its conditions must match.</summary>
internal sealed class SegmentRuleDto
{
    public string? Name { get; set; }

    public List<ConditionDto>? Conditions { get; set; }
}

/// <summary>The <c>data</c> of a server <c>data-sync</c> message.</summary>
internal sealed class DataSyncPayloadDto
{
    public string? EventType { get; set; }

    [JsonConverter(typeof(TolerantListConverter<FlagDto>))]
    public TolerantList<FlagDto>? FeatureFlags { get; set; }

    [JsonConverter(typeof(TolerantListConverter<SegmentDto>))]
    public TolerantList<SegmentDto>? Segments { get; set; }
}

/// <summary>The envelope of every streaming message: <c>{"messageType": "...", "data": {...}}</c>.</summary>
internal sealed class DataSyncMessageDto
{
    public string? MessageType { get; set; }

    public DataSyncPayloadDto? Data { get; set; }
}

/// <summary>Source-generated serialisation metadata for the wire model (AOT- and trim-safe).</summary>
// updatedAt (the model's only long) is read and written by UnixMillisecondsConverter, registered for the whole context:
// a converter attribute on the property kept FlagDto and SegmentDto off the generator's fast serialisation path, and
// writing a data set through the slow one allocated about 300 bytes per flag (0.94 MB for 3,000 flags; now 1.4 KB).
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip,
    Converters = [typeof(UnixMillisecondsConverter)])]
[JsonSerializable(typeof(DataSyncMessageDto))]
[JsonSerializable(typeof(DataSyncPayloadDto))]
[JsonSerializable(typeof(FlagDto))]
[JsonSerializable(typeof(SegmentDto))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(List<FlagDto>))]
[JsonSerializable(typeof(List<SegmentDto>))]
internal sealed partial class WireJsonContext : JsonSerializerContext;
