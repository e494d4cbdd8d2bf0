using System.Net.WebSockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FeatureFlags.Model.Internal;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.Support;

/// <summary>The behaviours measured on a real FeatBit evaluation server (protocol.md §1.12), checked with a raw client.</summary>
public sealed partial class FakeFeatBitServerTests
{
    private const string EmptyPatch = """{"messageType":"data-sync","data":{"eventType":"patch","featureFlags":[],"segments":[]}}""";

    [Fact]
    public async Task Race_FullRequest_PushOfTheNewerVersionArrivesFirstThenTheOlderFullReply()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("raced", true, T1));
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("other", true, T1 - 5));
        server.RacePushBeforeReply = true;
        server.RaceChange = f =>
        {
            f["isEnabled"] = false;
            return f;
        };
        using var ws = await ConnectAsync(server);

        await SendAsync(ws, """{"messageType":"data-sync","data":{"timestamp":0}}""");
        var push = await ReceiveJsonAsync(ws);
        var reply = await ReceiveJsonAsync(ws);

        Assert.Equal("patch", (string?)push["data"]!["eventType"]);
        Assert.Equal(["raced"], Keys(push, "featureFlags", "key"));
        Assert.Equal(T1 + 1, VersionOf(push, "raced"));
        Assert.False((bool)push["data"]!["featureFlags"]![0]!["isEnabled"]!);
        Assert.Equal("full", (string?)reply["data"]!["eventType"]);
        Assert.Equal(T1, VersionOf(reply, "raced"));
        Assert.True((bool)reply["data"]!["featureFlags"]![0]!["isEnabled"]!);
        Assert.Equal(1, server.EarlyPushes);
        Assert.Equal(1, server.OlderReplies);
        Assert.Equal(T1 + 1, server.LatestVersion);
    }

    [Fact]
    public async Task Race_CursorRequest_EnqueuedPushArrivesFirstThenTheOlderPatchReply()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("raced", true, T1 + 10));
        server.EnqueueRacePush(FakeFeatBitServer.BoolFlag("raced", false, T2));
        using var ws = await ConnectAsync(server);

        await SendAsync(ws, $$$"""{"messageType":"data-sync","data":{"timestamp":{{{T1}}}}}""");
        var push = await ReceiveJsonAsync(ws);
        var reply = await ReceiveJsonAsync(ws);

        Assert.Equal("patch", (string?)push["data"]!["eventType"]);
        Assert.Equal(T2, VersionOf(push, "raced"));
        Assert.Equal("patch", (string?)reply["data"]!["eventType"]);
        Assert.Equal(T1 + 10, VersionOf(reply, "raced"));
        Assert.Equal((1, 1), (server.EarlyPushes, server.OlderReplies));

        // One-off: the next request is answered from the current state, with no push first.
        await SendAsync(ws, $$$"""{"messageType":"data-sync","data":{"timestamp":{{{T1}}}}}""");
        Assert.Equal(T2, VersionOf(await ReceiveJsonAsync(ws), "raced"));
        Assert.Equal(1, server.EarlyPushes);
    }

    [Theory]
    [InlineData("\"abc\"")]
    [InlineData("\"1700000000000\"")]
    [InlineData("1.5")]
    [InlineData("true")]
    [InlineData("{}")]
    public async Task DataSync_NonNumericTimestamp_NoReplyAndTheConnectionStaysOpen(string timestamp)
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.LoadFull(SmallDataSet());
        using var ws = await ConnectAsync(server);

        await SendAsync(ws, $$$"""{"messageType":"data-sync","data":{"timestamp":{{{timestamp}}}}}""");
        await SendAsync(ws, """{"messageType":"ping","data":{}}""");

        // Messages are handled in order on one connection: a reply would have been sent before the pong.
        Assert.Equal("""{"messageType":"pong","data":{}}""", await ReceiveTextAsync(ws));
        Assert.Equal(WebSocketState.Open, ws.State);
        Assert.Equal(1, server.InvalidTimestampRequests);
        Assert.Empty(server.DataSyncTimestamps);
    }

    [Fact]
    public async Task DataSync_NonNumericTimestamp_WithTheSwitchIsAFullSync()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.LoadFull(SmallDataSet());
        server.ReplyToNonNumericTimestamp = true;
        using var ws = await ConnectAsync(server);

        await SendAsync(ws, """{"messageType":"data-sync","data":{"timestamp":"abc"}}""");

        Assert.Equal("full", (string?)(await ReceiveJsonAsync(ws))["data"]!["eventType"]);
        Assert.Equal([0L], server.DataSyncTimestamps);
    }

    [Fact]
    public async Task PingAndEmptyPatch_ExactShapes_AndTheServerNeverPings()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.LoadFull(SmallDataSet());
        using var ws = await ConnectAsync(server);

        await SendAsync(ws, $$$"""{"messageType":"data-sync","data":{"timestamp":{{{T2}}}}}""");
        await SendAsync(ws, """{"messageType":"ping","data":null}""");

        // Nothing else comes first: no server ping, no push.
        Assert.Equal(EmptyPatch, await ReceiveTextAsync(ws));
        Assert.Equal("""{"messageType":"pong","data":{}}""", await ReceiveTextAsync(ws));
    }

    [Fact]
    public async Task Timestamps_RepliesCarryMicroseconds_PushesAnOffset_BothTruncateToTheSameMillisecond()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("f", true, T1 + 915));
        using var ws = await ConnectAsync(server);

        await SendAsync(ws, """{"messageType":"data-sync","data":{"timestamp":0}}""");
        var replied = (string)(await ReceiveJsonAsync(ws))["data"]!["featureFlags"]![0]!["updatedAt"]!;
        await server.PushFlagAsync(FakeFeatBitServer.BoolFlag("f", false, T2), Ct);
        var pushed = (string)(await ReceiveJsonAsync(ws))["data"]!["featureFlags"]![0]!["updatedAt"]!;

        Assert.Matches(new Regex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"), replied);
        Assert.Equal(FakeFeatBitServer.DatabaseTimestamp(T1 + 915), replied);
        Assert.True(int.Parse(replied.AsSpan(23, 3), provider: null) >= 500, "sub-millisecond digits catch a rounding parser");
        Assert.True(UnixMillisecondsConverter.TryParse(replied, out var repliedMs));
        Assert.Equal(T1 + 915, repliedMs);
        Assert.Matches(new Regex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$"), pushed);
        Assert.True(UnixMillisecondsConverter.TryParse(pushed, out var pushedMs));
        Assert.Equal(T2, pushedMs);
    }

    [Fact]
    public async Task Timestamps_StoredMicrosecondsAreKept_AndTheSwitchSendsAsStored()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        var flag = FakeFeatBitServer.BoolFlag("f", true, T1);
        flag["updatedAt"] = "2024-05-01T10:11:12.915205Z";
        server.UpsertFlag(flag);
        using var ws = await ConnectAsync(server);

        await SendAsync(ws, """{"messageType":"data-sync","data":{"timestamp":0}}""");
        Assert.Equal("2024-05-01T10:11:12.915205Z", (string?)(await ReceiveJsonAsync(ws))["data"]!["featureFlags"]![0]!["updatedAt"]);

        server.RealisticTimestamps = false;
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("f", true, T1));
        await SendAsync(ws, """{"messageType":"data-sync","data":{"timestamp":0}}""");
        Assert.Equal(FakeFeatBitServer.IsoTimestamp(T1), (string?)(await ReceiveJsonAsync(ws))["data"]!["featureFlags"]![0]!["updatedAt"]);
    }

    [Fact]
    public async Task DatabaseRestart_OnlyTheFirstConnectionAfterwardsIsClosedWith1011()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("kept", true, T1));

        await server.RestartAsync(databaseRestarted: true, Ct);
        using (var first = await ConnectAsync(server))
        {
            await AssertClosedAsync(first, WebSocketCloseStatus.InternalServerError, FakeFeatBitServer.ServiceUnavailableDescription);
        }

        using var second = await ConnectAsync(server);
        await SendAsync(second, """{"messageType":"data-sync","data":{"timestamp":0}}""");
        Assert.Equal(["kept"], Keys(await ReceiveJsonAsync(second), "featureFlags", "key"));
        Assert.Equal(1, server.DatabaseRestartCloses);
    }

    [Fact]
    public async Task Crash_NoCloseFrame_RefusesWhileDown_RestartServesOnTheSamePort()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("kept", true, T1));
        var port = server.Port;
        using (var ws = await ConnectServedAsync(server))
        {
            await server.CrashAsync();

            using var timeout = Bounded();
            var ex = await Assert.ThrowsAsync<WebSocketException>(() => ws.ReceiveAsync(new byte[16], timeout.Token));
            Assert.Equal(WebSocketError.ConnectionClosedPrematurely, ex.WebSocketErrorCode);
            Assert.Null(ws.CloseStatus);
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
    }

    [Fact]
    public async Task DropAll_NoCloseFrame_TheServerKeepsListening()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        using var ws = await ConnectServedAsync(server);

        server.DropAll();

        using var timeout = Bounded();
        await Assert.ThrowsAsync<WebSocketException>(() => ws.ReceiveAsync(new byte[16], timeout.Token));
        Assert.Null(ws.CloseStatus);
        using var again = await ConnectServedAsync(server);
    }

    [Fact]
    public async Task ClientClose_IsRecordedWithStatusDescriptionArrivalTimeAndTheAnswer()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(T2));
        await using var server = await FakeFeatBitServer.StartAsync(clock, Ct);
        using var ws = await ConnectAsync(new Uri(server.StreamingUri, $"streaming?type=server&token={Token(server.Secret, T2)}"));
        await SendAsync(ws, """{"messageType":"ping","data":{}}""");
        await ReceiveTextAsync(ws);

        using (var timeout = Bounded())
        {
            await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
        }

        await server.WaitForClientClosesAsync(1, Timeout, Ct);
        var close = Assert.Single(server.ClientCloses);
        Assert.Equal((1L, WebSocketCloseStatus.NormalClosure, "bye", true), (close.ConnectionId, close.Status, close.Description, close.Answered));
        Assert.Equal(clock.GetUtcNow(), close.ReceivedAt);
        Assert.Equal(clock.GetTimestamp(), close.ReceivedTimestamp);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, ws.CloseStatus);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 30)]
    public async Task ClientClose_NotAnsweredOrAnsweredTooLate_TheClientGivesUpOnItsOwn(bool answer, int delaySeconds)
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.AnswerClientClose = answer;
        server.ClientCloseReplyDelay = TimeSpan.FromSeconds(delaySeconds);
        using var ws = await ConnectServedAsync(server);

        using (var closeTimeout = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            closeTimeout.CancelAfter(TimeSpan.FromMilliseconds(200));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", closeTimeout.Token));
        }

        Assert.Equal(WebSocketState.Aborted, ws.State);
        await server.WaitForClientClosesAsync(1, Timeout, Ct);
        var close = Assert.Single(server.ClientCloses);
        Assert.Equal((WebSocketCloseStatus.NormalClosure, "bye", false), (close.Status, close.Description, close.Answered));
    }

    private static long VersionOf(JsonNode message, string key)
    {
        var flag = message["data"]!["featureFlags"]!.AsArray().Single(f => (string?)f!["key"] == key)!;
        Assert.True(UnixMillisecondsConverter.TryParse((string)flag["updatedAt"]!, out var ms));
        return ms;
    }
}
