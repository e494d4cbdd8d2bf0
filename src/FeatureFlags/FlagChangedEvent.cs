namespace FeatureFlags;

/// <summary>Tells an <see cref="IFlagTracker.OnFlagChanged"/> handler that a flag's outcome may have changed.</summary>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed class FlagChangedEvent
{
    /// <summary>Creates the event data (for tests of code that handles it).</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="isFullSync">Whether the update replaced the whole data set.</param>
    /// <param name="version">The store version after the update.</param>
    /// <exception cref="ArgumentException"><paramref name="flagKey"/> is null, empty or white space.</exception>
    public FlagChangedEvent(string flagKey, bool isFullSync, long version)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(flagKey);
        FlagKey = flagKey;
        IsFullSync = isFullSync;
        Version = version;
    }

    /// <summary>Gets the key of the flag that was changed, added, archived or removed, or that uses a changed segment.</summary>
    public string FlagKey { get; }

    /// <summary>Gets whether the update replaced the whole data set (a full data-sync).</summary>
    public bool IsFullSync { get; }

    /// <summary>Gets the store version after the update: the largest <c>updatedAt</c> (Unix ms) over all entities.</summary>
    public long Version { get; }

    /// <inheritdoc />
    public override string ToString() => $"FlagChangedEvent(FlagKey={FlagKey}, IsFullSync={IsFullSync}, Version={Version})";
}
