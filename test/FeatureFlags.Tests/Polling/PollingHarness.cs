using System.Buffers;
using FeatureFlags.Sync.Internal.Polling;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace FeatureFlags.Tests.Polling;

/// <summary>
/// A real data system with the real <see cref="PollingDataSource"/> (its named HttpClient from the SDK's own
/// registration) against the in-process FeatBit fake, both on one <see cref="FakeTimeProvider"/>.
/// </summary>
internal sealed class PollingHarness : DataSystemHarness
{
    private readonly ServiceProvider _services;

    private PollingHarness(FakeFeatBitServer server, FakeTimeProvider time, FeatureFlagsOptions options, FakeLogCollector logs, ServiceProvider services, ArrayPool<byte>? bufferPool)
        : base(
            server, time, options, logs, services.GetRequiredService<ILoggerFactory>(),
            wrapped => new PollingDataSource(
                services.GetRequiredService<IHttpClientFactory>(), wrapped, time, services.GetRequiredService<ILoggerFactory>().CreateLogger<PollingDataSource>(), bufferPool: bufferPool))
    {
        _services = services;
        Source = (PollingDataSource)Service.Source!;
    }

    public PollingDataSource Source { get; }

    /// <summary>A started fake server and the harness around it; <paramref name="bufferPool"/> is where response bodies are read (the shared pool when null).</summary>
    public static async Task<PollingHarness> CreateAsync(Action<FeatureFlagsOptions>? configure = null, ArrayPool<byte>? bufferPool = null)
    {
        var (server, time, options, logs, services) = await PrepareAsync(DataSyncMode.Polling, configure);
        return new PollingHarness(server, time, options, logs, services, bufferPool);
    }

    /// <summary>
    /// The fake server, the fake clock, options pointing at the server (polling every 30 s, 10 s timeout), and a container
    /// with the SDK's own registration of the polling HttpClient and the harness's loggers.
    /// </summary>
    internal static async Task<(FakeFeatBitServer Server, FakeTimeProvider Time, FeatureFlagsOptions Options, FakeLogCollector Logs, ServiceProvider Services)> PrepareAsync(
        DataSyncMode mode, Action<FeatureFlagsOptions>? configure)
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var server = await FakeFeatBitServer.StartAsync(time);
        var options = new FeatureFlagsOptions
        {
            EnvSecret = server.Secret,
            DataSync = mode,
            Streaming = { Uri = server.StreamingUri },
            Polling = { Interval = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(10) },
            StartWaitTime = TimeSpan.Zero,
        };
        configure?.Invoke(options);

        var logs = new FakeLogCollector();
        var collection = new ServiceCollection();
        collection.AddSingleton(Microsoft.Extensions.Options.Options.Create(options));
        collection.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs)));
        collection.AddFeatureFlagPolling();
        return (server, time, options, logs, collection.BuildServiceProvider());
    }

    /// <summary>Advances fake time in steps until the server has handled <paramref name="count"/> polls.</summary>
    public Task AdvanceUntilPollsAsync(int count, TimeSpan? step = null, int maxSteps = 400)
        => Time.AdvanceUntilAsync(() => Server.PollRequestCount >= count, step ?? TimeSpan.FromSeconds(1), $"{count} poll(s) (saw {Server.PollRequestCount})", maxSteps);

    public Task AdvanceUntilAsync(Func<bool> condition, string what, TimeSpan? step = null, int maxSteps = 400)
        => Time.AdvanceUntilAsync(condition, step ?? TimeSpan.FromSeconds(1), what, maxSteps);

    /// <summary>Every log line, message and structured state, as text.</summary>
    public string AllLogText()
        => string.Join('\n', Logs.GetSnapshot().Select(r =>
            r.Message + " | " + string.Join(';', r.StructuredState?.Select(kv => kv.Key + "=" + kv.Value) ?? []) + " | " + r.Exception));

    protected override ValueTask DisposeMoreAsync() => _services.DisposeAsync();
}
