using FeatureFlags.Sync.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Polly;
using Polly.Registry;
using Xunit;

namespace FeatureFlags.Tests.Sync;

public sealed class PipelineOverrideTests
{
    [Fact]
    [Trait("Conformance", "SYNC-08")]
    public async Task CustomPipelineRegisteredUnderTheKey_IsUsedForReconnects()
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var server = await FakeFeatBitServer.StartAsync(time, TestContext.Current.CancellationToken);
        await server.StopAsync(); // nothing listens: every session fails to connect
        var attempts = 0;
        var registry = new ResiliencePipelineRegistry<string>();
        registry.TryAddBuilder(StreamingSyncService.PipelineKey, (builder, _) => builder.AddRetry(new()
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(),
            MaxRetryAttempts = 2,
            Delay = TimeSpan.Zero,
            OnRetry = _ =>
            {
                Interlocked.Increment(ref attempts);
                return default;
            },
        }));
        var options = Microsoft.Extensions.Options.Options.Create(new FeatureFlagsOptions { EnvSecret = server.Secret, Streaming = { Uri = server.StreamingUri }, StartWaitTime = TimeSpan.Zero });
        var store = Fixtures.NewStore();
        var status = new StatusProvider(time, NullLogger<StatusProvider>.Instance);
        using var service = new StreamingSyncService(options, store, status, new ConnectionTokenProvider(time), time, NullLoggerFactory.Instance, registry);

        await service.StartAsync(TestContext.Current.CancellationToken);
        for (var i = 0; i < 200 && Volatile.Read(ref attempts) < 2; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System, TestContext.Current.CancellationToken);
        }

        await service.StopAsync(TestContext.Current.CancellationToken);
        Assert.True(attempts >= 2, $"the custom pipeline retried {attempts} times");
        Assert.NotNull(status.Current.LastError);
    }
}
