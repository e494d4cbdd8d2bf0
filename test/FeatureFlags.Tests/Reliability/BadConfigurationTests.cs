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
        { "Streaming:ConnectTimeout", "-00:00:01", "must be greater than zero" },
        { "Streaming:ConnectTimeout", "5 seconds", "FeatureFlags:Streaming:ConnectTimeout" },
        { "Streaming:ConnectTimeout", "100.00:00:00", "must be at most 1.00:00:00" },
        { "Streaming:CloseTimeout", "00:00:00", "must be greater than zero" },
        { "Streaming:CloseTimeout", "10675199.02:48:05.4775807", "must be at most 1.00:00:00" },
        { "Streaming:PingInterval", "-1.00:00:00", "must be greater than zero" },
        { "Streaming:PingInterval", "50.00:00:00", "must be at most 1.00:00:00" },
        { "Streaming:ReconnectDelay", "00:00:00", "must be greater than zero" },
        { "Streaming:ReconnectDelay", "2.00:00:00", "must be at most 1.00:00:00" },
        { "Streaming:MaxReconnectDelay", "30.00:00:00", "must be at most 1.00:00:00" },
        { "Evaluation:RegexMatchTimeout", "00:00:00", "must be greater than zero" },
        { "Evaluation:RegexMatchTimeout", "25.00:00:00", "must be at most 1.00:00:00" },
        { "Events:FlushInterval", "00:00:00", "must be greater than zero" },
        { "Events:FlushInterval", "60.00:00:00", "must be at most 1.00:00:00" },
        { "Events:SendTimeout", "-00:00:01", "must be greater than zero" },
        { "Events:SendTimeout", "2.00:00:00", "must be at most 1.00:00:00" },
        { "Events:ShutdownFlushTimeout", "-00:00:01", "must not be negative" },
        { "Events:ShutdownFlushTimeout", "60.00:00:00", "must be at most 1.00:00:00" },
        { "StartWaitTime", "60.00:00:00", "must be at most 1.00:00:00" },
        { "Streaming:HealthyConnectionTime", "-00:00:01", "must not be negative" },
        { "Streaming:FullResyncAfterOutage", "-00:00:01", "must not be negative" },
        { "Streaming:FullResyncAfterOutage", "five minutes", "FeatureFlags:Streaming:FullResyncAfterOutage" },

        // Sizes and counts.
        { "Streaming:MaxMessageSize", "0", "must be at least 1024" },
        { "Streaming:MaxMessageSize", "-5", "must be at least 1024" },
        { "Streaming:MaxMessageSize", "99999999999", "FeatureFlags:Streaming:MaxMessageSize" },
        { "Streaming:MaxMessageSize", "64MB", "FeatureFlags:Streaming:MaxMessageSize" },
        { "Events:BufferCapacity", "0", "must be between 1 and 1000000" },
        { "Events:BufferCapacity", "-1", "must be between 1 and 1000000" },
        { "Events:BufferCapacity", "2000000", "must be between 1 and 1000000" },
        { "Events:BufferCapacity", "lots", "FeatureFlags:Events:BufferCapacity" },
        { "Events:MaxBufferBytes", "0", "must be between 1048576 (1 MiB) and 1073741824 (1 GiB)" },
        { "Events:MaxBufferBytes", "1073741825", "FeatureFlags:Events:MaxBufferBytes must be between" },
        { "Events:MaxEventsPerRequest", "0", "must be between 1 and 1000" },
        { "Events:MaxEventsPerRequest", "1001", "must be between 1 and 1000" },

        // URIs, booleans, blanks, unknown keys.
        { "Events:Uri", "not a uri", "FeatureFlags:Events:Uri" },
        { "Events:Uri", "ws://127.0.0.1:1", "FeatureFlags:Events:Uri must be an absolute http:// or https:// URI" },
        { "Events:Uri", "/relative/path", "FeatureFlags:Events:Uri must be an absolute http:// or https:// URI" },
        { "Streaming:Uri", "/relative/path", "FeatureFlags:Streaming:Uri must be an absolute" },
        { "Streaming:Uri", "http//missing-colon", "FeatureFlags:Streaming:Uri" },
        { "Events:Enabled", "maybe", "FeatureFlags:Events:Enabled" },
        { "Offline", "yes", "FeatureFlags:Offline" },
        { "Evaluation:StrictMissingAttributes", "2", "FeatureFlags:Evaluation:StrictMissingAttributes" },
        { "EnvSecret", "   ", "FeatureFlags:EnvSecret is required" },
        { "Events:Url", "http://x", "FeatureFlags:Events:Url is not a FeatureFlags:Events setting" },
        { "MaxMessageSizeBytes", "1024", "FeatureFlags:MaxMessageSizeBytes is not a FeatureFlags setting" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    [Trait("Conformance", "CONF-01")]
    [Trait("Conformance", "CONF-03")]
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
    [Trait("Conformance", "CONF-01")]
    [Trait("Conformance", "CONF-03")]
    public async Task Start_SeveralBadValues_ReportsEveryKeyAtOnce()
    {
        using var host = BuildHost(new()
        {
            ["FeatureFlags:Streaming:MaxMessageSize"] = "0",
            ["FeatureFlags:Events:BufferCapacity"] = "0",
            ["FeatureFlags:Streaming:PingInterval"] = "00:00:00",
            ["FeatureFlags:Events:Uri"] = "ftp://x",
        }, new FakeLogCollector());

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Equal(4, ex.Failures.Count());
        Assert.All(["Streaming:MaxMessageSize", "Events:BufferCapacity", "Streaming:PingInterval", "Events:Uri"], k => Assert.Contains("FeatureFlags:" + k, ex.Message, StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Conformance", "CONF-02")]
    public async Task Start_LimitValues_AreAccepted()
    {
        using var host = BuildHost(new()
        {
            ["FeatureFlags:Streaming:ConnectTimeout"] = "1.00:00:00",
            ["FeatureFlags:Streaming:MaxMessageSize"] = "1024",
            ["FeatureFlags:Events:BufferCapacity"] = "1",
            ["FeatureFlags:Events:MaxEventsPerRequest"] = "1000",
            ["FeatureFlags:Events:ShutdownFlushTimeout"] = "00:00:00",
            ["FeatureFlags:Events:Enabled"] = "false",
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
            ["FeatureFlags:Streaming:Uri"] = "ws://127.0.0.1:1",
            ["FeatureFlags:StartWaitTime"] = "00:00:00",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs));
        builder.Services.AddFeatureFlags(builder.Configuration);
        return builder.Build();
    }
}
