using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Xunit;

namespace FeatureFlags.Tests.Reliability;

/// <summary>
/// Bad configuration values (issue 9, part 3), table-driven through a real generic host built from in-memory
/// configuration: each fails the host's start with an <see cref="OptionsValidationException"/> whose message names the
/// <c>FeatureFlags:</c> key, before anything connects, and never echoes the secret. The cases already in
/// FeatureFlags.AspNetCore.Tests' AddFeatureFlagsTests (missing secret, bad StreamingUri, negative StartWaitTime,
/// zero ConnectTimeout, misspelt keys, "soon") are not repeated.
/// </summary>
public sealed class BadConfigurationTests
{
    private const string Secret = FakeFeatBitServer.DefaultSecret;

    public static TheoryData<string, string, string> BadValues => new()
    {
        // Durations: negative, zero, non-numeric, huge (timers and Polly refuse them only when first used).
        { "ConnectTimeout", "-00:00:01", "must be greater than zero" },
        { "ConnectTimeout", "5 seconds", "FeatureFlags:ConnectTimeout" },
        { "ConnectTimeout", "100.00:00:00", "must be at most 1.00:00:00" },
        { "CloseTimeout", "00:00:00", "must be greater than zero" },
        { "CloseTimeout", "10675199.02:48:05.4775807", "must be at most 1.00:00:00" },
        { "PingInterval", "-1.00:00:00", "must be greater than zero" },
        { "PingInterval", "50.00:00:00", "must be at most 1.00:00:00" },
        { "ReconnectDelay", "00:00:00", "must be greater than zero" },
        { "ReconnectDelay", "2.00:00:00", "must be at most 1.00:00:00" },
        { "MaxReconnectDelay", "30.00:00:00", "must be at most 1.00:00:00" },
        { "RegexMatchTimeout", "00:00:00", "must be greater than zero" },
        { "RegexMatchTimeout", "25.00:00:00", "must be at most 1.00:00:00" },
        { "EventFlushInterval", "00:00:00", "must be greater than zero" },
        { "EventFlushInterval", "60.00:00:00", "must be at most 1.00:00:00" },
        { "EventSendTimeout", "-00:00:01", "must be greater than zero" },
        { "EventSendTimeout", "2.00:00:00", "must be at most 1.00:00:00" },
        { "EventShutdownFlushTimeout", "-00:00:01", "must not be negative" },
        { "EventShutdownFlushTimeout", "60.00:00:00", "must be at most 1.00:00:00" },
        { "StartWaitTime", "60.00:00:00", "must be at most 1.00:00:00" },
        { "HealthyConnectionTime", "-00:00:01", "must not be negative" },
        { "FullResyncAfterOutage", "-00:00:01", "must not be negative" },
        { "FullResyncAfterOutage", "five minutes", "FeatureFlags:FullResyncAfterOutage" },

        // Sizes and counts.
        { "MaxMessageSize", "0", "must be at least 1024" },
        { "MaxMessageSize", "-5", "must be at least 1024" },
        { "MaxMessageSize", "99999999999", "FeatureFlags:MaxMessageSize" },
        { "MaxMessageSize", "64MB", "FeatureFlags:MaxMessageSize" },
        { "EventBufferCapacity", "0", "must be between 1 and 1000000" },
        { "EventBufferCapacity", "-1", "must be between 1 and 1000000" },
        { "EventBufferCapacity", "2000000", "must be between 1 and 1000000" },
        { "EventBufferCapacity", "lots", "FeatureFlags:EventBufferCapacity" },
        { "MaxEventsPerRequest", "0", "must be between 1 and 1000" },
        { "MaxEventsPerRequest", "1001", "must be between 1 and 1000" },

        // URIs, booleans, blanks, unknown keys.
        { "EventUri", "not a uri", "FeatureFlags:EventUri" },
        { "EventUri", "ws://127.0.0.1:1", "FeatureFlags:EventUri must be an absolute http:// or https:// URI" },
        { "EventUri", "/relative/path", "FeatureFlags:EventUri must be an absolute http:// or https:// URI" },
        { "StreamingUri", "/relative/path", "FeatureFlags:StreamingUri must be an absolute" },
        { "StreamingUri", "http//missing-colon", "FeatureFlags:StreamingUri" },
        { "DisableEvents", "maybe", "FeatureFlags:DisableEvents" },
        { "Offline", "yes", "FeatureFlags:Offline" },
        { "StrictMissingAttributes", "2", "FeatureFlags:StrictMissingAttributes" },
        { "EnvSecret", "   ", "FeatureFlags:EnvSecret is required" },
        { "Events:Uri", "http://x", "FeatureFlags:Events is not a FeatureFlags setting" },
        { "MaxMessageSizeBytes", "1024", "FeatureFlags:MaxMessageSizeBytes is not a FeatureFlags setting" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task Start_BadValue_FailsBeforeConnecting_NamingTheKey(string key, string value, string expected)
    {
        var logs = new FakeLogCollector();
        using var host = BuildHost(new() { ["FeatureFlags:" + key] = value }, logs);

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("FeatureFlags:", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Id.Id is 2001 or 2002 or 2003); // nothing tried to connect
    }

    [Fact]
    public async Task Start_SeveralBadValues_ReportsEveryKeyAtOnce()
    {
        using var host = BuildHost(new()
        {
            ["FeatureFlags:MaxMessageSize"] = "0",
            ["FeatureFlags:EventBufferCapacity"] = "0",
            ["FeatureFlags:PingInterval"] = "00:00:00",
            ["FeatureFlags:EventUri"] = "ftp://x",
        }, new FakeLogCollector());

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Equal(4, ex.Failures.Count());
        Assert.All(["MaxMessageSize", "EventBufferCapacity", "PingInterval", "EventUri"], k => Assert.Contains("FeatureFlags:" + k, ex.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_LimitValues_AreAccepted()
    {
        using var host = BuildHost(new()
        {
            ["FeatureFlags:ConnectTimeout"] = "1.00:00:00",
            ["FeatureFlags:MaxMessageSize"] = "1024",
            ["FeatureFlags:EventBufferCapacity"] = "1",
            ["FeatureFlags:MaxEventsPerRequest"] = "1000",
            ["FeatureFlags:EventShutdownFlushTimeout"] = "00:00:00",
            ["FeatureFlags:DisableEvents"] = "true",
        }, new FakeLogCollector());

        await host.StartAsync(TestContext.Current.CancellationToken);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    private static IHost BuildHost(Dictionary<string, string?> settings, FakeLogCollector logs)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FeatureFlags:EnvSecret"] = Secret,
            ["FeatureFlags:StreamingUri"] = "ws://127.0.0.1:1",
            ["FeatureFlags:StartWaitTime"] = "00:00:00",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs));
        builder.Services.AddFeatureFlags(builder.Configuration);
        return builder.Build();
    }
}
