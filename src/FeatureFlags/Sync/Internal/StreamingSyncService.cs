using FeatureFlags.Bootstrap.Internal;
using FeatureFlags.Cache.Internal;
using FeatureFlags.Events.Internal;
using FeatureFlags.Internal;
using FeatureFlags.Store.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;
using Polly.Retry;

namespace FeatureFlags.Sync.Internal;

/// <summary>A session that ended before it was healthy for long enough: retried with backoff.</summary>
internal sealed class StreamingSessionException(SessionResult result) : Exception(result.Error)
{
    public SessionResult Result { get; } = result;
}

/// <summary>
/// The hosted service that keeps the flag store in step with the FeatBit server: one streaming session at a time,
/// run under a Polly retry pipeline (exponential backoff with jitter, unlimited attempts, capped), reconnecting on
/// everything except close code 4003 and our own shutdown.
/// </summary>
/// <remarks>
/// <see cref="StartAsync"/> awaits the first data-sync for at most <c>StartWaitTime</c>, asynchronously; then the app
/// starts either way and syncing goes on in the background. An app overrides the reconnect policy by registering a
/// resilience pipeline under <see cref="PipelineKey"/> (Polly's keyed pipelines).
/// </remarks>
internal sealed partial class StreamingSyncService : IHostedService, IDisposable
{
    /// <summary>The key of the reconnect pipeline an app may register to replace ours.</summary>
    public const string PipelineKey = "FeatureFlags.Streaming";

    private readonly FeatureFlagsOptions _options;
    private readonly FlagStore _store;
    private readonly StatusProvider _status;
    private readonly IConnectionTokenProvider _tokens;
    private readonly TimeProvider _time;
    private readonly ILogger<StreamingSyncService> _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ResiliencePipeline _pipeline;
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;
    private readonly BootstrapFileSource? _bootstrap;
    private readonly LastKnownGoodCache? _cache;
    private Task? _loop;
    private bool _synced;
    private long? _disconnectedAt;
    private long _sessions;

    public StreamingSyncService(
        IOptions<FeatureFlagsOptions> options,
        FlagStore store,
        StatusProvider status,
        IConnectionTokenProvider tokens,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        ResiliencePipelineProvider<string>? pipelines = null,
        BootstrapFileSource? bootstrap = null,
        LastKnownGoodCache? cache = null)
    {
        _cache = cache;
        _bootstrap = bootstrap;
        _options = options.Value;
        _store = store;
        _status = status;
        _tokens = tokens;
        _time = time;
        _logger = loggerFactory.CreateLogger<StreamingSyncService>();
        _loggerFactory = loggerFactory;
        _pipeline = pipelines is not null && pipelines.TryGetPipeline(PipelineKey, out var custom) ? custom : BuildDefaultPipeline();
    }

    /// <summary>The running sync loop (for tests).</summary>
    internal Task? Loop => _loop;

    /// <summary>
    /// Whether <paramref name="uri"/> sends what it carries in clear text to another machine: <c>ws://</c> or
    /// <c>http://</c> to a host that is not loopback (<c>localhost</c>, 127.0.0.0/8, ::1).
    /// </summary>
    internal static bool IsCleartextToRemoteHost(Uri uri)
        => uri is { IsAbsoluteUri: true, Scheme: "ws" or "http" } && !uri.IsLoopback;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The bootstrap file seeds the store before the first connect; offline, it is the only source and nothing connects.
        _bootstrap?.Start();
        if (_options.Offline)
        {
            LogOffline();
            return;
        }

        WarnOnCleartext();

        // The last-known-good cache (the server's own data) replaces the bootstrap seed and serves until the server answers.
        _cache?.Start();
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        if (_options.StartWaitTime <= TimeSpan.Zero)
        {
            return;
        }

        // Off means the server refused us (4003), already logged as 2009 with its causes: not a slow start.
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
            // The session closes the socket within CloseTimeout; the host's token bounds the wait in any case.
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _cache?.Flush();
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
        // loop so it ends by itself. The token source is not disposed, so a loop still unwinding never meets a disposed
        // object (it owns no timer, so nothing leaks).
        _stopping.Cancel();
        _bootstrap?.Dispose();
        _cache?.Dispose();
    }

    /// <summary>Warns once per start for each endpoint that would carry the secret unencrypted over the network.</summary>
    private void WarnOnCleartext()
    {
        if (IsCleartextToRemoteHost(_options.Streaming.Uri))
        {
            LogCleartext("FeatureFlags:Streaming:Uri", StreamingSession.SafeEndpoint(_options.Streaming.Uri), "the connection token, which carries the environment secret,");
        }

        if (_options.Events.Enabled && IsCleartextToRemoteHost(_options.Events.Uri))
        {
            LogCleartext("FeatureFlags:Events:Uri", EventSender.EndpointOf(_options.Events.Uri).AbsoluteUri, "the environment secret (the Authorization header) and user data");
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                // One execution ends normally only after a healthy session: the loop then reconnects at once and the
                // pipeline starts again from its first delay (the backoff "resets after a healthy period").
                await _pipeline.ExecuteAsync(RunOneSessionAsync, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (StreamingSessionException ex) when (ex.Result.End == SessionEnd.Rejected)
            {
                _status.Set(FeatureFlagsState.Off, ex.Result.Error);
                return;
            }
            catch (Exception ex)
            {
                // Only a custom pipeline that gives up gets here: wait a capped delay, then start it again.
                LogPipelineGaveUp(ex.GetType().Name, _options.Streaming.MaxReconnectDelay);
                await Task.Delay(_options.Streaming.MaxReconnectDelay, _time, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async ValueTask RunOneSessionAsync(CancellationToken stopping)
    {
        // Data seeded from a bootstrap file is not the server's: until the server answered once, ask for everything.
        var cursor = _bootstrap is { Loaded: true } && !_synced ? 0 : _store.Version;
        var outage = _disconnectedAt is { } since ? _time.GetElapsedTime(since) : TimeSpan.Zero;
        if (_store.IsInitialized && outage > _options.Streaming.FullResyncAfterOutage)
        {
            LogFullResync(outage);
            cursor = 0;
        }

        if (_sessions++ > 0)
        {
            _store.Metrics?.Reconnects.Add(1);
        }

        using var session = new StreamingSession(_options, _store, _tokens, _time, _loggerFactory.CreateLogger<StreamingSession>());
        var result = await session.RunAsync(cursor, () => _status.Set(FeatureFlagsState.Ready), stopping).ConfigureAwait(false);
        if (!stopping.IsCancellationRequested)
        {
            _store.Metrics?.RecordSessionEnd(result.End);
        }
        if (result.Synced)
        {
            _synced = true;
            // The outage is measured from the end of the last session that was in sync, not from the last failed attempt.
            _disconnectedAt = _time.GetTimestamp();
        }

        if (result.End == SessionEnd.Stopped || stopping.IsCancellationRequested)
        {
            stopping.ThrowIfCancellationRequested();
        }

        if (result.End == SessionEnd.Rejected)
        {
            throw new StreamingSessionException(result);
        }

        // Stale but serving when we had data; otherwise still initialising, with the error recorded.
        var state = _status.Current.State == FeatureFlagsState.Ready || (_status.Current.State == FeatureFlagsState.Interrupted && _store.IsInitialized)
            ? FeatureFlagsState.Interrupted
            : _status.Current.State;
        _status.Set(state, result.Error);

        if (result.Synced && result.Duration >= _options.Streaming.HealthyConnectionTime)
        {
            return;
        }

        throw new StreamingSessionException(result);
    }

    private ResiliencePipeline BuildDefaultPipeline()
        => new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<StreamingSessionException>(ex => ex.Result.End != SessionEnd.Rejected),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.Streaming.ReconnectDelay,
                MaxDelay = _options.Streaming.MaxReconnectDelay,
                OnRetry = args =>
                {
                    LogReconnecting(args.AttemptNumber + 1, args.RetryDelay);
                    return default;
                },
            })
            .Build();
}
