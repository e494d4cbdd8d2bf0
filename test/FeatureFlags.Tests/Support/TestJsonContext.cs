using System.Text.Json.Serialization;

namespace FeatureFlags.Tests.Support;

public sealed record JsonCode(int Code, string Reason);

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(JsonCode))]
internal sealed partial class TestJsonContext : JsonSerializerContext;
