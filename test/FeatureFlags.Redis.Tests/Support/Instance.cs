using FeatureFlags.DataSystem;
using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Redis.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Redis.Tests.Support;

/// <summary>
/// One app instance of a fleet: a real data system (store, status, client) with a Redis writer store or the Redis
/// daemon source, its own Redis connection (as a separate process would have), and a shared fake clock.
/// </summary>
internal sealed class Instance : IAsyncDisposable
{
    public static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(30);

    private readonly ILoggerFactory _loggerFactory;

    private Instance(FakeTimeProvider time, FeatureFlagsOptions options, FeatureFlagsRedisOptions redisOptions, Func<Instance, IFlagDataSource> source, bool writer)
    {
        Time = time;
        Options = options;
        _loggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(Logs)));
        var wrapped = Microsoft.Extensions.Options.Options.Create(options);
        var dispatcher = new FeatureFlags.Internal.NotificationDispatcher(_loggerFactory.CreateLogger<FeatureFlags.Internal.NotificationDispatcher>());
        Store = new FlagStore(wrapped, _loggerFactory.CreateLogger<FlagStore>(), dispatcher: dispatcher);
        Status = new StatusProvider(time, _loggerFactory.CreateLogger<StatusProvider>(), dispatcher);
        Client = new FeatureFlagClient(Store, wrapped, logger: _loggerFactory.CreateLogger<FeatureFlagClient>());
        Connection = new RedisConnection(Microsoft.Extensions.Options.Options.Create(redisOptions));
        var redis = Microsoft.Extensions.Options.Options.Create(redisOptions);
        if (writer)
        {
            Writer = new RedisFlagStore(Connection, redis, time, _loggerFactory.CreateLogger<RedisFlagStore>(), Status);
        }
        else
        {
            Daemon = new RedisDaemonSource(Connection, redis, wrapped, time, _loggerFactory.CreateLogger<RedisDaemonSource>());
        }

        Service = new FlagDataSystem(wrapped, Store, Status, time, _loggerFactory.CreateLogger<FlagDataSystem>(), Daemon ?? source(this), Writer);
    }

    public FakeTimeProvider Time { get; }

    public FeatureFlagsOptions Options { get; }

    public FakeLogCollector Logs { get; } = new();

    public FlagStore Store { get; }

    public StatusProvider Status { get; }

    public FeatureFlagClient Client { get; }

    public FlagDataSystem Service { get; }

    public RedisConnection Connection { get; }

    public RedisFlagStore? Writer { get; }

    public RedisDaemonSource? Daemon { get; }

    public ILoggerFactory LoggerFactory => _loggerFactory;

    public static FeatureFlagsRedisOptions RedisOptions(RedisServer redis, RedisStoreMode mode, string prefix = "featureflags") => new()
    {
        ConnectionString = redis.ConnectionString,
        KeyPrefix = prefix,
        Mode = mode,
        CheckInterval = CheckInterval,
    };

    /// <summary>A writer whose live source is <paramref name="source"/> (a <see cref="ManualSource"/> by default).</summary>
    public static Instance CreateWriter(RedisServer redis, FakeTimeProvider time, string secret = FakeFeatBitServer.DefaultSecret, Func<Instance, IFlagDataSource>? source = null, string prefix = "featureflags", Action<FeatureFlagsOptions>? configure = null)
    {
        var options = NewOptions(secret);
        configure?.Invoke(options);
        return new Instance(time, options, RedisOptions(redis, RedisStoreMode.Writer, prefix), source ?? (static _ => new ManualSource()), writer: true);
    }

    /// <summary>A writer that streams from the fake FeatBit server.</summary>
    public static Instance CreateStreamingWriter(RedisServer redis, FakeTimeProvider time, FakeFeatBitServer server)
        => CreateWriter(
            redis, time, server.Secret,
            instance => new StreamingDataSource(Microsoft.Extensions.Options.Options.Create(instance.Options), new ConnectionTokenProvider(time), time, instance.LoggerFactory),
            configure: o => o.Streaming.Uri = server.StreamingUri);

    public static Instance CreateDaemon(RedisServer redis, FakeTimeProvider time, string secret = FakeFeatBitServer.DefaultSecret, string prefix = "featureflags")
        => new(time, NewOptions(secret), RedisOptions(redis, RedisStoreMode.Daemon, prefix), static _ => throw new InvalidOperationException(), writer: false);

    public ManualSource Manual => (ManualSource)Service.Source!;

    public Task StartAsync() => Service.StartAsync(CancellationToken.None);

    /// <summary>Starts a writer with a manual source and returns the source's updates.</summary>
    public async Task<IFlagDataSourceUpdates> StartManualAsync()
    {
        await StartAsync();
        return await Manual.Updates.WaitAsync(EventTimeout);
    }

    public Task<bool> WaitReadyAsync() => Status.WaitForReadyAsync(Timeout.InfiniteTimeSpan).WaitAsync(EventTimeout);

    /// <summary>Waits (bounded) until the store commits a change that satisfies <paramref name="condition"/>.</summary>
    public async Task WaitForAsync(Func<bool> condition, string what)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(object? sender, FlagsChangedEventArgs e)
        {
            if (condition())
            {
                tcs.TrySetResult();
            }
        }

        Store.FlagsChanged += Handler;
        try
        {
            if (!condition())
            {
                await tcs.Task.WaitAsync(EventTimeout).ContinueWith(t => Assert.True(t.IsCompletedSuccessfully, $"Timed out waiting for: {what}"), TaskScheduler.Default);
            }
        }
        finally
        {
            Store.FlagsChanged -= Handler;
        }
    }

    /// <summary>Waits (bounded) until the status satisfies <paramref name="condition"/>.</summary>
    public async Task WaitForStatusAsync(Func<FeatureFlagsStatus, bool> condition, string what)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(object? sender, FeatureFlagsStatus e)
        {
            if (condition(Status.Current))
            {
                tcs.TrySetResult();
            }
        }

        Status.StatusChanged += Handler;
        try
        {
            if (!condition(Status.Current))
            {
                var finished = await Task.WhenAny(tcs.Task, Task.Delay(EventTimeout, TimeProvider.System));
                Assert.True(finished == tcs.Task || condition(Status.Current), $"Timed out waiting for: {what}; status is {Status.Current.State}: {Status.Current.LastError}");
            }
        }
        finally
        {
            Status.StatusChanged -= Handler;
        }
    }

    public bool Flag(string key) => Client.BoolVariation(key, FlagUser.Create("u1"), defaultValue: false);

    public int LogCount(int eventId) => Logs.GetSnapshot().Count(r => r.Id.Id == eventId);

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(EventTimeout);
        await Service.StopAsync(timeout.Token);
        Service.Dispose();
        Daemon?.Dispose();
        Store.Dispatcher.Dispose();
        await Connection.DisposeAsync();
        _loggerFactory.Dispose();
    }

    private static FeatureFlagsOptions NewOptions(string secret) => new()
    {
        EnvSecret = secret,
        StartWaitTime = TimeSpan.Zero,
        Events = { Enabled = false },
    };
}

/// <summary>A live source the test drives: it hands over the data system's updates and runs until stopped.</summary>
internal sealed class ManualSource : IFlagDataSource
{
    private readonly TaskCompletionSource<IFlagDataSourceUpdates> _updates = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<IFlagDataSourceUpdates> Updates => _updates.Task;

    public async Task RunAsync(IFlagDataSourceUpdates updates, CancellationToken stoppingToken)
    {
        _updates.TrySetResult(updates);
        await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
