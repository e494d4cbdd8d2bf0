using FeatureFlags.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Xunit;

namespace FeatureFlags.Tests.NamedClients;

/// <summary>
/// A service provider built by hand (no host) never starts the client: the first "not ready" evaluation logs a clear
/// warning (EventId 1007) once, instead of the client staying silently without flags.
/// </summary>
public sealed class NotStartedWarningTests
{
    private const int NeverStarted = 1007;
    private static readonly FlagUser User = FlagUser.Create("u");

    [Fact]
    public async Task HandBuiltProvider_NeverStarted_FirstEvaluationWarnsOnce()
    {
        var logs = new FakeLogCollector();
        await using var provider = Build(logs);
        var client = provider.GetRequiredService<IFeatureFlagClient>();

        Assert.False(client.BoolVariation("f", User));
        Assert.False(client.BoolVariation("f", User));
        client.GetAllFlags(User);

        var warning = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == NeverStarted);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("FeatureFlagsClient.StartAsync", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandBuiltProvider_ScopedFlags_AlsoWarn()
    {
        var logs = new FakeLogCollector();
        await using var provider = Build(logs);
        using var scope = provider.CreateScope();
        var flags = scope.ServiceProvider.GetRequiredService<IFeatureFlags>();
        flags.SetUser(User);

        flags.IsEnabled("f");

        Assert.Single(logs.GetSnapshot(), r => r.Id.Id == NeverStarted);
    }

    [Fact]
    public async Task HandBuiltProvider_HostedServicesStartedByHand_NoWarning()
    {
        var logs = new FakeLogCollector();
        await using var provider = Build(logs);
        var hosted = provider.GetServices<IHostedService>().ToList();
        foreach (var service in hosted)
        {
            await service.StartAsync(TestContext.Current.CancellationToken);
        }

        provider.GetRequiredService<IFeatureFlagClient>().BoolVariation("f", User);

        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Id.Id == NeverStarted);
        for (var i = hosted.Count - 1; i >= 0; i--)
        {
            await hosted[i].StopAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task Host_EvaluatedBeforeItStarts_NoWarning()
    {
        var logs = new FakeLogCollector();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddProvider(new FakeLoggerProvider(logs));
        builder.Services.AddFeatureFlags(Configure);
        builder.Services.AddFeatureFlags("eu", Configure);
        using var host = builder.Build();

        host.Services.GetRequiredService<IFeatureFlagClient>().BoolVariation("f", User);
        host.Services.GetRequiredKeyedService<IFeatureFlagClient>("eu").BoolVariation("f", User);

        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Id.Id == NeverStarted);
    }

    [Fact]
    public async Task HandBuiltProvider_NamedClientNeverStarted_Warns()
    {
        var logs = new FakeLogCollector();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(new FakeLoggerProvider(logs)));
        services.AddFeatureFlags("eu", Configure);
        await using var provider = services.BuildServiceProvider();

        provider.GetRequiredKeyedService<IFeatureFlagClient>("eu").BoolVariation("f", User);

        Assert.Single(logs.GetSnapshot(), r => r.Id.Id == NeverStarted);
    }

    private static ServiceProvider Build(FakeLogCollector logs)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(new FakeLoggerProvider(logs)));
        services.AddFeatureFlags(Configure);
        return services.BuildServiceProvider();
    }

    private static void Configure(FeatureFlagsOptions o)
    {
        o.EnvSecret = FakeFeatBitServer.DefaultSecret;
        o.Streaming.Uri = new Uri("ws://127.0.0.1:9");
        o.Events.Enabled = false;
        o.StartWaitTime = TimeSpan.Zero;
    }
}
