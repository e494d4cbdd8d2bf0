using FeatureFlags.DataSystem;
using FeatureFlags.Redis.Internal;
using FeatureFlags.Redis.Tests.Support;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Xunit;
using static FeatureFlags.Redis.Tests.Support.TestData;

namespace FeatureFlags.Redis.Tests;

public sealed class UseRedisTests
{
    [Fact]
    public async Task MissingConnectionString_FailsAtStart_NamingTheKey()
    {
        using var host = Build(new() { ["FeatureFlags:Redis:KeyPrefix"] = "x" });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("FeatureFlags:Redis:ConnectionString is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownKey_FailsAtStart_NamingIt()
    {
        using var host = Build(new() { ["FeatureFlags:Redis:ConnectionString"] = "127.0.0.1:1", ["FeatureFlags:Redis:Prefix"] = "x" });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("FeatureFlags:Redis:Prefix is not a FeatureFlags:Redis setting", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriterMode_RegistersTheStore_DaemonMode_RegistersTheSource()
    {
        using var writer = Build(new() { ["FeatureFlags:Redis:ConnectionString"] = "127.0.0.1:1" });
        using var daemon = Build(new() { ["FeatureFlags:Redis:ConnectionString"] = "127.0.0.1:1", ["FeatureFlags:Redis:Mode"] = "Daemon" });

        Assert.NotNull(writer.Services.GetService<RedisFlagStore>());
        Assert.Null(writer.Services.GetService<RedisDaemonSource>());
        Assert.NotNull(daemon.Services.GetService<RedisDaemonSource>());
        Assert.Null(daemon.Services.GetService<RedisFlagStore>());
    }

    [Fact]
    public async Task DaemonHost_ServesFlagsFromRedis_StatusSaysRedis()
    {
        await using var redis = await RedisServer.StartAsync();
        await (await redis.DatabaseAsync()).HashSetAsync(Key(), [new("data", Json("full", ("a", true, T0))), new("version", T0), new("confirmedAt", T0)]);
        using var host = Build(new() { ["FeatureFlags:Redis:ConnectionString"] = redis.ConnectionString, ["FeatureFlags:Redis:Mode"] = "Daemon" });

        await host.StartAsync(TestContext.Current.CancellationToken);
        var status = host.Services.GetRequiredService<IFeatureFlagsStatusProvider>();
        Assert.True(await status.WaitForReadyAsync(Instance.EventTimeout, TestContext.Current.CancellationToken));

        Assert.Equal(FlagDataSourceNames.Redis, status.Current.DataSource);
        Assert.True(host.Services.GetRequiredService<IFeatureFlagClient>().BoolVariation("a", FlagUser.Create("u1")));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task UnreachableRedis_TheConnectionStringsPasswordIsNeverLoggedNorShown()
    {
        const string Password = "hunter2-very-secret";
        var logs = new FakeLogCollector();
        using var writer = Build(
            new() { ["FeatureFlags:Redis:ConnectionString"] = $"127.0.0.1:1,password={Password},connectTimeout=500,asyncTimeout=500,syncTimeout=500" },
            logs);
        using var daemon = Build(
            new() { ["FeatureFlags:Redis:ConnectionString"] = $"127.0.0.1:1,password={Password},connectTimeout=500,asyncTimeout=500,syncTimeout=500", ["FeatureFlags:Redis:Mode"] = "Daemon" },
            logs);

        await writer.StartAsync(TestContext.Current.CancellationToken);
        await daemon.StartAsync(TestContext.Current.CancellationToken);
        var status = daemon.Services.GetRequiredService<IFeatureFlagsStatusProvider>();
        await RedisFlagStoreTests.WaitUntilAsync(() => status.Current.LastError?.Contains("unreachable", StringComparison.Ordinal) == true && logs.GetSnapshot().Any(r => r.Id.Id == 6002), "both report the failure");
        await writer.StopAsync(TestContext.Current.CancellationToken);
        await daemon.StopAsync(TestContext.Current.CancellationToken);

        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Message.Contains(Password, StringComparison.Ordinal) || (r.Exception?.ToString().Contains(Password, StringComparison.Ordinal) ?? false));
        Assert.DoesNotContain(Password, status.Current.LastError, StringComparison.Ordinal);
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == 6022 && r.Message.Contains("127.0.0.1:1", StringComparison.Ordinal));
    }

    private static IHost Build(Dictionary<string, string?> settings, FakeLogCollector? logs = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        settings["FeatureFlags:EnvSecret"] = FakeFeatBitServer.DefaultSecret;
        settings["FeatureFlags:StartWaitTime"] = "00:00:00";
        settings["FeatureFlags:Events:Enabled"] = "false";
        settings["FeatureFlags:Streaming:Uri"] = "ws://127.0.0.1:1/";
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs));
        }

        builder.Services.AddFeatureFlags(builder.Configuration).UseRedis(builder.Configuration);
        return builder.Build();
    }
}
