using System.Net;
using System.Net.Sockets;
using FeatureFlags.DataSystem;
using FeatureFlags.Events;
using Xunit;

namespace FeatureFlags.Testing.Tests;

/// <summary>The one-line registration, in a plain host (a worker service under test) and a bare service collection.</summary>
public sealed class AddInMemoryFeatureFlagsTests
{
    private static readonly FlagUser Alice = FlagUser.Create("alice");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Host_ServerConfiguredWithoutSecret_StartsReadyAndNeverDialsTheServer()
    {
        // A real listener where the app's streaming and event endpoints point: any connection attempt would queue here.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var flags = new InMemoryFlags();
        flags.Flag("worker-batch-size").ValueForAll(50);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FeatureFlags:Streaming:Uri"] = $"ws://127.0.0.1:{port}",
            ["FeatureFlags:Events:Uri"] = $"http://127.0.0.1:{port}",
            ["FeatureFlags:StartWaitTime"] = "00:00:30",
        });
        builder.Services.AddFeatureFlags(builder.Configuration);   // the app's own line; no EnvSecret anywhere
        builder.Services.AddInMemoryFeatureFlags(flags);            // the test's line

        using var host = builder.Build();
        await host.StartAsync(Ct);
        var client = host.Services.GetRequiredService<IFeatureFlagClient>();
        var value = client.IntVariation("worker-batch-size", Alice, 10);
        client.Track(Alice, "batch", 3);
        await client.FlushAsync(Ct);
        var state = host.Services.GetRequiredService<IFeatureFlagsStatusProvider>().Current.State;
        await host.StopAsync(Ct);

        Assert.Equal(50, value);
        Assert.Equal(FeatureFlagsState.Ready, state);
        Assert.Single(flags.Events.Tracks);
        Assert.False(listener.Pending(), "the SDK connected to the configured server");
    }

    [Fact]
    public async Task NoHost_AfterTheHostedServicesStart_StatusIsReadyWithTheFlagsLoaded()
    {
        var flags = new InMemoryFlags();
        flags.Flag("f").On();
        var services = new ServiceCollection();
        services.AddInMemoryFeatureFlags(flags);
        await using var provider = services.BuildServiceProvider();
        var status = provider.GetRequiredService<IFeatureFlagsStatusProvider>();
        Assert.Equal(FeatureFlagsState.Initializing, status.Current.State); // nothing runs until something starts it

        await Harness.StartAsync(provider, Ct);

        Assert.Equal(FeatureFlagsState.Ready, status.Current.State);
        Assert.True(provider.GetRequiredService<IFlagStore>().ContainsFlag("f"));
    }

    [Fact]
    public async Task AppWithoutStartWaitTime_StartStillReturnsWithTheFlagsLoaded()
    {
        var flags = new InMemoryFlags();
        flags.Flag("f").On();
        var services = new ServiceCollection();
        services.AddFeatureFlags(o => o.StartWaitTime = TimeSpan.Zero);
        services.AddInMemoryFeatureFlags(flags);
        await using var provider = services.BuildServiceProvider();

        await Harness.StartAsync(provider, Ct);

        Assert.True(provider.GetRequiredService<IFeatureFlagClient>().BoolVariation("f", Alice));
    }

    [Fact]
    public async Task StatusSetBeforeStart_IsReportedAfterReady()
    {
        var flags = new InMemoryFlags();
        flags.Flag("f").On();
        flags.SetStatus(FeatureFlagsState.Interrupted, "connection lost");
        var services = new ServiceCollection();
        services.AddInMemoryFeatureFlags(flags);
        await using var provider = services.BuildServiceProvider();

        await Harness.StartAsync(provider, Ct);

        var status = provider.GetRequiredService<IFeatureFlagsStatusProvider>().Current;
        Assert.Equal(FeatureFlagsState.Interrupted, status.State);
        Assert.Equal("connection lost", status.LastError);
        Assert.True(provider.GetRequiredService<IFeatureFlagClient>().BoolVariation("f", Alice)); // flags keep serving
    }

    [Fact]
    public void NoFlags_StoreIsStillInitialized()
    {
        using var h = new Harness();

        var detail = h.Client.BoolVariationDetail("f", Alice);

        Assert.Equal("flag not found", detail.Reason);
        Assert.True(h.Store.IsInitialized);
    }

    [Fact]
    public void AppsBootstrapFileOverridesAndOffline_AreIgnored()
    {
        var config = new Dictionary<string, string?>
        {
            ["FeatureFlags:Offline"] = "true",
            ["FeatureFlags:BootstrapFile"] = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".json"), // does not exist
            ["FeatureFlags:Overrides:f"] = "false",
            ["FeatureFlags:CacheFile"] = "flags.cache.json",
        };
        using var h = new Harness(config: config);
        h.Flags.Flag("f").On();

        Assert.True(h.Client.BoolVariation("f", Alice));
        h.Client.Track(Alice, "offline-app");
        Assert.Single(h.Flags.Events.Tracks); // offline apps record events too
    }

    [Fact]
    public async Task CalledBeforeTheAppsAddFeatureFlags_StillReplacesTheServer()
    {
        var flags = new InMemoryFlags();
        flags.Flag("f").On();
        var services = new ServiceCollection();
        services.AddInMemoryFeatureFlags(flags);
        services.AddFeatureFlags(new ConfigurationBuilder().Build());

        await using var provider = services.BuildServiceProvider();
        await Harness.StartAsync(provider, Ct);

        Assert.True(provider.GetRequiredService<IFeatureFlagClient>().BoolVariation("f", Alice));
        Assert.Equal(FeatureFlagsState.Ready, provider.GetRequiredService<IFeatureFlagsStatusProvider>().Current.State);
    }

    [Fact]
    public async Task AppsOwnEventSinkAndPersistentStore_AreReplaced()
    {
        var flags = new InMemoryFlags();
        flags.Flag("f").On();
        var appSink = new CountingSink();
        var services = new ServiceCollection();
        services.AddFeatureFlags(o => o.EnvSecret = "app-secret")
            .UseEventSink(_ => appSink)
            .UsePersistentStore(_ => new ThrowingStore());
        services.AddInMemoryFeatureFlags(flags);
        await using var provider = services.BuildServiceProvider();

        await Harness.StartAsync(provider, Ct);
        provider.GetRequiredService<IFeatureFlagClient>().BoolVariation("f", Alice);

        Assert.Single(flags.Events.Evaluations);
        Assert.Equal(0, appSink.Count);
    }

    [Fact]
    public void OneFlagsObject_TwoApps_BothFollowEveryChange_UntilDisposed()
    {
        var flags = new InMemoryFlags();
        flags.Flag("f").ValueForAll("before");
        using var first = new Harness(flags);
        var second = new Harness(flags);
        Assert.Equal("before", second.Client.StringVariation("f", Alice, "default"));

        flags.Flag("f").ValueForAll("after");

        Assert.Equal("after", first.Client.StringVariation("f", Alice, "default"));
        Assert.Equal("after", second.Client.StringVariation("f", Alice, "default"));

        second.Dispose();
        flags.Flag("f").ValueForAll("later");
        Assert.Equal("later", first.Client.StringVariation("f", Alice, "default"));
    }

    [Fact]
    public void ReturnsTheSdkBuilder()
    {
        var services = new ServiceCollection();

        var builder = services.AddInMemoryFeatureFlags(new InMemoryFlags());

        Assert.Same(services, builder.Services);
    }

    private sealed class CountingSink : IInsightEventSink
    {
        public int Count { get; private set; }

        public void Record(in InsightEventRecord insightEvent) => Count++;
    }

    private sealed class ThrowingStore : IPersistentFlagStore
    {
        public ValueTask<PersistedFlagData?> LoadAsync(string environmentId, CancellationToken cancellationToken)
            => throw new InvalidOperationException("the app's store must not be used");

        public void Save(string environmentId, FlagDataSet data)
            => throw new InvalidOperationException("the app's store must not be used");

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
