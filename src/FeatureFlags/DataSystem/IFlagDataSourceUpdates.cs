namespace FeatureFlags.DataSystem;

/// <summary>The data system as a data source sees it: where it commits data and reports its state.</summary>
/// <remarks>Thread-safe; commits are serialised and published to evaluations as one atomic snapshot swap.</remarks>
public interface IFlagDataSourceUpdates
{
    /// <summary>
    /// Gets the cursor a source resumes from: the version of the committed data when a live source confirmed it, or 0
    /// when the source must ask for everything (nothing yet, or only a bootstrap file or a persistent store's copy,
    /// which may miss deletions made meanwhile).
    /// </summary>
    long Cursor { get; }

    /// <summary>Commits a data set: a full set replaces everything, a patch upserts by version.</summary>
    /// <param name="data">The data set.</param>
    void Apply(FlagDataSet data);

    /// <summary>
    /// Reports the source's state: <see cref="FeatureFlagsState.Ready"/> when the committed data is complete and current,
    /// <see cref="FeatureFlagsState.Interrupted"/> when it lost its connection and is retrying,
    /// <see cref="FeatureFlagsState.Off"/> when it stopped for good (or is refused until something changes).
    /// </summary>
    /// <param name="state">The state; <see cref="FeatureFlagsState.Initializing"/> records only the error.</param>
    /// <param name="message">What went wrong, or <see langword="null"/>; must not contain secrets. Shown in the status and the health check.</param>
    void UpdateStatus(FeatureFlagsState state, string? message = null);

    /// <summary>
    /// Says which transport feeds the data now (shown as <see cref="FeatureFlagsStatus.DataSource"/> and as the
    /// <c>featureflags.sync.transport</c> metric dimension). A source that switches transports calls it at each switch;
    /// one that never calls it is shown by its type name. Use lower-case names (<see cref="FlagDataSourceNames"/>).
    /// </summary>
    /// <param name="name">The transport's name, for example <c>streaming</c> or <c>polling</c>.</param>
    void SetDataSource(string name);
}
