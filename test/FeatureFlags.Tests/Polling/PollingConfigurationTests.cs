using System.Net;
using FeatureFlags.DataSystem;
using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Sync.Internal.Polling;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Xunit;

namespace FeatureFlags.Tests.Polling;

[Trait("Conformance", "SYNC-07")]
public sealed class PollingConfigurationTests
{
    private const string Secret = "secret-secret-secret-secret-secret-secret-00";

    public static TheoryData<string, Action<FeatureFlagsOptions>> Invalid() => new()
    {
        { "FeatureFlags:Polling:Interval", o => o.Polling.Interval = TimeSpan.FromMilliseconds(500) },
        { "FeatureFlags:Polling:Interval", o => o.Polling.Interval = TimeSpan.FromDays(2) },
        { "FeatureFlags:Polling:Timeout", o => o.Polling.Timeout = TimeSpan.Zero },
        { "FeatureFlags:Polling:RetryAfterRejection", o => o.Polling.RetryAfterRejection = TimeSpan.FromSeconds(-5) },
        { "FeatureFlags:Polling:Uri", o => o.Polling.Uri = new Uri("wss://flags.example.com") },
        { "FeatureFlags:Polling:Uri", o => o.Polling.Uri = new Uri("/relative", UriKind.Relative) },
        { "FeatureFlags:Polling:Uri", o => o.Polling.Uri = new Uri("https://user:pw@flags.example.com") },
        { "FeatureFlags:DataSync", o => o.DataSync = (DataSyncMode)7 },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    [Trait("Conformance", "CONF-01")]
    public void Validate_BadPollingValue_FailsNamingTheKey(string key, Action<FeatureFlagsOptions> breakIt)
    {
        var options = new FeatureFlagsOptions { EnvSecret = Secret };
        breakIt(options);

        var result = new FeatureFlagsOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("pw", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_AutoWith30sPollingInterval()
    {
        var options = new FeatureFlagsOptions();

        Assert.Equal(DataSyncMode.Auto, options.DataSync);
        Assert.Equal(2, options.Failover.FailAfter);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Failover.ProbeInterval);
        Assert.Equal(TimeSpan.FromMinutes(5), options.Failover.MaxProbeInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Failover.SwitchBackAfter);
        Assert.Null(options.Polling.Uri);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Polling.Interval);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Polling.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(1), options.Polling.RetryAfterRejection);
        Assert.True(new FeatureFlagsOptionsValidator().Validate(null, new FeatureFlagsOptions { EnvSecret = Secret, DataSync = DataSyncMode.Polling }).Succeeded);
    }

    [Fact]
    public void UnknownPollingKey_FailsNamingIt()
    {
        using var sp = FromConfiguration(new() { ["FeatureFlags:DataSync"] = "Polling", ["FeatureFlags:Polling:Intervall"] = "00:00:05" });

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<FeatureFlagsOptions>>().Value);
        Assert.Contains("FeatureFlags:Polling:Intervall", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DataSyncPolling_FromConfiguration_BuildsThePollingSource()
    {
        using var sp = FromConfiguration(new()
        {
            ["FeatureFlags:DataSync"] = "Polling",
            ["FeatureFlags:Polling:Uri"] = "https://flags.example.com/featbit",
            ["FeatureFlags:Polling:Interval"] = "00:00:05",
            ["FeatureFlags:Polling:Timeout"] = "00:00:02",
        });

        var source = Assert.IsType<PollingDataSource>(sp.GetRequiredService<FlagDataSystem>().Source);
        Assert.Equal("https://flags.example.com/featbit/api/public/sdk/server/latest-all", source.Endpoint.AbsoluteUri);
        var options = sp.GetRequiredService<IOptions<FeatureFlagsOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(5), options.Polling.Interval);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Polling.Timeout);
    }

    [Fact]
    public void DataSyncDefault_BuildsTheAutoSource()
    {
        using var sp = FromConfiguration([]);

        Assert.IsType<AutoDataSource>(sp.GetRequiredService<FlagDataSystem>().Source);
    }

    [Fact]
    public void DataSyncStreaming_BuildsTheStreamingSourceAlone()
    {
        using var sp = FromConfiguration(new() { ["FeatureFlags:DataSync"] = "Streaming" });

        Assert.IsType<StreamingDataSource>(sp.GetRequiredService<FlagDataSystem>().Source);
    }

    [Theory]
    [InlineData("FeatureFlags:Failover:FailAfter", "0")]
    [InlineData("FeatureFlags:Failover:ProbeInterval", "00:00:00")]
    [InlineData("FeatureFlags:Failover:MaxProbeInterval", "00:00:01")]
    [InlineData("FeatureFlags:Failover:SwitchBackAfter", "-00:00:01")]
    public void BadFailoverOption_FailsAtStartNamingTheKey(string key, string value)
    {
        using var sp = FromConfiguration(new() { [key] = value });

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<FeatureFlagsOptions>>().Value);
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseDataSource_OverridesPolling()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddFeatureFlags(o =>
        {
            o.EnvSecret = Secret;
            o.DataSync = DataSyncMode.Polling;
        }).UseDataSource(_ => new NoSource());
        using var sp = services.BuildServiceProvider();

        Assert.IsType<NoSource>(sp.GetRequiredService<FlagDataSystem>().Source);
    }

    [Theory]
    [InlineData("ws://flags.example.com:5100", null, "http://flags.example.com:5100/api/public/sdk/server/latest-all")]
    [InlineData("wss://flags.example.com/featbit", null, "https://flags.example.com/featbit/api/public/sdk/server/latest-all")]
    [InlineData("wss://flags.example.com:443/featbit/", null, "https://flags.example.com/featbit/api/public/sdk/server/latest-all")]
    [InlineData("wss://flags.example.com", "https://agent.example.com/relay?x=1", "https://agent.example.com/relay/api/public/sdk/server/latest-all")]
    public void Endpoint_DerivesFromStreamingUri_KeepingThePathPrefix(string streaming, string? polling, string expected)
    {
        var options = new FeatureFlagsOptions { Streaming = { Uri = new Uri(streaming) }, Polling = { Uri = polling is null ? null : new Uri(polling) } };

        Assert.Equal(expected, PollingDataSource.EndpointOf(PollingDataSource.BaseOf(options)).AbsoluteUri);
    }

    [Fact]
    public async Task CleartextPollingUri_ToARemoteHost_Warns2030()
    {
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)));
        var options = Options.Create(new FeatureFlagsOptions
        {
            EnvSecret = Secret,
            DataSync = DataSyncMode.Polling,
            Polling = { Uri = new Uri("http://flags.example.com/featbit") },
            StartWaitTime = TimeSpan.Zero,
            Events = { Enabled = false },
        });
        var source = new PollingDataSource(new RefusingFactory(), options, TimeProvider.System, loggerFactory.CreateLogger<PollingDataSource>());
        var dispatcher = new NotificationDispatcher(NullLogger<NotificationDispatcher>.Instance);
        using var system = new FlagDataSystem(
            options,
            new FlagStore(options, NullLogger<FlagStore>.Instance, dispatcher: dispatcher),
            new StatusProvider(TimeProvider.System, NullLogger<StatusProvider>.Instance, dispatcher),
            TimeProvider.System,
            loggerFactory.CreateLogger<FlagDataSystem>(),
            source);

        await system.StartAsync(TestContext.Current.CancellationToken);
        await system.StopAsync(TestContext.Current.CancellationToken);
        dispatcher.Dispose();

        var warning = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 2030);
        Assert.Contains("FeatureFlags:Polling:Uri", warning.Message, StringComparison.Ordinal);
        Assert.Contains("http://flags.example.com/featbit/api/public/sdk/server/latest-all", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_WithDataSyncPolling_ServesFlagsFromTheFakeServer()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: TestContext.Current.CancellationToken);
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, 1_700_000_000_000));
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddFeatureFlags(o =>
        {
            o.EnvSecret = server.Secret;
            o.DataSync = DataSyncMode.Polling;
            o.Polling.Uri = server.BaseUri;
            o.StartWaitTime = TimeSpan.FromSeconds(15);
            o.Events.Enabled = false;
        });
        await using var sp = services.BuildServiceProvider();
        var system = sp.GetRequiredService<FlagDataSystem>();

        await system.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            Assert.Equal(FeatureFlagsState.Ready, sp.GetRequiredService<IFeatureFlagsStatusProvider>().Current.State);
            Assert.True(sp.GetRequiredService<IFeatureFlagClient>().BoolVariation("flag-a", FlagUser.Create("u")));
            Assert.Equal(0, server.ConnectionCount);
            Assert.Equal("/api/public/sdk/server/latest-all", server.PollRequests[0].PathAndQuery);
        }
        finally
        {
            await system.StopAsync(TestContext.Current.CancellationToken);
        }
    }

    private static ServiceProvider FromConfiguration(Dictionary<string, string?> values)
    {
        values["FeatureFlags:EnvSecret"] = Secret;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddFeatureFlags(configuration);
        return services.BuildServiceProvider();
    }

    private sealed class NoSource : IFlagDataSource
    {
        public Task RunAsync(IFlagDataSourceUpdates updates, CancellationToken stoppingToken) => Task.CompletedTask;
    }

    /// <summary>No network: every request is answered 401 in process (the warning is about configuration, not traffic).</summary>
    private sealed class RefusingFactory : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(new RefusingHandler());

        private sealed class RefusingHandler : HttpMessageHandler
        {
            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
                => Task.FromResult(new HttpResponseMessage(HttpStatusCode.Unauthorized));
        }
    }
}
