using FeatureFlags.Bootstrap.Internal;
using FeatureFlags.Events.Internal;
using FeatureFlags.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Sync.Internal.Polling;
using FeatureFlags.Telemetry.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeatureFlags.DataSystem.Internal;

/// <summary>
/// The client's data system: the one owner of flag data and status. At start it loads the bootstrap file, then the
/// persistent store, then runs the live data source; it is the only writer of <see cref="StatusProvider"/> and the
/// only path from a data source to the <see cref="FlagStore"/>.
/// </summary>
/// <remarks>
/// <para>Status rules: a bootstrap file makes an offline client <see cref="FeatureFlagsState.Ready"/> (online, it only
/// seeds the store: it is not the server's data). A persistent store's copy is served as
/// <see cref="FeatureFlagsState.Interrupted"/> until the live source has committed a full data set. The live source
/// alone reports Ready, and only after committing complete data.</para>
/// <para>The cursor handed to the live source is 0 until the live source itself committed a full data set: data
/// from a file or a store may lack deletions made meanwhile, so the first sync after a cold start reconciles
/// everything.</para>
/// <para>Per instance, no static state: several clients may live in one process.</para>
/// </remarks>
internal sealed partial class FlagDataSystem : IHostedService, IFlagDataSourceUpdates, IDisposable
{
    private readonly FeatureFlagsOptions _options;
    private readonly FlagStore _store;
    private readonly StatusProvider _status;
    private readonly TimeProvider _time;
    private readonly ILogger<FlagDataSystem> _logger;
    private readonly IFlagDataSource? _source;
    private readonly IPersistentFlagStore? _persistent;
    private readonly BootstrapFileSource? _bootstrap;
    private readonly bool _eventsOverHttp;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private string? _environmentId;
    private bool _confirmed;
    private int _started;
    private int _disposed;
    private Task? _loop;

    public FlagDataSystem(
        IOptions<FeatureFlagsOptions> options,
        FlagStore store,
        StatusProvider status,
        TimeProvider time,
        ILogger<FlagDataSystem> logger,
        IFlagDataSource? source,
        IPersistentFlagStore? persistent = null,
        BootstrapFileSource? bootstrap = null,
        bool eventsOverHttp = true,
        FeatureFlagsMetrics? metrics = null)
    {
        _eventsOverHttp = eventsOverHttp;
        _options = options.Value;
        _store = store;
        _status = status;
        _time = time;
        _logger = logger;
        _source = _options.Offline ? null : source;
        _persistent = _options.Offline ? null : persistent;
        _bootstrap = bootstrap;
        metrics?.ObserveTransport(() => _status.Current.DataSource);
        if (bootstrap is not null)
        {
            bootstrap.Applied += OnBootstrapApplied;
            bootstrap.FileErrorChanged += _status.SetBootstrapFileError;
        }
    }

    /// <summary>The running live source (for tests).</summary>
    internal Task? Loop => _loop;

    /// <summary>The live data source, or null offline (for tests).</summary>
    internal IFlagDataSource? Source => _source;

    /// <inheritdoc/>
    public long Cursor
    {
        get
        {
            lock (_lock)
            {
                return _confirmed ? _store.Version : 0;
            }
        }
    }

    private string EnvironmentId => _environmentId ??= EnvironmentIdentity.Of(_options.EnvSecret ?? string.Empty);

    /// <summary>
    /// Whether <paramref name="uri"/> sends what it carries in clear text to another machine: <c>ws://</c> or
    /// <c>http://</c> to a host that is not loopback (<c>localhost</c>, 127.0.0.0/8, ::1).
    /// </summary>
    internal static bool IsCleartextToRemoteHost(Uri uri)
        => uri is { IsAbsoluteUri: true, Scheme: "ws" or "http" } && !uri.IsLoopback;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) == 1)
        {
            return;
        }

        // 1. The bootstrap file seeds the store; offline, it is the only source and nothing connects.
        _bootstrap?.Start();
        if (_options.Offline)
        {
            if (string.IsNullOrWhiteSpace(_options.BootstrapFile))
            {
                _status.Set(FeatureFlagsState.Initializing, "Offline mode without FeatureFlags:BootstrapFile: there are no flags to serve.");
            }

            _status.SetDataSource(FlagDataSourceNames.BootstrapFile);
            LogOffline();
            return;
        }

        WarnOnCleartext();

        // 2. The persistent store's copy (the server's own data, maybe old) replaces the seed until the live source answers.
        await LoadPersistentAsync(cancellationToken).ConfigureAwait(false);

        // 3. The live source.
        if (_source is null)
        {
            return;
        }

        _status.SetDataSource(NameOf(_source));
        _loop = Task.Run(() => RunSourceAsync(_source, _stopping.Token), CancellationToken.None);
        if (_options.StartWaitTime <= TimeSpan.Zero)
        {
            return;
        }

        // Off means the source stopped (a rejected secret, already logged with its causes): not a slow start.
        if (!await _status.WaitForReadyAsync(_options.StartWaitTime, cancellationToken).ConfigureAwait(false)
            && _status.Current.State != FeatureFlagsState.Off)
        {
            LogNotReadyAfterStartWait(_options.StartWaitTime, LogText.Escape(_status.Current.LastError ?? "no data yet"));
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _bootstrap?.Dispose();
        if (_loop is not null)
        {
            // The source closes its connection within its own bound; the host's token bounds the wait in any case.
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (_persistent is not null)
        {
            try
            {
                await _persistent.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogPersistentStoreFailed("flush", ex.GetType().Name, LogText.Escape(ex.Message));
            }
        }

        _status.Set(FeatureFlagsState.Off);
        LogStopped();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        // A host may dispose its services before (or instead of) stopping them (WebApplicationFactory does): cancel the
        // source so it ends by itself. The token source is not disposed, so a source still unwinding never meets a
        // disposed object.
        _stopping.Cancel();
        _bootstrap?.Dispose();
        (_persistent as IDisposable)?.Dispose();
    }

    /// <inheritdoc/>
    public void Apply(FlagDataSet data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var started = _time.GetTimestamp();
        ApplyResult result;
        lock (_lock)
        {
            result = _store.Apply(data.Payload);
            if (data.IsFull)
            {
                _confirmed = true;
            }
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var elapsed = _time.GetElapsedTime(started).TotalMilliseconds;
            LogApplied(data.IsFull ? "full" : "patch", result.Applied, result.Ignored, result.Invalid, elapsed);
        }
        if (_persistent is null)
        {
            return;
        }

        try
        {
            _persistent.Save(EnvironmentId, data);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A store must not throw here; if it does, evaluation and sync go on without it.
            LogPersistentStoreFailed("save", ex.GetType().Name, LogText.Escape(ex.Message));
        }
    }

    /// <inheritdoc/>
    public void UpdateStatus(FeatureFlagsState state, string? message = null)
    {
        lock (_lock)
        {
            var current = _status.Current.State;
            var next = state switch
            {
                FeatureFlagsState.Ready => FeatureFlagsState.Ready,
                FeatureFlagsState.Off => FeatureFlagsState.Off,

                // Stale but serving once it was ready; otherwise (still initialising, serving a cache, refused) unchanged.
                FeatureFlagsState.Interrupted => current == FeatureFlagsState.Ready ? FeatureFlagsState.Interrupted : current,
                _ => current,
            };
            if (next == FeatureFlagsState.Ready && current == FeatureFlagsState.Off && Volatile.Read(ref _disposed) == 0 && !_stopping.IsCancellationRequested)
            {
                LogAcceptedAgain();
            }

            if (_stopping.IsCancellationRequested && next != FeatureFlagsState.Off)
            {
                return; // a source unwinding after stop never moves the status back from Off
            }

            _status.Set(next, message);
        }
    }

    /// <inheritdoc/>
    public void SetDataSource(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        lock (_lock)
        {
            if (!_stopping.IsCancellationRequested)
            {
                _status.SetDataSource(name);
            }
        }
    }

    /// <summary>The transport a source starts with: the SDK's own by name, a plugged-in one by its type name until it says otherwise.</summary>
    internal static string NameOf(IFlagDataSource source) => source switch
    {
        StreamingDataSource or AutoDataSource => FlagDataSourceNames.Streaming,
        PollingDataSource => FlagDataSourceNames.Polling,
        _ => source.GetType().Name,
    };

    private void OnBootstrapApplied()
    {
        if (_options.Offline)
        {
            _status.Set(FeatureFlagsState.Ready);
        }
    }

    private async Task LoadPersistentAsync(CancellationToken cancellationToken)
    {
        if (_persistent is null)
        {
            return;
        }

        PersistedFlagData? loaded;
        try
        {
            loaded = await _persistent.LoadAsync(EnvironmentId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not OperationCanceledException)
        {
            LogPersistentStoreFailed("load", ex.GetType().Name, LogText.Escape(ex.Message));
            return;
        }

        if (loaded is null)
        {
            return;
        }

        // Resume from the stored cursor only when a live source confirmed the data recently: the same rule as a
        // reconnect after an outage (deletions made during a longer gap cannot arrive as changes).
        var age = loaded.ConfirmedAt is { } confirmedAt ? _time.GetUtcNow() - confirmedAt : (TimeSpan?)null;
        var resume = age is { } a && a <= _options.Streaming.FullResyncAfterOutage;
        var asOf = loaded.ConfirmedAt is { } at ? $" (confirmed by a live source at {at.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC)" : string.Empty;
        lock (_lock)
        {
            _store.Apply(loaded.Data.Payload);
            _confirmed = resume;
            _status.Set(FeatureFlagsState.Interrupted, $"serving cached flags from {_persistent}{asOf} until the flag server confirms them");
        }
    }

    private async Task RunSourceAsync(IFlagDataSource source, CancellationToken stopping)
    {
        try
        {
            await source.RunAsync(this, stopping).ConfigureAwait(false);
            if (!stopping.IsCancellationRequested && _status.Current.State != FeatureFlagsState.Off)
            {
                UpdateStatus(FeatureFlagsState.Off, "The data source stopped.");
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogSourceFailed(source.GetType().Name, ex);
            UpdateStatus(FeatureFlagsState.Off, $"The data source failed: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Warns once per start for each endpoint that would carry the secret unencrypted over the network.</summary>
    private void WarnOnCleartext()
    {
        if (_source is StreamingDataSource or AutoDataSource && IsCleartextToRemoteHost(_options.Streaming.Uri))
        {
            LogCleartext("FeatureFlags:Streaming:Uri", StreamingSession.SafeEndpoint(_options.Streaming.Uri), "the connection token, which carries the environment secret,");
        }

        var polling = _source switch
        {
            PollingDataSource p => p,
            AutoDataSource auto => auto.Polling,
            _ => null,
        };
        if (polling is not null && IsCleartextToRemoteHost(polling.BaseUri))
        {
            var key = _options.Polling.Uri is null ? "FeatureFlags:Streaming:Uri (used for polling)" : "FeatureFlags:Polling:Uri";
            LogCleartext(key, polling.Endpoint.AbsoluteUri, "the environment secret (the Authorization header)");
        }

        if (_options.Events.Enabled && _eventsOverHttp && IsCleartextToRemoteHost(_options.Events.Uri))
        {
            LogCleartext("FeatureFlags:Events:Uri", EventSender.EndpointOf(_options.Events.Uri).AbsoluteUri, "the environment secret (the Authorization header) and user data");
        }
    }
}
