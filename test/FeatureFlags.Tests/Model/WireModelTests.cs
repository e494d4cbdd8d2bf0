using System.Text;
using System.Text.Json;
using FeatureFlags.Model.Internal;
using FeatureFlags.Tests.Support;
using Xunit;

namespace FeatureFlags.Tests.Model;

public sealed class WireModelTests
{
    [Theory]
    [InlineData("featbit-dotnet-sdk/full-data-set.json", "full", 1, 1)]
    [InlineData("featbit-dotnet-sdk/patch-data-set.json", "patch", 1, 0)]
    [InlineData("featbit-dotnet-sdk/featbit-bootstrap.json", "full", 1, 1)]
    [InlineData("featbit-python-sdk/fbclient_test_data.json", "full", 7, 1)]
    [InlineData("real-server-captures/server-full-data-sync.json", "full", 3, 1)]
    [InlineData("real-server-captures/server-patch-push.json", "patch", 1, 0)]
    public void ReadDataSync_EveryEnvelopeFixture_ParsesWithoutErrors(string fixture, string eventType, int flags, int segments)
    {
        var payload = Fixtures.DataSync(fixture);

        Assert.Equal(eventType, payload.EventType);
        Assert.Equal(flags, payload.FeatureFlags!.Items.Count);
        Assert.Equal(segments, payload.Segments!.Items.Count);
        Assert.Empty(payload.FeatureFlags.Errors);
        Assert.Empty(payload.Segments.Errors);
        Assert.All(payload.FeatureFlags.Items, f => Assert.True(f.UpdatedAt > 1_600_000_000_000, f.Key));
    }

    [Theory]
    [InlineData("featbit-evaluation-server/server-data-sync-full.verified.txt", "full")]
    [InlineData("featbit-evaluation-server/server-data-sync-patch.verified.txt", "patch")]
    public void ReadDataSync_ServerSnapshots_ParseAndCompile(string fixture, string eventType)
    {
        var json = VerifySnapshot.ToJson(File.ReadAllText(Fixtures.PathOf(fixture)));

        var payload = WireJson.ReadDataSync(Encoding.UTF8.GetBytes(json));
        var store = Fixtures.NewStore();
        var result = store.ApplyFull(payload.FeatureFlags!.Items, payload.Segments!.Items);

        Assert.Equal(eventType, payload.EventType);
        Assert.Empty(payload.FeatureFlags.Errors);
        Assert.Empty(payload.Segments.Errors);
        Assert.NotEmpty(payload.FeatureFlags.Items);
        Assert.Equal(0, result.Invalid);
        Assert.All(store.Current.LiveFlags, f => Assert.True(f.Rules.Length + f.Variations.Length > 0));
    }

    [Fact]
    public void Deserialize_EvaluationServerFlagsAndSegments_ParseAndCompileClean()
    {
        var flags = JsonSerializer.Deserialize(Fixtures.Bytes("featbit-evaluation-server/flags.json"), TestWireContext.Default.ListFlagDto)!;
        var segments = JsonSerializer.Deserialize(Fixtures.Bytes("featbit-evaluation-server/segments.json"), TestWireContext.Default.ListSegmentDto)!;
        var store = Fixtures.NewStore();

        store.ApplyFull(flags, segments);

        Assert.Equal(5, flags.Count);
        Assert.Equal(2, segments.Count);
        Assert.Equal(["custom-rule-with-segment", "individual-targeting", "return-10p-true", "returns-true", "two-custom-rules"], store.FlagKeys);
        Assert.All(store.Current.LiveFlags, f => Assert.Empty(f.Problems));
    }

    [Fact]
    public void Deserialize_OneFlagAndOneSegment_MapEveryEvaluationField()
    {
        var flag = JsonSerializer.Deserialize(Fixtures.Bytes("featbit-dotnet-sdk/one-flag.json"), WireJsonContext.Default.FlagDto)!;
        var segment = JsonSerializer.Deserialize(Fixtures.Bytes("featbit-dotnet-sdk/one-segment.json"), WireJsonContext.Default.SegmentDto)!;

        Assert.Equal("example", flag.Key);
        Assert.Equal(1674871495616, flag.UpdatedAt); // 2023-01-28T02:04:55.616Z
        Assert.True(flag.IsEnabled);
        Assert.True(flag.ExptIncludeAllTargets);
        Assert.Equal(2, flag.Variations!.Count);
        Assert.NotEmpty(flag.TargetUsers!);
        Assert.Equal(2, flag.Rules!.Count);
        Assert.Equal("keyId", flag.Rules[1].DispatchKey);
        Assert.Equal("IsOneOf", flag.Rules[1].Conditions![0].Op);
        Assert.Equal([0, 0.2], flag.Rules[1].Variations![0].Rollout!);
        Assert.Null(flag.Fallthrough!.DispatchKey);
        Assert.Equal(Guid.Parse("0779d76b-afc6-4886-ab65-af8c004273ad"), Guid.Parse(segment.Id!));
        Assert.Equal(1674885283583, segment.UpdatedAt); // 2023-01-28T05:54:43.583Z
        Assert.NotEmpty(segment.Included!);
        Assert.NotEmpty(segment.Rules![0].Conditions!);
    }

    [Theory]
    [InlineData("2023-01-28T02:04:55.616Z", 1674871495616)]
    [InlineData("2023-01-28T02:04:55.6169999Z", 1674871495616)]
    [InlineData("2023-01-28T02:04:55.616999999Z", 1674871495616)]
    [InlineData("2026-11-24T18:47:53.049003+00:00", 1795546073049)]
    [InlineData("2023-01-28T04:04:55.616+02:00", 1674871495616)]
    [InlineData("2023-01-28T02:04:55Z", 1674871495000)]
    [InlineData("2023-01-28T02:04:55.616", 1674871495616)]
    [Trait("Conformance", "STORE-06")]
    public void UnixMilliseconds_AnyFractionOrOffset_TruncatesToMilliseconds(string iso, long expected)
    {
        Assert.True(UnixMillisecondsConverter.TryParse(iso, out var ms));
        Assert.Equal(expected, ms);
    }

    [Theory]
    [InlineData("2023-01-28T02:04:55.616Z")]
    [InlineData("2023-01-28T02:04:55.6169999Z")]
    [InlineData("2023-01-28T02:04:55.616999999Z")]
    [InlineData("2026-11-24T18:47:53.049003+00:00")]
    [InlineData("2023-01-28T04:04:55.616+02:00")]
    [InlineData("2023-01-28T04:04:55.616-05:30")]
    [InlineData("2023-01-28T02:04:55Z")]
    [InlineData("2023-01-28T02:04:55.616")]
    [InlineData("2023-01-28T02:04:55.9999999Z")]
    [InlineData("1969-12-31T23:59:59.999Z")]
    public void UnixMilliseconds_FromJson_SameAsFromText(string iso)
    {
        // The JSON reader takes System.Text.Json's ISO reader for a string with an offset and at most 7 fraction digits,
        // the culture-aware parse for anything else: both must give the same milliseconds.
        Assert.True(UnixMillisecondsConverter.TryParse(iso, out var expected));
        Assert.Equal(expected, ReadJsonTimestamp(iso));
    }

    [Fact]
    public void UnixMilliseconds_FromJson_SameAsFromText_RandomTimestamps()
    {
        var random = new Random(20261201);
        for (var i = 0; i < 2_000; i++)
        {
            var at = DateTimeOffset.FromUnixTimeMilliseconds(random.NextInt64(0, 4_102_444_800_000)).AddTicks(random.Next(0, 10_000));
            var offset = TimeSpan.FromMinutes(random.Next(-14 * 60, 14 * 60 + 1));
            var fraction = new string('f', random.Next(0, 8));
            var format = "yyyy-MM-ddTHH:mm:ss" + (fraction.Length > 0 ? "." + fraction : string.Empty) + (random.Next(2) == 0 ? "Z" : "zzz");
            var text = (format.EndsWith('Z') ? at.ToUniversalTime() : at.ToOffset(offset)).ToString(format, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(UnixMillisecondsConverter.TryParse(text, out var expected), text);
            Assert.Equal(expected, ReadJsonTimestamp(text));
        }
    }

    private static long ReadJsonTimestamp(string iso)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes("\"" + iso + "\"")); // unescaped, as the server writes it
        reader.Read();
        return UnixMillisecondsConverter.ReadValue(ref reader);
    }

    [Theory]
    [InlineData("")]
    [InlineData("yesterday")]
    [InlineData("2023-13-45T99:00:00Z")]
    public void UnixMilliseconds_NotADate_IsRejected(string text)
        => Assert.False(UnixMillisecondsConverter.TryParse(text, out _));

    [Fact]
    [Trait("Conformance", "INV-02")]
    public void ReadDataSync_UnknownFieldsAndOneMalformedEntity_SkipsOnlyThatEntity()
    {
        const string Json = """
            {"messageType":"data-sync","extra":{"nested":[1,2,3]},"data":{"eventType":"patch","newField":true,
              "featureFlags":[
                {"key":"good-1","updatedAt":"2023-01-01T00:00:00Z","isEnabled":false,"disabledVariationId":"a","variations":[{"id":"a","value":"x"}],"future":{"x":1}},
                {"key":"bad","updatedAt":"not a date","isEnabled":false},
                {"key":"bad-2","isEnabled":"maybe"},
                {"key":"good-2","updatedAt":"2023-01-01T00:00:00Z","isEnabled":false,"disabledVariationId":"a","variations":[{"id":"a","value":"y"}]}
              ],
              "segments":[{"id":42}]}}
            """;

        var payload = WireJson.ReadDataSync(Encoding.UTF8.GetBytes(Json));

        Assert.Equal(["good-1", "good-2"], payload.FeatureFlags!.Items.Select(f => f.Key));
        Assert.Equal(2, payload.FeatureFlags.Errors.Count);
        Assert.Single(payload.Segments!.Errors);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("{\"messageType\":\"ping\",\"data\":{}}")]
    [InlineData("{\"hello\":1}")]
    [Trait("Conformance", "INV-01")]
    public void ReadDataSync_NotADataSync_ThrowsJsonException(string json)
        => Assert.ThrowsAny<JsonException>(() => WireJson.ReadDataSync(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void ReadDataSync_BareDataObject_IsAccepted()
    {
        var payload = WireJson.ReadDataSync("""{"eventType":"full","featureFlags":[],"segments":[]}"""u8);

        Assert.Equal("full", payload.EventType);
        Assert.Empty(payload.FeatureFlags!.Items);
    }
}
