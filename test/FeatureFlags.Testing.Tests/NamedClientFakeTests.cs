using System.Net;
using System.Net.Sockets;
using Xunit;

namespace FeatureFlags.Testing.Tests;

/// <summary><c>AddInMemoryFeatureFlags(client, flags)</c>: each named client faked by its own flags, the others untouched.</summary>
public sealed class NamedClientFakeTests
{
    private static readonly FlagUser Alice = FlagUser.Create("alice");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Host_TwoClientsFaked_EachServesAndRecordsItsOwnFlags_NeitherDialsItsServer()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var main = new InMemoryFlags();
        main.Flag("checkout").On();
        var eu = new InMemoryFlags();
        eu.Flag("checkout").Off();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FeatureFlags:Streaming:Uri"] = $"ws://127.0.0.1:{port}",
            ["FeatureFlags:Events:Uri"] = $"http://127.0.0.1:{port}",
            ["FeatureFlags:Eu:Streaming:Uri"] = $"ws://127.0.0.1:{port}",
            ["FeatureFlags:Eu:Events:Uri"] = $"http://127.0.0.1:{port}",
        });
        builder.Services.AddFeatureFlags(builder.Configuration);
        builder.Services.AddFeatureFlags("eu", builder.Configuration.GetSection("FeatureFlags:Eu"));
        builder.Services.AddInMemoryFeatureFlags(main);
        builder.Services.AddInMemoryFeatureFlags("eu", eu);

        using var host = builder.Build();
        await host.StartAsync(Ct);
        var mainValue = host.Services.GetRequiredService<IFeatureFlagClient>().BoolVariation("checkout", Alice);
        var euClient = host.Services.GetRequiredKeyedService<IFeatureFlagClient>("eu");
        var euValue = euClient.BoolVariation("checkout", Alice);
        euClient.Track(Alice, "eu-metric");
        await euClient.FlushAsync(Ct);
        await host.StopAsync(Ct);

        Assert.True(mainValue);
        Assert.False(euValue);
        Assert.Single(main.Events.Evaluations);
        Assert.Single(eu.Events.Evaluations);
        Assert.Single(eu.Events.Tracks);
        Assert.Empty(main.Events.Tracks);
        Assert.False(listener.Pending(), "a client connected to the configured server");
    }

    [Fact]
    public async Task Host_OnlyTheNamedClientFaked_TheDefaultClientKeepsItsOwnSource()
    {
        var eu = new InMemoryFlags();
        eu.Flag("checkout").On();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.Services.AddFeatureFlags(o => o.Offline = true);   // offline without a bootstrap file: no data
        builder.Services.AddInMemoryFeatureFlags("eu", eu);

        using var host = builder.Build();
        await host.StartAsync(Ct);

        Assert.True(host.Services.GetRequiredKeyedService<IFeatureFlagClient>("eu").BoolVariation("checkout", Alice));
        Assert.Equal(EvaluationReasonKind.ClientNotReady, host.Services.GetRequiredService<IFeatureFlagClient>().BoolVariationDetail("checkout", Alice).Kind);
        Assert.Equal(FeatureFlagsState.Ready, host.Services.GetRequiredKeyedService<IFeatureFlagsStatusProvider>("eu").Current.State);
        await host.StopAsync(Ct);
    }
}
