using FeatureFlags.Sync.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace FeatureFlags.Tests.Sync;

/// <summary>The data system with the real <see cref="StreamingDataSource"/> (and, with a cache file, the file store).</summary>
internal sealed class SyncHarness : DataSystemHarness
{
    private SyncHarness(FakeFeatBitServer server, FakeTimeProvider time, FeatureFlagsOptions options, FakeLogCollector logs, ILoggerFactory loggerFactory)
        : base(
            server, time, options, logs, loggerFactory,
            wrapped => new StreamingDataSource(wrapped, new ConnectionTokenProvider(time), time, loggerFactory),
            options.CacheFile is null ? null : new FeatureFlags.Cache.Internal.FileFlagStore(Microsoft.Extensions.Options.Options.Create(options), time, loggerFactory.CreateLogger<FeatureFlags.Cache.Internal.FileFlagStore>()))
    {
        Source = (StreamingDataSource)Service.Source!;
    }

    public StreamingDataSource Source { get; }

    public static async Task<SyncHarness> CreateAsync(Action<FeatureFlagsOptions>? configure = null)
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var server = await FakeFeatBitServer.StartAsync(time);
        var options = new FeatureFlagsOptions
        {
            EnvSecret = server.Secret,
            Streaming = { Uri = server.StreamingUri },
            StartWaitTime = TimeSpan.Zero,
        };
        configure?.Invoke(options);
        var logs = new FakeLogCollector();
        return new SyncHarness(server, time, options, logs, LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs))));
    }

    /// <summary>
    /// Advances fake time in steps until <paramref name="condition"/> holds: backoff timers are created asynchronously
    /// after a failure, so each step gives the loop a moment (real time, bounded) to arm the next timer.
    /// </summary>
    public Task AdvanceUntilAsync(Func<bool> condition, TimeSpan step, string what, int maxSteps = 200)
        => Time.AdvanceUntilAsync(condition, step, what, maxSteps);
}
