using FeatureFlags.Store.Internal;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>
/// The circuit breaker of one rule that runs a regular expression (directly or through a segment): after
/// <see cref="RegexPolicy.BreakerThreshold"/> match timeouts within <see cref="RegexPolicy.BreakerWindow"/>, the rule
/// is not evaluated for <see cref="RegexPolicy.BreakerOpenTime"/> and its flag returns the caller's default with
/// reason <c>malformed flag</c>, so a crafted input cannot make every request pay the match timeout in CPU.
/// </summary>
/// <remarks>
/// Thread-safe. The closed check (<see cref="IsOpen"/>) is one volatile read: no lock, no clock, no allocation. The
/// clock is read only while the breaker is open and when a timeout is recorded (which has just cost a match timeout of
/// CPU, so the lock taken there is negligible). A breaker belongs to a compiled flag: a new version of the flag (or of a
/// segment it uses) starts with a closed one.
/// </remarks>
internal sealed class RegexBreaker
{
    private readonly RegexPolicy _policy;
    private readonly Lock _lock = new();

    // 0 while closed; else the timestamp (TimeProvider.GetTimestamp) at which the breaker may close again.
    private long _openUntil;

    // Guarded by _lock: the start of the current counting window and the timeouts seen in it.
    private long _windowStart;
    private int _timeouts;

    public RegexBreaker(RegexPolicy policy)
    {
        _policy = policy;
    }

    /// <summary>The thresholds and clock of the breaker.</summary>
    public RegexPolicy Policy => _policy;

    /// <summary>Whether the breaker is open (the rule must not be evaluated); the cheap check of the hot path.</summary>
    public bool IsOpen => Volatile.Read(ref _openUntil) != 0;

    /// <summary>
    /// Called when <see cref="IsOpen"/> is true: closes the breaker if its open time is over. Returns true when the rule
    /// may be evaluated again.
    /// </summary>
    public bool TryClose()
    {
        var until = Volatile.Read(ref _openUntil);
        if (until == 0)
        {
            return true;
        }

        if (_policy.Time.GetTimestamp() < until)
        {
            return false;
        }

        lock (_lock)
        {
            if (Volatile.Read(ref _openUntil) == until)
            {
                _timeouts = 0;
                Volatile.Write(ref _openUntil, 0);
            }
        }

        return true;
    }

    /// <summary>
    /// Records a match timeout of the rule. Returns true for exactly one caller per trip: the one whose timeout opened the
    /// breaker (it logs the trip).
    /// </summary>
    public bool RecordTimeout()
    {
        var time = _policy.Time;
        var now = time.GetTimestamp();
        lock (_lock)
        {
            if (Volatile.Read(ref _openUntil) != 0)
            {
                return false;
            }

            if (_timeouts == 0 || time.GetElapsedTime(_windowStart, now) > _policy.BreakerWindow)
            {
                _windowStart = now;
                _timeouts = 0;
            }

            if (++_timeouts < _policy.BreakerThreshold)
            {
                return false;
            }

            var openFor = (long)(_policy.BreakerOpenTime.TotalSeconds * time.TimestampFrequency);
            Volatile.Write(ref _openUntil, Math.Max(now + openFor, 1));
            return true;
        }
    }
}
