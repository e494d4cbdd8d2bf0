using FeatureFlags.DataSystem;
using FeatureFlags.Internal;
using FeatureFlags.Sync.Internal.Polling;
using FeatureFlags.Telemetry.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Sync.Internal;

/// <summary>
/// <c>DataSync = Auto</c>: streams, fails over to polling when the <see cref="FailoverPolicy"/> says the stream does not
/// get through, probes the stream in the background on its own paced schedule, and switches back once a probe has held
/// in sync for <c>Failover:SwitchBackAfter</c>.
/// </summary>
/// <remarks>
/// <para>No gap and nothing moves back at either switch: both transports commit through the same data system, whose
/// cursor (the version of committed data) carries over, and every patch is applied by version. Polling starts at once
/// with that cursor; polling stops only after the probe stream is in sync and has held.</para>
/// <para>Only the live transport reports status; a probe's Ready and failures are its own until it becomes live.
/// <see cref="FeatureFlagsStatus.DataSource"/> and the <c>featureflags.sync.transport</c> metric say which is live.</para>
/// </remarks>
internal sealed partial class AutoDataSource : IFlagDataSource
{
    private readonly StreamingDataSource _streaming;
    private readonly FailoverOptions _failover;
    private readonly TimeProvider _time;
    private readonly ILogger<AutoDataSource> _logger;
    private readonly FeatureFlagsMetrics? _metrics;
    private int _switches;

    public AutoDataSource(
        StreamingDataSource streaming,
        PollingDataSource polling,
        IOptions<FeatureFlagsOptions> options,
        TimeProvider time,
        ILogger<AutoDataSource> logger,
        FeatureFlagsMetrics? metrics = null)
    {
        _streaming = streaming;
        Polling = polling;
        _failover = options.Value.Failover;
        _time = time;
        _logger = logger;
        _metrics = metrics;
    }

    /// <summary>The polling source used after a failover.</summary>
    public PollingDataSource Polling { get; }

    /// <summary>How many times the live transport switched (both ways; for tests and diagnostics).</summary>
    internal int Switches => Volatile.Read(ref _switches);

    public async Task RunAsync(IFlagDataSourceUpdates updates, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(updates);
        var firstDelay = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            var reason = await _streaming.RunAsync(updates, new FailoverPolicy(_failover.FailAfter), firstDelay, stoppingToken).ConfigureAwait(false);
            if (reason is null || stoppingToken.IsCancellationRequested)
            {
                return; // stopped, or a rejection stopped the stream for good
            }

            Switch(updates, FlagDataSourceNames.Polling, reason);
            LogFailedOver(reason, Polling.Endpoint.AbsoluteUri, _failover.ProbeInterval);

            var adopted = await PollAndProbeAsync(updates, stoppingToken).ConfigureAwait(false);
            if (adopted is null || stoppingToken.IsCancellationRequested)
            {
                return;
            }

            // The probe that became the live stream ended: report it, then stream again on the usual schedule.
            StreamingDataSource.ReportEnd(adopted, updates);
            if (_streaming.DelayAfter(adopted) is not { } delay)
            {
                return;
            }

            firstDelay = delay;
        }
    }

    /// <summary>
    /// Polls, and probes the stream meanwhile; returns the probe session that held (it is the live stream now, and the
    /// task completes when it ends) or <see langword="null"/> when stopped.
    /// </summary>
    private async Task<SessionResult?> PollAndProbeAsync(IFlagDataSourceUpdates updates, CancellationToken stopping)
    {
        var pollGate = new Gate(updates) { Live = true };
        using var pollStop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var polling = Task.Run(() => Polling.RunAsync(pollGate, pollStop.Token), CancellationToken.None);
        try
        {
            var interval = _failover.ProbeInterval;
            while (!stopping.IsCancellationRequested)
            {
                await DelayAsync(Jitter(interval), stopping).ConfigureAwait(false);
                if (stopping.IsCancellationRequested)
                {
                    return null;
                }

                var probeGate = new Gate(updates);
                var session = _streaming.RunSessionAsync(probeGate, stopping);
                if (await Task.WhenAny(session, probeGate.Synced).ConfigureAwait(false) != session)
                {
                    var hold = DelayAsync(_failover.SwitchBackAfter, stopping);
                    if (await Task.WhenAny(session, hold).ConfigureAwait(false) != session && !stopping.IsCancellationRequested)
                    {
                        // The stream holds: stop polling (its in-flight request is cancelled and never commits), then
                        // the probe is the live transport. Its data is already committed: no gap.
                        await pollStop.CancelAsync().ConfigureAwait(false);
                        await polling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                        pollGate.Live = false;
                        probeGate.Live = true;
                        Switch(updates, FlagDataSourceNames.Streaming, "stream_recovered");
                        updates.UpdateStatus(FeatureFlagsState.Ready);
                        LogSwitchedBack(_failover.SwitchBackAfter);
                        return await session.ConfigureAwait(false);
                    }
                }

                var result = await session.ConfigureAwait(false);
                if (stopping.IsCancellationRequested)
                {
                    return null;
                }

                interval = interval * 2 > _failover.MaxProbeInterval ? _failover.MaxProbeInterval : interval * 2;
                var why = FeatureFlagsMetrics.ErrorTypeOf(result.End);
                var error = LogText.Escape(result.Error ?? string.Empty);
                LogProbeFailed(why, error, interval);
            }

            return null;
        }
        finally
        {
            await pollStop.CancelAsync().ConfigureAwait(false);
            await polling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            pollGate.Live = false;
        }
    }

    private void Switch(IFlagDataSourceUpdates updates, string to, string reason)
    {
        Interlocked.Increment(ref _switches);
        updates.SetDataSource(to);
        _metrics?.RecordFailover(to, reason);
    }

    /// <summary>Uniform in [d/2, d]: a fleet behind one proxy does not probe in step.</summary>
    private static TimeSpan Jitter(TimeSpan interval)
        => interval / 2 + TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * (interval / 2).Ticks));

    private Task DelayAsync(TimeSpan delay, CancellationToken ct)
        => Delays.QuietlyAsync(delay, _time, ct);

    /// <summary>
    /// What one transport sees of the data system: commits always go through (by version, so two transports committing
    /// at once cannot move a flag back); status and the transport name only while it is the live one.
    /// </summary>
    private sealed class Gate(IFlagDataSourceUpdates inner) : IFlagDataSourceUpdates
    {
        private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _live;

        public bool Live
        {
            get => _live;
            set => _live = value;
        }

        /// <summary>Completes when the transport reported Ready (its data is committed and complete).</summary>
        public Task Synced => _synced.Task;

        public long Cursor => inner.Cursor;

        public void Apply(FlagDataSet data) => inner.Apply(data);

        public void UpdateStatus(FeatureFlagsState state, string? message = null)
        {
            if (state == FeatureFlagsState.Ready)
            {
                _synced.TrySetResult();
            }

            if (_live)
            {
                inner.UpdateStatus(state, message);
            }
        }

        public void SetDataSource(string name)
        {
            if (_live)
            {
                inner.SetDataSource(name);
            }
        }
    }
}
