namespace FeatureFlags.Hooks;

/// <summary>What a hook is told about a custom metric recorded with <c>Track</c> (<see cref="FeatureFlagsHook.AfterTrack"/>).</summary>
/// <remarks>A read-only struct passed by reference: building it allocates nothing.</remarks>
public readonly struct TrackSeriesContext
{
    /// <summary>Creates a context (for testing a hook; the SDK creates one per <c>Track</c> call).</summary>
    /// <param name="eventName">The metric's event name.</param>
    /// <param name="user">The user the metric is for.</param>
    /// <param name="numericValue">The metric's value.</param>
    /// <param name="clientName">The named client's name, or null for the default client.</param>
    public TrackSeriesContext(string eventName, FlagUser user, double numericValue, string? clientName = null)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        ArgumentNullException.ThrowIfNull(user);
        EventName = eventName;
        User = user;
        NumericValue = numericValue;
        ClientName = clientName;
    }

    /// <summary>Gets the metric's event name (the key of a FeatBit metric).</summary>
    public string EventName { get; }

    /// <summary>Gets the user the metric is for.</summary>
    public FlagUser User { get; }

    /// <summary>Gets the metric's value (1 unless the caller gave one).</summary>
    public double NumericValue { get; }

    /// <summary>Gets the name of the named client that tracked, or null for the default client (and a <see cref="FeatureFlagsClient"/>).</summary>
    public string? ClientName { get; }
}
