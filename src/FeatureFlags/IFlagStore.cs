namespace FeatureFlags;

/// <summary>
/// The in-memory store of flags and segments that every evaluation reads. One per application (singleton).
/// </summary>
/// <remarks>
/// The store holds an immutable snapshot that is swapped atomically when data arrives: readers never lock and never
/// see a half-applied update. Archived flags and segments are kept as tombstones (hidden, but their version blocks
/// older updates). <see cref="FlagsChanged"/> is raised after each commit on the SDK's notification thread, in commit
/// order, never under a lock: the update is already visible to evaluations when the handler runs (and later updates
/// may be too), and a slow handler delays only the notifications behind it, never the next update. A handler that
/// throws is logged and does not affect the others.
/// </remarks>
public interface IFlagStore
{
    /// <summary>Gets whether flag data has been loaded (from the server, a bootstrap file or a cache).</summary>
    bool IsInitialized { get; }

    /// <summary>Gets the version cursor: the largest <c>updatedAt</c> (Unix ms) over all entities, archived included; 0 when empty.</summary>
    long Version { get; }

    /// <summary>Gets the keys of the live (non-archived) flags.</summary>
    IReadOnlyList<string> FlagKeys { get; }

    /// <summary>Gets whether a live flag with this key exists.</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <returns><see langword="true"/> when the flag exists and is not archived.</returns>
    bool ContainsFlag(string flagKey);

    /// <summary>Raised after an update is committed, with the keys of the flags whose outcome may have changed.</summary>
    event EventHandler<FlagsChangedEventArgs>? FlagsChanged;
}
