using FeatureFlags.Internal;
using Xunit;

namespace FeatureFlags.Tests.Configuration;

public sealed class FeatureFlagsOptionsValidatorTests
{
    private static FeatureFlagsOptions Valid() => new() { EnvSecret = "secret", Streaming = { Uri = new Uri("wss://flags.example.com/featbit") } };

    [Fact]
    [Trait("Conformance", "CONF-02")]
    public void Validate_Defaults_WithSecret_Succeed()
        => Assert.True(new FeatureFlagsOptionsValidator().Validate(null, Valid()).Succeeded);

    public static TheoryData<string, Action<FeatureFlagsOptions>> Invalid() => new()
    {
        { "FeatureFlags:EnvSecret", o => o.EnvSecret = " " },
        { "FeatureFlags:Streaming:Uri", o => o.Streaming.Uri = new Uri("ftp://example.com") },
        { "FeatureFlags:Streaming:Uri", o => o.Streaming.Uri = new Uri("/relative", UriKind.Relative) },
        { "FeatureFlags:Streaming:ConnectTimeout", o => o.Streaming.ConnectTimeout = TimeSpan.FromSeconds(-1) },
        { "FeatureFlags:Streaming:PingInterval", o => o.Streaming.PingInterval = TimeSpan.Zero },
        { "FeatureFlags:StartWaitTime", o => o.StartWaitTime = TimeSpan.FromSeconds(-5) },
        { "FeatureFlags:Streaming:MaxReconnectDelay", o => o.Streaming.MaxReconnectDelay = TimeSpan.FromMilliseconds(10) },
        { "FeatureFlags:Streaming:MaxMessageSize", o => o.Streaming.MaxMessageSize = 10 },
        { "FeatureFlags:Evaluation:RegexMatchTimeout", o => o.Evaluation.RegexMatchTimeout = TimeSpan.Zero },
        { "FeatureFlags:Streaming:FullResyncAfterOutage", o => o.Streaming.FullResyncAfterOutage = TimeSpan.FromMinutes(-1) },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    [Trait("Conformance", "CONF-01")]
    public void Validate_BadValue_FailsNamingTheKey(string key, Action<FeatureFlagsOptions> breakIt)
    {
        var options = Valid();
        breakIt(options);

        var result = new FeatureFlagsOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
    }
}
