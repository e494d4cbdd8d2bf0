using FeatureFlags.DataSystem;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Xunit;

namespace FeatureFlags.Tests.Failover;

/// <summary>
/// <c>DataSync = Auto</c> against the in-process FeatBit server on the fake clock: each failover trigger, the failures
/// that must not trigger it, switch-back, the cursor carried over at both switches, status and metrics.
/// </summary>
[Trait("Conformance", "SYNC-07")]
public sealed class AutoFailoverTests
{
    private const long V1 = 1_700_000_000_000;
    private const int FailedOver = 2110;
    private const int SwitchedBack = 2111;
    private const int ProbeFailed = 2112;
    private static readonly FlagUser User = FlagUser.Create("u");

    [Theory]
    [InlineData(200)] // a proxy that strips the Upgrade header and answers a plain GET
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(426)]
    public async Task UpgradeRefused_AtStart_FailsOverAtOnce_AndIsReadyOverPolling(int status)
    {
        await using var h = await AutoHarness.CreateAsync();
        h.Server.RefuseWebSocketUpgrades = true;
        h.Server.RefusedUpgradeStatusCode = status;
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));

        await h.StartAndSyncAsync(); // no fake time passes: the failover does not wait for a backoff

        Assert.True(h.Client.BoolVariation("flag-a", User));
        Assert.Equal(FlagDataSourceNames.Polling, h.Transport);
        Assert.Equal(1, h.Server.RefusedUpgrades);
        Assert.Null(h.Server.PollRequests[0].Cursor);
        Assert.Equal(1, h.LogCount(FailedOver));
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == 2025 && r.Message.Contains($"HTTP {status} instead of 101", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConnectionsThatOpenButNeverSync_FailOverAfterFailAfter()
    {
        await using var h = await AutoHarness.CreateAsync(o => o.Failover.FailAfter = 2);
        h.Server.RespondToDataSync = false; // connections open, the data-sync request is never answered
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.Service.StartAsync(CancellationToken.None);

        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Ready, "ready over polling");

        Assert.Equal(FlagDataSourceNames.Polling, h.Transport);
        Assert.Equal(2, h.Server.ConnectionCount); // two sessions without a reply (DataSyncTimeout each), then polling
        Assert.True(h.Client.BoolVariation("flag-a", User));
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == FailedOver && r.Message.Contains("no_reply", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServerDown_NeverFailsOver()
    {
        // Below HTTP (connection refused): polling the same server would not help, and the stream's quick reconnect
        // finds it back sooner.
        await using var h = await AutoHarness.CreateAsync(o => o.Failover.FailAfter = 1);
        await h.Server.CrashAsync();
        await h.Service.StartAsync(CancellationToken.None);

        await h.AdvanceUntilAsync(() => h.LogCount(2003) >= 5, "five failed connects", TimeSpan.FromSeconds(5));

        Assert.Equal(0, h.Source.Switches);
        Assert.Equal(FlagDataSourceNames.Streaming, h.Transport);
        Assert.Equal(0, h.LogCount(FailedOver));
        Assert.Equal(0, h.Server.PollRequestCount);
    }

    [Fact]
    public async Task RejectedSecret_NeverFailsOver()
    {
        await using var h = await AutoHarness.CreateAsync(o => o.EnvSecret = "wrong-secret-wrong-secret-wrong-secret-00");
        await h.Service.StartAsync(CancellationToken.None);

        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Off, "off after 4003", TimeSpan.Zero, 500);

        Assert.Equal(0, h.Source.Switches);
        Assert.Equal(0, h.Server.PollRequestCount);
    }

    [Fact]
    public async Task StreamLostToAProxy_FailsOverWithTheCursor_NoGapNothingBack()
    {
        await using var h = await AutoHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-b", true, V1 - 10));
        await h.StartAndSyncAsync();
        Assert.Equal(FlagDataSourceNames.Streaming, h.Transport);
        var versions = new List<long>();
        h.Store.FlagsChanged += (_, e) => { lock (versions) { versions.Add(e.Version); } };

        // A proxy in front of the server starts refusing WebSockets; a flag changes meanwhile.
        h.Server.RefuseWebSocketUpgrades = true;
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 5));
        h.Server.DropAll();

        await h.AdvanceUntilAsync(() => !h.Client.BoolVariation("flag-a", User, true), "the change, over polling", TimeSpan.FromMilliseconds(250));

        var poll = h.Server.PollRequests[0];
        Assert.Equal(V1, poll.Cursor); // the stream's cursor carried over: a patch, not everything again
        Assert.Equal("patch", poll.EventType);
        Assert.True(h.Client.BoolVariation("flag-b", User)); // nothing lost
        Assert.Equal(FlagDataSourceNames.Polling, h.Transport);
        Assert.Equal(FeatureFlagsState.Ready, h.Status.Current.State);
        lock (versions)
        {
            Assert.Equal(versions.Order(), versions);
        }
    }

    [Fact]
    public async Task StreamBack_ProbeHolds_SwitchesBackWithTheCursor_AndPollingStops()
    {
        await using var h = await AutoHarness.CreateAsync();
        h.Server.RefuseWebSocketUpgrades = true;
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        Assert.Equal(FlagDataSourceNames.Polling, h.Transport);

        h.Server.RefuseWebSocketUpgrades = false;
        await h.AdvanceUntilAsync(() => h.Transport == FlagDataSourceNames.Streaming, "switched back");

        Assert.Equal(V1, h.Server.DataSyncTimestamps[^1]); // the probe asked for changes since the polled data
        Assert.Equal(1, h.LogCount(SwitchedBack));
        Assert.Equal(2, h.Source.Switches);
        Assert.Equal(FeatureFlagsState.Ready, h.Status.Current.State);

        // Polling stopped: no request in two minutes; the stream delivers a change at once.
        var polls = h.Server.PollRequestCount;
        for (var i = 0; i < 120; i++)
        {
            h.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System, TestContext.Current.CancellationToken); // let pings and pongs flow
        }

        await h.Server.PushFlagAsync(FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 7), TestContext.Current.CancellationToken);
        await h.AdvanceUntilAsync(() => !h.Client.BoolVariation("flag-a", User, true), "the pushed change", TimeSpan.Zero, 500);
        Assert.Equal(polls, h.Server.PollRequestCount);
    }

    [Fact]
    public async Task ProbeThatDoesNotHold_KeepsPolling_AndDoesNotTouchTheStatus()
    {
        await using var h = await AutoHarness.CreateAsync();
        h.Server.RefuseWebSocketUpgrades = true;
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        var statuses = new List<FeatureFlagsState>();
        h.Status.StatusChanged += (_, s) => { lock (statuses) { statuses.Add(s.State); } };

        h.Server.RefuseWebSocketUpgrades = false;
        await h.AdvanceUntilAsync(() => h.Server.DataSyncTimestamps.Count >= 1, "a probe synced");
        h.Server.DropAll(); // before Failover:SwitchBackAfter

        await h.AdvanceUntilAsync(() => h.LogCount(ProbeFailed) >= 1, "the probe reported", TimeSpan.Zero, 500);

        Assert.Equal(FlagDataSourceNames.Polling, h.Transport);
        Assert.Equal(FeatureFlagsState.Ready, h.Status.Current.State);
        lock (statuses)
        {
            Assert.DoesNotContain(FeatureFlagsState.Interrupted, statuses);
        }

        var polls = h.Server.PollRequestCount;
        await h.AdvanceUntilAsync(() => h.Server.PollRequestCount > polls, "polling goes on");
    }

    [Fact]
    public async Task FailedProbes_ArePaced_DoublingUpToTheMaximum()
    {
        await using var h = await AutoHarness.CreateAsync(o =>
        {
            o.Failover.ProbeInterval = TimeSpan.FromSeconds(30);
            o.Failover.MaxProbeInterval = TimeSpan.FromMinutes(2);

            // The connect timeout runs on the fake clock, which this test moves 5 s a step while a probe's real
            // loopback connection is in flight: with the default 5 s, a busy machine let a probe time out before it
            // reached the server, and the server counted one refusal fewer. No probe here should time out.
            o.Streaming.ConnectTimeout = TimeSpan.FromHours(1);
        });
        h.Server.RefuseWebSocketUpgrades = true;
        await h.StartAndSyncAsync();

        await h.AdvanceUntilAsync(() => h.LogCount(ProbeFailed) >= 4, "four failed probes", TimeSpan.FromSeconds(5), 200);

        var delays = h.Logs.GetSnapshot().Where(r => r.Id.Id == ProbeFailed)
            .Select(r => r.StructuredState!.Single(kv => kv.Key == "Delay").Value).Take(4).ToList();
        Assert.Equal(["00:01:00", "00:02:00", "00:02:00", "00:02:00"], delays);

        // Probes at [15, 30] s, then [30, 60], [60, 120], [60, 120] s apart: never more often than half the interval.
        Assert.InRange(h.Server.RefusedUpgrades, 5, 5 + 1);
    }

    [Fact]
    public async Task Stop_WhilePolling_EndsEverything_AndNothingCommitsLater()
    {
        await using var h = await AutoHarness.CreateAsync();
        h.Server.RefuseWebSocketUpgrades = true;
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();

        await h.Service.StopAsync(TestContext.Current.CancellationToken);
        await h.Service.Loop!.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        var polls = h.Server.PollRequestCount;
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 5));
        for (var i = 0; i < 20; i++)
        {
            h.Time.Advance(TimeSpan.FromSeconds(30));
        }

        Assert.Equal(FeatureFlagsState.Off, h.Status.Current.State);
        Assert.Equal(polls, h.Server.PollRequestCount);
        Assert.True(h.Client.BoolVariation("flag-a", User));
    }

    [Fact]
    public async Task Metrics_SayWhichTransportIsLive_AndCountSwitchesAndPolls()
    {
        await using var h = await AutoHarness.CreateAsync();
        using var failovers = new MetricCollector<long>(h.Metrics.Meter, "featureflags.sync.failovers");
        using var polls = new MetricCollector<long>(h.Metrics.Meter, "featureflags.sync.polls");
        using var transport = new MetricCollector<int>(h.Metrics.Meter, "featureflags.sync.transport");
        using var apply = new MetricCollector<double>(h.Metrics.Meter, "featureflags.sync.apply.duration");
        h.Server.RefuseWebSocketUpgrades = true;
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));

        await h.StartAndSyncAsync();
        transport.RecordObservableInstruments();

        // The poll loop counts its poll once the poll has returned, after the commit that ended StartAndSyncAsync: wait
        // for that count (and the apply's duration) rather than read the collectors in a race with the loop's thread.
        await polls.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(10));
        await apply.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(10));
        var failover = Assert.Single(failovers.GetMeasurementSnapshot());
        Assert.Equal("polling", failover.Tags["featureflags.sync.transport"]);
        Assert.Equal("upgrade_refused", failover.Tags["error.type"]);
        Assert.Equal("committed", Assert.Single(polls.GetMeasurementSnapshot()).Tags["featureflags.sync.poll.outcome"]);
        Assert.Equal("polling", transport.LastMeasurement!.Tags["featureflags.sync.transport"]);
        Assert.Equal(1, transport.LastMeasurement.Value);
        var applied = Assert.Single(apply.GetMeasurementSnapshot());
        Assert.Equal("polling", applied.Tags["featureflags.sync.transport"]);
        Assert.Equal("full", applied.Tags["featureflags.sync.type"]);
    }
}
