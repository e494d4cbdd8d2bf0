using FeatureFlags.DataSystem;
using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Redis;
using FeatureFlags.Redis.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks.Redis;

/// <summary>One app instance for the Redis measurements: a real data system with a writer store or the daemon source.</summary>
internal sealed class RedisNode : IAsyncDisposable
{
    private RedisNode(FeatureFlagsOptions options, string redis, RedisStoreMode? mode, Func<IOptions<FeatureFlagsOptions>, IFlagDataSource>? source)
    {
        var wrapped = Options.Create(options);
        Store = new FlagStore(wrapped, NullLogger<FlagStore>.Instance);
        Status = new StatusProvider(TimeProvider.System, NullLogger<StatusProvider>.Instance);
        Client = new FeatureFlagClient(Store, wrapped);
        IPersistentFlagStore? persistent = null;
        if (mode is { } m)
        {
            var redisOptions = Options.Create(new FeatureFlagsRedisOptions { ConnectionString = redis, Mode = m });
            Connection = new RedisConnection(redisOptions);
            if (m == RedisStoreMode.Writer)
            {
                persistent = Writer = new RedisFlagStore(Connection, redisOptions, TimeProvider.System, NullLogger<RedisFlagStore>.Instance, Status);
            }
            else
            {
                source = _ => new RedisDaemonSource(Connection, redisOptions, wrapped, TimeProvider.System, NullLogger<RedisDaemonSource>.Instance);
            }
        }

        Service = new FlagDataSystem(wrapped, Store, Status, TimeProvider.System, NullLogger<FlagDataSystem>.Instance, source!(wrapped), persistent, eventsOverHttp: false);
    }

    public FlagStore Store { get; }

    public StatusProvider Status { get; }

    public FeatureFlagClient Client { get; }

    public FlagDataSystem Service { get; }

    public RedisConnection? Connection { get; }

    public RedisFlagStore? Writer { get; }

    public static FeatureFlagsOptions Options0(string secret, Uri? streaming = null) => new()
    {
        EnvSecret = secret,
        StartWaitTime = TimeSpan.Zero,
        Events = { Enabled = false },
        Streaming = { Uri = streaming ?? new Uri("ws://127.0.0.1:1/") },
        DataSync = DataSyncMode.Streaming,
    };

    /// <summary>A streaming instance, with the Redis writer store when <paramref name="redis"/> is set.</summary>
    public static RedisNode Streaming(string secret, Uri streaming, string? redis)
        => new(Options0(secret, streaming), redis ?? string.Empty, redis is null ? null : RedisStoreMode.Writer,
            o => new StreamingDataSource(o, new ConnectionTokenProvider(TimeProvider.System), TimeProvider.System, NullLoggerFactory.Instance));

    /// <summary>A writer whose live source the caller drives (<see cref="ManualSource"/>).</summary>
    public static RedisNode ManualWriter(string secret, string redis, ManualSource source)
        => new(Options0(secret), redis, RedisStoreMode.Writer, _ => source);

    public static RedisNode Daemon(string secret, string redis) => new(Options0(secret), redis, RedisStoreMode.Daemon, null);

    public async ValueTask DisposeAsync()
    {
        await Service.StopAsync(CancellationToken.None);
        Service.Dispose();
        if (Connection is not null)
        {
            await Connection.DisposeAsync();
        }

        Store.Dispatcher.Dispose();
    }
}

/// <summary>A live source driven by the measurement: it hands over the data system's updates.</summary>
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
