using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Sync.Internal.Polling;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.Polling;

/// <summary>
/// A real data system with the real <see cref="PollingDataSource"/> (its named HttpClient from the SDK's own
/// registration) against the in-process FeatBit fake, both on one <see cref="FakeTimeProvider"/>.
/// </summary>
internal sealed class PollingHarness : IAsyncDisposable
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);
    private readonly ServiceProvider _services;

    private PollingHarness(FakeFeatBitServer server, FakeTimeProvider time, FeatureFlagsOptions options)
    {
        Server = server;
        Time = time;
        Options = options;
        Logs = new FakeLogCollector();
        var wrapped = Microsoft.Extensions.Options.Options.Create(options);
        var collection = new ServiceCollection();
        collection.AddSingleton(wrapped);
        collection.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(Logs)));
        collection.AddFeatureFlagPolling();
        _services = collection.BuildServiceProvider();
        var loggerFactory = _services.GetRequiredService<ILoggerFactory>();
        var dispatcher = new FeatureFlags.Internal.NotificationDispatcher(loggerFactory.CreateLogger<FeatureFlags.Internal.NotificationDispatcher>());
        Store = new FlagStore(wrapped, loggerFactory.CreateLogger<FlagStore>(), dispatcher: dispatcher);
        Status = new StatusProvider(time, loggerFactory.CreateLogger<StatusProvider>(), dispatcher);
        Client = new FeatureFlagClient(Store, wrapped, logger: loggerFactory.CreateLogger<FeatureFlagClient>());
        Source = new PollingDataSource(_services.GetRequiredService<IHttpClientFactory>(), wrapped, time, loggerFactory.CreateLogger<PollingDataSource>());
        Service = new FlagDataSystem(wrapped, Store, Status, time, loggerFactory.CreateLogger<FlagDataSystem>(), Source);
    }

    public FakeFeatBitServer Server { get; }

    public FakeTimeProvider Time { get; }

    public FeatureFlagsOptions Options { get; }

    public FakeLogCollector Logs { get; }

    public FlagStore Store { get; }

    public StatusProvider Status { get; }

    public FeatureFlagClient Client { get; }

    public FlagDataSystem Service { get; }

    public PollingDataSource Source { get; }

    public static async Task<PollingHarness> CreateAsync(Action<FeatureFlagsOptions>? configure = null)
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var server = await FakeFeatBitServer.StartAsync(time);
        var options = new FeatureFlagsOptions
        {
            EnvSecret = server.Secret,
            DataSync = DataSyncMode.Polling,
            Streaming = { Uri = server.StreamingUri },
            Polling = { Interval = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(10) },
            StartWaitTime = TimeSpan.Zero,
        };
        configure?.Invoke(options);
        return new PollingHarness(server, time, options);
    }

    public Task<bool> WaitReadyAsync() => Status.WaitForReadyAsync(Timeout.InfiniteTimeSpan).WaitAsync(EventTimeout);

    public async Task StartAndSyncAsync()
    {
        await Service.StartAsync(CancellationToken.None);
        Assert.True(await WaitReadyAsync(), "not ready");
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

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(EventTimeout);
        await Service.StopAsync(timeout.Token);
        Service.Dispose();
        Store.Dispatcher.Dispose();
        await Server.DisposeAsync();
        await _services.DisposeAsync();
    }
}
