using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Events.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.Reliability;

/// <summary>
/// Host stop and restart (issue 9, part 5) through a real generic host: a stop during the WebSocket connect, during a
/// reconnect backoff and during an event flush against an endpoint that never answers completes within its bound, and
/// every event produced is delivered or counted. Waits are bounded by <see cref="ReliabilityHost.Bound"/>, which only
/// trips on a hang. Related unit-level tests: StreamingDataSourceTests.Stop_DuringReconnectBackoff_CompletesPromptly and
/// Stop_WhileConnected_ClosesTheSocketCleanly, EventProcessorTests.StopAsync_EndpointHangs_FinalFlushIsBoundedByTheTimeout.
/// </summary>
public sealed class ShutdownTests
{
    private const long V1 = 1_700_000_000_000;
    private const int Reconnecting = 2012;
    private const int FinalFlushIncomplete = 3010;
    private const int EventsStopped = 3011;
    private static readonly FlagUser User = FlagUser.Create("u");

    private readonly FakeTimeProvider _time = new(TimeProvider.System.GetUtcNow());
    private readonly FakeLogCollector _logs = new();

    [Fact]
    [Trait("Conformance", "SYNC-06")]
    [Trait("Conformance", "API-04")]
    public async Task Stop_DuringTheWebSocketHandshake_CompletesWithoutWaitingForTheConnectTimeout()
    {
        await using var silent = new SilentTcpServer();
        using var host = Build(silent.StreamingUri, events: null, ("FeatureFlags:Streaming:ConnectTimeout", "00:01:00"));
        await host.StartAsync(TestContext.Current.CancellationToken);
        await silent.FirstAccepted.WaitAsync(ReliabilityHost.Bound, TestContext.Current.CancellationToken);

        // Fake time never reaches the connect timeout: only the stop can end the connect.
        await host.StopAsync(CancellationToken.None).WaitAsync(ReliabilityHost.Bound, TestContext.Current.CancellationToken);

        var sync = host.Services.GetRequiredService<FlagDataSystem>();
        Assert.True(sync.Loop!.IsCompletedSuccessfully);
        Assert.Equal(FeatureFlagsState.Off, host.Services.GetRequiredService<IFeatureFlagsStatusProvider>().Current.State);
        Assert.True(ReliabilityHost.HasLog(_logs, 2015));
    }

    [Fact]
    [Trait("Conformance", "SYNC-06")]
    [Trait("Conformance", "API-04")]
    public async Task Stop_WhileTheServerStallsAfterTheHandshake_ClosesWithinCloseTimeout()
    {
        await using var server = await FakeFeatBitServer.StartAsync(_time, TestContext.Current.CancellationToken);
        server.EnqueueScript(ConnectionScript.StallNoReplies);
        using var host = Build(server.StreamingUri, events: null);
        await host.StartAsync(TestContext.Current.CancellationToken);
        await server.WaitForDataSyncAsync(1, ReliabilityHost.Bound, TestContext.Current.CancellationToken);

        var stop = host.StopAsync(CancellationToken.None);
        await ReliabilityHost.AdvanceUntilAsync(_time, () => stop.IsCompleted, TimeSpan.FromMilliseconds(500), "the stop");
        await stop;

        Assert.True(host.Services.GetRequiredService<FlagDataSystem>().Loop!.IsCompletedSuccessfully);
    }

    [Fact]
    [Trait("Conformance", "SYNC-06")]
    [Trait("Conformance", "API-04")]
    public async Task Stop_DuringReconnectBackoff_CompletesWithoutAdvancingTheClock()
    {
        await using var server = await FakeFeatBitServer.StartAsync(_time, TestContext.Current.CancellationToken);
        await server.StopAsync(); // nothing listens: every connect fails at once
        using var host = Build(server.StreamingUri, events: null, ("FeatureFlags:Streaming:ReconnectDelay", "01:00:00"), ("FeatureFlags:Streaming:MaxReconnectDelay", "01:00:00"));
        await host.StartAsync(TestContext.Current.CancellationToken);
        await ReliabilityHost.AdvanceUntilAsync(_time, () => ReliabilityHost.HasLog(_logs, Reconnecting), TimeSpan.Zero, "a scheduled reconnect");

        await host.StopAsync(CancellationToken.None).WaitAsync(ReliabilityHost.Bound, TestContext.Current.CancellationToken);

        Assert.True(host.Services.GetRequiredService<FlagDataSystem>().Loop!.IsCompletedSuccessfully);
        Assert.Single(_logs.GetSnapshot(), r => r.Id.Id == Reconnecting);
    }

    [Fact]
    [Trait("Conformance", "DLV-07")]
    [Trait("Conformance", "API-04")]
    public async Task Stop_EventEndpointNeverAnswers_FinalFlushEndsAtEventShutdownFlushTimeout_AndEveryEventIsAccounted()
    {
        await using var server = await FakeFeatBitServer.StartAsync(_time, TestContext.Current.CancellationToken);
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await using var events = await FakeEventServer.StartAsync();
        events.Script(FakeEventServer.HangStatus, FakeEventServer.HangStatus, FakeEventServer.HangStatus);
        using var host = Build(server.StreamingUri, events.BaseUri, ("FeatureFlags:Events:ShutdownFlushTimeout", "00:00:02"), ("FeatureFlags:Events:MaxEventsPerRequest", "10"));
        await host.StartAsync(TestContext.Current.CancellationToken);
        var client = host.Services.GetRequiredService<IFeatureFlagClient>();
        var processor = host.Services.GetRequiredService<EventProcessor>();
        await WaitReadyAsync(host);
        const int Produced = 25;
        for (var i = 0; i < Produced; i++)
        {
            client.Track(User, "checkout");
        }

        var stop = host.StopAsync(CancellationToken.None);
        await events.WaitForRequestsAsync(1);
        await ReliabilityHost.AdvanceUntilAsync(_time, () => stop.IsCompleted, TimeSpan.FromMilliseconds(250), "the final flush timeout");
        await stop;

        // The hanging batch failed; what the final flush did not reach is reported in 3010 with its count.
        Assert.Equal(0, processor.Sent);
        var incomplete = Assert.Single(_logs.GetSnapshot(), r => r.Id.Id == FinalFlushIncomplete);
        Assert.Contains("Pending", incomplete.StructuredState!.Select(p => p.Key));
        Assert.Equal(Produced, ReliabilityHost.Accounted(processor) + processor.Pending);
        Assert.True(ReliabilityHost.HasLog(_logs, EventsStopped));
    }

    [Fact]
    [Trait("Conformance", "EVT-03")]
    [Trait("Conformance", "API-05")]
    public async Task Stop_EventEndpointNeverAnswers_NoEventIsLeftUncounted()
    {
        await using var server = await FakeFeatBitServer.StartAsync(_time, TestContext.Current.CancellationToken);
        await using var events = await FakeEventServer.StartAsync();
        events.Script(FakeEventServer.HangStatus, FakeEventServer.HangStatus, FakeEventServer.HangStatus);
        using var host = Build(server.StreamingUri, events.BaseUri, ("FeatureFlags:Events:ShutdownFlushTimeout", "00:00:02"), ("FeatureFlags:Events:MaxEventsPerRequest", "10"));
        await host.StartAsync(TestContext.Current.CancellationToken);
        var client = host.Services.GetRequiredService<IFeatureFlagClient>();
        var processor = host.Services.GetRequiredService<EventProcessor>();
        for (var i = 0; i < 25; i++)
        {
            client.Track(User, "checkout");
        }

        var stop = host.StopAsync(CancellationToken.None);
        await events.WaitForRequestsAsync(1);
        await ReliabilityHost.AdvanceUntilAsync(_time, () => stop.IsCompleted, TimeSpan.FromMilliseconds(250), "the final flush timeout");
        await stop;
        client.Track(User, "after-stop");

        Assert.Equal(26, ReliabilityHost.Accounted(processor));
    }

    [Fact]
    [Trait("Conformance", "DLV-07")]
    [Trait("Conformance", "API-04")]
    public async Task Stop_HostShutdownTimeoutShorterThanTheFlushTimeout_HostTokenEndsTheFlush()
    {
        await using var server = await FakeFeatBitServer.StartAsync(_time, TestContext.Current.CancellationToken);
        await using var events = await FakeEventServer.StartAsync();
        events.Script(FakeEventServer.HangStatus, FakeEventServer.HangStatus, FakeEventServer.HangStatus);

        // The SDK's own flush bound (fake time) never fires; the host's shutdown token (real time, 1 s) must end the stop.
        using var host = Build(server.StreamingUri, events.BaseUri, TimeSpan.FromSeconds(1), ("FeatureFlags:Events:ShutdownFlushTimeout", "01:00:00"));
        await host.StartAsync(TestContext.Current.CancellationToken);
        var processor = host.Services.GetRequiredService<EventProcessor>();
        host.Services.GetRequiredService<IFeatureFlagClient>().Track(User, "checkout");

        await host.StopAsync(CancellationToken.None).WaitAsync(ReliabilityHost.Bound, TestContext.Current.CancellationToken);

        Assert.Equal(1, ReliabilityHost.Accounted(processor) + processor.Pending);
        Assert.Equal(1, processor.Failed);
        Assert.True(ReliabilityHost.HasLog(_logs, FinalFlushIncomplete));
    }

    [Fact]
    [Trait("Conformance", "DLV-06")]
    public async Task Stop_PendingEvents_AreDeliveredByTheFinalFlush()
    {
        await using var server = await FakeFeatBitServer.StartAsync(_time, TestContext.Current.CancellationToken);
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await using var events = await FakeEventServer.StartAsync();
        using var host = Build(server.StreamingUri, events.BaseUri, ("FeatureFlags:Events:MaxEventsPerRequest", "10"));
        await host.StartAsync(TestContext.Current.CancellationToken);
        await WaitReadyAsync(host);
        var client = host.Services.GetRequiredService<IFeatureFlagClient>();
        var processor = host.Services.GetRequiredService<EventProcessor>();
        for (var i = 0; i < 12; i++)
        {
            Assert.True(client.BoolVariation("flag-a", User));
            client.Track(User, "checkout");
        }

        client.Identify(User);
        await host.StopAsync(CancellationToken.None).WaitAsync(ReliabilityHost.Bound, TestContext.Current.CancellationToken);

        Assert.Equal(25, processor.Sent);
        Assert.Equal(25, events.AllEvents.Count);
        Assert.Equal(0, processor.Dropped + processor.Failed + processor.Pending);
    }

    [Fact]
    public async Task Restart_ANewHostOnTheSameServer_SyncsAndServes()
    {
        await using var server = await FakeFeatBitServer.StartAsync(_time, TestContext.Current.CancellationToken);
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        using (var first = Build(server.StreamingUri, events: null))
        {
            await first.StartAsync(TestContext.Current.CancellationToken);
            await WaitReadyAsync(first);
            await first.StopAsync(CancellationToken.None).WaitAsync(ReliabilityHost.Bound, TestContext.Current.CancellationToken);
        }

        server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 1));
        using var second = Build(server.StreamingUri, events: null);
        await second.StartAsync(TestContext.Current.CancellationToken);
        await WaitReadyAsync(second);

        Assert.False(second.Services.GetRequiredService<IFeatureFlagClient>().BoolVariation("flag-a", User, defaultValue: true));
        Assert.Equal(2, server.ConnectionCount);
        Assert.Equal([0L, 0L], server.DataSyncTimestamps); // a new process starts from an empty store
        await second.StopAsync(CancellationToken.None).WaitAsync(ReliabilityHost.Bound, TestContext.Current.CancellationToken);
        await ReliabilityHost.AdvanceUntilAsync(_time, () => server.OpenConnections == 0, TimeSpan.Zero, "both connections closed");
    }

    private static async Task WaitReadyAsync(IHost host)
        => Assert.True(await host.Services.GetRequiredService<IFeatureFlagsStatusProvider>().WaitForReadyAsync(Timeout.InfiniteTimeSpan).WaitAsync(ReliabilityHost.Bound));

    private IHost Build(Uri streaming, Uri? events, params (string Key, string Value)[] settings)
        => Build(streaming, events, null, settings);

    private IHost Build(Uri streaming, Uri? events, TimeSpan? shutdownTimeout, params (string Key, string Value)[] settings)
    {
        var config = new Dictionary<string, string?>
        {
            ["FeatureFlags:EnvSecret"] = FakeFeatBitServer.DefaultSecret,
            ["FeatureFlags:Streaming:Uri"] = streaming.ToString(),
            ["FeatureFlags:StartWaitTime"] = "00:00:00",
            ["FeatureFlags:Events:Enabled"] = events is null ? "false" : "true",
            ["FeatureFlags:Events:Uri"] = events?.ToString() ?? "http://127.0.0.1:1",

            // The HTTP resilience timeout uses the fake clock too: keep it out of the way of the flush bounds.
            ["FeatureFlags:Events:SendTimeout"] = "1.00:00:00",
        };
        foreach (var (key, value) in settings)
        {
            config[key] = value;
        }

        return ReliabilityHost.Build(config, _time, new FakeLoggerProvider(_logs), shutdownTimeout);
    }
}
