using System.Net;
using System.Net.Sockets;
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
        await host.StopAsync(Ct);

        Assert.Equal(50, value);
        Assert.Equal(FeatureFlagsState.Ready, host.Services.GetRequiredService<IFeatureFlagsStatusProvider>().Current.State);
        Assert.DoesNotContain(host.Services.GetServices<IHostedService>(), s => s is FeatureFlags.DataSystem.Internal.FlagDataSystem);
        Assert.Single(flags.Events.Tracks);
        Assert.False(listener.Pending(), "the SDK connected to the configured server");
    }

    [Fact]
    public void Status_AskedFirst_IsReadyWithTheFlagsLoaded()
    {
        var flags = new InMemoryFlags();
        flags.Flag("f").On();
        var services = new ServiceCollection();
        services.AddInMemoryFeatureFlags(flags);
        using var provider = services.BuildServiceProvider();

        var status = provider.GetRequiredService<IFeatureFlagsStatusProvider>();

        Assert.Equal(FeatureFlagsState.Ready, status.Current.State);
        Assert.True(provider.GetRequiredService<IFlagStore>().ContainsFlag("f"));
    }

    [Fact]
    public void NoFlags_StoreIsStillInitialized()
    {
        var services = new ServiceCollection();
        services.AddInMemoryFeatureFlags(new InMemoryFlags());
        using var provider = services.BuildServiceProvider();

        var detail = provider.GetRequiredService<IFeatureFlagClient>().BoolVariationDetail("f", Alice);

        Assert.Equal("flag not found", detail.Reason);
        Assert.True(provider.GetRequiredService<IFlagStore>().IsInitialized);
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
    public void CalledBeforeTheAppsAddFeatureFlags_StillReplacesTheServer()
    {
        var flags = new InMemoryFlags();
        flags.Flag("f").On();
        var services = new ServiceCollection();
        services.AddInMemoryFeatureFlags(flags);
        services.AddFeatureFlags(new ConfigurationBuilder().Build());

        using var provider = services.BuildServiceProvider();

        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IHostedService) && d.ImplementationFactory?.Method.ReturnType == typeof(FeatureFlags.DataSystem.Internal.FlagDataSystem));
        Assert.DoesNotContain(provider.GetServices<IHostedService>(), s => s is FeatureFlags.DataSystem.Internal.FlagDataSystem);
        Assert.True(provider.GetRequiredService<IFeatureFlagClient>().BoolVariation("f", Alice));
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
}
