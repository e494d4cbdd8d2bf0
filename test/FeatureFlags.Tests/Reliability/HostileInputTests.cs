using System.Text;
using FeatureFlags.Tests.Support;
using FeatureFlags.Tests.Sync;
using Xunit;

namespace FeatureFlags.Tests.Reliability;

/// <summary>
/// Hostile data from the flag server (issue 9, part 3): deeply nested, huge and invalid-UTF-8 messages and a
/// catastrophic regex pushed through the real streaming path. Each is refused or contained with a log line, the
/// connection goes on (or is replaced) and the last good flags keep serving. Oversized messages are in
/// <see cref="OversizedMessageTests"/>, the bootstrap file in <see cref="HostileBootstrapFileTests"/>.
/// </summary>
public sealed class HostileInputTests
{
    private const long V1 = 1_700_000_000_000;
    private const int MalformedMessage = 2005;
    private const int SessionEnded = 2010;
    private const int Depth = 10_000;

    private static readonly FlagUser User = FlagUser.Create("u");

    [Theory]
    [InlineData("[", "]")]
    [InlineData("{\"a\":", "}")]
    [Trait("Conformance", "INV-01")]
    public async Task DeeplyNestedMessage_BeforeTheMessageType_IsSkippedAndTheConnectionGoesOn(string open, string close)
    {
        await using var h = await StartWithFlagAsync();

        await h.Server.SendRawAsync("{\"x\":" + Nest(open, close) + ",\"messageType\":\"data-sync\",\"data\":{}}", TestContext.Current.CancellationToken);

        await AssertStillServingAsync(h, MalformedMessage);
    }

    [Theory]
    [InlineData("[", "]")]
    [InlineData("{\"a\":", "}")]
    [Trait("Conformance", "INV-01")]
    public async Task DeeplyNestedMessage_InsideTheDataSync_IsSkippedAndTheConnectionGoesOn(string open, string close)
    {
        await using var h = await StartWithFlagAsync();
        var flagOff = FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 1).ToJsonString();

        var message = PatchMessage(flagOff[..^1] + ",\"extra\":" + Nest(open, close) + "}");
        await h.Server.SendRawAsync(message, TestContext.Current.CancellationToken);

        // The whole message is refused (the reader's depth limit is not recoverable), so flag-a keeps its last good value.
        await AssertStillServingAsync(h, MalformedMessage);
    }

    [Fact]
    public async Task HugeMessage_ManyMegabytesOfUnknownFieldsAndAHugeString_IsAppliedWithinMaxMessageSize()
    {
        await using var h = await StartWithFlagAsync();
        var flag = FakeFeatBitServer.BoolFlag("flag-huge", true, V1 + 1);
        flag["description"] = new string('d', 4 * 1024 * 1024);
        flag["unknownObject"] = new System.Text.Json.Nodes.JsonObject { ["junk"] = new string('j', 1024 * 1024) };
        var message = "{\"messageType\":\"data-sync\",\"unknownTop\":\"" + new string('u', 2 * 1024 * 1024) + "\",\"data\":{\"eventType\":\"patch\",\"featureFlags\":["
            + flag.ToJsonString() + "],\"segments\":[],\"unknownData\":[" + string.Join(",", Enumerable.Repeat("{\"k\":\"v\"}", 100_000)) + "]}}";
        var change = h.NextChangeAsync();

        await h.Server.SendRawAsync(message, TestContext.Current.CancellationToken);

        Assert.Equal(["flag-huge"], (await change).FlagKeys);
        Assert.True(h.Client.BoolVariation("flag-huge", User));
        Assert.True(h.Client.BoolVariation("flag-a", User));
        Assert.Equal(1, h.Server.ConnectionCount);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE })]
    [InlineData(new byte[] { 0xC3 })] // a truncated two-byte sequence
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // an encoded lone surrogate
    [Trait("Conformance", "INV-05")]
    public async Task InvalidUtf8TextFrame_EndsTheSessionCleanly_ReconnectsAndKeepsServing(byte[] invalid)
    {
        await using var h = await StartWithFlagAsync();
        var prefix = Encoding.UTF8.GetBytes("{\"messageType\":\"data-sync\",\"data\":{\"eventType\":\"patch\",\"featureFlags\":[],\"segments\":[],\"x\":\"");
        var suffix = Encoding.UTF8.GetBytes("\"}}");

        await h.Server.SendRawBytesAsync([.. prefix, .. invalid, .. suffix], ct: TestContext.Current.CancellationToken);

        // The WebSocket layer refuses a text frame that is not UTF-8 (close 1007): the session ends, is logged, and the
        // service reconnects with its cursor. In between, and after, the last good flags serve.
        await h.AdvanceUntilAsync(() => h.Server.DataSyncTimestamps.Count >= 2, TimeSpan.FromSeconds(1), "a reconnect after the invalid frame");
        Assert.True(h.Client.BoolVariation("flag-a", User));
        Assert.Equal(V1, h.Server.DataSyncTimestamps[^1]);
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id is SessionEnded or MalformedMessage);
        Assert.True(h.Service.Loop is { IsCompleted: false }, "the sync loop must survive an invalid frame");
    }

    [Fact]
    [Trait("Conformance", "API-01")]
    public async Task CatastrophicRegexPushedByTheServer_ReturnsTheDefault_WhileOtherFlagsServe()
    {
        await using var h = await SyncHarness.CreateAsync(o => o.Evaluation.RegexMatchTimeout = TimeSpan.FromMilliseconds(5));
        await StartWithFlagAsync(h);
        var evil = FakeFeatBitServer.BoolFlag("evil", true, V1 + 1);
        evil["rules"] = System.Text.Json.Nodes.JsonNode.Parse("""
            [{ "id": "r1", "name": "evil rule", "dispatchKey": null, "includedInExpt": false,
               "conditions": [{ "property": "input", "op": "MatchRegex", "value": "^(?=(a+)+$)" }],
               "variations": [{ "id": "v-false", "rollout": [0, 1], "exptRollout": 1 }] }]
            """);
        var change = h.NextChangeAsync();
        await h.Server.PushFlagAsync(evil, TestContext.Current.CancellationToken);
        await change;
        var attacker = FlagUser.Builder("attacker").Custom("input", new string('a', 40) + "!").Build();

        // A lookahead keeps the pattern on the backtracking engine, so the match timeout applies (^(a+)+$ alone runs on
        // the non-backtracking engine and simply does not match). 4 timeouts: one fewer than opens the rule's breaker.
        for (var i = 0; i < 2; i++)
        {
            var detail = h.Client.BoolVariationDetail("evil", attacker, defaultValue: true);
            Assert.Equal((true, EvaluationReasonKind.MalformedFlag, "malformed flag"), (detail.Value, detail.Kind, detail.Reason));
            Assert.Equal("7", h.Client.StringVariation("evil", attacker, "7"));
        }

        // A harmless input still matches (false), the fallthrough is unaffected, and so is every other flag.
        Assert.False(h.Client.BoolVariation("evil", FlagUser.Builder("ok").Custom("input", "aaa").Build(), defaultValue: true));
        Assert.True(h.Client.BoolVariation("evil", FlagUser.Builder("ok").Custom("input", "b").Build()));
        Assert.True(h.Client.BoolVariation("flag-a", attacker));
        Assert.True(h.Client.GetAllFlags(attacker).Flags.ContainsKey("evil"));

        // One clear warning for the flag's version, however often it fails (no log flood from a hot path).
        var warning = Assert.Single(h.Logs.GetSnapshot(), r => r.Id.Id == 1201);
        Assert.Contains("'evil'", warning.Message, StringComparison.Ordinal);
        Assert.Contains("match timeout", warning.Message, StringComparison.Ordinal);

        // A new version of the broken flag is reported again.
        evil["updatedAt"] = FakeFeatBitServer.IsoTimestamp(V1 + 2);
        change = h.NextChangeAsync();
        await h.Server.PushFlagAsync(evil, TestContext.Current.CancellationToken);
        await change;
        Assert.True(h.Client.BoolVariation("evil", attacker, defaultValue: true));
        Assert.Equal(2, h.Logs.GetSnapshot().Count(r => r.Id.Id == 1201));
    }

    internal static string Nest(string open, string close)
        => string.Concat(Enumerable.Repeat(open, Depth)) + "1" + string.Concat(Enumerable.Repeat(close, Depth));

    internal static string PatchMessage(string flagJson)
        => "{\"messageType\":\"data-sync\",\"data\":{\"eventType\":\"patch\",\"featureFlags\":[" + flagJson + "],\"segments\":[]}}";

    private static async Task<SyncHarness> StartWithFlagAsync()
    {
        var h = await SyncHarness.CreateAsync();
        await StartWithFlagAsync(h);
        return h;
    }

    private static async Task StartWithFlagAsync(SyncHarness h)
    {
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
    }

    /// <summary>The refusal is logged, the same connection goes on (a later push applies) and flag-a still serves.</summary>
    private static async Task AssertStillServingAsync(SyncHarness h, int logId)
    {
        await h.AdvanceUntilAsync(() => h.Logs.GetSnapshot().Any(r => r.Id.Id == logId), TimeSpan.Zero, $"log {logId}");
        Assert.True(h.Client.BoolVariation("flag-a", User));

        var change = h.NextChangeAsync();
        await h.Server.PushFlagAsync(FakeFeatBitServer.BoolFlag("flag-b", true, V1 + 2), TestContext.Current.CancellationToken);
        Assert.Equal(["flag-b"], (await change).FlagKeys);
        Assert.True(h.Client.BoolVariation("flag-a", User));
        Assert.Equal(1, h.Server.ConnectionCount);
        Assert.Equal(FeatureFlagsState.Ready, h.Status.Current.State);
    }
}
