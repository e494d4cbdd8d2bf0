using System.Threading.Channels;
using FeatureFlags.DataSystem;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FeatureFlags.Redis.Internal;

/// <summary>
/// The writer side of the shared Redis store (<see cref="RedisStoreMode.Writer"/>), an <see cref="IPersistentFlagStore"/>:
/// <see cref="Save"/> only queues the committed set and returns; one background loop folds what is queued into the
/// current full state and writes it with its cursor in one version-checked script (<see cref="RedisLayout.WriteScript"/>),
/// which also publishes the change for daemons. While Redis is down the queue coalesces (a full set drops everything
/// before it; patches fold into one), so the backlog stays bounded and the newest state wins once Redis is back. Every
/// <see cref="FeatureFlagsRedisOptions.CheckInterval"/> the loop checks the stored version: a missing key (a flushed or
/// restarted Redis) is repopulated from memory, and current data is confirmed while this instance's live source is
/// <see cref="FeatureFlagsState.Ready"/>, so cold starts can resume from it.
/// </summary>
internal sealed partial class RedisFlagStore : IPersistentFlagStore, IDisposable
{
    /// <summary>How many queued sets are kept before they are folded into one (while Redis is slow or down).</summary>
    internal const int MaxQueued = 64;

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly RedisConnection _connection;
    private readonly FeatureFlagsRedisOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisFlagStore> _logger;
    private readonly IFeatureFlagsStatusProvider? _status;
    private readonly Lock _lock = new();
    private readonly List<FlagDataSet> _queued = [];
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stopping = new();

    // Owned by whoever holds _writeGate.
    private FlagDataSet? _state;
    private FlagDataSet? _delta;
    private bool _dirty;
    private bool _lossLogged;
    private long? _storedBase;
    private int _failures;
    private long _lastStored = -1;

    private string? _environmentId;
    private volatile bool _checkDue;
    private ITimer? _checkTimer;
    private Task? _loop;
    private int _started;
    private int _disposed;

    public RedisFlagStore(RedisConnection connection, IOptions<FeatureFlagsRedisOptions> options, TimeProvider time, ILogger<RedisFlagStore> logger, IFeatureFlagsStatusProvider? status = null)
    {
        _connection = connection;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _status = status;
    }

    /// <summary>The background loop (for tests).</summary>
    internal Task? Loop => _loop;

    /// <summary>The stored version this instance last wrote, confirmed or loaded; -1 before any (for tests).</summary>
    internal long StoredVersion => Interlocked.Read(ref _lastStored);

    /// <summary>How many committed sets wait for the background loop (for tests).</summary>
    internal int QueuedCount
    {
        get
        {
            lock (_lock)
            {
                return _queued.Count;
            }
        }
    }

    public override string ToString() => $"Redis ({_connection.Endpoints})";

    public async ValueTask<PersistedFlagData?> LoadAsync(string environmentId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(environmentId);
        Start(environmentId);
        var key = _connection.DataKey(environmentId);
        StoredState? stored;
        try
        {
            stored = await ReadAsync(key).WaitAsync(_options.LoadTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            var error = _connection.Redact(ex.Message);
            LogLoadFailed(_connection.Endpoints, _options.LoadTimeout, ex.GetType().Name, error);
            return null;
        }
        catch (System.Text.Json.JsonException ex)
        {
            LogUnreadable(key, ex.Message);
            return null;
        }

        if (stored is null)
        {
            LogNothingStored(_connection.Endpoints, key);
            return null;
        }

        var data = stored.Data;
        var confirmedAt = stored.ConfirmedAt;
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_state is null)
            {
                _state = data;
                SetStoredBase(stored.Version);
            }
        }
        finally
        {
            _writeGate.Release();
        }

        if (_logger.IsEnabled(LogLevel.Information))
        {
            var description = RedisLayout.Describe(data);
            var confirmed = confirmedAt?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "unknown";
            LogLoaded(description, _connection.Endpoints, key, confirmed);
        }

        return data.IsFull ? new PersistedFlagData(data, confirmedAt) : null;
    }

    public void Save(string environmentId, FlagDataSet data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (Volatile.Read(ref _disposed) == 1)
        {
            return;
        }

        Start(environmentId);
        lock (_lock)
        {
            if (data.IsFull)
            {
                _queued.Clear();
            }

            _queued.Add(data);
            if (_queued.Count >= MaxQueued)
            {
                // Redis is slow or down: fold the queue into one set (a full set, or one patch), newest versions winning.
                var folded = _queued[0];
                for (var i = 1; i < _queued.Count; i++)
                {
                    folded = folded.WithChanges(_queued[i]);
                }

                _queued.Clear();
                _queued.Add(folded);
            }
        }

        _signal.Writer.TryWrite(true);
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        bool queued;
        lock (_lock)
        {
            queued = _queued.Count > 0;
        }

        if ((!queued && !_dirty) || Volatile.Read(ref _disposed) == 1 || _environmentId is null)
        {
            return;
        }

        try
        {
            await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            await WriteAsync(check: false).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The host's stop wait is over; what is left is lost with the process (Redis keeps the last write).
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _stopping.Cancel();
        _signal.Writer.TryComplete();
        lock (_lock)
        {
            _checkTimer?.Dispose();
            _checkTimer = null;
        }
    }

    private void Start(string environmentId)
    {
        lock (_lock)
        {
            if (_environmentId is not null && !string.Equals(_environmentId, environmentId, StringComparison.Ordinal))
            {
                throw new InvalidOperationException("A Redis flag store serves one environment per client.");
            }

            _environmentId = environmentId;
        }

        if (Interlocked.Exchange(ref _started, 1) == 1)
        {
            return;
        }

        lock (_lock)
        {
            _checkTimer = _time.CreateTimer(
                static state =>
                {
                    var store = (RedisFlagStore)state!;
                    store._checkDue = true;
                    store._signal.Writer.TryWrite(true);
                },
                this,
                _options.CheckInterval,
                _options.CheckInterval);
        }

        _loop = Task.Run(RunAsync);
    }

    private async Task RunAsync()
    {
        var stopping = _stopping.Token;
        try
        {
            while (await _signal.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                _signal.Reader.TryRead(out _);
                bool ok;
                await _writeGate.WaitAsync(stopping).ConfigureAwait(false);
                try
                {
                    ok = await WriteAsync(check: _checkDue).ConfigureAwait(false);
                }
                finally
                {
                    _writeGate.Release();
                }

                if (!ok)
                {
                    // Queued sets keep coalescing meanwhile; the retry writes the newest state.
                    var delay = TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, FirstRetryDelay.Ticks << Math.Min(_failures - 1, 5)));
                    await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
                    _signal.Writer.TryWrite(true);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
        }
    }

    private async Task<StoredState?> ReadAsync(string key)
        => await RedisLayout.ReadAsync((await _connection.GetAsync().ConfigureAwait(false)).GetDatabase(), key).ConfigureAwait(false);
}
