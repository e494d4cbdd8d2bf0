using Microsoft.AspNetCore.Mvc.Testing;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.Sample;

/// <summary>
/// WebApplicationFactory disposes the app's services before it stops the host: the sync and event services must
/// tolerate being stopped after being disposed (this used to fail the shutdown with ObjectDisposedException).
/// </summary>
public sealed class SampleOnlineShutdownTests
{
    [Fact]
    [Trait("Conformance", "API-04")]
    public async Task Dispose_OnlineWithUnreachableServer_StopsCleanly()
    {
        for (var i = 0; i < 2; i++)
        {
            await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
            {
                b.UseSetting("FeatureFlags:Offline", "false");
                b.UseSetting("FeatureFlags:EnvSecret", "test-secret");
                b.UseSetting("FeatureFlags:Streaming:Uri", "ws://127.0.0.1:9");
                b.UseSetting("FeatureFlags:Events:Uri", "http://127.0.0.1:9");
                b.UseSetting("FeatureFlags:BootstrapFile", "");
                b.UseSetting("FeatureFlags:StartWaitTime", "00:00:00");
            });
            using var client = factory.CreateClient();

            using var buy = await client.PostAsync(new Uri("/buy?user=alice", UriKind.Relative), null, TestContext.Current.CancellationToken);

            buy.EnsureSuccessStatusCode(); // not ready: defaults, and the Track event waits in the buffer
        }
    }
}
