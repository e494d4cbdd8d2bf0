using System.Globalization;
using FeatureFlags.DataSystem;
using FeatureFlags.Tests.Support;
using FeatureFlags.Tests.Sync;
using Xunit;

namespace FeatureFlags.Tests.DataSystem;

/// <summary>
/// The data system against the in-process FeatBit server (issue 15): recovery as fast as the server, bounded load,
/// rejections that don't kill a client behind a relay for good, and a reply that never comes.
/// </summary>
public sealed class DataSystemTests
{
    private const long V1 = 1_700_000_000_000;

    [Fact]
    [Trait("Conformance", "SYNC-08")]
    public async Task ServerRestart_AfterAHealthySession_ReadyWithinOneSecondOfTheServerBeingBack()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        h.Time.Advance(TimeSpan.FromSeconds(10)); // healthy for longer than HealthyConnectionTime (5 s)

        // Two restarts 35 s apart (a rolling restart): each time the SDK is back within a second of the server.
        for (var restart = 0; restart < 2; restart++)
        {
            await h.Server.StopAsync();
            await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Interrupted, TimeSpan.FromMilliseconds(50), "interrupted");
            for (var i = 0; i < 24; i++)
            {
                h.Time.Advance(TimeSpan.FromMilliseconds(250)); // the server is down for 6 s
                await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System, TestContext.Current.CancellationToken);
            }

            var connections = h.Server.ConnectionCount;
            await h.Server.RestartAsync(TestContext.Current.CancellationToken);
            var back = h.Time.GetTimestamp();

            // Fake time runs only until the SDK's next attempt reaches the server; the connect and the sync then take
            // real time (milliseconds on loopback), not fake time, so a loaded machine cannot stretch the measure.
            await h.Time.AdvanceUntilAsync(() => h.Server.ConnectionCount > connections, TimeSpan.FromMilliseconds(10), "the next attempt", maxSteps: 400, pauseMs: 10);
            var elapsed = h.Time.GetElapsedTime(back);
            Assert.True(await h.WaitReadyAsync(), "not ready after the reconnect");
            Assert.True(elapsed <= TimeSpan.FromSeconds(1), $"restart {restart + 1}: the SDK reconnected {elapsed.TotalMilliseconds} ms after the server was back");
            h.Time.Advance(TimeSpan.FromSeconds(35));
        }
    }

    [Fact]
    [Trait("Conformance", "SYNC-08")]
    public async Task LongOutage_AttemptsArePaced()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        h.Time.Advance(TimeSpan.FromSeconds(10));
        await h.Server.StopAsync();

        // The quick phase (30 s), then ten minutes of a server that is down.
        for (var i = 0; i < 130; i++)
        {
            h.Time.Advance(TimeSpan.FromMilliseconds(250));
            await Task.Delay(TimeSpan.FromMilliseconds(5), TimeProvider.System, TestContext.Current.CancellationToken);
        }

        var quick = ConnectFailures(h);
        for (var i = 0; i < 120; i++)
        {
            h.Time.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(TimeSpan.FromMilliseconds(5), TimeProvider.System, TestContext.Current.CancellationToken);
        }

        var paced = ConnectFailures(h) - quick;
        Assert.InRange(quick, 20, 125);
        Assert.InRange(paced, 10, 45); // 600 s at 15-30 s per attempt once the backoff has grown
        Assert.Equal(FeatureFlagsState.Interrupted, h.Status.Current.State);
    }

    [Fact]
    [Trait("Conformance", "SYNC-09")]
    public async Task RejectionAfterASync_ProbesAgain_AndIsReadyOnceAccepted()
    {
        await using var h = await SyncHarness.CreateAsync(o => o.Streaming.RetryAfterRejection = TimeSpan.FromMinutes(1));
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();

        // A relay that restarted: it rejects the (valid) secret until it is loaded again.
        var secret = h.Server.Secret;
        h.Server.Secret = "another-secret-another-secret-another-secret";
        await h.Server.CloseAllAsync(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, "restart", TestContext.Current.CancellationToken);
        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Off, TimeSpan.FromMilliseconds(500), "off after the rejection");
        Assert.Contains("4003", h.Status.Current.LastError, StringComparison.Ordinal);
        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")), "the last flags keep serving");
        var connections = h.Server.ConnectionCount;

        h.Server.Secret = secret;
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 1));
        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Ready, TimeSpan.FromSeconds(5), "ready after the probe");

        Assert.False(h.Client.BoolVariation("flag-a", FlagUser.Create("u"), true));
        Assert.Equal(0L, h.Server.DataSyncTimestamps[^1]); // a relay that lost its data: everything is asked for again
        // One probe a minute, not a reconnect storm: the probe, plus (on a loaded machine) the rejected connections the
        // server counted only after the status was seen Off.
        Assert.InRange(h.Server.ConnectionCount - connections, 1, 3);
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == 2023);
    }

    [Fact]
    public async Task NoReplyToTheDataSyncRequest_ReplacesTheConnectionAfterDataSyncTimeout()
    {
        await using var h = await SyncHarness.CreateAsync(o => o.Streaming.DataSyncTimeout = TimeSpan.FromSeconds(10));
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        h.Server.RespondToDataSync = false;
        await h.Service.StartAsync(CancellationToken.None);
        await h.Server.WaitForDataSyncAsync(1, TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

        h.Server.RespondToDataSync = true;
        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Ready, TimeSpan.FromSeconds(1), "ready on the next connection");

        Assert.Equal(2, h.Server.ConnectionCount);
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == 2010 && r.Message.Contains("NoReply", StringComparison.Ordinal));
    }

    [Fact]
    public void EnvironmentIdentity_IsStable_DiffersPerSecret_AndDoesNotContainTheSecret()
    {
        const string Secret = "v3faJy3RCUO8d-EJiVdN6waRfGjfNan02Ms9c0LiTD6w";
        var id = EnvironmentIdentity.Of(Secret);

        Assert.Equal(id, EnvironmentIdentity.Of(Secret));
        Assert.NotEqual(id, EnvironmentIdentity.Of(Secret + "x"));
        Assert.Equal(32, id.Length);
        Assert.True(long.TryParse(id[..8], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out _));
        Assert.DoesNotContain(Secret[..8], id, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    [Trait("Conformance", "INV-01")]
    public async Task UnknownEventType_IsLoggedAndIgnored()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();

        var surprise = "{\"messageType\":\"data-sync\",\"data\":{\"eventType\":\"surprise\",\"featureFlags\":[" + FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 1).ToJsonString() + "],\"segments\":[]}}";
        await h.Server.SendRawAsync(surprise, TestContext.Current.CancellationToken);
        var marker = h.NextChangeAsync();
        await h.Server.PushFlagAsync(FakeFeatBitServer.BoolFlag("marker", true, V1 + 2), TestContext.Current.CancellationToken);
        await marker;

        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == 2005 && r.Message.Contains("surprise", StringComparison.Ordinal));
        Assert.Equal(FeatureFlagsState.Ready, h.Status.Current.State);
    }

    [Fact]
    [Trait("Conformance", "API-04")]
    public async Task StopFromTwoThreadsAtOnce_BothComplete_OneCleanClose_AndTheFlagsKeepServing()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();

        using var gate = new Barrier(2);
        var first = Task.Run(async () => { gate.SignalAndWait(); await h.Service.StopAsync(CancellationToken.None); }, TestContext.Current.CancellationToken);
        var second = Task.Run(async () => { gate.SignalAndWait(); await h.Service.StopAsync(CancellationToken.None); }, TestContext.Current.CancellationToken);
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

        Assert.Equal(FeatureFlagsState.Off, h.Status.Current.State);
        Assert.True(h.Service.Loop!.IsCompleted);
        Assert.Single(h.Server.ClientCloses);
        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));
    }

    private static int ConnectFailures(SyncHarness h) => h.Logs.GetSnapshot().Count(r => r.Id.Id == 2003);
}
