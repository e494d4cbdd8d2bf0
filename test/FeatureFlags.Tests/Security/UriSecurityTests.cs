using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Internal;
using FeatureFlags.Sync.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Xunit;

namespace FeatureFlags.Tests.Security;

/// <summary>
/// Credentials in endpoint URIs (issue 14, item 6) are refused at validation without being quoted, and never reach a
/// log line or the status; cleartext transport to another machine (item 8) is warned about once at start.
/// </summary>
public sealed class UriSecurityTests
{
    private const int Cleartext = 2030;
    private const string Password = "hunter2-canary";
    private readonly FakeLogCollector _logs = new();

    [Theory]
    [InlineData("Streaming:Uri", "ws://admin:" + Password + "@127.0.0.1:1")]
    [InlineData("Events:Uri", "http://admin:" + Password + "@127.0.0.1:1")]
    [Trait("Conformance", "API-06")]
    public void Start_UserInfoInAnEndpoint_FailsNamingTheKey_AndNeverShowsThePassword(string key, string uri)
    {
        var settings = new Dictionary<string, string?>
        {
            ["FeatureFlags:EnvSecret"] = SecurityHost.Secret,
            ["FeatureFlags:StartWaitTime"] = "00:00:00",
            ["FeatureFlags:" + key] = uri,
        };

        // Building resolves the options, as a host's ValidateOnStart does.
        var ex = Assert.Throws<OptionsValidationException>(() => SecurityHost.Build(settings, _logs));

        Assert.Contains($"FeatureFlags:{key} must not contain user info", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_logs.GetSnapshot(), r => r.Message.Contains(Password, StringComparison.Ordinal));
    }

    [Fact]
    public void SafeEndpoint_UserInfo_IsStripped()
        => Assert.Equal("ws://flags.example.com/featbit/streaming", StreamingSession.SafeEndpoint(new Uri("ws://admin:" + Password + "@flags.example.com/featbit")));

    [Theory]
    [InlineData("ws://flags.example.com", true)]
    [InlineData("http://10.0.0.5:5100", true)]
    [InlineData("ws://localhost:5100", false)]
    [InlineData("ws://LOCALHOST:5100", false)]
    [InlineData("http://127.0.0.1:5100", false)]
    [InlineData("ws://127.8.9.10", false)]
    [InlineData("ws://[::1]:5100", false)]
    [InlineData("wss://flags.example.com", false)]
    [InlineData("https://flags.example.com", false)]
    public void IsCleartextToRemoteHost_OnlyUnencryptedToAnotherMachine(string uri, bool expected)
        => Assert.Equal(expected, FlagDataSystem.IsCleartextToRemoteHost(new Uri(uri)));

    [Fact]
    public async Task Start_UnencryptedRemoteEndpoints_WarnOnceEach()
    {
        // 192.0.2.0/24 is reserved for documentation: nothing answers there, and it is not loopback.
        await using var sp = Online("ws://192.0.2.1:5100", "http://192.0.2.1:5100");
        var sync = sp.GetRequiredService<FlagDataSystem>();

        await sync.StartAsync(TestContext.Current.CancellationToken);
        await sync.StopAsync(TestContext.Current.CancellationToken);

        // DataSync = Auto (the default) may poll too: the polling endpoint derived from Streaming:Uri carries the secret.
        var warnings = _logs.GetSnapshot().Where(r => r.Id.Id == Cleartext).ToList();
        Assert.Equal(3, warnings.Count);
        Assert.All(warnings, w => Assert.Equal(LogLevel.Warning, w.Level));
        Assert.Contains(warnings, w => w.Message.StartsWith("FeatureFlags:Streaming:Uri (ws://192.0.2.1:5100/streaming) is not encrypted", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Message.StartsWith("FeatureFlags:Streaming:Uri (used for polling) (http://192.0.2.1:5100/api/public/sdk/server/latest-all) is not encrypted", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Message.StartsWith("FeatureFlags:Events:Uri (http://192.0.2.1:5100/api/public/insight/track) is not encrypted", StringComparison.Ordinal));
        Assert.DoesNotContain(warnings, w => w.Message.Contains(SecurityHost.Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_CleartextEventsUri_WithTheAppsOwnEventSink_DoesNotWarnAboutEvents()
    {
        // Events go to the app's sink, never to Events:Uri: nothing would travel in clear text.
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(new Microsoft.Extensions.Logging.Testing.FakeLoggerProvider(_logs)));
        FeatureFlags.Events.FeatureFlagsEventsBuilderExtensions.UseEventSink(
            services.AddFeatureFlags(o =>
            {
                o.EnvSecret = SecurityHost.Secret;
                o.StartWaitTime = TimeSpan.Zero;
                o.Streaming.Uri = new Uri("ws://127.0.0.1:1");
                o.Events.Uri = new Uri("http://192.0.2.1:5100");
            }),
            _ => new NullSink());
        await using var sp = services.BuildServiceProvider();
        var sync = sp.GetRequiredService<FlagDataSystem>();

        await sync.StartAsync(TestContext.Current.CancellationToken);
        await sync.StopAsync(TestContext.Current.CancellationToken);

        Assert.DoesNotContain(_logs.GetSnapshot(), r => r.Id.Id == Cleartext);
    }

    [Theory]
    [InlineData("ws://127.0.0.1:1", "http://localhost:1")]
    [InlineData("wss://192.0.2.1:1", "https://192.0.2.1:1")]
    public async Task Start_LoopbackOrEncryptedEndpoints_DoNotWarn(string streaming, string events)
    {
        await using var sp = Online(streaming, events);
        var sync = sp.GetRequiredService<FlagDataSystem>();

        await sync.StartAsync(TestContext.Current.CancellationToken);
        await sync.StopAsync(TestContext.Current.CancellationToken);

        Assert.DoesNotContain(_logs.GetSnapshot(), r => r.Id.Id == Cleartext);
    }

    [Fact]
    [Trait("Conformance", "CONF-01")]
    public void Validate_UserInfo_IsRefusedForBothEndpoints()
    {
        var options = new FeatureFlagsOptions { EnvSecret = SecurityHost.Secret };
        options.Streaming.Uri = new Uri("wss://a:b@flags.example.com");
        options.Events.Uri = new Uri("https://a:b@flags.example.com");

        var result = new FeatureFlagsOptionsValidator().Validate(null, options);

        Assert.Equal(2, result.Failures!.Count(f => f.Contains("must not contain user info", StringComparison.Ordinal)));
    }

    private ServiceProvider Online(string streaming, string events) => SecurityHost.Build(
        new()
        {
            ["FeatureFlags:EnvSecret"] = SecurityHost.Secret,
            ["FeatureFlags:StartWaitTime"] = "00:00:00",
            ["FeatureFlags:Streaming:Uri"] = streaming,
            ["FeatureFlags:Events:Uri"] = events,
        },
        _logs);

    private sealed class NullSink : FeatureFlags.Events.IInsightEventSink
    {
        public void Record(in FeatureFlags.Events.InsightEventRecord insightEvent)
        {
        }
    }
}
