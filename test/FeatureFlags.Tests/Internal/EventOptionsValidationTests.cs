using FeatureFlags.Internal;
using Xunit;

namespace FeatureFlags.Tests.Internal;

/// <summary>Startup validation of the event options: each failure names its configuration key.</summary>
public sealed class EventOptionsValidationTests
{
    [Fact]
    public void Validate_Defaults_Succeed()
    {
        var options = new FeatureFlagsOptions { EnvSecret = "secret" };

        Assert.True(new FeatureFlagsOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(
            (new Uri("http://localhost:5100"), false, TimeSpan.FromSeconds(5), 10_000, 50, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)),
            (options.EventUri, options.DisableEvents, options.EventFlushInterval, options.EventBufferCapacity, options.MaxEventsPerRequest, options.EventSendTimeout, options.EventShutdownFlushTimeout));
    }

    [Theory]
    [InlineData("EventUri")]
    [InlineData("EventFlushInterval")]
    [InlineData("EventBufferCapacity")]
    [InlineData("MaxEventsPerRequest")]
    [InlineData("EventSendTimeout")]
    [InlineData("EventShutdownFlushTimeout")]
    public void Validate_BadEventOption_FailsNamingTheKey(string key)
    {
        var options = new FeatureFlagsOptions { EnvSecret = "secret" };
        switch (key)
        {
            case "EventUri":
                options.EventUri = new Uri("ws://localhost:5100");
                break;
            case "EventFlushInterval":
                options.EventFlushInterval = TimeSpan.Zero;
                break;
            case "EventBufferCapacity":
                options.EventBufferCapacity = 0;
                break;
            case "MaxEventsPerRequest":
                options.MaxEventsPerRequest = 0;
                break;
            case "EventSendTimeout":
                options.EventSendTimeout = TimeSpan.FromSeconds(-1);
                break;
            default:
                options.EventShutdownFlushTimeout = TimeSpan.FromSeconds(-1);
                break;
        }

        var result = new FeatureFlagsOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("FeatureFlags:" + key, result.FailureMessage, StringComparison.Ordinal);
    }
}
