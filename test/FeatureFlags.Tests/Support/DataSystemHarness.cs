using FeatureFlags.DataSystem;
using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.Support;

/// <summary>
/// A real data system (store, status and client sharing one notification dispatcher) around a live data source,
/// against the in-process FeatBit server, with time driven by a <see cref="FakeTimeProvider"/> shared by both sides.
/// The streaming and polling harnesses differ only in the source they build.
/// </summary>
internal abstract class DataSystemHarness : IAsyncDisposable
{
    protected static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);

    protected DataSystemHarness(
        FakeFeatBitServer server, FakeTimeProvider time, FeatureFlagsOptions options, FakeLogCollector logs, ILoggerFactory loggerFactory,
        Func<IOptions<FeatureFlagsOptions>, IFlagDataSource> source, IPersistentFlagStore? persistent = null, FeatureFlags.Telemetry.Internal.FeatureFlagsMetrics? metrics = null)
    {
        Server = server;
        Time = time;
        Options = options;
        Logs = logs;
        var wrapped = Microsoft.Extensions.Options.Options.Create(options);
        var dispatcher = new FeatureFlags.Internal.NotificationDispatcher(loggerFactory.CreateLogger<FeatureFlags.Internal.NotificationDispatcher>());
        Store = new FlagStore(wrapped, loggerFactory.CreateLogger<FlagStore>(), dispatcher: dispatcher);
        Status = new StatusProvider(time, loggerFactory.CreateLogger<StatusProvider>(), dispatcher);
        Client = new FeatureFlagClient(Store, wrapped, logger: loggerFactory.CreateLogger<FeatureFlagClient>());
        Service = new FlagDataSystem(wrapped, Store, Status, time, loggerFactory.CreateLogger<FlagDataSystem>(), source(wrapped), persistent, metrics: metrics);
    }

    public FakeFeatBitServer Server { get; }

    public FakeTimeProvider Time { get; }

    public FeatureFlagsOptions Options { get; }

    public FakeLogCollector Logs { get; }

    public FlagStore Store { get; }

    public StatusProvider Status { get; }

    public FeatureFlagClient Client { get; }

    public FlagDataSystem Service { get; }

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

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(EventTimeout);
        await Service.StopAsync(timeout.Token);
        Service.Dispose();
        Store.Dispatcher.Dispose();
        await Server.DisposeAsync();
        await DisposeMoreAsync();
    }

    /// <summary>What a harness owns beyond the data system and the server.</summary>
    protected virtual ValueTask DisposeMoreAsync() => ValueTask.CompletedTask;
}
