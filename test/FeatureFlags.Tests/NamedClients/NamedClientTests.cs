using System.Diagnostics.Metrics;
using FeatureFlags.DependencyInjection.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace FeatureFlags.Tests.NamedClients;

/// <summary>
/// Named clients (issue 18): a second FeatBit environment in the same app, resolved as keyed services, with its own
/// data source, store, events, status and options, through real fake servers.
/// </summary>
public sealed class NamedClientTests
{
    private static readonly FlagUser MainUser = FlagUser.Create("user-main");
    private static readonly FlagUser EuUser = FlagUser.Create("user-eu");

    [Fact]
    [Trait("Conformance", "API-02")]
    public async Task TwoClients_SameFlagKeyDifferentValues_EachServesItsOwnEnvironment()
    {
        await using var servers = await TwoServers.StartAsync();
        using var host = servers.BuildHost();
        await host.StartAsync(TestContext.Current.CancellationToken);

        var main = host.Services.GetRequiredService<IFeatureFlagClient>();
        var eu = host.Services.GetRequiredKeyedService<IFeatureFlagClient>("eu");
        Assert.NotSame(main, eu);
        Assert.Equal(FeatureFlagsState.Ready, host.Services.GetRequiredService<IFeatureFlagsStatusProvider>().Current.State);
        Assert.Equal(FeatureFlagsState.Ready, host.Services.GetRequiredKeyedService<IFeatureFlagsStatusProvider>("eu").Current.State);
        Assert.True(main.BoolVariation(TwoServers.FlagKey, MainUser));
        Assert.False(eu.BoolVariation(TwoServers.FlagKey, EuUser));
        Assert.Equal(EvaluationReasonKind.Fallthrough, eu.BoolVariationDetail(TwoServers.FlagKey, EuUser).Kind);

        // Each server saw exactly one client: its own secret's.
        Assert.Equal(1, servers.Main.ConnectionCount);
        Assert.Equal(1, servers.Eu.ConnectionCount);

        // Every keyed singleton is the named client's own.
        Assert.NotSame(host.Services.GetRequiredService<IFlagStore>(), host.Services.GetRequiredKeyedService<IFlagStore>("eu"));
        Assert.NotSame(host.Services.GetRequiredService<IFlagTracker>(), host.Services.GetRequiredKeyedService<IFlagTracker>("eu"));
        Assert.Same(host.Services.GetRequiredKeyedService<IFlagStore>("eu"), host.Services.GetRequiredKeyedService<IFlagStore>("eu"));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    [Trait("Conformance", "API-02")]
    public async Task TwoClients_EventsGoToEachClientsOwnEndpointWithItsSecret()
    {
        await using var servers = await TwoServers.StartAsync();
        using var host = servers.BuildHost();
        await host.StartAsync(TestContext.Current.CancellationToken);
        var main = host.Services.GetRequiredService<IFeatureFlagClient>();
        var eu = host.Services.GetRequiredKeyedService<IFeatureFlagClient>("eu");

        main.BoolVariation(TwoServers.FlagKey, MainUser);
        main.Track(MainUser, "main-metric");
        eu.BoolVariation(TwoServers.FlagKey, EuUser);
        eu.Track(EuUser, "eu-metric");
        await main.FlushAsync(TestContext.Current.CancellationToken);
        await eu.FlushAsync(TestContext.Current.CancellationToken);

        Assert.NotEmpty(servers.MainEvents.Requests);
        Assert.NotEmpty(servers.EuEvents.Requests);
        Assert.All(servers.MainEvents.Requests, r => Assert.Equal(FakeFeatBitServer.DefaultSecret, r.Authorization));
        Assert.All(servers.EuEvents.Requests, r => Assert.Equal(TwoServers.EuSecret, r.Authorization));
        var mainBodies = string.Concat(servers.MainEvents.Requests.Select(r => r.Body));
        var euBodies = string.Concat(servers.EuEvents.Requests.Select(r => r.Body));
        Assert.Contains("main-metric", mainBodies, StringComparison.Ordinal);
        Assert.Contains("user-main", mainBodies, StringComparison.Ordinal);
        Assert.DoesNotContain("user-eu", mainBodies, StringComparison.Ordinal);
        Assert.DoesNotContain("eu-metric", mainBodies, StringComparison.Ordinal);
        Assert.Contains("eu-metric", euBodies, StringComparison.Ordinal);
        Assert.Contains("user-eu", euBodies, StringComparison.Ordinal);
        Assert.DoesNotContain("user-main", euBodies, StringComparison.Ordinal);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    [Trait("Conformance", "API-02")]
    public async Task OneClientsServerCrashes_OnlyThatClientIsInterrupted()
    {
        await using var servers = await TwoServers.StartAsync();
        using var host = servers.BuildHost();
        await host.StartAsync(TestContext.Current.CancellationToken);
        var mainStatus = host.Services.GetRequiredService<IFeatureFlagsStatusProvider>();
        var euStatus = host.Services.GetRequiredKeyedService<IFeatureFlagsStatusProvider>("eu");
        var mainChanges = 0;
        mainStatus.StatusChanged += (_, _) => Interlocked.Increment(ref mainChanges);

        await servers.Eu.CrashAsync();
        await TwoServers.WaitForStateAsync(euStatus, s => s != FeatureFlagsState.Ready, "the eu client to lose its server");

        Assert.Equal(FeatureFlagsState.Ready, mainStatus.Current.State);
        Assert.Equal(0, Volatile.Read(ref mainChanges));
        Assert.True(host.Services.GetRequiredService<IFeatureFlagClient>().BoolVariation(TwoServers.FlagKey, MainUser));

        // The eu client serves its last flags while it reconnects, and recovers when its server is back.
        Assert.False(host.Services.GetRequiredKeyedService<IFeatureFlagClient>("eu").BoolVariationDetail(TwoServers.FlagKey, EuUser).IsDefaultValue);
        await servers.Eu.RestartAsync(TestContext.Current.CancellationToken);
        await TwoServers.WaitForStateAsync(euStatus, s => s == FeatureFlagsState.Ready, "the eu client to reconnect");
        Assert.Equal(1, servers.Main.ConnectionCount);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task NamedClient_InvalidOptions_StartFailsNamingTheFullKey()
    {
        await using var servers = await TwoServers.StartAsync();
        var settings = servers.Settings();
        settings["FeatureFlags:Eu:EnvSecret"] = null;
        settings["FeatureFlags:Eu:Streaming:Uri"] = "ftp://nowhere";
        using var host = servers.BuildHost(settings);

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("FeatureFlags:Eu:EnvSecret", ex.Message, StringComparison.Ordinal);
        Assert.Contains("FeatureFlags:Eu:Streaming:Uri", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NamedClient_UnknownKey_StartFailsNamingTheFullPath_AndTheDefaultSectionMayContainTheClient()
    {
        await using var servers = await TwoServers.StartAsync();
        var settings = servers.Settings();
        settings["FeatureFlags:Eu:Streaming:Url"] = "ws://typo";
        using var host = servers.BuildHost(settings);

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("FeatureFlags:Eu:Streaming:Url", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("FeatureFlags:Eu is not", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyedScopedFlags_UseTheScopesUser_UnlessSetOwn()
    {
        await using var servers = await TwoServers.StartAsync();
        using var host = servers.BuildHost();
        await host.StartAsync(TestContext.Current.CancellationToken);

        using (var scope = host.Services.CreateScope())
        {
            var main = scope.ServiceProvider.GetRequiredService<IFeatureFlags>();
            var eu = scope.ServiceProvider.GetRequiredKeyedService<IFeatureFlags>("eu");
            Assert.Same(eu, scope.ServiceProvider.GetRequiredKeyedService<IFeatureFlags>("eu"));
            Assert.Null(eu.User);
            main.SetUser(MainUser);

            Assert.Same(MainUser, eu.User);
            Assert.True(main.IsEnabled(TwoServers.FlagKey));
            Assert.False(eu.IsEnabled(TwoServers.FlagKey));
            Assert.Equal(EvaluationReasonKind.Fallthrough, eu.BoolVariationDetail(TwoServers.FlagKey).Kind);

            eu.SetUser(EuUser);
            Assert.Same(EuUser, eu.User);
            Assert.Same(MainUser, main.User);
        }

        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task NamedClient_LogsCarryTheClientScope_MetricsTheClientTag_DefaultSeriesUnchanged()
    {
        await using var servers = await TwoServers.StartAsync();
        using var host = servers.BuildHost();
        var meterFactory = host.Services.GetRequiredService<IMeterFactory>();
        var measurements = new List<Dictionary<string, object?>>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, meterFactory) && instrument.Meter.Name == FeatureFlagsTelemetry.MeterName
                    && instrument.Name == "featureflags.evaluations")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            lock (measurements)
            {
                measurements.Add(tags.ToArray().ToDictionary(t => t.Key, t => t.Value));
            }
        });
        listener.Start();
        await host.StartAsync(TestContext.Current.CancellationToken);

        host.Services.GetRequiredService<IFeatureFlagClient>().BoolVariation(TwoServers.FlagKey, MainUser);
        host.Services.GetRequiredKeyedService<IFeatureFlagClient>("eu").BoolVariation(TwoServers.FlagKey, EuUser);

        Assert.Equal(2, measurements.Count);
        Assert.Single(measurements, m => m.TryGetValue("featureflags.client", out var c) && (string?)c == "eu");
        Assert.Single(measurements, m => !m.ContainsKey("featureflags.client"));

        var records = servers.Logs.GetSnapshot();
        Assert.Contains(records, r => HasClientScope(r, "eu"));
        Assert.Contains(records, r => r.Category?.StartsWith("FeatureFlags", StringComparison.Ordinal) == true && !HasClientScope(r, "eu"));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task NamedClient_AddedTwice_SameClient_BuilderRegistersIntoThatClientOnly()
    {
        var services = new ServiceCollection();
        var first = services.AddFeatureFlags("eu", o => o.Offline = true);
        var second = services.AddFeatureFlags("eu", o => o.StartWaitTime = TimeSpan.Zero);
        services.AddFeatureFlags(o => o.Offline = true);

        Assert.Same(first.Services, second.Services);
        Assert.NotSame(services, first.Services);
        Assert.Single(services, d => d.IsKeyedService && d.ServiceType == typeof(NamedClientRegistration));
        await using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredKeyedService<ClientContainer>("eu").Services.GetRequiredService<IOptions<FeatureFlagsOptions>>().Value;
        Assert.True(options.Offline);
        Assert.Equal(TimeSpan.Zero, options.StartWaitTime);
    }

    [Fact]
    public void AppContainerDisposedSynchronously_DisposesTheNamedClient()
    {
        var services = new ServiceCollection();
        services.AddFeatureFlags("eu", o => o.Offline = true);
        var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredKeyedService<IFlagStore>("eu");
        Assert.NotNull(store);

        provider.Dispose();
    }

    [Fact]
    public async Task HostStops_NamedClientClosesItsConnection()
    {
        await using var servers = await TwoServers.StartAsync();
        using var host = servers.BuildHost();
        await host.StartAsync(TestContext.Current.CancellationToken);

        await host.StopAsync(TestContext.Current.CancellationToken);

        await servers.Eu.WaitForClientClosesAsync(1, TwoServers.Bound, TestContext.Current.CancellationToken);
        await servers.Main.WaitForClientClosesAsync(1, TwoServers.Bound, TestContext.Current.CancellationToken);
    }

    private static bool HasClientScope(Microsoft.Extensions.Logging.Testing.FakeLogRecord record, string client)
        => record.Scopes.OfType<IEnumerable<KeyValuePair<string, object?>>>()
            .Any(s => s.Any(p => p.Key == "FeatureFlagsClient" && (string?)p.Value == client));
}
