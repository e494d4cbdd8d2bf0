using FeatureFlags.Internal;
using Xunit;

namespace FeatureFlags.Tests.Configuration;

public sealed class FeatureFlagsOptionsValidatorTests
{
    private static FeatureFlagsOptions Valid() => new() { EnvSecret = "secret", StreamingUri = new Uri("wss://flags.example.com/featbit") };

    [Fact]
    public void Validate_Defaults_WithSecret_Succeed()
        => Assert.True(new FeatureFlagsOptionsValidator().Validate(null, Valid()).Succeeded);

    public static TheoryData<string, Action<FeatureFlagsOptions>> Invalid() => new()
    {
        { "FeatureFlags:EnvSecret", o => o.EnvSecret = " " },
        { "FeatureFlags:StreamingUri", o => o.StreamingUri = new Uri("ftp://example.com") },
        { "FeatureFlags:StreamingUri", o => o.StreamingUri = new Uri("/relative", UriKind.Relative) },
        { "FeatureFlags:ConnectTimeout", o => o.ConnectTimeout = TimeSpan.FromSeconds(-1) },
        { "FeatureFlags:PingInterval", o => o.PingInterval = TimeSpan.Zero },
        { "FeatureFlags:StartWaitTime", o => o.StartWaitTime = TimeSpan.FromSeconds(-5) },
        { "FeatureFlags:MaxReconnectDelay", o => o.MaxReconnectDelay = TimeSpan.FromMilliseconds(10) },
        { "FeatureFlags:MaxMessageSize", o => o.MaxMessageSize = 10 },
        { "FeatureFlags:RegexMatchTimeout", o => o.RegexMatchTimeout = TimeSpan.Zero },
        { "FeatureFlags:FullResyncAfterOutage", o => o.FullResyncAfterOutage = TimeSpan.FromMinutes(-1) },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_BadValue_FailsNamingTheKey(string key, Action<FeatureFlagsOptions> breakIt)
    {
        var options = Valid();
        breakIt(options);

        var result = new FeatureFlagsOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
    }
}
