using FeatureFlags.Internal;
using Xunit;

namespace FeatureFlags.Tests.Internal;

/// <summary>Startup validation of the event options: each failure names its configuration key.</summary>
public sealed class EventOptionsValidationTests
{
    [Fact]
    [Trait("Conformance", "CONF-02")]
    public void Validate_Defaults_Succeed()
    {
        var options = new FeatureFlagsOptions { EnvSecret = "secret" };

        Assert.True(new FeatureFlagsOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(
            (new Uri("http://localhost:5100"), true, TimeSpan.FromSeconds(5), 10_000, 16L * 1024 * 1024, 50, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)),
            (options.Events.Uri, options.Events.Enabled, options.Events.FlushInterval, options.Events.BufferCapacity, options.Events.MaxBufferBytes, options.Events.MaxEventsPerRequest, options.Events.SendTimeout, options.Events.ShutdownFlushTimeout));
    }

    [Theory]
    [InlineData("Events:Uri")]
    [InlineData("Events:FlushInterval")]
    [InlineData("Events:BufferCapacity")]
    [InlineData("Events:MaxBufferBytes")]
    [InlineData("Events:MaxEventsPerRequest")]
    [InlineData("Events:SendTimeout")]
    [InlineData("Events:ShutdownFlushTimeout")]
    public void Validate_BadEventOption_FailsNamingTheKey(string key)
    {
        var options = new FeatureFlagsOptions { EnvSecret = "secret" };
        switch (key)
        {
            case "Events:Uri":
                options.Events.Uri = new Uri("ws://localhost:5100");
                break;
            case "Events:FlushInterval":
                options.Events.FlushInterval = TimeSpan.Zero;
                break;
            case "Events:BufferCapacity":
                options.Events.BufferCapacity = 0;
                break;
            case "Events:MaxBufferBytes":
                options.Events.MaxBufferBytes = (1024 * 1024) - 1;
                break;
            case "Events:MaxEventsPerRequest":
                options.Events.MaxEventsPerRequest = 0;
                break;
            case "Events:SendTimeout":
                options.Events.SendTimeout = TimeSpan.FromSeconds(-1);
                break;
            default:
                options.Events.ShutdownFlushTimeout = TimeSpan.FromSeconds(-1);
                break;
        }

        var result = new FeatureFlagsOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("FeatureFlags:" + key, result.FailureMessage, StringComparison.Ordinal);
    }
}
