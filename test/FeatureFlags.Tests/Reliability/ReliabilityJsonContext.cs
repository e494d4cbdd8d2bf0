using System.Text.Json;
using System.Text.Json.Serialization;

namespace FeatureFlags.Tests.Reliability;

/// <summary>Source-generated JSON metadata for the reliability tests' JSON variations.</summary>
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(string))]
internal sealed partial class ReliabilityJsonContext : JsonSerializerContext;
