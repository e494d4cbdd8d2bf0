using System.Collections.Concurrent;
using FeatureFlags.Internal;
using FeatureFlags.Store.Internal;
using Microsoft.Extensions.Logging;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>
/// The singleton <see cref="IFlagTracker"/>: listens to <see cref="FlagStore.FlagsChanged"/> and fans each commit out to
/// the listeners of the flags it lists. Listener lists are copy-on-write arrays, so a notification iterates a stable
/// array without holding a lock, and handlers may subscribe or unsubscribe while it runs.
/// </summary>
/// <remarks>
/// The store's notifications arrive on the client's <see cref="NotificationDispatcher"/>, one at a time, in commit
/// order and outside every lock, each with the snapshot it describes; the tracker's handlers run there too.
/// </remarks>
internal sealed partial class FlagTracker : IFlagTracker, IDisposable
{
    private readonly FlagStore _store;
    private readonly FeatureFlagClient _client;
    private readonly ILogger<FlagTracker> _logger;

    // Writers (subscribe, unsubscribe, dispose) serialise on _gate and replace arrays; the notifier reads without locking.
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, Listener[]> _listeners = new(StringComparer.Ordinal);
    private bool _disposed;

    public FlagTracker(FlagStore store, FeatureFlagClient client, ILogger<FlagTracker> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        _client = client;
        _logger = logger;
        _store.FlagsChanged += OnFlagsChanged;
    }

    public IDisposable OnFlagChanged(string flagKey, Action<FlagChangedEvent> handler)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(flagKey);
        ArgumentNullException.ThrowIfNull(handler);
        var listener = new ChangeListener(this, flagKey, handler);
        Add(listener);

        // Notifications of commits made before the subscription may still be queued: the listener does not get them.
        listener.Since = _store.CurrentCommit().Commit;
        return listener;
    }

    public IDisposable OnFlagValueChanged(string flagKey, FlagUser user, Action<FlagValueChangedEvent> handler)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(flagKey);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(handler);
        var listener = new ValueListener(this, flagKey, user, handler);

        // Register first, then take the baseline with the number of the commit it reflects: notifications of that
        // commit or older (still queued) are ignored, newer ones compare against it. A newer notification delivered
        // before the baseline is taken wins over it (the listener keeps the latest commit it saw).
        Add(listener);
        var (snapshot, commit) = _store.CurrentCommit();
        listener.SetBaseline(Evaluate(snapshot, flagKey, user), commit);
        return listener;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var listeners in _listeners.Values)
            {
                foreach (var listener in listeners)
                {
                    listener.MarkDisposed();
                }
            }

            _listeners.Clear();
        }

        _store.FlagsChanged -= OnFlagsChanged;
    }

    /// <summary>The raw value, as <c>StringVariation(flagKey, user, "")</c> would return it, without side effects.</summary>
    private string Evaluate(FlagSnapshot snapshot, string flagKey, FlagUser user)
        => _client.Evaluate<string, StringConverter>(snapshot, flagKey, user, string.Empty, record: false).Value;

    // Raised by the dispatcher after a commit, outside every lock, one at a time, in commit order; e.Snapshot is the
    // snapshot this event describes (Current may already be newer).
    private void OnFlagsChanged(object? sender, FlagsChangedEventArgs e)
    {
        var snapshot = e.Snapshot ?? _store.Current;
        foreach (var flagKey in e.FlagKeys)
        {
            if (!_listeners.TryGetValue(flagKey, out var listeners))
            {
                continue;
            }

            foreach (var listener in listeners)
            {
                // A handler earlier in this loop may have disposed a later listener: it is skipped. So is a listener
                // that subscribed after this commit (its notification was still queued).
                if (!listener.IsDisposed && e.Commit > listener.Since)
                {
                    listener.Notify(snapshot, e);
                }
            }
        }
    }

    private void Add(Listener listener)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _listeners[listener.FlagKey] = _listeners.TryGetValue(listener.FlagKey, out var existing) ? [.. existing, listener] : [listener];
        }
    }

    private void Remove(Listener listener)
    {
        lock (_gate)
        {
            if (!_listeners.TryGetValue(listener.FlagKey, out var existing))
            {
                return;
            }

            var index = Array.IndexOf(existing, listener);
            if (index < 0)
            {
                return;
            }

            if (existing.Length == 1)
            {
                _listeners.TryRemove(listener.FlagKey, out _);
                return;
            }

            var remaining = new Listener[existing.Length - 1];
            Array.Copy(existing, 0, remaining, 0, index);
            Array.Copy(existing, index + 1, remaining, index, existing.Length - index - 1);
            _listeners[listener.FlagKey] = remaining;
        }
    }

    /// <summary>One subscription; disposing it unsubscribes.</summary>
    private abstract class Listener(FlagTracker owner, string flagKey) : IDisposable
    {
        private int _disposed;
        private long _since = -1;

        public string FlagKey { get; } = flagKey;

        /// <summary>The last commit before the subscription; -1 until known.</summary>
        public long Since
        {
            get => Volatile.Read(ref _since);
            set => Volatile.Write(ref _since, value);
        }

        protected FlagTracker Owner { get; } = owner;

        public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

        public abstract void Notify(FlagSnapshot snapshot, FlagsChangedEventArgs e);

        public void MarkDisposed() => Volatile.Write(ref _disposed, 1);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Owner.Remove(this);
            }
        }
    }

    private sealed class ChangeListener(FlagTracker owner, string flagKey, Action<FlagChangedEvent> handler)
        : Listener(owner, flagKey)
    {
        public override void Notify(FlagSnapshot snapshot, FlagsChangedEventArgs e)
        {
            try
            {
                handler(new FlagChangedEvent(FlagKey, e.IsFullSync, e.Version));
            }
            catch (Exception ex)
            {
                Owner.LogChangeHandlerFailed(LogText.Escape(FlagKey), ex);
            }
        }
    }

    private sealed class ValueListener(FlagTracker owner, string flagKey, FlagUser user, Action<FlagValueChangedEvent> handler)
        : Listener(owner, flagKey)
    {
        private readonly Lock _lock = new();

        // The value last seen and the commit it reflects. Until the subscription has taken its baseline, delivered
        // notifications only move these forward (no handler call): the handler reports changes relative to a value
        // the subscription observed, never relative to one it skipped.
        private string? _last;
        private long _lastCommit = -1;
        private bool _baselineTaken;

        public void SetBaseline(string value, long commit)
        {
            lock (_lock)
            {
                _baselineTaken = true;

                // A newer commit delivered while the baseline was being taken wins over it.
                if (commit > _lastCommit)
                {
                    _last = value;
                    _lastCommit = commit;
                }
            }
        }

        public override void Notify(FlagSnapshot snapshot, FlagsChangedEventArgs e)
        {
            var now = Owner.Evaluate(snapshot, FlagKey, user);
            string? old;
            lock (_lock)
            {
                if (e.Commit <= _lastCommit)
                {
                    // Committed before the subscription's baseline: already reflected in it.
                    return;
                }

                old = _baselineTaken ? _last : null;
                _last = now;
                _lastCommit = e.Commit;
            }

            if (old is null || string.Equals(old, now, StringComparison.Ordinal))
            {
                return;
            }

            try
            {
                handler(new FlagValueChangedEvent(FlagKey, user, old, now, e.Version));
            }
            catch (Exception ex)
            {
                Owner.LogValueHandlerFailed(LogText.Escape(FlagKey), ex);
            }
        }
    }
}
