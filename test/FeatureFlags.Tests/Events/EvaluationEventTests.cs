using System.Text.Json.Nodes;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging.Testing;
using Xunit;

namespace FeatureFlags.Tests.Events;

/// <summary>
/// What evaluations record (protocol §2.5, DECISION: as SPEC): one event per successful typed evaluation, after the
/// conversion, with its <c>sendToExperiment</c>; nothing for defaults (not ready, errors, wrong type), bulk
/// <c>GetAllFlags</c> or the SDK's own evaluations (the flag tracker).
/// </summary>
public sealed class EvaluationEventTests
{
    private static readonly FlagUser User = FlagUser.Builder("u1").Name("Ann").Country("GB").Build();

    private static readonly FlagDto[] Flags =
    [
        TestFlags.Flag("off").Variation("t", "true").Variation("f", "false").Off("f").Build(),
        TestFlags.Flag("targeted").HitMiss().Target(TestFlags.HitId, "u1").Fallthrough(TestFlags.MissId).ExptIncludeAllTargets().Build(),
        TestFlags.OneRule("rule", TestFlags.Condition("country", "Equal", "GB")),
        TestFlags.Flag("number").Variation("n", "42").Fallthrough(null, true, TestFlags.Slice("n", 0, 1, exptRollout: 1)).Build(),
        TestFlags.Flag("json").Variation("j", "{\"code\":200,\"reason\":\"ok\"}").Fallthrough("j").Build(),
        TestFlags.Flag("broken").HitMiss().Fallthrough("dangling").Build(),
    ];

    [Fact]
    [Trait("Conformance", "EVT-01")]
    public async Task TypedEvaluations_EachSuccessfulOne_RecordsAnEventWithVariationAndExperimentFlag()
    {
        await using var h = await EventHarness.CreateAsync(flags: Flags);

        Assert.False(h.Client.BoolVariation("off", User, true));
        Assert.Equal(TestFlags.Hit, h.Client.StringVariationDetail("targeted", User, "d").Value);
        Assert.Equal(TestFlags.Hit, h.Client.StringVariation("rule", User, "d"));
        Assert.Equal(42, h.Client.IntVariation("number", User));
        Assert.Equal(42d, h.Client.DoubleVariationDetail("number", User).Value);
        Assert.Equal(200, h.Client.JsonVariation("json", User, new JsonCode(0, "d"), TestJsonContext.Default.JsonCode).Code);

        var events = await FlushedAsync(h);

        Assert.Equal(
            [
                ("off", "f", "false", false),
                ("targeted", TestFlags.HitId, TestFlags.Hit, true),
                ("rule", TestFlags.HitId, TestFlags.Hit, false),
                ("number", "n", "42", true),
                ("number", "n", "42", true),
                ("json", "j", "{\"code\":200,\"reason\":\"ok\"}", false),
            ],
            events.Select(Variation));
        Assert.All(events, e => Assert.Equal(EventHarness.StartMs, e["variations"]![0]!["timestamp"]!.GetValue<long>()));
        Assert.All(events, e => Assert.Equal("u1", e["user"]!["keyId"]!.GetValue<string>()));
        Assert.Equal("GB", events[0]["user"]!["customizedProperties"]![0]!["value"]!.GetValue<string>());
    }

    [Fact]
    [Trait("Conformance", "EVT-01")]
    [Trait("Conformance", "EVT-03")]
    public async Task Evaluations_ThatReturnTheDefault_RecordNothing()
    {
        await using var h = await EventHarness.CreateAsync(flags: Flags);

        h.Client.BoolVariation("rule", User);                        // "hit" is not a bool: WrongType
        h.Client.IntVariationDetail("rule", User);                   // WrongType
        h.Client.JsonVariation("rule", User, new JsonCode(0, "d"), TestJsonContext.Default.JsonCode); // not JSON
        h.Client.StringVariation("missing", User, "d");              // flag not found
        h.Client.StringVariation("broken", User, "d");               // malformed: Error
        h.Client.StringVariation("rule", null!, "d");                // no user
        h.Client.StringVariation(null!, User, "d");                  // no key
        h.Client.GetAllFlags(User);                                  // bulk: never recorded

        Assert.Empty(await FlushedAsync(h));
    }

    [Fact]
    [Trait("Conformance", "EVT-03")]
    public async Task Evaluations_BeforeFlagDataArrives_RecordNothing()
    {
        await using var h = await EventHarness.CreateAsync();

        Assert.True(h.Client.BoolVariation("off", User, true));
        h.Client.GetAllFlags(User);

        Assert.Empty(await FlushedAsync(h));
    }

    [Fact]
    [Trait("Conformance", "EVT-03")]
    public async Task FlagTracker_ItsOwnEvaluations_RecordNothing()
    {
        await using var h = await EventHarness.CreateAsync(flags: Flags);
        using var tracker = new FlagTracker(h.Store, h.Client, new FakeLogger<FlagTracker>());
        var changes = 0;
        using var subscription = tracker.OnFlagValueChanged("rule", User, _ => changes++);

        var patch = TestFlags.Flag("rule").HitMiss().Fallthrough(TestFlags.MissId).Build();
        patch.UpdatedAt += 1;
        h.Store.ApplyPatch([patch], []);
        h.Store.Delivered();

        Assert.Equal(1, changes);
        Assert.Empty(await FlushedAsync(h));
    }

    [Fact]
    [Trait("Conformance", "EVT-02")]
    [Trait("Conformance", "EVT-04")]
    public async Task TrackAfterEvaluation_SendsBothInOrderForTheSameUser()
    {
        await using var h = await EventHarness.CreateAsync(flags: Flags);

        h.Client.IntVariation("number", User);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        h.Client.Track(User, "purchase", 49.9);
        h.Client.Identify(User);

        var events = await FlushedAsync(h);

        Assert.Equal(3, events.Count);
        Assert.True(events[0]["variations"]![0]!["sendToExperiment"]!.GetValue<bool>());
        var metric = events[1]["metrics"]![0]!;
        Assert.Equal(("purchase", 49.9, EventHarness.StartMs + 1000), (metric["eventName"]!.GetValue<string>(), metric["numericValue"]!.GetValue<double>(), metric["timestamp"]!.GetValue<long>()));
        Assert.Equal(["user"], events[2].AsObject().Select(p => p.Key));
    }

    [Fact]
    [Trait("Conformance", "EVT-01")]
    public async Task ScopedFlags_EvaluationsAndTrack_RecordForTheScopesUser()
    {
        await using var h = await EventHarness.CreateAsync(flags: Flags);
        var scoped = new ScopedFeatureFlags(h.Client);
        scoped.SetUser(User);

        scoped.JsonVariation("rule", new JsonCode(0, "d"), TestJsonContext.Default.JsonCode); // "hit" is not JSON: nothing
        Assert.Equal(200, scoped.JsonVariation("json", new JsonCode(0, "d"), TestJsonContext.Default.JsonCode).Code);
        Assert.False(scoped.BoolVariation("off", true));
        scoped.Track("purchase", 2);
        scoped.Track(" ");

        var events = await FlushedAsync(h);

        Assert.Equal(["json", "off"], events.Take(2).Select(e => Variation(e).Item1));
        Assert.Equal("purchase", events[2]["metrics"]![0]!["eventName"]!.GetValue<string>());
        Assert.All(events, e => Assert.Equal("u1", e["user"]!["keyId"]!.GetValue<string>()));
        Assert.Equal(1L, h.Processor.Invalid);
    }

    private static async Task<IReadOnlyList<JsonNode>> FlushedAsync(EventHarness h)
    {
        await h.Client.FlushAsync(TestContext.Current.CancellationToken);
        return h.Server.AllEvents;
    }

    private static (string, string, string, bool) Variation(JsonNode e)
    {
        var v = e["variations"]![0]!;
        return (
            v["featureFlagKey"]!.GetValue<string>(),
            v["variation"]!["id"]!.GetValue<string>(),
            v["variation"]!["value"]!.GetValue<string>(),
            v["sendToExperiment"]!.GetValue<bool>());
    }
}
