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

    public override string ToString() => $"Redis ({_connection.Endpoints})";

    public async ValueTask<PersistedFlagData?> LoadAsync(string environmentId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(environmentId);
        Start(environmentId);
        var key = _connection.DataKey(environmentId);
        RedisValue[] values;
        try
        {
            values = await ReadAsync(key).WaitAsync(_options.LoadTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            var error = _connection.Redact(ex.Message);
            LogLoadFailed(_connection.Endpoints, _options.LoadTimeout, ex.GetType().Name, error);
            return null;
        }

        if (values[0].IsNull)
        {
            LogNothingStored(_connection.Endpoints, key);
            return null;
        }

        FlagDataSet data;
        try
        {
            data = FlagDataSet.Parse((byte[])values[0]!);
        }
        catch (System.Text.Json.JsonException ex)
        {
            LogUnreadable(key, ex.Message);
            return null;
        }

        var confirmedAt = RedisLayout.ParseMilliseconds(values[2]);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_state is null)
            {
                _state = data;
                SetStoredBase(values[1].TryParse(out long stored) ? stored : data.Version);
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

    /// <summary>Folds the queue, runs the periodic check if due, and writes the state if it changed. False when Redis failed.</summary>
    private async Task<bool> WriteAsync(bool check)
    {
        Fold();
        if (_state is null || _environmentId is not { } environmentId)
        {
            return true;
        }

        var key = _connection.DataKey(environmentId);
        try
        {
            var db = (await _connection.GetAsync().ConfigureAwait(false)).GetDatabase();
            if (check)
            {
                _checkDue = false;
                await CheckAsync(db, key).ConfigureAwait(false);
            }

            if (_dirty)
            {
                await WriteStateAsync(db, key, environmentId).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            if (check)
            {
                _checkDue = true;
            }

            if (_failures++ == 0)
            {
                var error = _connection.Redact(ex.Message);
                LogWriteFailed(_connection.Endpoints, ex.GetType().Name, error);
            }

            return false;
        }

        if (_failures > 0)
        {
            LogWritingAgain(_connection.Endpoints, _failures);
            _failures = 0;
        }

        return true;
    }

    private void Fold()
    {
        List<FlagDataSet> queued;
        lock (_lock)
        {
            if (_queued.Count == 0)
            {
                return;
            }

            queued = [.. _queued];
            _queued.Clear();
        }

        foreach (var data in queued)
        {
            if (data.IsFull)
            {
                _state = data;
                _delta = null;
                _storedBase = null; // readers reload a full state
                _dirty = true;
            }
            else if (_state is null)
            {
                LogPatchWithoutState();
            }
            else
            {
                _state = _state.WithChanges(data);
                _delta = _delta is null ? data : _delta.WithChanges(data);
                _dirty = true;
            }
        }
    }

    private async Task CheckAsync(IDatabase db, string key)
    {
        var ready = _status?.Current.State == FeatureFlagsState.Ready;
        var result = (long)await db.ScriptEvaluateAsync(
            RedisLayout.CheckScript,
            [key],
            [_state!.Version, RedisLayout.Milliseconds(_time.GetUtcNow()), ready && !_dirty ? "1" : "0"]).ConfigureAwait(false);
        if (result < 0)
        {
            if (!_lossLogged)
            {
                _lossLogged = true;
                var description = RedisLayout.Describe(_state);
                LogStoreLost(_connection.Endpoints, key, description);
            }

            _storedBase = null;
            _delta = null;
            _dirty = true;
        }
        else if (result < _state.Version)
        {
            _storedBase = result;
            _dirty = true;
        }
    }

    private async Task WriteStateAsync(IDatabase db, string key, string environmentId)
    {
        var started = _time.GetTimestamp();
        var state = _state!;
        var patch = _delta is { } delta && _storedBase is { } storedBase ? (storedBase, delta.ToUtf8Json()) : ((long, byte[])?)null;
        var result = (RedisResult[])(await db.ScriptEvaluateAsync(
            RedisLayout.WriteScript,
            [key, (RedisKey)_connection.ChangesChannel(environmentId).ToString()],
            [
                state.Version,
                state.ToUtf8Json(),
                RedisLayout.Milliseconds(_time.GetUtcNow()),
                patch is { } p ? p.Item1 : RedisValue.EmptyString,
                patch is { } q ? q.Item2 : RedisValue.EmptyString,
            ]).ConfigureAwait(false))!;
        var outcome = (int)result[0];
        var stored = (long)result[1];
        _dirty = false;
        _delta = null;
        _lossLogged = false;
        SetStoredBase(Math.Max(stored, state.Version));
        if (outcome == 0)
        {
            LogNewerStored(stored, state.Version);
        }
        else if (_logger.IsEnabled(LogLevel.Debug))
        {
            var description = RedisLayout.Describe(state);
            var elapsed = _time.GetElapsedTime(started).TotalMilliseconds;
            LogWritten(description, outcome == 1 ? "written" : "unchanged (confirmed)", elapsed);
        }
    }

    private void SetStoredBase(long version)
    {
        _storedBase = version;
        Interlocked.Exchange(ref _lastStored, version);
    }

    private async Task<RedisValue[]> ReadAsync(string key)
        => await (await _connection.GetAsync().ConfigureAwait(false)).GetDatabase().HashGetAsync(key, RedisLayout.ReadFields).ConfigureAwait(false);
}
