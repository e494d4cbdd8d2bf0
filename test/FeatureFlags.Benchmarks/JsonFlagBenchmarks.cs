using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// A JSON flag (variationType <c>json</c>, a two-property object served to everyone) read through the public client:
/// as a <see cref="JsonElement"/>, as a typed record with source-generated metadata, and as its raw string for scale.
/// Targets (issue 19): the <see cref="JsonElement"/> read &lt;= 150 ns and 0 B; the typed read no slower than one
/// <see cref="JsonSerializer"/> deserialisation of the UTF-8 bytes (<see cref="DeserializeOnly"/>).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchmarkConfig))]
public class JsonFlagBenchmarks
{
    private const string Value = """{"text":"Spring sale","color":"green"}""";
    private static readonly byte[] ValueUtf8 = Encoding.UTF8.GetBytes(Value);
    private FeatureFlagClient _client = null!;
    private FlagUser _user = null!;

    [GlobalSetup]
    public void Setup()
    {
        var flag = SyncData.Flag(0, 1_700_000_000_000)
            .Replace("\"variationType\":\"boolean\"", "\"variationType\":\"json\"", StringComparison.Ordinal)
            .Replace("\"value\":\"true\"", "\"value\":" + JsonSerializer.Serialize(Value), StringComparison.Ordinal);
        var store = SyncApplyBenchmarks.NewStore();
        store.Apply(WireJson.ReadDataSync(Encoding.UTF8.GetBytes(SyncData.Envelope("full", [flag]))));
        _client = new FeatureFlagClient(store, Options.Create(new FeatureFlagsOptions()));
        _user = FlagUser.Builder("user-1").Build(); // targeted: served the JSON variation
        var banner = _client.JsonVariationDetail("flag-0", _user, new Banner("none", "none"), BenchmarkJsonContext.Default.Banner);
        if (banner.Kind != EvaluationReasonKind.TargetMatch || banner.Value.Color != "green")
        {
            throw new InvalidOperationException($"The JSON flag was not served: {banner.Kind} {banner.Value}.");
        }
    }

    [Benchmark(Baseline = true)]
    public string JsonAsString() => _client.StringVariation("flag-0", _user, "{}");

    [Benchmark]
    public JsonElement JsonAsElement() => _client.JsonVariation("flag-0", _user, default, BenchmarkJsonContext.Default.JsonElement);

    [Benchmark]
    public Banner JsonAsRecord() => _client.JsonVariation("flag-0", _user, new Banner("none", "none"), BenchmarkJsonContext.Default.Banner);

    [Benchmark]
    public Banner? DeserializeOnly() => JsonSerializer.Deserialize(ValueUtf8, BenchmarkJsonContext.Default.Banner);
}

/// <summary>The JSON flag's value.</summary>
/// <param name="Text">The banner's text.</param>
/// <param name="Color">The banner's colour.</param>
public sealed record Banner(string Text, string Color);

[JsonSerializable(typeof(Banner))]
[JsonSerializable(typeof(JsonElement))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class BenchmarkJsonContext : JsonSerializerContext;
