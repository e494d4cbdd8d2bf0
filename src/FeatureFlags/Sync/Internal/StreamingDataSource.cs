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

    public async Task RunAsync(IFlagDataSourceUpdates updates, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            SessionEnd end;
            try
            {
                // One execution ends normally after a healthy session or a rejection; a pipeline only sees failures.
                end = await _pipeline.ExecuteAsync(ct => RunOneSessionAsync(updates, ct), stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
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
                    return;
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
    }

    private Task DelayAsync(TimeSpan delay, CancellationToken ct)
        => Task.Delay(delay, _time, ct).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private async ValueTask<SessionEnd> RunOneSessionAsync(IFlagDataSourceUpdates updates, CancellationToken stopping)
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

        if (result.End == SessionEnd.Stopped || stopping.IsCancellationRequested)
        {
            stopping.ThrowIfCancellationRequested();
        }

        if (result.End == SessionEnd.Rejected)
        {
            _requireFull = true;

            updates.UpdateStatus(FeatureFlagsState.Off, result.Error);
            return SessionEnd.Rejected;
        }

        updates.UpdateStatus(FeatureFlagsState.Interrupted, result.Error);
        if (result.Synced && result.SyncedFor >= _options.Streaming.HealthyConnectionTime)
        {
            return result.End;
        }

        throw new StreamingSessionException(result);
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
