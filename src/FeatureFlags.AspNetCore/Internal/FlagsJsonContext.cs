using System.Text.Json.Serialization;

namespace FeatureFlags.AspNetCore.Internal;

/// <summary>One flag in the <c>MapFeatureFlags</c> response.</summary>
internal sealed record FlagValueJson(string Value, string VariationId, EvaluationReasonKind Kind, string Reason);

/// <summary>Source-generated JSON for the <c>MapFeatureFlags</c> response (AOT-safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(Dictionary<string, FlagValueJson>))]
internal sealed partial class FlagsJsonContext : JsonSerializerContext;
