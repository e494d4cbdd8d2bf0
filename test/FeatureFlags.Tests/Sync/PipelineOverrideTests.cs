using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Polly;
using Xunit;

namespace FeatureFlags.Tests.Sync;

/// <summary>An app replaces the reconnect policy the documented way: <c>services.AddResiliencePipeline(key, ...)</c>.</summary>
public sealed class PipelineOverrideTests
{
    [Fact]
    [Trait("Conformance", "SYNC-05")]
    public async Task PipelineRegisteredThroughDi_IsUsedForReconnects()
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var server = await FakeFeatBitServer.StartAsync(time, TestContext.Current.CancellationToken);
        await server.StopAsync(); // nothing listens: every session fails to connect
        var attempts = 0;
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddFeatureFlags(o =>
        {
            o.EnvSecret = server.Secret;
            o.Streaming.Uri = server.StreamingUri;
            o.StartWaitTime = TimeSpan.Zero;
        });
        services.AddResiliencePipeline(StreamingOptions.ReconnectPipelineKey, builder => builder.AddRetry(new()
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
        await using var sp = services.BuildServiceProvider();
        var system = sp.GetRequiredService<FlagDataSystem>();

        await system.StartAsync(TestContext.Current.CancellationToken);
        for (var i = 0; i < 500 && Volatile.Read(ref attempts) < 2; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System, TestContext.Current.CancellationToken);
        }

        await system.StopAsync(TestContext.Current.CancellationToken);
        Assert.True(attempts >= 2, $"the app's pipeline retried {attempts} times");
        Assert.NotNull(sp.GetRequiredService<IFeatureFlagsStatusProvider>().Current.LastError);
    }

    [Fact]
    [Trait("Conformance", "SYNC-05")]
    public async Task CatchAllPipeline_StillStopsOnRejection_AndReachesOff()
    {
        // An app's pipeline that retries every exception forever must not retry a rejected secret: 4003 is handled
        // outside the pipeline, and the status reaches Off.
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var server = await FakeFeatBitServer.StartAsync(time, TestContext.Current.CancellationToken);
        var retries = 0;
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddFeatureFlags(o =>
        {
            o.EnvSecret = "wrong-secret-wrong-secret-wrong-secret-wrong";
            o.Streaming.Uri = server.StreamingUri;
            o.StartWaitTime = TimeSpan.Zero;
        });
        services.AddResiliencePipeline(StreamingOptions.ReconnectPipelineKey, builder => builder.AddRetry(new()
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(),
            MaxRetryAttempts = int.MaxValue,
            Delay = TimeSpan.Zero,
            OnRetry = _ =>
            {
                Interlocked.Increment(ref retries);
                return default;
            },
        }));
        await using var sp = services.BuildServiceProvider();
        var status = sp.GetRequiredService<IFeatureFlagsStatusProvider>();
        var off = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        status.StatusChanged += (_, s) =>
        {
            if (s.State == FeatureFlagsState.Off)
            {
                off.TrySetResult();
            }
        };
        var system = sp.GetRequiredService<FlagDataSystem>();

        await system.StartAsync(TestContext.Current.CancellationToken);
        await off.Task.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

        Assert.Equal(FeatureFlagsState.Off, status.Current.State);
        Assert.Contains("4003", status.Current.LastError, StringComparison.Ordinal);
        Assert.Equal(0, retries);
        await system.StopAsync(TestContext.Current.CancellationToken);
    }
}
