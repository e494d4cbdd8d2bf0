using System.Buffers;
using System.Text.Json.Nodes;
using FeatureFlags.Events.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Tests.Support;
using Xunit;

namespace FeatureFlags.Tests.Events;

/// <summary>The JSON on the wire against the official .NET SDK's snapshots (protocol §2.2).</summary>
public sealed class EventSerializerTests
{
    private const string FixtureDir = "featbit-dotnet-sdk/";
    private const long Timestamp = 1_700_000_000_000;

    // The official tests' user: key, name and two properties (ours keeps country as a built-in attribute).
    private static readonly FlagUser User = FlagUser.Builder("u1-Id").Name("u1-name").Custom("custom", "value").Country("us").Build();

    private static readonly CompiledVariation V1 = new("v1Id", "v1");

    [Fact]
    [Trait("Conformance", "EVT-06")]
    public void Write_EvaluationEvent_MatchesOfficialSnapshot()
    {
        var json = Serialize(InsightEvent.ForEvaluation(User, "hello", V1, sendToExperiment: true, Timestamp));

        AssertJsonEqual(Fixture("DefaultEventSerializerTests.SerializeEvalEvent.verified.txt"), Assert.Single(json.AsArray())!);
    }

    [Fact]
    [Trait("Conformance", "EVT-06")]
    public void Write_MetricEvent_MatchesOfficialSnapshot()
    {
        var json = Serialize(InsightEvent.ForMetric(User, "click-button", 1.5, Timestamp));

        AssertJsonEqual(Fixture("DefaultEventSerializerTests.SerializeMetricEvent.verified.txt"), Assert.Single(json.AsArray())!);
    }

    [Fact]
    [Trait("Conformance", "EVT-06")]
    public void Write_MixedBatch_MatchesOfficialSnapshot()
    {
        var json = Serialize(
            InsightEvent.ForEvaluation(User, "hello", V1, sendToExperiment: true, Timestamp),
            InsightEvent.ForMetric(User, "click-button", 1.5, Timestamp));

        AssertJsonEqual(Fixture("DefaultEventSerializerTests.SerializeCombinedEvents.verified.txt"), json);
    }

    [Fact]
    [Trait("Conformance", "EVT-06")]
    public void Write_UserEvent_IsTheUserAlone()
    {
        var json = Serialize(InsightEvent.ForUser(FlagUser.Create("k", "n"), Timestamp));

        AssertJsonEqual(JsonNode.Parse("""[{"user":{"keyId":"k","name":"n","customizedProperties":[]}}]""")!, json);
    }

    [Fact]
    public void Write_PageViewEvent_IsFeatBitsPageViewMetric()
    {
        var json = Serialize(InsightEvent.ForPageView(FlagUser.Create("k", "n"), "checkout-viewed", "/checkout", Timestamp));

        AssertJsonEqual(
            JsonNode.Parse("""
                [{"user":{"keyId":"k","name":"n","customizedProperties":[]},
                  "metrics":[{"appType":"dotnet-server-side","route":"/checkout","type":"PageView","eventName":"checkout-viewed","numericValue":1,"timestamp":1700000000000}]}]
                """)!,
            json);
    }

    [Fact]
    public void Write_UserWithEmailCountryAndCustom_AllGoToCustomizedProperties()
    {
        var user = FlagUser.Builder("k").Email("a@b.c").Country("GB").Custom("plan", "gold").Build();

        var json = Serialize(InsightEvent.ForUser(user, Timestamp));

        var properties = json[0]!["user"]!["customizedProperties"]!.AsArray()
            .Select(p => (p!["name"]!.GetValue<string>(), p["value"]!.GetValue<string>()))
            .Order()
            .ToArray();
        Assert.Equal([("country", "GB"), ("email", "a@b.c"), ("plan", "gold")], properties);
        Assert.Equal(string.Empty, json[0]!["user"]!["name"]!.GetValue<string>());
    }

    [Fact]
    [Trait("Conformance", "EVT-06")]
    public void Write_MetricValues_AreJsonNumbersAndTextIsEscaped()
    {
        var json = Serialize(
            InsightEvent.ForMetric(FlagUser.Create("quote\"key"), "évènement <1>", 1, Timestamp),
            InsightEvent.ForMetric(FlagUser.Create("k"), "big", 123456.789, Timestamp + 1));

        Assert.Equal("quote\"key", json[0]!["user"]!["keyId"]!.GetValue<string>());
        Assert.Equal("évènement <1>", json[0]!["metrics"]![0]!["eventName"]!.GetValue<string>());
        Assert.Equal(1d, json[0]!["metrics"]![0]!["numericValue"]!.GetValue<double>());
        Assert.Equal(123456.789, json[1]!["metrics"]![0]!["numericValue"]!.GetValue<double>());
        Assert.Equal(Timestamp + 1, json[1]!["metrics"]![0]!["timestamp"]!.GetValue<long>());
    }

    private static JsonNode Serialize(params InsightEvent[] events)
    {
        var buffer = new ArrayBufferWriter<byte>();
        EventSerializer.Write(buffer, events);
        return JsonNode.Parse(buffer.WrittenSpan)!;
    }

    private static JsonNode Fixture(string name)
        => JsonNode.Parse(VerifySnapshot.ToJson(File.ReadAllText(Fixtures.PathOf(FixtureDir + name))))!;

    /// <summary>Compares two JSON trees: objects ignore property order, arrays keep theirs, numbers compare by value.</summary>
    internal static void AssertJsonEqual(JsonNode expected, JsonNode actual)
        => Assert.True(JsonEqual(expected, actual), $"Expected\n{expected.ToJsonString()}\nbut got\n{actual.ToJsonString()}");

    private static bool JsonEqual(JsonNode? a, JsonNode? b) => (a, b) switch
    {
        (null, null) => true,
        (JsonObject x, JsonObject y) => x.Count == y.Count && x.All(p => y.TryGetPropertyValue(p.Key, out var v) && JsonEqual(p.Value, v)),
        (JsonArray x, JsonArray y) => x.Count == y.Count && x.Zip(y).All(p => JsonEqual(p.First, p.Second)),
        (JsonValue x, JsonValue y) when x.TryGetValue<double>(out var dx) && y.TryGetValue<double>(out var dy) => dx == dy,
        (JsonValue x, JsonValue y) => JsonNode.DeepEquals(x, y),
        _ => false,
    };
}
