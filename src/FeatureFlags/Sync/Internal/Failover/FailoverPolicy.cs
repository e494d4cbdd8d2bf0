using FeatureFlags.Telemetry.Internal;

namespace FeatureFlags.Sync.Internal;

/// <summary>
/// Judges each streaming session that ended for <c>DataSync = Auto</c>: whether the stream does not get through and the
/// SDK should poll instead. Not thread-safe: one per run of the streaming loop.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>An upgrade answered with HTTP but not 101 (<see cref="SessionEnd.UpgradeRefused"/>): at once.</item>
/// <item><see cref="FailoverOptions.FailAfter"/> sessions in a row that opened but ended before their data-sync reply
/// was committed (no reply, connection lost, liveness timeout, closed by the server, message too large): something on
/// the way breaks WebSockets that plain HTTP may pass.</item>
/// <item>Never: a connect that failed below HTTP (the server is down: polling it would not help, and the quick
/// reconnect finds it back sooner), a rejected secret, our own stop. A session that synced resets the count.</item>
/// </list>
/// </remarks>
internal sealed class FailoverPolicy(int failAfter)
{
    private int _unsynced;

    /// <summary>The failover reason (an <c>error.type</c>), or <see langword="null"/> to keep streaming.</summary>
    public string? Observe(SessionResult result)
    {
        if (result.Synced)
        {
            _unsynced = 0;
            return null;
        }

        switch (result.End)
        {
            case SessionEnd.UpgradeRefused:
                _unsynced = 0;
                return FeatureFlagsMetrics.ErrorTypeOf(result.End);
            case SessionEnd.ConnectFailed or SessionEnd.Rejected or SessionEnd.Stopped:
                return null;
            default:
                if (++_unsynced < failAfter)
                {
                    return null;
                }

                _unsynced = 0;
                return FeatureFlagsMetrics.ErrorTypeOf(result.End);
        }
    }
}
