namespace FeatureFlags.DataSystem;

/// <summary>
/// What a persistent store loaded (<see cref="IPersistentFlagStore.LoadAsync"/>): a full data set and when a live
/// source last confirmed it.
/// </summary>
/// <remarks>
/// <para>
/// The data system always serves the data at once, as stale (<see cref="FeatureFlagsState.Interrupted"/>), until the live
/// source confirms it. When <see cref="ConfirmedAt"/> is within <see cref="StreamingOptions.FullResyncAfterOutage"/> of
/// now, the live source resumes from the data's version (<see cref="FlagDataSet.Version"/>, the cursor) and asks only
/// for what changed since; otherwise, or when <see cref="ConfirmedAt"/> is <see langword="null"/>, it asks for
/// everything, because deletions made during a long gap cannot be sent as changes.
/// </para>
/// <para>Immutable and thread-safe.</para>
/// </remarks>
public sealed class PersistedFlagData
{
    /// <summary>Creates the result of a load.</summary>
    /// <param name="data">The environment's data; must be a full data set.</param>
    /// <param name="confirmedAt">
    /// When a live source (connected to the flag server and in sync) last confirmed <paramref name="data"/>, on the clock
    /// of the process that saved it; <see langword="null"/> when unknown (the next sync then asks for everything).
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="data"/> is a patch.</exception>
    public PersistedFlagData(FlagDataSet data, DateTimeOffset? confirmedAt = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!data.IsFull)
        {
            throw new ArgumentException("A persistent store loads a full data set, not a patch.", nameof(data));
        }

        Data = data;
        ConfirmedAt = confirmedAt;
    }

    /// <summary>Gets the environment's data (a full data set).</summary>
    public FlagDataSet Data { get; }

    /// <summary>Gets when a live source last confirmed <see cref="Data"/>, or <see langword="null"/> when unknown.</summary>
    public DateTimeOffset? ConfirmedAt { get; }
}
