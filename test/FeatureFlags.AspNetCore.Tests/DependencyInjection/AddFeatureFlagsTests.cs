using FeatureFlags.AspNetCore.Tests.TestApp;
using FeatureFlags.DataSystem.Internal;
using FeatureFlags.DependencyInjection.Internal;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Events.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using Microsoft.Extensions.Options;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.DependencyInjection;

public sealed class AddFeatureFlagsTests
{
    [Theory]
    [InlineData("FeatureFlags:EnvSecret", "", "FeatureFlags:EnvSecret is required")]
    [InlineData("FeatureFlags:Streaming:Uri", "not a uri", "FeatureFlags:Streaming:Uri must be an absolute")]
    [InlineData("FeatureFlags:Streaming:Uri", "ftp://example.com", "FeatureFlags:Streaming:Uri must be an absolute")]
    [InlineData("FeatureFlags:StartWaitTime", "-00:00:01", "FeatureFlags:StartWaitTime must not be negative")]
    [InlineData("FeatureFlags:Streaming:ConnectTimeout", "00:00:00", "FeatureFlags:Streaming:ConnectTimeout must be greater than zero")]
    [InlineData("FeatureFlags:StreamingUrl", "ws://x", "FeatureFlags:StreamingUrl is not a FeatureFlags setting")]
    [InlineData("FeatureFlags:User:KeyClaimz", "oid", "FeatureFlags:User:KeyClaimz is not a FeatureFlags:User setting")]
    [InlineData("FeatureFlags:User:AnonymousKeySource", "Query", "FeatureFlags:User:AnonymousKeySource")]
    [InlineData("FeatureFlags:StartWaitTime", "soon", "FeatureFlags:StartWaitTime")]
    [Trait("Conformance", "CONF-03")]
    public async Task Start_InvalidOptions_FailsNamingTheKey(string key, string value, string expected)
    {
        var config = TestHost.BaseConfig();
        config[key] = value;
        await using var app = TestHost.Build(config);

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Conformance", "CONF-04")]
    public async Task Start_OfflineWithoutSecret_Starts_AndAMissingBootstrapFileFailsNamingTheKey()
    {
        var config = TestHost.BaseConfig();
        config.Remove("FeatureFlags:EnvSecret");
        config["FeatureFlags:Offline"] = "true";
        await using (var app = TestHost.Build(config))
        {
            await app.StartAsync(TestContext.Current.CancellationToken);
            Assert.Null(app.Services.GetRequiredService<FlagDataSystem>().Loop);
            await app.StopAsync(TestContext.Current.CancellationToken);
        }

        config["FeatureFlags:BootstrapFile"] = Path.Combine(Path.GetTempPath(), "featureflags-missing-" + Guid.NewGuid().ToString("N") + ".json");
        await using var broken = TestHost.Build(config);
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => broken.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("FeatureFlags:BootstrapFile", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Conformance", "SYNC-03")]
    public async Task Start_NoFlagServerAndStartWaitTimeZero_StartsAtOnce()
    {
        await using var app = TestHost.Build();
        var started = System.Diagnostics.Stopwatch.StartNew();

        await app.StartAsync(TestContext.Current.CancellationToken);

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5));
        Assert.NotNull(app.Services.GetRequiredService<FlagDataSystem>().Loop);
        Assert.Equal(FeatureFlagsState.Initializing, app.Services.GetRequiredService<IFeatureFlagsStatusProvider>().Current.State);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void AddFeatureFlags_Twice_RegistersEverythingOnce()
    {
        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(TestHost.BaseConfig()).Build();

        services.AddFeatureFlags(configuration);
        var countAfterOne = services.Count;
        var builder = services.AddFeatureFlags(configuration);
        services.AddFeatureFlags(o => o.StartWaitTime = TimeSpan.Zero);

        Assert.Same(services, builder.Services);
        Assert.Equal(3, services.Count(d => d.ServiceType == typeof(IHostedService))); // start watch, data system, events
        Assert.Single(services, d => d.ServiceType == typeof(IFeatureFlagClient));
        Assert.Single(services, d => d.ServiceType == typeof(IFeatureFlags));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<FeatureFlagsOptions>));
        Assert.Equal(countAfterOne + 3, services.Count); // only the extra configure steps and change-token source
    }

    [Fact]
    public async Task AddFeatureFlags_Twice_OneHostedServiceAndSingletonsShared()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var settings = TestHost.BaseConfig();
        settings["FeatureFlags:Events:Enabled"] = "true";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        services.AddFeatureFlags(configuration);
        services.AddFeatureFlags(configuration);
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var hosted = provider.GetServices<IHostedService>().ToList();
        Assert.Equal(3, hosted.Count);
        Assert.Same(provider.GetRequiredService<HostStartWatch>(), hosted[0]);
        Assert.Same(provider.GetRequiredService<FlagDataSystem>(), hosted[1]);
        Assert.Same(provider.GetRequiredService<EventProcessor>(), hosted[2]);
        Assert.Same(provider.GetRequiredService<EventProcessor>(), provider.GetRequiredService<FeatureFlagClient>().Events);
        Assert.Same(provider.GetRequiredService<FlagStore>(), provider.GetRequiredService<IFlagStore>());
        Assert.Same(provider.GetRequiredService<FeatureFlagClient>(), provider.GetRequiredService<IFeatureFlagClient>());
        Assert.Same(provider.GetRequiredService<StatusProvider>(), provider.GetRequiredService<IFeatureFlagsStatusProvider>());
        Assert.Same(provider.GetRequiredService<FlagTracker>(), provider.GetRequiredService<IFlagTracker>());
        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
    }

    [Fact]
    public void AddFeatureFlags_GivenTheSectionItself_BindsIt()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FeatureFlags:EnvSecret"] = "from-section",
            ["FeatureFlags:User:CustomClaims:plan"] = "plan_claim",
        }).Build();
        var services = new ServiceCollection();
        services.AddFeatureFlags(configuration.GetSection("FeatureFlags"));
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<FeatureFlagsOptions>>().Value;

        // FeatureFlags:User belongs to FeatureFlags.AspNetCore: the core binding accepts it and leaves it alone.
        Assert.Equal("from-section", options.EnvSecret);
    }

    [Fact]
    public void AddFeatureFlags_Action_ConfiguresAndValidates()
    {
        var services = new ServiceCollection();
        services.AddFeatureFlags(o => o.Streaming.ReconnectDelay = TimeSpan.FromSeconds(-1));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<FeatureFlagsOptions>>().Value);

        Assert.Contains("FeatureFlags:EnvSecret is required", ex.Message, StringComparison.Ordinal);
        Assert.Contains("FeatureFlags:Streaming:ReconnectDelay must be greater than zero", ex.Message, StringComparison.Ordinal);
    }
}
