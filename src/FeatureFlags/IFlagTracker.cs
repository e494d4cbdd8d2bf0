namespace FeatureFlags;

/// <summary>
/// Notifies the application when flags change: when a flag's outcome <em>may</em> have changed for anyone, or when
/// the value a given user gets actually changed (FeatBit's Python SDK <c>flag_tracker</c>).
/// </summary>
/// <remarks>
/// <para>
/// One per application (singleton); thread-safe. Handlers run on the SDK's notification thread, after the commit, in
/// commit order, never under a lock; each notification carries the data of its own commit, even when newer updates
/// are already applied. A slow handler delays the notifications behind it, never the store. Within one commit, flags
/// are notified in the order the store lists them, and each flag's handlers in the order they subscribed. A handler
/// that throws is logged and does not stop the other handlers or the store.
/// </para>
/// <para>
/// Handlers may subscribe or unsubscribe (including themselves) from inside a handler without deadlocking; a
/// subscription hears the commits made after it, not those still queued for delivery when it was made. Disposing a
/// subscription stops further calls; a notification already running on another thread may still complete.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// public sealed class CheckoutWatcher(IFlagTracker tracker, ILogger&lt;CheckoutWatcher&gt; logger) : IDisposable
/// {
///     private readonly IDisposable _anyChange = tracker.OnFlagChanged("checkout-v2",
///         e =&gt; logger.LogInformation("{Flag} may have changed (version {Version})", e.FlagKey, e.Version));
///
///     private readonly IDisposable _adaChange = tracker.OnFlagValueChanged("checkout-v2", FlagUser.Create("user-42", "Ada"),
///         e =&gt; logger.LogInformation("{Flag} for {User} went from '{Old}' to '{New}'", e.FlagKey, e.User.Key, e.OldValue, e.NewValue));
///
///     public void Dispose()
///     {
///         _anyChange.Dispose();
///         _adaChange.Dispose();
///     }
/// }
/// </code>
/// </example>
public interface IFlagTracker
{
    /// <summary>
    /// Subscribes to every committed update that may change the outcome of <paramref name="flagKey"/>: the flag was
    /// changed, added, archived or removed, or a segment its rules use changed.
    /// </summary>
    /// <remarks>
    /// "May": the handler is called without evaluating the flag, so it also fires when no user's value actually changed
    /// (for example, a renamed flag). Use <see cref="OnFlagValueChanged"/> to hear only real changes for one user.
    /// </remarks>
    /// <param name="flagKey">The flag key (ordinal); the flag does not need to exist yet.</param>
    /// <param name="handler">Called on the SDK's notification thread, in commit order, with the change.</param>
    /// <returns>The subscription; dispose it to unsubscribe (idempotent).</returns>
    /// <exception cref="ArgumentException"><paramref name="flagKey"/> is null, empty or white space.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="handler"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The tracker was disposed (the application is shutting down).</exception>
    IDisposable OnFlagChanged(string flagKey, Action<FlagChangedEvent> handler);

    /// <summary>
    /// Subscribes to changes of the value <paramref name="user"/> gets for <paramref name="flagKey"/>: the flag is
    /// evaluated for the user now and after every committed update that may change it, and
    /// <paramref name="handler"/> is called only when the raw value differs from the previous one.
    /// </summary>
    /// <remarks>
    /// Values are the raw variation values, as <see cref="IFeatureFlagClient.StringVariation"/> returns them with an
    /// empty default: <see cref="string.Empty"/> while the flag is not served (flag data not loaded yet, flag unknown,
    /// archived or removed, or an evaluation error). So archiving a flag reports a change to <see cref="string.Empty"/>,
    /// and the first data load reports a change from it. Values are compared ordinally; a change of variation that
    /// keeps the same value is not reported. Evaluations made for this subscription are not sent as insight events.
    /// </remarks>
    /// <param name="flagKey">The flag key (ordinal); the flag does not need to exist yet.</param>
    /// <param name="user">The user to evaluate the flag for.</param>
    /// <param name="handler">Called on the SDK's notification thread, in commit order, with the old and new values.</param>
    /// <returns>The subscription; dispose it to unsubscribe (idempotent).</returns>
    /// <exception cref="ArgumentException"><paramref name="flagKey"/> is null, empty or white space.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="user"/> or <paramref name="handler"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The tracker was disposed (the application is shutting down).</exception>
    IDisposable OnFlagValueChanged(string flagKey, FlagUser user, Action<FlagValueChangedEvent> handler);
}
