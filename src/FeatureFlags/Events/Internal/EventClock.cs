namespace FeatureFlags.Events.Internal;

/// <summary>
/// The Unix-millisecond timestamps of insight events. With the system clock it reads a coarse monotonic tick count (a
/// few ns, millisecond-ish resolution) plus an offset to wall-clock time that <see cref="Anchor"/> re-computes (the send
/// loop calls it every cycle, so the drift between the two clocks never lasts longer than a flush interval), instead of
/// the precise wall clock, which costs about 20 ns per call on the hot path. Any other <see cref="TimeProvider"/> (a
/// test's fake clock, an app's own provider) is read directly, so its time is exactly the event's time.
/// </summary>
/// <remarks>Thread-safe: <see cref="Now"/> may race with <see cref="Anchor"/>; each reads or writes the offset atomically.</remarks>
internal sealed class EventClock
{
    private readonly TimeProvider _time;
    private readonly Func<long>? _tickCount;
    private long _offset;

    /// <summary>The clock of an event processor: coarse exactly when <paramref name="time"/> is <see cref="TimeProvider.System"/>.</summary>
    public EventClock(TimeProvider time)
        : this(time, coarse: ReferenceEquals(time, TimeProvider.System), tickCount: null)
    {
    }

    /// <summary>
    /// For tests: <paramref name="coarse"/> chooses the coarse clock whatever <paramref name="time"/> is, and
    /// <paramref name="tickCount"/> (milliseconds, monotonic) replaces <see cref="Environment.TickCount64"/>.
    /// </summary>
    internal EventClock(TimeProvider time, bool coarse, Func<long>? tickCount)
    {
        _time = time;
        _tickCount = tickCount;
        IsCoarse = coarse;
        Anchor();
    }

    /// <summary>Whether timestamps come from the tick count plus the anchored offset (the system clock).</summary>
    public bool IsCoarse { get; }

    /// <summary>Now, in Unix milliseconds. Hot path: no allocation, no lock.</summary>
    public long Now() => IsCoarse
        ? TickCount() + Volatile.Read(ref _offset)
        : _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Re-computes the offset from the tick count to the wall clock (the coarse clock only).</summary>
    public void Anchor()
    {
        if (IsCoarse)
        {
            Volatile.Write(ref _offset, _time.GetUtcNow().ToUnixTimeMilliseconds() - TickCount());
        }
    }

    private long TickCount() => _tickCount is null ? Environment.TickCount64 : _tickCount();
}
