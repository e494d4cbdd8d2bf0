using System.Net.WebSockets;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging;
using Xunit;

namespace FeatureFlags.Tests.Sync;

public sealed class StreamingDataSourceTests
{
    private const long V1 = 1_700_000_000_000;

    [Fact]
    public async Task Start_InitialFullSync_LoadsStoreAndIsReady()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));

        await h.StartAndSyncAsync();

        Assert.Equal(FeatureFlagsState.Ready, h.Status.Current.State);
        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));
        Assert.Equal([0L], h.Server.DataSyncTimestamps);
        Assert.Contains("/streaming?type=server&token=", h.Server.RequestUris[0], StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Conformance", "NOTE-01")]
    public async Task Push_FlagChange_IsVisibleAfterCommit()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();

        var change = h.NextChangeAsync();
        await h.Server.PushFlagAsync(FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 1), TestContext.Current.CancellationToken);

        Assert.Equal(["flag-a"], (await change).FlagKeys);
        Assert.False(h.Client.BoolVariation("flag-a", FlagUser.Create("u"), true));
    }

    [Fact]
    [Trait("Conformance", "STORE-02")]
    public async Task Push_OlderVersionAfterNewer_IsIgnored()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1 + 10));
        await h.StartAndSyncAsync();

        await h.Server.PushFlagAsync(FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 5), TestContext.Current.CancellationToken);
        var marker = h.NextChangeAsync();
        await h.Server.PushFlagAsync(FakeFeatBitServer.BoolFlag("marker", true, V1 + 11), TestContext.Current.CancellationToken);
        await marker;

        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));
    }

    [Theory]
    [InlineData(WebSocketCloseStatus.NormalClosure)]
    [InlineData(WebSocketCloseStatus.InternalServerError)]
    [Trait("Conformance", "SYNC-04")]
    public async Task ServerClose_1000Or1011_ReconnectsWithCursor(WebSocketCloseStatus code)
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();

        await h.Server.CloseAllAsync(code, "bye", TestContext.Current.CancellationToken);
        await h.AdvanceUntilAsync(() => h.Server.DataSyncTimestamps.Count >= 2, TimeSpan.FromSeconds(1), "a reconnect with a data-sync");
        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Ready, TimeSpan.Zero, "ready again");

        Assert.Equal([0L, V1], h.Server.DataSyncTimestamps);
        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));
    }

    [Fact]
    [Trait("Conformance", "SYNC-04")]
    [Trait("Conformance", "STORE-07")]
    [Trait("Conformance", "API-08")]
    public async Task ServerClose_WhileServing_StatusIsInterruptedAndFlagsKeepServing()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        var interrupted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Status.StatusChanged += (_, s) =>
        {
            if (s.State == FeatureFlagsState.Interrupted)
            {
                interrupted.TrySetResult();
            }
        };

        await h.Server.StopAsync();
        await interrupted.Task.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

        Assert.NotNull(h.Status.Current.LastError);
        Assert.NotNull(h.Status.Current.LastErrorAt);
        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));
    }

    [Fact]
    [Trait("Conformance", "SYNC-05")]
    [Trait("Conformance", "API-08")]
    public async Task Reject4003_StopsForGoodWithClearError()
    {
        await using var h = await SyncHarness.CreateAsync(o => o.Streaming.RetryAfterRejection = Timeout.InfiniteTimeSpan);
        h.Server.EnqueueScript(ConnectionScript.RejectWith4003);

        await h.Service.StartAsync(CancellationToken.None);
        await h.Service.Loop!.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        h.Time.Advance(TimeSpan.FromMinutes(10));

        Assert.Equal(FeatureFlagsState.Off, h.Status.Current.State);
        Assert.Contains("4003", h.Status.Current.LastError, StringComparison.Ordinal);
        Assert.Contains("clock", h.Status.Current.LastError, StringComparison.Ordinal);
        Assert.Equal(1, h.Server.ConnectionCount);
        Assert.False(await h.Status.WaitForReadyAsync(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken));
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == 2009 && r.Level == LogLevel.Error);
    }

    [Fact]
    [Trait("Conformance", "SYNC-05")]
    public async Task ExpiredToken_ClockSkewOver30s_IsRejectedWith4003()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.TokenExpiry = TimeSpan.FromSeconds(30);
        var clientClock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(h.Time.GetUtcNow().AddSeconds(-31));
        var token = new ConnectionTokenProvider(clientClock).Create(h.Server.Secret);
        using var socket = new ClientWebSocket();

        await socket.ConnectAsync(StreamingSession.BuildUri(h.Server.StreamingUri, token), TestContext.Current.CancellationToken);
        var result = await socket.ReceiveAsync(new byte[256], TestContext.Current.CancellationToken);

        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(StreamingSession.RejectedCloseStatus, socket.CloseStatus);
    }

    [Fact]
    [Trait("Conformance", "SYNC-04")]
    public async Task Liveness_NoFrameForThreePingIntervals_ReconnectsAndSendsPings()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        h.Server.RespondToPings = false;

        await h.AdvanceUntilAsync(() => h.Server.ConnectionCount >= 2, TimeSpan.FromSeconds(5), "a reconnect after the liveness deadline");

        Assert.Contains(h.Server.ReceivedMessages, m => m.Contains("\"ping\"", StringComparison.Ordinal));
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == 2008);
    }

    [Fact]
    public async Task Liveness_PongsKeepTheConnection()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();

        for (var i = 0; i < 8; i++)
        {
            var pings = h.Server.ReceivedMessages.Count;
            await h.AdvanceUntilAsync(() => h.Server.ReceivedMessages.Count > pings, TimeSpan.FromSeconds(15), "a ping");
            await h.Server.WaitForMessageAsync(_ => true, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        }

        Assert.Equal(1, h.Server.ConnectionCount);
        Assert.Equal(FeatureFlagsState.Ready, h.Status.Current.State);
    }

    [Fact]
    [Trait("Conformance", "SYNC-04")]
    public async Task LongOutage_ReconnectRequestsFullResync()
    {
        await using var h = await SyncHarness.CreateAsync(o => o.Streaming.FullResyncAfterOutage = TimeSpan.FromMinutes(5));
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();

        await h.Server.StopAsync();
        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Interrupted, TimeSpan.Zero, "interrupted");
        h.Time.Advance(TimeSpan.FromMinutes(6));
        await h.Server.RestartAsync(TestContext.Current.CancellationToken);
        await h.AdvanceUntilAsync(() => h.Server.DataSyncTimestamps.Count >= 2, TimeSpan.FromSeconds(5), "a reconnect");

        Assert.Equal(0L, h.Server.DataSyncTimestamps[^1]);
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == 2014);
    }

    [Fact]
    [Trait("Conformance", "SYNC-04")]
    public async Task ShortOutage_ReconnectRequestsChangesSinceCursor()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();

        await h.Server.StopAsync();
        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Interrupted, TimeSpan.Zero, "interrupted");
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-b", true, V1 + 1));
        await h.Server.RestartAsync(TestContext.Current.CancellationToken);
        await h.AdvanceUntilAsync(() => h.Client.BoolVariation("flag-b", FlagUser.Create("u")), TimeSpan.FromSeconds(1), "flag-b via the patch");

        Assert.Equal(V1, h.Server.DataSyncTimestamps[^1]);
    }

    [Fact]
    [Trait("Conformance", "SYNC-02")]
    [Trait("Conformance", "SYNC-03")]
    public async Task StartWait_TimesOutThenLateDataMakesItReady()
    {
        await using var h = await SyncHarness.CreateAsync(o => o.StartWaitTime = TimeSpan.FromSeconds(15));
        h.Server.RespondToDataSync = false;
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));

        var start = h.Service.StartAsync(CancellationToken.None);
        await h.Server.WaitForDataSyncAsync(1, TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        Assert.False(start.IsCompleted);
        await h.AdvanceUntilAsync(() => start.IsCompleted, TimeSpan.FromSeconds(5), "the start wait to time out");

        await start;
        var notReady = h.Client.BoolVariationDetail("flag-a", FlagUser.Create("u"), false);
        Assert.Equal(EvaluationReasonKind.ClientNotReady, notReady.Kind);
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == 2013);

        await h.Server.SendRawAsync(
            """{"messageType":"data-sync","data":{"eventType":"full","featureFlags":[""" + FakeFeatBitServer.BoolFlag("flag-a", true, V1).ToJsonString() + """],"segments":[]}}""",
            TestContext.Current.CancellationToken);
        Assert.True(await h.WaitReadyAsync());
        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));
    }

    [Fact]
    [Trait("Conformance", "SYNC-06")]
    public async Task Stop_DuringReconnectBackoff_CompletesPromptly()
    {
        await using var h = await SyncHarness.CreateAsync();
        await h.Server.StopAsync();
        await h.Service.StartAsync(CancellationToken.None);
        await h.AdvanceUntilAsync(() => h.Logs.GetSnapshot().Any(r => r.Id.Id == 2012), TimeSpan.Zero, "a scheduled reconnect");

        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await h.Service.StopAsync(bound.Token);

        Assert.True(h.Service.Loop!.IsCompleted);
        Assert.False(bound.IsCancellationRequested);
        Assert.Equal(FeatureFlagsState.Off, h.Status.Current.State);
    }

    [Fact]
    [Trait("Conformance", "SYNC-06")]
    public async Task Stop_WhileConnected_ClosesTheSocketCleanly()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();

        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await h.Service.StopAsync(bound.Token);

        Assert.True(h.Service.Loop!.IsCompleted);
        await h.AdvanceUntilAsync(() => h.Server.OpenConnections == 0, TimeSpan.Zero, "the server side to see the close");
    }

    [Fact]
    [Trait("Conformance", "INV-01")]
    [Trait("Conformance", "INV-02")]
    [Trait("Conformance", "INV-04")]
    [Trait("Conformance", "INV-05")]
    public async Task Garbage_MalformedFramesAreSkippedAndSyncContinues()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.EnqueueScript(ConnectionScript.SendGarbageThenNormal);
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));

        await h.StartAndSyncAsync();
        var change = h.NextChangeAsync();
        await h.Server.SendRawAsync("{\"messageType\":\"data-sync\",\"data\":{\"eventType\":\"patch\",\"featureFlags\":[{\"key\":\"broken\",\"isEnabled\":\"maybe\"}," + FakeFeatBitServer.BoolFlag("flag-b", true, V1 + 1).ToJsonString() + "],\"segments\":[]}}", TestContext.Current.CancellationToken);
        await change;

        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));
        Assert.True(h.Client.BoolVariation("flag-b", FlagUser.Create("u")));
        Assert.Equal(1, h.Server.ConnectionCount);
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == 2005);
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == 1001);
    }

    [Fact]
    public async Task Fragmented_MessageIsReassembled()
    {
        await using var h = await SyncHarness.CreateAsync();
        await h.StartAndSyncAsync();

        var change = h.NextChangeAsync();
        await h.Server.SendFragmentedAsync(
            """{"messageType":"data-sync","data":{"eventType":"patch","featureFlags":[""" + FakeFeatBitServer.BoolFlag("flag-f", true, V1).ToJsonString() + """],"segments":[]}}""",
            7,
            TestContext.Current.CancellationToken);

        Assert.Equal(["flag-f"], (await change).FlagKeys);
    }

    [Fact]
    [Trait("Conformance", "INV-01")]
    public async Task OversizedMessage_IsRefusedAndLastGoodFlagsKeepServing()
    {
        await using var h = await SyncHarness.CreateAsync(o => o.Streaming.MaxMessageSize = 4096);
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();

        var huge = FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 1);
        huge["description"] = new string('x', 100_000);
        try
        {
            await h.Server.PushFlagAsync(huge, TestContext.Current.CancellationToken);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The client refuses the message and closes while the server is still sending it.
        }

        await h.AdvanceUntilAsync(() => h.Status.Current.LastError?.Contains("MaxMessageSize", StringComparison.Ordinal) == true, TimeSpan.Zero, "the refusal in the status");

        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == 2007);
    }

    [Fact]
    [Trait("Conformance", "SYNC-04")]
    public async Task DroppedConnection_ReconnectsAndResyncs()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();

        h.Server.AbortAll();
        await h.AdvanceUntilAsync(() => h.Server.DataSyncTimestamps.Count >= 2, TimeSpan.FromSeconds(1), "a reconnect after a dropped connection");

        Assert.Equal(V1, h.Server.DataSyncTimestamps[^1]);
    }

    [Fact]
    [Trait("Conformance", "API-06")]
    public async Task Logs_NeverContainTheSecretOrTheToken()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        await h.Server.CloseAllAsync(WebSocketCloseStatus.NormalClosure, null, TestContext.Current.CancellationToken);
        await h.AdvanceUntilAsync(() => h.Server.DataSyncTimestamps.Count >= 2, TimeSpan.FromSeconds(1), "a reconnect");

        var text = string.Join("\n", h.Logs.GetSnapshot().Select(r => r.Message + " " + r.Exception));
        Assert.NotEmpty(text);
        Assert.DoesNotContain(h.Server.Secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain("token=", text, StringComparison.Ordinal);
        Assert.DoesNotContain(h.Server.Secret, h.Status.Current.LastError ?? string.Empty, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("wss://contoso.com/featbit", "wss://contoso.com/featbit/streaming?type=server&token=T")]
    [InlineData("wss://contoso.com/featbit/", "wss://contoso.com/featbit/streaming?type=server&token=T")]
    [InlineData("https://app-eval.featbit.co", "wss://app-eval.featbit.co/streaming?type=server&token=T")]
    [InlineData("http://localhost:5100", "ws://localhost:5100/streaming?type=server&token=T")]
    [Trait("Conformance", "CONF-01")]
    public void BuildUri_KeepsPathPrefixAndMapsHttp(string baseUri, string expected)
        => Assert.Equal(expected, StreamingSession.BuildUri(new Uri(baseUri), "T").ToString());
}
