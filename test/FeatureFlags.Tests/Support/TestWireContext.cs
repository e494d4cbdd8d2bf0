using System.Text.Json.Serialization;
using FeatureFlags.Model.Internal;

namespace FeatureFlags.Tests.Support;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true, Converters = [typeof(UnixMillisecondsConverter)])]
[JsonSerializable(typeof(List<FlagDto>))]
[JsonSerializable(typeof(List<SegmentDto>))]
internal sealed partial class TestWireContext : JsonSerializerContext;
