using FeatureFlags.Store.Internal;

namespace FeatureFlags;

/// <summary>Describes a committed store update.</summary>
public sealed class FlagsChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    /// <param name="flagKeys">The keys of the flags whose outcome may have changed.</param>
    /// <param name="isFullSync">Whether the update replaced the whole data set.</param>
    /// <param name="version">The store version after the update.</param>
    public FlagsChangedEventArgs(IReadOnlyList<string> flagKeys, bool isFullSync, long version)
    {
        ArgumentNullException.ThrowIfNull(flagKeys);
        FlagKeys = flagKeys;
        IsFullSync = isFullSync;
        Version = version;
    }

    /// <summary>Gets the keys of the flags whose outcome may have changed: changed, added, archived or removed
    /// flags, and flags whose rules use a changed segment.</summary>
    public IReadOnlyList<string> FlagKeys { get; }

    /// <summary>Gets whether the update replaced the whole data set (a full data-sync).</summary>
    public bool IsFullSync { get; }

    /// <summary>Gets the store version after the update.</summary>
    public long Version { get; }

    /// <summary>The snapshot this update published (set by the store; the tracker evaluates against it).</summary>
    internal FlagSnapshot? Snapshot { get; init; }

    /// <summary>The store's number for the commit (set by the store; orders notifications against tracker baselines).</summary>
    internal long Commit { get; init; }
}
