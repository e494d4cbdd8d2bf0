namespace FeatureFlags;

/// <summary>The state of the connection between the SDK and its flag data (the featureflag.co Python SDK's <c>StateType</c>).</summary>
public enum FeatureFlagsState
{
    /// <summary>No flag data yet: evaluations return the caller's default with <see cref="EvaluationReasonKind.ClientNotReady"/>.</summary>
    Initializing,

    /// <summary>Flag data is current: connected and in sync.</summary>
    Ready,

    /// <summary>The connection was lost; the last flags received keep being served while the SDK reconnects.</summary>
    Interrupted,

    /// <summary>Syncing stopped for good (the server rejected the secret, or the SDK was shut down); the last flags keep being served.</summary>
    Off,
}

/// <summary>A point-in-time view of the SDK's sync state.</summary>
/// <param name="State">The state.</param>
/// <param name="Since">When the state was entered.</param>
/// <param name="LastError">The last error, or <see langword="null"/>; never contains the secret or a tokenised URL.</param>
/// <param name="LastErrorAt">When <paramref name="LastError"/> happened.</param>
public sealed record FeatureFlagsStatus(FeatureFlagsState State, DateTimeOffset Since, string? LastError, DateTimeOffset? LastErrorAt)
{
    /// <summary>
    /// Gets why the last edit of <see cref="FeatureFlagsOptions.BootstrapFile"/> was not applied (the file, and for
    /// invalid JSON the line and column, 1-based), or <see langword="null"/> when the file in force is the file on disk.
    /// </summary>
    /// <remarks>
    /// Set while a broken edit is in force: the last good flags keep serving, and the health check reports Degraded
    /// with this error. Cleared by the next good edit. A file that is broken at start fails start-up instead.
    /// </remarks>
    public string? BootstrapFileError { get; init; }

    /// <summary>
    /// Gets the transport that feeds the flags now: <c>streaming</c> or <c>polling</c> (with
    /// <see cref="DataSyncMode.Auto"/>, the one that is live after the last failover or switch-back),
    /// <c>bootstrap-file</c> for an offline client, or the name a plugged-in data source reports
    /// (<see cref="DataSystem.IFlagDataSourceUpdates.SetDataSource"/>); <see langword="null"/> before any source started.
    /// The same name is the <c>featureflags.sync.transport</c> metric dimension. See <see cref="DataSystem.FlagDataSourceNames"/>.
    /// </summary>
    public string? DataSource { get; init; }
}
