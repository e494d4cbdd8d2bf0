namespace FeatureFlags;

/// <summary>Tells an <see cref="IFlagTracker.OnFlagValueChanged"/> handler that the value a user gets for a flag changed.</summary>
/// <remarks>
/// Immutable and thread-safe. Values are raw variation values; <see cref="string.Empty"/> means the flag was not
/// served (flag data not loaded, flag unknown, archived or removed, or an evaluation error).
/// </remarks>
public sealed class FlagValueChangedEvent
{
    /// <summary>Creates the event data (for tests of code that handles it).</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="user">The user the flag was evaluated for.</param>
    /// <param name="oldValue">The value before the update.</param>
    /// <param name="newValue">The value after the update.</param>
    /// <param name="version">The store version after the update.</param>
    /// <exception cref="ArgumentException"><paramref name="flagKey"/> is null, empty or white space.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="user"/>, <paramref name="oldValue"/> or <paramref name="newValue"/> is null.</exception>
    public FlagValueChangedEvent(string flagKey, FlagUser user, string oldValue, string newValue, long version)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(flagKey);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(oldValue);
        ArgumentNullException.ThrowIfNull(newValue);
        FlagKey = flagKey;
        User = user;
        OldValue = oldValue;
        NewValue = newValue;
        Version = version;
    }

    /// <summary>Gets the flag key.</summary>
    public string FlagKey { get; }

    /// <summary>Gets the user the flag was evaluated for (the one given when subscribing).</summary>
    public FlagUser User { get; }

    /// <summary>Gets the raw value the user got before the update; <see cref="string.Empty"/> when the flag was not served.</summary>
    public string OldValue { get; }

    /// <summary>Gets the raw value the user gets after the update; <see cref="string.Empty"/> when the flag is not served.</summary>
    public string NewValue { get; }

    /// <summary>Gets the store version after the update: the largest <c>updatedAt</c> (Unix ms) over all entities.</summary>
    public long Version { get; }

    /// <inheritdoc />
    public override string ToString()
        => $"FlagValueChangedEvent(FlagKey={FlagKey}, User={User.Key}, OldValue={OldValue}, NewValue={NewValue}, Version={Version})";
}
