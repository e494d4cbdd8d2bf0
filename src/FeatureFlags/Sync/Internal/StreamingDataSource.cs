using FeatureFlags.DataSystem;
using FeatureFlags.Internal;
using FeatureFlags.Telemetry.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;
using Polly.Retry;

namespace FeatureFlags.Sync.Internal;

/// <summary>A session that ended in a way worth retrying (never a rejection or our own stop): what a reconnect pipeline sees.</summary>
internal sealed class StreamingSessionException(SessionResult result) : Exception(result.Error)
{
    public SessionResult Result { get; } = result;
}

/// <summary>
/// The FeatBit streaming data source: one WebSocket session at a time, reconnecting on the
/// <see cref="ReconnectSchedule"/> (or an app's pipeline registered under
/// <see cref="StreamingOptions.ReconnectPipelineKey"/>). A rejection (close code 4003) is handled here, outside any
/// pipeline: the status goes Off with the error and the source probes again every <c>RetryAfterRejection</c>.
/// </summary>
internal sealed partial class StreamingDataSource : IFlagDataSource
{
    private readonly FeatureFlagsOptions _options;
    private readonly IConnectionTokenProvider _tokens;
    private readonly TimeProvider _time;
    private readonly ILogger<StreamingDataSource> _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly FeatureFlagsMetrics? _metrics;
    private readonly ResiliencePipeline _pipeline;
    private readonly ReconnectSchedule _schedule;
    private bool _requireFull;
    private long? _disconnectedAt;
    private long _sessions;

    public StreamingDataSource(
        IOptions<FeatureFlagsOptions> options,
        IConnectionTokenProvider tokens,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        ResiliencePipelineProvider<string>? pipelines = null,
        FeatureFlagsMetrics? metrics = null)
    {
        _options = options.Value;
        _tokens = tokens;
        _time = time;
        _logger = loggerFactory.CreateLogger<StreamingDataSource>();
        _loggerFactory = loggerFactory;
        _metrics = metrics;
        _schedule = new ReconnectSchedule(_options.Streaming, time);
        _pipeline = pipelines is not null && pipelines.TryGetPipeline(StreamingOptions.ReconnectPipelineKey, out var custom) ? custom : BuildDefaultPipeline();
    }

    public Task RunAsync(IFlagDataSourceUpdates updates, CancellationToken stoppingToken)
        => RunAsync(updates, failover: null, TimeSpan.Zero, stoppingToken);

    /// <summary>
    /// Runs sessions until <paramref name="stoppingToken"/> is cancelled, the source stops for good, or
    /// <paramref name="failover"/> says the stream does not get through (<c>DataSync = Auto</c>).
    /// </summary>
    /// <param name="updates">Where data is committed and the status reported.</param>
    /// <param name="failover">Judges each session that ended; <see langword="null"/> streams whatever happens.</param>
    /// <param name="firstDelay">How long to wait before the first attempt.</param>
    /// <param name="stoppingToken">Cancelled when the client stops.</param>
    /// <returns>Why the stream failed over (an <c>error.type</c>), or <see langword="null"/> when it stopped.</returns>
    internal async Task<string?> RunAsync(IFlagDataSourceUpdates updates, FailoverPolicy? failover, TimeSpan firstDelay, CancellationToken stoppingToken)
    {
        if (firstDelay > TimeSpan.Zero)
        {
            await DelayAsync(firstDelay, stoppingToken).ConfigureAwait(false);
        }

        // Cancelled by a failover decision: whatever pipeline runs the sessions, cancellation ends it.
        using var run = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        string? failoverReason = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            SessionEnd end;
            try
            {
                // One execution ends normally after a healthy session or a rejection; a pipeline only sees failures.
                end = await _pipeline.ExecuteAsync(
                    async ct =>
                    {
                        var result = await RunOneSessionAsync(updates, failover, ct).ConfigureAwait(false);
                        if (result.Failover is { } reason)
                        {
                            failoverReason = reason;
                            await run.CancelAsync().ConfigureAwait(false);
                            ct.ThrowIfCancellationRequested();
                        }

                        return result.End;
                    },
                    run.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (failoverReason is not null && !stoppingToken.IsCancellationRequested)
            {
                return failoverReason;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return null;
            }
            catch (StreamingSessionException ex)
            {
                // Only an app's pipeline that gives up gets here: wait a capped delay, then start it again.
                LogPipelineGaveUp(LogText.Escape(ex.Result.Error ?? ex.Result.End.ToString()), _options.Streaming.MaxReconnectDelay);
                await DelayAsync(_options.Streaming.MaxReconnectDelay, stoppingToken).ConfigureAwait(false);
                continue;
            }
            catch (Exception ex)
            {
                // An app's pipeline threw something of its own (a timeout or circuit-breaker strategy, a bug): say what.
                LogPipelineFailed(ex.GetType().FullName ?? ex.GetType().Name, LogText.Escape(ex.Message), _options.Streaming.MaxReconnectDelay, ex);
                await DelayAsync(_options.Streaming.MaxReconnectDelay, stoppingToken).ConfigureAwait(false);
                continue;
            }

            if (end == SessionEnd.Rejected)
            {
                if (_options.Streaming.RetryAfterRejection == Timeout.InfiniteTimeSpan)
                {
                    return null;
                }

                LogProbingAfterRejection(_options.Streaming.RetryAfterRejection);
                await DelayAsync(_options.Streaming.RetryAfterRejection, stoppingToken).ConfigureAwait(false);
                continue;
            }

            // A healthy session ended: the quick phase.
            var delay = _schedule.OnHealthySessionEnded();
            LogReconnecting(1, delay);
            await DelayAsync(delay, stoppingToken).ConfigureAwait(false);
        }

        return null;
    }

    private Task DelayAsync(TimeSpan delay, CancellationToken ct)
        => Delays.QuietlyAsync(delay, _time, ct);

    private async ValueTask<(SessionEnd End, string? Failover)> RunOneSessionAsync(IFlagDataSourceUpdates updates, FailoverPolicy? failover, CancellationToken stopping)
    {
        var result = await RunSessionAsync(updates, stopping).ConfigureAwait(false);
        if (result.End == SessionEnd.Stopped || stopping.IsCancellationRequested)
        {
            stopping.ThrowIfCancellationRequested();
        }

        ReportEnd(result, updates);
        if (result.End == SessionEnd.Rejected)
        {
            return (SessionEnd.Rejected, null);
        }

        if (failover?.Observe(result) is { } reason)
        {
            return (result.End, reason);
        }

        if (result.Synced && result.SyncedFor >= _options.Streaming.HealthyConnectionTime)
        {
            return (result.End, null);
        }

        throw new StreamingSessionException(result);
    }

    /// <summary>
    /// Runs one session with the cursor this source resumes from (0 after a rejection or a long outage) and records how it
    /// ended; reports nothing but what the session itself reports (Ready once synced). <c>DataSync = Auto</c> probes the
    /// stream with it while polling is live.
    /// </summary>
    internal async Task<SessionResult> RunSessionAsync(IFlagDataSourceUpdates updates, CancellationToken stopping)
    {
        // Ask for everything when the committed data is not the live source's (a file, a store), after a rejection (a
        // relay that restarted lost its data: a rollback or deletions may have happened) or after a long outage.
        var cursor = _requireFull ? 0 : updates.Cursor;
        var outage = _disconnectedAt is { } since ? _time.GetElapsedTime(since) : TimeSpan.Zero;
        if (cursor != 0 && outage > _options.Streaming.FullResyncAfterOutage)
        {
            LogFullResync(outage);
            cursor = 0;
        }

        if (_sessions++ > 0)
        {
            _metrics?.Reconnects.Add(1);
        }

        using var session = new StreamingSession(_options, _tokens, _time, _loggerFactory.CreateLogger<StreamingSession>(), _metrics);
        var result = await session.RunAsync(cursor, updates, stopping).ConfigureAwait(false);
        if (!stopping.IsCancellationRequested)
        {
            _metrics?.RecordSessionEnd(result.End);
        }

        if (result.Synced)
        {
            _requireFull = false;

            // The outage is measured from the end of the last session that was in sync, not from the last failed attempt.
            _disconnectedAt = _time.GetTimestamp();
        }

        if (result.End == SessionEnd.Rejected)
        {
            _requireFull = true;
        }

        return result;
    }

    /// <summary>Reports a session's end (not our stop): Off with the error after a rejection, otherwise Interrupted.</summary>
    internal static void ReportEnd(SessionResult result, IFlagDataSourceUpdates updates)
        => updates.UpdateStatus(result.End == SessionEnd.Rejected ? FeatureFlagsState.Off : FeatureFlagsState.Interrupted, result.Error);

    /// <summary>
    /// The wait before the next attempt after a session that <c>DataSync = Auto</c> ran itself (a probe that became the
    /// live stream) ended: the quick phase after a healthy session, the paced backoff otherwise,
    /// <c>RetryAfterRejection</c> after a rejection; <see langword="null"/> when a rejection stops the stream for good.
    /// </summary>
    internal TimeSpan? DelayAfter(SessionResult result)
    {
        if (result.End == SessionEnd.Rejected)
        {
            return _options.Streaming.RetryAfterRejection == Timeout.InfiniteTimeSpan ? null : _options.Streaming.RetryAfterRejection;
        }

        return result.Synced && result.SyncedFor >= _options.Streaming.HealthyConnectionTime
            ? _schedule.OnHealthySessionEnded()
            : _schedule.NextDelay();
    }

    private ResiliencePipeline BuildDefaultPipeline()
        => new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<StreamingSessionException>(),
                MaxRetryAttempts = int.MaxValue,
                DelayGenerator = _ => ValueTask.FromResult<TimeSpan?>(_schedule.NextDelay()),
                OnRetry = args =>
                {
                    LogReconnecting(args.AttemptNumber + 1, args.RetryDelay);
                    return default;
                },
            })
            .Build();
}
