namespace FeatureFlags.DataSystem;

/// <summary>
/// Keeps a copy of the flag data outside the process, so a client can start with flags when its live source is slow or
/// unreachable: the last-known-good cache file (<see cref="FeatureFlagsOptions.CacheFile"/>) is the built-in one.
/// </summary>
/// <remarks>
/// <para>
/// Data is kept per FeatBit environment, under an identity that does not reveal the secret (the
/// <c>environmentId</c> arguments): a store must never return another environment's data. The data system loads the
/// store once at start, before the live source connects, and serves what it returns as stale
/// (<see cref="FeatureFlagsState.Interrupted"/>) until the live source confirms it. The live source resumes from the
/// stored data's version (asking only for changes) when a live source confirmed that data within
/// <see cref="StreamingOptions.FullResyncAfterOutage"/> (<see cref="PersistedFlagData.ConfirmedAt"/>), and asks for
/// everything otherwise.
/// </para>
/// <para>
/// <see cref="Save"/> is called after each commit from a live source, on the sync path: it must return at once and
/// write behind, and must not throw. Failures are the store's to log; evaluation never depends on the store.
/// </para>
/// </remarks>
public interface IPersistentFlagStore
{
    /// <summary>Loads the environment's data, or <see langword="null"/> when there is none the store can vouch for.</summary>
    /// <param name="environmentId">The environment's identity.</param>
    /// <param name="cancellationToken">Cancels the load (the client is stopping or its start wait is over).</param>
    /// <returns>A full data set with when a live source last confirmed it, or <see langword="null"/>.</returns>
    /// <remarks>The client's start waits for this load: bound it (a store that cannot answer quickly returns <see langword="null"/>).</remarks>
    ValueTask<PersistedFlagData?> LoadAsync(string environmentId, CancellationToken cancellationToken);

    /// <summary>Records a committed data set (full or patch) for the environment; writes behind.</summary>
    /// <param name="environmentId">The environment's identity.</param>
    /// <param name="data">The data set, as committed.</param>
    void Save(string environmentId, FlagDataSet data);

    /// <summary>Writes what is pending now (the client is stopping).</summary>
    /// <param name="cancellationToken">Bounds the wait.</param>
    /// <returns>A task that completes when pending data is written or the wait is cancelled.</returns>
    ValueTask FlushAsync(CancellationToken cancellationToken);
}
