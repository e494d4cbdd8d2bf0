namespace FeatureFlags;

/// <summary>Tells whether flag data is current, and when that changes (the featureflag.co Python SDK's <c>update_status_provider</c>).</summary>
/// <remarks>
/// Singleton and thread-safe. <see cref="StatusChanged"/> is raised after each change on the SDK's notification
/// thread, in commit order (after the flag change that caused it, when one did), never under a lock:
/// <see cref="Current"/> and <see cref="WaitForReadyAsync"/> reflect the change at once, whatever the handlers do.
/// A handler that throws is logged and does not affect the others.
/// </remarks>
/// <example>
/// <code>
/// if (!await status.WaitForReadyAsync(TimeSpan.FromSeconds(5)))
/// {
///     logger.LogWarning("Serving default flag values: {Error}", status.Current.LastError);
/// }
/// </code>
/// </example>
public interface IFeatureFlagsStatusProvider
{
    /// <summary>Gets the current status.</summary>
    FeatureFlagsStatus Current { get; }

    /// <summary>Raised after the status changes.</summary>
    event EventHandler<FeatureFlagsStatus>? StatusChanged;

    /// <summary>
    /// Waits, asynchronously, until flag data is ready (the featureflag.co Python SDK's <c>wait_for_OKState</c>); returns at once when it
    /// already is. Never blocks a thread.
    /// </summary>
    /// <param name="timeout">The longest to wait; <see cref="Timeout.InfiniteTimeSpan"/> waits until ready or cancelled.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> when ready; <see langword="false"/> on timeout or when syncing is <see cref="FeatureFlagsState.Off"/>.</returns>
    Task<bool> WaitForReadyAsync(TimeSpan timeout, CancellationToken cancellationToken = default);
}
