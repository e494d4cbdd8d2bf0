using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using FeatureFlags.Model.Internal;
using FeatureFlags.Sync.Internal;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.Support;

/// <summary>The fake server speaks the real protocol (protocol.md §1), checked with a raw <see cref="ClientWebSocket"/>.</summary>
public sealed partial class FakeFeatBitServerTests
{
    private const long T1 = 1_700_000_000_000;
    private const long T2 = 1_700_000_100_000;
    private const string Segment1Id = "0a6c5b7e-0000-4000-8000-000000000001";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Connect_ValidToken_FullDataSyncReplyWithEverything()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.LoadFull(SmallDataSet());
        using var ws = await ConnectAsync(server);

        await SendAsync(ws, """{"messageType":"data-sync","data":{"timestamp":0}}""");
        var reply = await ReceiveJsonAsync(ws);

        Assert.Equal("data-sync", (string?)reply["messageType"]);
        Assert.Equal("full", (string?)reply["data"]!["eventType"]);
        Assert.Equal(["flag-old", "flag-new", "flag-archived"], Keys(reply, "featureFlags", "key"));
        Assert.Equal([Segment1Id], Keys(reply, "segments", "id"));
        Assert.Equal([0L], server.DataSyncTimestamps);
        Assert.Equal(1, server.ConnectionCount);
        Assert.Equal(1, server.OpenConnections);
        var uri = Assert.Single(server.RequestUris);
        Assert.StartsWith("/streaming?type=server&token=", uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DataSync_WithCursor_RepliesPatchWithStrictlyNewerEntitiesArchivedIncluded()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.LoadFull(SmallDataSet());
        using var ws = await ConnectAsync(server);

        await SendAsync(ws, $$$"""{"messageType":"data-sync","data":{"timestamp":{{{T1}}}}}""");
        var reply = await ReceiveJsonAsync(ws);

        Assert.Equal("patch", (string?)reply["data"]!["eventType"]);
        Assert.Equal(["flag-new", "flag-archived"], Keys(reply, "featureFlags", "key"));
        Assert.Empty(Keys(reply, "segments", "id"));
        Assert.Equal([T1], server.DataSyncTimestamps);
    }

    [Theory]
    [InlineData("""{"messageType":"data-sync","data":{}}""")]
    [InlineData("""{"messageType":"data-sync","data":{"timestamp":null}}""")]
    [InlineData("""{"messageType":"DATA-SYNC","data":null}""")]
    public async Task DataSync_MissingCursor_IsAFullSync(string request)
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.LoadFull(SmallDataSet());
        using var ws = await ConnectAsync(server);

        await SendAsync(ws, request);
        var reply = await ReceiveJsonAsync(ws);

        Assert.Equal("full", (string?)reply["data"]!["eventType"]);
        Assert.Equal(3, reply["data"]!["featureFlags"]!.AsArray().Count);
        Assert.Equal([0L], server.DataSyncTimestamps);
    }

    [Fact]
    public async Task Ping_RepliesPong_AndUnknownTypesAreIgnored()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        using var ws = await ConnectAsync(server);

        await SendAsync(ws, """{"messageType":"whatever","data":{}}""");
        await SendAsync(ws, "not json at all");
        await SendAsync(ws, """{"messageType":"ping","data":{}}""");

        Assert.Equal("""{"messageType":"pong","data":{}}""", await ReceiveTextAsync(ws));
        await server.WaitForMessageAsync(m => m.Contains("ping", StringComparison.Ordinal), Timeout, Ct);
        Assert.Equal(3, server.ReceivedMessages.Count);
    }

    [Theory]
    [InlineData("streaming?type=server&token=garbage")]
    [InlineData("streaming?type=server")]
    [InlineData("streaming?type=client&token={token}")]
    [InlineData("streaming?type=server&version=3&token={token}")]
    [InlineData("streaming?type=server&token={wrong-secret-token}")]
    public async Task Connect_InvalidRequest_AcceptedThenClosedWith4003(string relative)
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        relative = relative
            .Replace("{token}", Token(server.Secret, now), StringComparison.Ordinal)
            .Replace("{wrong-secret-token}", Token("gpnOV3wI3kKAO9q9viC0wQWdKZrVAf2U6gAnxl4lSH3w", now), StringComparison.Ordinal);
        using var ws = await ConnectAsync(new Uri(server.StreamingUri, relative));

        await AssertClosedAsync(ws, (WebSocketCloseStatus)4003, FakeFeatBitServer.InvalidRequestDescription);
        Assert.Equal(1, server.ConnectionCount);
    }

    [Theory]
    [InlineData(-31, false)]
    [InlineData(31, false)]
    [InlineData(-29, true)]
    [InlineData(29, true)]
    public async Task Connect_TokenAgeAgainstServerClock_ExpiresAfter30Seconds(int tokenOffsetSeconds, bool accepted)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(T2));
        await using var server = await FakeFeatBitServer.StartAsync(clock, Ct);
        var token = Token(server.Secret, T2 + (tokenOffsetSeconds * 1000L));
        using var ws = await ConnectAsync(new Uri(server.StreamingUri, $"streaming?type=server&token={token}"));

        if (accepted)
        {
            await SendAsync(ws, """{"messageType":"ping","data":null}""");
            Assert.Equal("""{"messageType":"pong","data":{}}""", await ReceiveTextAsync(ws));
        }
        else
        {
            await AssertClosedAsync(ws, (WebSocketCloseStatus)4003, FakeFeatBitServer.InvalidRequestDescription);
        }
    }

    [Fact]
    public async Task Connect_PathPrefix_IsServed()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        var token = Token(server.Secret, TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds());
        using var ws = await ConnectAsync(new Uri(server.StreamingUri, $"featbit/streaming?type=server&token={token}"));

        await SendAsync(ws, """{"messageType":"ping","data":{}}""");

        Assert.Equal("""{"messageType":"pong","data":{}}""", await ReceiveTextAsync(ws));
        Assert.StartsWith("/featbit/streaming?", Assert.Single(server.RequestUris), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PushFlag_ReachesTheClient_AndIsStored()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        using var ws = await ConnectAsync(server);
        await server.WaitForConnectionsAsync(1, Timeout, Ct);

        await server.PushFlagAsync(FakeFeatBitServer.BoolFlag("pushed", false, T2), Ct);
        var push = await ReceiveJsonAsync(ws);

        Assert.Equal("patch", (string?)push["data"]!["eventType"]);
        Assert.Equal(["pushed"], Keys(push, "featureFlags", "key"));
        Assert.Empty(Keys(push, "segments", "id"));
        Assert.Equal(FakeFeatBitServer.PushTimestamp(T2), (string?)push["data"]!["featureFlags"]![0]!["updatedAt"]);

        await SendAsync(ws, """{"messageType":"data-sync","data":{"timestamp":0}}""");
        Assert.Equal(["pushed"], Keys(await ReceiveJsonAsync(ws), "featureFlags", "key"));
    }

    [Fact]
    public async Task PushSegment_ReachesEveryOpenConnection()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        using var first = await ConnectAsync(server);
        using var second = await ConnectAsync(server);
        await server.WaitForConnectionsAsync(2, Timeout, Ct);
        var segment = new JsonObject { ["id"] = Segment1Id, ["included"] = new JsonArray("u"), ["updatedAt"] = FakeFeatBitServer.IsoTimestamp(T2) };

        await server.PushSegmentAsync(segment, Ct);

        foreach (var ws in new[] { first, second })
        {
            var push = await ReceiveJsonAsync(ws);
            Assert.Equal("patch", (string?)push["data"]!["eventType"]);
            Assert.Empty(Keys(push, "featureFlags", "key"));
            Assert.Equal([Segment1Id], Keys(push, "segments", "id"));
        }
    }

    [Fact]
    public async Task AbortAll_ClientSeesTheConnectionDropWithoutCloseHandshake()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        using var ws = await ConnectServedAsync(server);

        server.AbortAll();

        using var timeout = Bounded();
        await Assert.ThrowsAsync<WebSocketException>(() => ws.ReceiveAsync(new byte[16], timeout.Token));
    }

    [Fact]
    public void BoolFlag_IsAValidFlagForTheSdk()
    {
        var json = new JsonObject
        {
            ["featureFlags"] = new JsonArray(FakeFeatBitServer.BoolFlag("on", true, T1), FakeFeatBitServer.BoolFlag("off", false, T2, archived: true)),
            ["segments"] = new JsonArray(),
        }.ToJsonString();

        var store = Fixtures.NewStore();
        store.Apply(WireJson.ReadDataSync(Encoding.UTF8.GetBytes(json)));
        var client = Fixtures.Client(store);
        var user = FlagUser.Create("u");

        Assert.True(client.BoolVariation("on", user, defaultValue: false));
        Assert.True(client.BoolVariation("off", user, defaultValue: true)); // archived: hidden, so the default is served
    }

    [Fact]
    public async Task SendFragmented_ArrivesAsOneMessageOverSeveralFrames()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        using var ws = await ConnectAsync(server);
        await server.WaitForConnectionsAsync(1, Timeout, Ct);
        var message = """{"messageType":"data-sync","data":{"eventType":"patch","featureFlags":[],"segments":[]}}""";

        await server.SendFragmentedAsync(message, 4, Ct);
        var (text, frames) = await ReceiveWithFrameCountAsync(ws);

        Assert.Equal(message, text);
        Assert.True(frames >= 4, $"Expected at least 4 frames, got {frames}.");
    }

    [Fact]
    public async Task CloseAll_ClientSeesTheCodeAndTheServerCountsNoOpenConnection()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        using var ws = await ConnectAsync(server);
        await server.WaitForConnectionsAsync(1, Timeout, Ct);

        var closing = server.CloseAllAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        await AssertClosedAsync(ws, WebSocketCloseStatus.NormalClosure, string.Empty);
        await closing;

        Assert.Equal(0, server.OpenConnections);
    }

    [Fact]
    public async Task Restart_SamePort_RefusesWhileStoppedAndKeepsState()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("kept", true, T1));
        var port = server.Port;
        using (var ws = await ConnectAsync(server))
        {
            var stopping = server.StopAsync();
            await AssertClosedAsync(ws, WebSocketCloseStatus.NormalClosure, string.Empty);
            await stopping;
        }

        Assert.False(server.IsRunning);
        using (var refused = new ClientWebSocket())
        {
            await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(StreamingUri(server), Ct));
        }

        await server.RestartAsync(Ct);
        Assert.Equal(port, server.Port);
        using var again = await ConnectAsync(server);
        await SendAsync(again, """{"messageType":"data-sync","data":{"timestamp":0}}""");

        Assert.Equal(["kept"], Keys(await ReceiveJsonAsync(again), "featureFlags", "key"));
        Assert.Equal(2, server.ConnectionCount);
    }

    [Fact]
    public async Task Scripts_ApplyToTheNextConnectionsInOrder()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.EnqueueScript(ConnectionScript.RejectWith4003);
        server.EnqueueScript(ConnectionScript.CloseWith1011AfterAccept);
        server.EnqueueScript(ConnectionScript.DropAfterAccept);
        server.EnqueueScript(ConnectionScript.CloseWith1000AfterFirstSync);

        using (var ws = await ConnectAsync(server))
        {
            await AssertClosedAsync(ws, (WebSocketCloseStatus)4003, FakeFeatBitServer.InvalidRequestDescription);
        }

        using (var ws = await ConnectAsync(server))
        {
            await AssertClosedAsync(ws, WebSocketCloseStatus.InternalServerError, FakeFeatBitServer.ServiceUnavailableDescription);
        }

        using (var ws = await ConnectAsync(server))
        {
            await SendAsync(ws, """{"messageType":"data-sync","data":{"timestamp":0}}""");
            await Assert.ThrowsAsync<WebSocketException>(() => ws.ReceiveAsync(new byte[16], Ct));
        }

        using (var ws = await ConnectAsync(server))
        {
            await SendAsync(ws, """{"messageType":"data-sync","data":{"timestamp":0}}""");
            Assert.Equal("full", (string?)(await ReceiveJsonAsync(ws))["data"]!["eventType"]);
            await AssertClosedAsync(ws, WebSocketCloseStatus.NormalClosure, string.Empty);
        }

        using (var ws = await ConnectAsync(server))
        {
            await SendAsync(ws, """{"messageType":"ping","data":{}}""");
            Assert.Equal("""{"messageType":"pong","data":{}}""", await ReceiveTextAsync(ws));
        }

        Assert.Equal(5, server.ConnectionCount);
        Assert.Equal([0L, 0L], server.DataSyncTimestamps);
    }

    [Fact]
    public async Task SendGarbageThenNormal_GarbageFirstThenServes()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.EnqueueScript(ConnectionScript.SendGarbageThenNormal);
        using var ws = await ConnectAsync(server);

        Assert.Equal("not json {", await ReceiveTextAsync(ws));
        Assert.Equal("oops", (string?)(await ReceiveJsonAsync(ws))["data"]!["featureFlags"]);
        await SendAsync(ws, """{"messageType":"ping","data":{}}""");
        Assert.Equal("""{"messageType":"pong","data":{}}""", await ReceiveTextAsync(ws));
    }

    [Fact]
    public async Task StallNoReplies_RecordsButNeverAnswersNorPushes()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.EnqueueScript(ConnectionScript.StallNoReplies);
        using var ws = await ConnectAsync(server);

        await SendAsync(ws, """{"messageType":"data-sync","data":{"timestamp":0}}""");
        await SendAsync(ws, """{"messageType":"ping","data":{}}""");
        await server.WaitForMessageAsync(m => m.Contains("ping", StringComparison.Ordinal), Timeout, Ct);
        await server.PushFlagAsync(FakeFeatBitServer.BoolFlag("f", true, T1), Ct);
        var closing = server.CloseAllAsync(WebSocketCloseStatus.NormalClosure, null, Ct);

        // Replies and pushes would have been sent before the close frame: the first thing the client reads is the close.
        await AssertClosedAsync(ws, WebSocketCloseStatus.NormalClosure, string.Empty);
        await closing;
        Assert.Equal([0L], server.DataSyncTimestamps);
    }

    [Fact]
    public async Task StallOpenConnections_OpenOnesGoSilentNewOnesAreServed()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        using var stalled = await ConnectServedAsync(server);

        server.StallOpenConnections();
        await SendAsync(stalled, """{"messageType":"ping","data":{"n":1}}""");
        await server.WaitForMessageAsync(m => m.Contains("\"n\":1", StringComparison.Ordinal), Timeout, Ct);
        await server.PushFlagAsync(FakeFeatBitServer.BoolFlag("f", true, T1), Ct);
        using var fresh = await ConnectServedAsync(server);

        // Neither the pong nor the push went out on the stalled connection: the first thing it reads is the close.
        var closing = server.CloseAllAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        await AssertClosedAsync(stalled, WebSocketCloseStatus.NormalClosure, string.Empty);
        await closing;
    }

    [Fact]
    public async Task PauseSends_HoldsPushesAndPongs_ResumeDeliversThePushesInOrder()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        using var ws = await ConnectServedAsync(server);

        server.PauseSends();
        await server.PushFlagAsync(FakeFeatBitServer.BoolFlag("first", true, T1), Ct);
        await server.PushFlagAsync(FakeFeatBitServer.BoolFlag("second", true, T2), Ct);
        await SendAsync(ws, """{"messageType":"ping","data":{"n":1}}""");
        await server.WaitForMessageAsync(m => m.Contains("\"n\":1", StringComparison.Ordinal), Timeout, Ct);
        Assert.Equal(T2, server.LatestVersion); // the state changed at once; only the sending waits
        await server.ResumeSendsAsync(Ct);

        Assert.Equal(["first"], Keys(await ReceiveJsonAsync(ws), "featureFlags", "key"));
        Assert.Equal(["second"], Keys(await ReceiveJsonAsync(ws), "featureFlags", "key"));
        await SendAsync(ws, """{"messageType":"ping","data":{}}""");
        Assert.Equal("""{"messageType":"pong","data":{}}""", await ReceiveTextAsync(ws)); // only this ping's: the held one got none
    }

    [Fact]
    public async Task SendTruncatedThenAbort_ClientNeverGetsTheWholeMessageAndTheConnectionDrops()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        using var ws = await ConnectServedAsync(server);
        var message = """{"messageType":"data-sync","data":{"eventType":"patch","featureFlags":[],"segments":[]}}""";

        await server.SendTruncatedThenAbortAsync(message, 20, Ct);

        // The start of the message arrives unless the reset overtakes it (unread data is then discarded); the end never does.
        using var timeout = Bounded();
        var buffer = new byte[1024];
        var received = new StringBuilder();
        var ex = await Assert.ThrowsAsync<WebSocketException>(async () =>
        {
            while (true)
            {
                var frame = await ws.ReceiveAsync(buffer, timeout.Token);
                Assert.False(frame.EndOfMessage);
                received.Append(Encoding.UTF8.GetString(buffer, 0, frame.Count));
            }
        });
        Assert.StartsWith(received.ToString(), message[..20], StringComparison.Ordinal);
        Assert.NotNull(ex);
    }

    [Fact]
    public async Task FullDataSyncJsonAndLatestVersion_DescribeTheWholeState()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        Assert.Equal(0L, server.LatestVersion);
        server.LoadFull(SmallDataSet());

        var state = JsonNode.Parse(server.FullDataSyncJson())!;

        Assert.Equal("full", (string?)state["data"]!["eventType"]);
        Assert.Equal(["flag-old", "flag-new", "flag-archived"], Keys(state, "featureFlags", "key"));
        Assert.Equal([Segment1Id], Keys(state, "segments", "id"));
        Assert.Equal(T2, server.LatestVersion);
    }

    [Fact]
    public async Task RespondToPingsOff_PingIsRecordedButNotAnswered()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.RespondToPings = false;
        using var ws = await ConnectAsync(server);

        await SendAsync(ws, """{"messageType":"ping","data":{}}""");
        await server.WaitForMessageAsync(m => m.Contains("ping", StringComparison.Ordinal), Timeout, Ct);
        server.RespondToPings = true;
        await SendAsync(ws, """{"messageType":"ping","data":{"n":2}}""");

        Assert.Equal("""{"messageType":"pong","data":{}}""", await ReceiveTextAsync(ws));
        await server.WaitForMessageAsync(m => m.Contains("\"n\":2", StringComparison.Ordinal), Timeout, Ct);
        Assert.Equal(2, server.ReceivedMessages.Count);
    }

    [Fact]
    public async Task WaitForDataSync_NothingHappens_ThrowsTimeoutWithContext()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => server.WaitForDataSyncAsync(1, TimeSpan.FromMilliseconds(20), Ct));

        Assert.Contains("data-sync", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadFull_RealServerCapture_IsServedBack()
    {
        var capture = File.ReadAllText(Fixtures.PathOf("real-server-captures/server-full-data-sync.json"));
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.LoadFull(capture);
        using var ws = await ConnectAsync(server);

        await SendAsync(ws, """{"messageType":"data-sync","data":{"timestamp":0}}""");
        var reply = await ReceiveJsonAsync(ws);

        Assert.Equal(["bool-flag", "color-flag", "off-flag"], Keys(reply, "featureFlags", "key").Order(StringComparer.Ordinal));
        Assert.Single(Keys(reply, "segments", "id"));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Token(string secret, long timestampMs)
        => ConnectionTokenProvider.Build(secret, timestampMs.ToString(CultureInfo.InvariantCulture), 14);

    private static Uri StreamingUri(FakeFeatBitServer server)
        => new(server.StreamingUri, $"streaming?type=server&token={Token(server.Secret, TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds())}");

    private static Task<ClientWebSocket> ConnectAsync(FakeFeatBitServer server) => ConnectAsync(StreamingUri(server));

    /// <summary>Connects and completes a ping/pong, so the server is serving the connection when this returns.</summary>
    private static async Task<ClientWebSocket> ConnectServedAsync(FakeFeatBitServer server)
    {
        var ws = await ConnectAsync(server);
        await SendAsync(ws, """{"messageType":"ping","data":{}}""");
        Assert.Equal("""{"messageType":"pong","data":{}}""", await ReceiveTextAsync(ws));
        return ws;
    }

    private static async Task<ClientWebSocket> ConnectAsync(Uri uri)
    {
        var ws = new ClientWebSocket();
        using var timeout = Bounded();
        await ws.ConnectAsync(uri, timeout.Token);
        return ws;
    }

    private static CancellationTokenSource Bounded()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(Timeout);
        return cts;
    }

    private static async Task SendAsync(ClientWebSocket ws, string text)
    {
        using var timeout = Bounded();
        await ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
    }

    private static async Task<string> ReceiveTextAsync(ClientWebSocket ws) => (await ReceiveWithFrameCountAsync(ws)).Text;

    private static async Task<JsonNode> ReceiveJsonAsync(ClientWebSocket ws) => JsonNode.Parse(await ReceiveTextAsync(ws))!;

    private static async Task<(string Text, int Frames)> ReceiveWithFrameCountAsync(ClientWebSocket ws)
    {
        using var timeout = Bounded();
        using var message = new MemoryStream();
        var buffer = new byte[64 * 1024];
        var frames = 0;
        while (true)
        {
            var result = await ws.ReceiveAsync(buffer, timeout.Token);
            Assert.True(result.MessageType == WebSocketMessageType.Text, $"Expected a text message but got {result.MessageType} ({result.CloseStatus} {result.CloseStatusDescription}).");
            frames++;
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (Encoding.UTF8.GetString(message.ToArray()), frames);
            }
        }
    }

    private static async Task AssertClosedAsync(ClientWebSocket ws, WebSocketCloseStatus status, string description)
    {
        using var timeout = Bounded();
        var result = await ws.ReceiveAsync(new byte[64 * 1024], timeout.Token);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(status, result.CloseStatus);
        Assert.Equal(description, result.CloseStatusDescription ?? string.Empty);
        if (ws.State == WebSocketState.CloseReceived)
        {
            await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        }
    }

    private static List<string> Keys(JsonNode reply, string array, string property)
        => [.. reply["data"]![array]!.AsArray().Select(e => (string)e![property]!)];

    /// <summary>Two flags before/after <see cref="T1"/>, an archived one after it, and a segment at <see cref="T1"/>.</summary>
    private static string SmallDataSet()
        => new JsonObject
        {
            ["messageType"] = "data-sync",
            ["data"] = new JsonObject
            {
                ["eventType"] = "full",
                ["featureFlags"] = new JsonArray(
                    FakeFeatBitServer.BoolFlag("flag-old", true, T1 - 1),
                    FakeFeatBitServer.BoolFlag("flag-new", true, T1 + 1),
                    FakeFeatBitServer.BoolFlag("flag-archived", false, T2, archived: true)),
                ["segments"] = new JsonArray(new JsonObject
                {
                    ["id"] = Segment1Id,
                    ["name"] = "beta",
                    ["included"] = new JsonArray("user-2"),
                    ["excluded"] = new JsonArray(),
                    ["rules"] = new JsonArray(),
                    ["isArchived"] = false,
                    ["updatedAt"] = FakeFeatBitServer.IsoTimestamp(T1),
                }),
            },
        }.ToJsonString();
}
