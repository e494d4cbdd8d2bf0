using System.Text.Json.Serialization;

namespace FeatureFlags.AspNetCore.Internal;

/// <summary>
/// One flag in the <c>MapFeatureFlags</c> response: value and variation id; <see cref="Kind"/> and <see cref="Reason"/>
/// only when the endpoint opts in to reasons (null ones are not written).
/// </summary>
internal sealed record FlagValueJson(string Value, string VariationId, EvaluationReasonKind? Kind = null, string? Reason = null);

/// <summary>Source-generated JSON for the <c>MapFeatureFlags</c> response (AOT-safe).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Dictionary<string, FlagValueJson>))]
internal sealed partial class FlagsJsonContext : JsonSerializerContext;
