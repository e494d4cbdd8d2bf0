using FeatureFlags.Internal;

namespace FeatureFlags.Store.Internal;

// Change notifications: queued under the write lock (commit order), raised by the dispatcher outside it.
internal sealed partial class FlagStore
{
    // Commits published so far; written under the write lock. Numbers the notifications, so a tracker listener that
    // takes its baseline at commit N ignores the notifications of commits up to N still queued for delivery.
    private long _commits;

    /// <summary>The dispatcher that delivers this store's notifications (the client's, or the store's own).</summary>
    internal NotificationDispatcher Dispatcher => _dispatcher;

    /// <summary>The current snapshot and the number of the commit that published it, read together.</summary>
    internal (FlagSnapshot Snapshot, long Commit) CurrentCommit()
    {
        lock (_writeLock)
        {
            return (_current, _commits);
        }
    }

    // On the dispatcher's worker, outside every lock: one failing handler does not stop the rest.
    private void RaiseFlagsChanged(EventHandler<FlagsChangedEventArgs> handlers, FlagsChangedEventArgs args)
    {
        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((EventHandler<FlagsChangedEventArgs>)handler)(this, args);
            }
            catch (Exception ex)
            {
                LogHandlerFailed(ex);
            }
        }
    }
}
