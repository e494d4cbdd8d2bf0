namespace FeatureFlags.Sync.Internal;

/// <summary>
/// When the streaming source tries again: quickly after losing a connection that had been in sync (a restarted or
/// rolled server is found within a second), paced when the server keeps refusing.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>After a session that was in sync for at least <c>HealthyConnectionTime</c> ended: the first attempt after
/// 0-250 ms, then one every 250-750 ms (uniform jitter) for <see cref="QuickPhase"/> (30 s). A restart shorter than that
/// is followed by Ready within ~0.75 s plus the connect and sync time.</item>
/// <item>Otherwise (never synced, a session that dropped sooner - a flapping server -, or the quick phase is over): exponential backoff from
/// <c>ReconnectDelay</c>, doubling up to <c>MaxReconnectDelay</c>, each delay drawn uniformly from [d/2, d] (jitter), so
/// a server that keeps refusing sees at most one attempt per <c>MaxReconnectDelay</c>/2 per client.</item>
/// </list>
/// Per source instance; thread-safe enough for its single caller (the source's loop).
/// </remarks>
internal sealed class ReconnectSchedule(StreamingOptions options, TimeProvider time)
{
    /// <summary>How long quick attempts go on after a healthy connection was lost.</summary>
    internal static readonly TimeSpan QuickPhase = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan FirstQuickMax = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan QuickMin = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan QuickMax = TimeSpan.FromMilliseconds(750);

    private long? _quickSince;
    private int _pacedAttempts;

    /// <summary>Gets whether the quick phase is on.</summary>
    public bool IsQuick => _quickSince is { } since && time.GetElapsedTime(since) < QuickPhase;

    /// <summary>A session that was in sync for <c>HealthyConnectionTime</c> ended: start the quick phase.</summary>
    /// <returns>The delay before the first attempt.</returns>
    public TimeSpan OnHealthySessionEnded()
    {
        _quickSince = time.GetTimestamp();
        _pacedAttempts = 0;
        return Uniform(TimeSpan.Zero, FirstQuickMax);
    }

    /// <summary>The delay before the next attempt after a failed one.</summary>
    public TimeSpan NextDelay()
    {
        if (IsQuick)
        {
            return Uniform(QuickMin, QuickMax);
        }

        _quickSince = null;
        var exponent = Math.Min(_pacedAttempts++, 30);
        var ceiling = TimeSpan.FromTicks(Math.Min(options.MaxReconnectDelay.Ticks, options.ReconnectDelay.Ticks * (1L << Math.Min(exponent, 20))));
        return Uniform(ceiling / 2, ceiling);
    }

    private static TimeSpan Uniform(TimeSpan min, TimeSpan max)
        => min + TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * (max - min).Ticks));
}
