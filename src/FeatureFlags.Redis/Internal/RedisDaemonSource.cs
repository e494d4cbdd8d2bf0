using System.Globalization;
using System.Threading.Channels;
using FeatureFlags.DataSystem;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FeatureFlags.Redis.Internal;

/// <summary>
/// The read-only (daemon) data source (<see cref="RedisStoreMode.Daemon"/>): opens no connection to FeatBit; subscribes to
/// the environment's change channel, then builds the snapshot from the stored full state, applies each change message
/// (a patch, or "full": reload), and every <see cref="FeatureFlagsRedisOptions.CheckInterval"/> (and when the connection
/// comes back) compares the stored version with its own, so a missed message heals itself. Reports
/// <see cref="FeatureFlagsState.Ready"/> while it is current, <see cref="FeatureFlagsState.Interrupted"/> with how fresh its
/// data is while Redis is unreachable or the data is missing; the snapshot keeps serving throughout.
/// </summary>
internal sealed partial class RedisDaemonSource : IFlagDataSource, IDisposable
{
    private readonly RedisConnection _connection;
    private readonly FeatureFlagsRedisOptions _options;
    private readonly string _environmentId;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisDaemonSource> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Channel<bool> _checks = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    // Owned by whoever holds _gate.
    private IFlagDataSourceUpdates? _updates;
    private long _version = -1;
    private DateTimeOffset? _asOf;
    private bool _current;
    private bool _lossLogged;
    private bool _unreachableLogged;
    private ChannelMessageQueue? _subscription;
    private ConnectionMultiplexer? _hooked;

    public RedisDaemonSource(RedisConnection connection, IOptions<FeatureFlagsRedisOptions> options, IOptions<FeatureFlagsOptions> clientOptions, TimeProvider time, ILogger<RedisDaemonSource> logger)
    {
        _connection = connection;
        _options = options.Value;
        _environmentId = EnvironmentIdentity.Of(clientOptions.Value.EnvSecret ?? string.Empty);
        _time = time;
        _logger = logger;
    }

    /// <summary>The version of the data this source committed last; -1 before any (for tests).</summary>
    internal long Version => Volatile.Read(ref _version);

    private string Key => _connection.DataKey(_environmentId);

    private string KeyText => Key;

    public override string ToString() => $"Redis ({_connection.Endpoints})";

    public void Dispose() => _gate.Dispose();

    public async Task RunAsync(IFlagDataSourceUpdates updates, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(updates);
        _updates = updates;
        updates.SetDataSource(FlagDataSourceNames.Redis);
        LogDaemon(_connection.Endpoints, KeyText);
        using var timer = _time.CreateTimer(static state => ((RedisDaemonSource)state!)._checks.Writer.TryWrite(true), this, _options.CheckInterval, _options.CheckInterval);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await CheckAsync(stoppingToken).ConfigureAwait(false);
                await _checks.Reader.ReadAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await UnsubscribeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Runs a version check now (for tests: the periodic one runs on the clock).</summary>
    internal Task CheckNowAsync() => CheckAsync(CancellationToken.None);

    /// <summary>Connects and subscribes if needed, then reloads when the stored version differs from the committed one.</summary>
    private async Task CheckAsync(CancellationToken stopping)
    {
        await _gate.WaitAsync(stopping).ConfigureAwait(false);
        try
        {
            var connection = await _connection.GetAsync().WaitAsync(stopping).ConfigureAwait(false);
            Hook(connection);
            if (_subscription is null)
            {
                // Subscribed before the read: a change written in between is seen by one or the other.
                _subscription = await connection.GetSubscriber().SubscribeAsync(_connection.ChangesChannel(_environmentId)).WaitAsync(stopping).ConfigureAwait(false);
                _subscription.OnMessage(OnMessageAsync);
            }

            var stored = await connection.GetDatabase().HashGetAsync(Key, "version").WaitAsync(stopping).ConfigureAwait(false);
            if (stored.IsNull || !stored.TryParse(out long version) || version != _version)
            {
                await ReloadAsync(connection.GetDatabase()).WaitAsync(stopping).ConfigureAwait(false);
            }
            else
            {
                Current();
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            Unreachable(ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Reads data, patches and cursor in one script and commits the state as a full set.</summary>
    private async Task ReloadAsync(IDatabase db)
    {
        StoredState? stored;
        try
        {
            stored = await RedisLayout.ReadAsync(db, Key).ConfigureAwait(false);
        }
        catch (System.Text.Json.JsonException ex)
        {
            LogUnreadable(KeyText, ex.Message);
            _updates!.UpdateStatus(FeatureFlagsState.Interrupted, $"The flag data in Redis under {Key} cannot be read; serving {AsOfText()}.");
            _current = false;
            return;
        }

        if (stored is null)
        {
            Missing();
            return;
        }

        _updates!.Apply(stored.Data);
        Volatile.Write(ref _version, stored.Version);
        _asOf = stored.ConfirmedAt ?? _time.GetUtcNow();
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var description = RedisLayout.Describe(stored.Data);
            LogLoaded(description);
        }

        Current();
    }

    private async Task OnMessageAsync(ChannelMessage message)
    {
        var updates = _updates;
        if (updates is null)
        {
            return;
        }

        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!RedisLayout.TryParseMessage(message.Message, out var version, out var baseVersion, out var patch))
            {
                LogBadMessage();
                await ReloadAsync((await _connection.GetAsync().ConfigureAwait(false)).GetDatabase()).ConfigureAwait(false);
                return;
            }

            if (version <= _version && _current)
            {
                return; // already have it (the check read it first)
            }

            if (baseVersion is { } b && b <= _version && _version >= 0)
            {
                updates.Apply(FlagDataSet.Parse(patch.Span));
                Volatile.Write(ref _version, Math.Max(_version, version));
                _asOf = _time.GetUtcNow();
                Current();
                return;
            }

            await ReloadAsync((await _connection.GetAsync().ConfigureAwait(false)).GetDatabase()).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException or System.Text.Json.JsonException)
        {
            // The next check (periodic, or when the connection is back) reloads.
            var error = _connection.Redact(ex.Message);
            LogMessageFailed(ex.GetType().Name, error);
            _checks.Writer.TryWrite(true);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void Current()
    {
        if (_unreachableLogged || _lossLogged)
        {
            LogCurrentAgain(_connection.Endpoints);
        }

        _unreachableLogged = false;
        _lossLogged = false;
        if (!_current)
        {
            _current = true;
            _updates!.UpdateStatus(FeatureFlagsState.Ready);
        }
    }

    private void Missing()
    {
        _current = false;
        if (_version < 0)
        {
            if (!_lossLogged)
            {
                _lossLogged = true;
                LogNothingStored(_connection.Endpoints, KeyText);
            }

            _updates!.UpdateStatus(FeatureFlagsState.Interrupted, $"Redis ({_connection.Endpoints}) holds no flag data under {Key} yet: no writer has synced this environment; waiting for one.");
            return;
        }

        if (!_lossLogged)
        {
            _lossLogged = true;
            var asOf = AsOfText();
            LogStoreLost(_connection.Endpoints, KeyText, asOf);
        }

        _updates!.UpdateStatus(FeatureFlagsState.Interrupted, $"The flag data in Redis ({_connection.Endpoints}) under {Key} is missing (flushed, or the server restarted empty); serving {AsOfText()} until a writer repopulates it.");
    }

    private void Unreachable(Exception ex)
    {
        _current = false;
        var error = _connection.Redact(ex.Message);
        if (!_unreachableLogged)
        {
            _unreachableLogged = true;
            var asOf = AsOfText();
            LogUnreachable(_connection.Endpoints, ex.GetType().Name, error, asOf);
        }

        _updates!.UpdateStatus(FeatureFlagsState.Interrupted, $"Redis ({_connection.Endpoints}) is unreachable ({ex.GetType().Name}); serving {AsOfText()}.");
    }

    private string AsOfText() => _asOf is { } at
        ? string.Create(CultureInfo.InvariantCulture, $"flag data as of {at.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC")
        : "no flag data yet";

    /// <summary>Checks at once when the connection fails or comes back (messages sent meanwhile were lost).</summary>
    private void Hook(ConnectionMultiplexer connection)
    {
        if (ReferenceEquals(_hooked, connection))
        {
            return;
        }

        _hooked = connection;
        connection.ConnectionRestored += (_, _) => _checks.Writer.TryWrite(true);
        connection.ConnectionFailed += (_, _) => _checks.Writer.TryWrite(true);
    }

    private async Task UnsubscribeAsync()
    {
        if (_subscription is { } subscription)
        {
            _subscription = null;
            try
            {
                await subscription.UnsubscribeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                // The connection is going away with the client.
            }
        }
    }
}
