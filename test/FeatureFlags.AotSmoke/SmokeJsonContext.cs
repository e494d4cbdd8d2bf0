using System.Text.Json.Serialization;

namespace FeatureFlags.AotSmoke;

/// <summary>The value of the JSON flag <c>banner</c>.</summary>
internal sealed record Banner(string Text, string Color);

/// <summary>Source-generated JSON for the smoke app: the only JSON path that is trimming- and NativeAOT-safe.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Banner))]
internal sealed partial class SmokeJsonContext : JsonSerializerContext;
