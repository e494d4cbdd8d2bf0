using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Xunit;

namespace FeatureFlags.Tests.NamedClients;

/// <summary>The client without a host (<see cref="FeatureFlagsClient"/>), for console tools and scripts, through the real fake servers.</summary>
public sealed class StandaloneClientTests
{
    private const long V1 = 1_700_000_000_000;
    private static readonly FlagUser User = FlagUser.Create("tool-user");

    [Fact]
    [Trait("Conformance", "API-02")]
    public async Task StartAsync_ConnectsWaitsForFlags_EvaluatesTracksFlushes_DisposeClosesTheConnection()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: TestContext.Current.CancellationToken);
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("report-v2", true, V1));
        await using var events = await FakeEventServer.StartAsync();
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs)));

        var client = await FeatureFlagsClient.StartAsync(
            o =>
            {
                o.EnvSecret = FakeFeatBitServer.DefaultSecret;
                o.Streaming.Uri = server.StreamingUri;
                o.Events.Uri = events.BaseUri;
                o.DataSync = DataSyncMode.Streaming;
                o.StartWaitTime = TwoServers.Bound;
            },
            loggerFactory,
            TestContext.Current.CancellationToken);
        try
        {
            Assert.True(client.IsInitialized);
            Assert.Equal(FeatureFlagsState.Ready, client.Status.Current.State);
            Assert.True(client.BoolVariation("report-v2", User));
            client.Track(User, "report-run");
            await client.FlushAsync(TestContext.Current.CancellationToken);
            Assert.Contains(events.Requests, r => r.Body.Contains("report-run", StringComparison.Ordinal));
            Assert.All(events.Requests, r => Assert.Equal(FakeFeatBitServer.DefaultSecret, r.Authorization));
        }
        finally
        {
            await client.DisposeAsync();
        }

        await server.WaitForClientClosesAsync(1, TwoServers.Bound, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Id.Id == 1007);
        await client.DisposeAsync(); // twice is harmless
    }

    [Fact]
    public async Task DisposeAsync_FlushesEventsBufferedSinceTheLastFlush()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: TestContext.Current.CancellationToken);
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("report-v2", true, V1));
        await using var events = await FakeEventServer.StartAsync();
        var client = await FeatureFlagsClient.StartAsync(
            o =>
            {
                o.EnvSecret = FakeFeatBitServer.DefaultSecret;
                o.Streaming.Uri = server.StreamingUri;
                o.Events.Uri = events.BaseUri;
                o.Events.FlushInterval = TimeSpan.FromHours(1);
                o.DataSync = DataSyncMode.Streaming;
                o.StartWaitTime = TwoServers.Bound;
            },
            cancellationToken: TestContext.Current.CancellationToken);

        client.Track(User, "last-words");
        await client.DisposeAsync();

        Assert.Contains(events.Requests, r => r.Body.Contains("last-words", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DisposeAsync_EventEndpointHangs_ReturnsWithinTheDocumentedBound()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: TestContext.Current.CancellationToken);
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("report-v2", true, V1));
        await using var events = await FakeEventServer.StartAsync();
        events.Script(FakeEventServer.HangStatus, FakeEventServer.HangStatus, FakeEventServer.HangStatus, FakeEventServer.HangStatus);
        var client = await FeatureFlagsClient.StartAsync(
            o =>
            {
                o.EnvSecret = FakeFeatBitServer.DefaultSecret;
                o.Streaming.Uri = server.StreamingUri;
                o.Events.Uri = events.BaseUri;
                o.Events.FlushInterval = TimeSpan.FromHours(1);
                o.Events.ShutdownFlushTimeout = TimeSpan.FromMilliseconds(200);
                o.DataSync = DataSyncMode.Streaming;
                o.StartWaitTime = TwoServers.Bound;
            },
            cancellationToken: TestContext.Current.CancellationToken);
        client.Track(User, "never-delivered");

        // Bounded by ShutdownFlushTimeout + CloseTimeout + 1 s; the generous wait only catches a hang.
        await client.DisposeAsync().AsTask().WaitAsync(TwoServers.Bound, TestContext.Current.CancellationToken);

        await server.WaitForClientClosesAsync(1, TwoServers.Bound, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task StartAsync_NoServer_StartWaitZero_ReturnsNotReady_EvaluationsServeDefaults()
    {
        await using var client = await FeatureFlagsClient.StartAsync(
            o =>
            {
                o.EnvSecret = FakeFeatBitServer.DefaultSecret;
                o.Streaming.Uri = new Uri("ws://127.0.0.1:9");
                o.Events.Enabled = false;
                o.StartWaitTime = TimeSpan.Zero;
            },
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.False(client.IsInitialized);
        Assert.NotEqual(FeatureFlagsState.Ready, client.Status.Current.State);
        Assert.Equal(EvaluationReasonKind.ClientNotReady, client.BoolVariationDetail("report-v2", User, true).Kind);
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_ThrowsNamingTheKey()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => FeatureFlagsClient.StartAsync(
            o => o.Streaming.Uri = new Uri("ws://127.0.0.1:9"),
            cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("FeatureFlags:EnvSecret", ex.Message, StringComparison.Ordinal);
    }
}
