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
        return listener;
    }

    public IDisposable OnFlagValueChanged(string flagKey, FlagUser user, Action<FlagValueChangedEvent> handler)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(flagKey);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(handler);
        var listener = new ValueListener(this, flagKey, user, handler);

        // Register first, then take the baseline: a commit racing with this call is then either delivered to the
        // listener (which adopts its value as the baseline if it comes first) or already visible in Current. The
        // fences here and in OnFlagsChanged order "publish listener, read Current" against the store's "publish
        // Current, read listeners", so at least one side sees the other.
        Add(listener);
        Interlocked.MemoryBarrier();
        listener.SetBaseline(Evaluate(_store.Current, flagKey, user));
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

    // Raised by the store after a commit, under its write lock: Current is the snapshot this event describes, and
    // events arrive one at a time, in commit order.
    private void OnFlagsChanged(object? sender, FlagsChangedEventArgs e)
    {
        Interlocked.MemoryBarrier();
        var snapshot = _store.Current;
        foreach (var flagKey in e.FlagKeys)
        {
            if (!_listeners.TryGetValue(flagKey, out var listeners))
            {
                continue;
            }

            foreach (var listener in listeners)
            {
                // A handler earlier in this loop may have disposed a later listener: it is skipped.
                if (!listener.IsDisposed)
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

        public string FlagKey { get; } = flagKey;

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

        // The value last seen; null until the baseline is taken (at subscription, or by a commit that raced it).
        private string? _last;

        public void SetBaseline(string value)
        {
            lock (_lock)
            {
                _last ??= value;
            }
        }

        public override void Notify(FlagSnapshot snapshot, FlagsChangedEventArgs e)
        {
            var now = Owner.Evaluate(snapshot, FlagKey, user);
            string? old;
            lock (_lock)
            {
                old = _last;
                _last = now;
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
