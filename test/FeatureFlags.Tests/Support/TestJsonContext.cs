using System.Text.Json.Serialization;

namespace FeatureFlags.Tests.Support;

public sealed record JsonCode(int Code, string Reason);

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(JsonCode))]
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
internal sealed partial class TestJsonContext : JsonSerializerContext;
