using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.Sync;

/// <summary>
/// A real sync service against a real in-process FeatBit-protocol server, with time (backoff, pings, start wait)
/// driven by a <see cref="FakeTimeProvider"/> shared by both sides.
/// </summary>
internal sealed class SyncHarness : IAsyncDisposable
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);

    private SyncHarness(FakeFeatBitServer server, FakeTimeProvider time, FeatureFlagsOptions options)
    {
        Server = server;
        Time = time;
        Options = options;
        Logs = new FakeLogCollector();
        var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(Logs)));
        Store = new FlagStore(Microsoft.Extensions.Options.Options.Create(options), loggerFactory.CreateLogger<FlagStore>());
        Status = new StatusProvider(time, loggerFactory.CreateLogger<StatusProvider>());
        Client = new FeatureFlagClient(Store, Microsoft.Extensions.Options.Options.Create(options), logger: loggerFactory.CreateLogger<FeatureFlagClient>());
        Source = new StreamingDataSource(Microsoft.Extensions.Options.Options.Create(options), new ConnectionTokenProvider(time), time, loggerFactory);
        var persistent = options.CacheFile is null ? null : new FeatureFlags.Cache.Internal.FileFlagStore(Microsoft.Extensions.Options.Options.Create(options), time, loggerFactory.CreateLogger<FeatureFlags.Cache.Internal.FileFlagStore>());
        Service = new FlagDataSystem(Microsoft.Extensions.Options.Options.Create(options), Store, Status, time, loggerFactory.CreateLogger<FlagDataSystem>(), Source, persistent);
    }

    public FakeFeatBitServer Server { get; }

    public FakeTimeProvider Time { get; }

    public FeatureFlagsOptions Options { get; }

    public FakeLogCollector Logs { get; }

    public FlagStore Store { get; }

    public StatusProvider Status { get; }

    public FeatureFlagClient Client { get; }

    public FlagDataSystem Service { get; }

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
        return new SyncHarness(server, time, options);
    }

    /// <summary>Waits (bounded, real time) until the store commits a change.</summary>
    public Task<FlagsChangedEventArgs> NextChangeAsync()
    {
        var tcs = new TaskCompletionSource<FlagsChangedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(object? sender, FlagsChangedEventArgs e)
        {
            Store.FlagsChanged -= Handler;
            tcs.TrySetResult(e);
        }

        Store.FlagsChanged += Handler;
        return tcs.Task.WaitAsync(EventTimeout);
    }

    public Task<bool> WaitReadyAsync() => Status.WaitForReadyAsync(Timeout.InfiniteTimeSpan).WaitAsync(EventTimeout);

    public async Task StartAndSyncAsync()
    {
        await Service.StartAsync(CancellationToken.None);
        Assert.True(await WaitReadyAsync(), "not ready");
    }

    /// <summary>
    /// Advances fake time in steps until <paramref name="condition"/> holds: backoff timers are created asynchronously
    /// after a failure, so each step gives the loop a moment (real time, bounded) to arm the next timer.
    /// </summary>
    public Task AdvanceUntilAsync(Func<bool> condition, TimeSpan step, string what, int maxSteps = 200)
        => Time.AdvanceUntilAsync(condition, step, what, maxSteps);

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(EventTimeout);
        await Service.StopAsync(timeout.Token);
        Service.Dispose();
        await Server.DisposeAsync();
    }
}
