using System.Text.Json;
using FeatureFlags.DataSystem;
using FeatureFlags.Testing.Internal;

namespace FeatureFlags.Testing;

// How changes reach the apps: each change is written as FeatBit JSON and committed through every attached app's
// data system (IFlagDataSourceUpdates), under the lock, in order.
public sealed partial class InMemoryFlags
{
    /// <summary>Changes one flag under the lock and publishes it (or queues it inside <see cref="Update"/>).</summary>
    internal void Change(string key, Action<FlagDefinition> change)
    {
        lock (_lock)
        {
            if (!_flags.TryGetValue(key, out var definition))
            {
                definition = new FlagDefinition(key);
                _flags[key] = definition;
            }

            // On a failed check the change throws before it mutates anything; a new, undefined flag is dropped again.
            try
            {
                change(definition);
            }
            catch when (!definition.IsDefined)
            {
                _flags.Remove(key);
                throw;
            }

            definition.IsDefined = true;
            Commit(key);
        }
    }

    /// <summary>Changes one segment under the lock and publishes it (or queues it inside <see cref="Update"/>).</summary>
    internal void ChangeSegment(string name, Action<SegmentDefinition> change)
    {
        lock (_lock)
        {
            if (!_segments.TryGetValue(name, out var definition))
            {
                definition = new SegmentDefinition(name);
                _segments[name] = definition;
            }

            change(definition);
            definition.IsDefined = true;
            CommitSegment(name);
        }
    }

    /// <summary>Removes one segment; flags that still use it then evaluate to "malformed flag" where they reach it.</summary>
    internal bool RemoveSegment(string name)
    {
        lock (_lock)
        {
            if (!_segments.Remove(name, out var removed) || !removed.IsDefined)
            {
                return false;
            }

            CommitSegment(name);
            return true;
        }
    }

    /// <summary>
    /// Loads every flag and segment into an app that starts following these flags (a full data set, as FeatBit sends
    /// on connect) and reports the current status there.
    /// </summary>
    internal void Attach(IFlagDataSourceUpdates app)
    {
        lock (_lock)
        {
            app.Apply(WireWriter.DataSet(
                full: true,
                [.. _flags.Values.Where(static f => f.IsDefined).Select(static f => (Action<Utf8JsonWriter>)f.WriteTo)],
                [.. _segments.Values.Where(static s => s.IsDefined).Select(static s => (Action<Utf8JsonWriter>)s.WriteTo)]));

            // Ready first: the app has its flags. Interrupted and Off then apply as they would after a connection.
            app.UpdateStatus(FeatureFlagsState.Ready, _state == FeatureFlagsState.Ready ? _error : null);
            if (_state != FeatureFlagsState.Ready)
            {
                app.UpdateStatus(_state, _error);
            }

            _apps.Add(app);
        }
    }

    internal void Detach(IFlagDataSourceUpdates app)
    {
        lock (_lock)
        {
            _apps.Remove(app);
        }
    }

    private void Commit(string key)
    {
        if (_batchDepth > 0)
        {
            _pending.Add(key);
            return;
        }

        Publish([key], []);
    }

    private void CommitSegment(string name)
    {
        if (_batchDepth > 0)
        {
            _pendingSegments.Add(name);
            return;
        }

        Publish([], [name]);
    }

    private void Publish(string[] keys, string[] segmentNames)
    {
        var version = ++_version;
        var segments = new List<Action<Utf8JsonWriter>>(segmentNames.Length);
        foreach (var name in segmentNames)
        {
            if (_segments.TryGetValue(name, out var definition) && definition.IsDefined)
            {
                definition.Version = version;
                segments.Add(definition.WriteTo);
            }
            else
            {
                segments.Add(w => SegmentDefinition.WriteTombstone(w, name, version));
            }
        }

        var flags = new List<Action<Utf8JsonWriter>>(keys.Length);
        foreach (var key in keys)
        {
            if (_flags.TryGetValue(key, out var definition) && definition.IsDefined)
            {
                definition.Version = version;
                flags.Add(definition.WriteTo);
            }
            else
            {
                flags.Add(w => FlagDefinition.WriteTombstone(w, key, version));
            }
        }

        // Written (and checked) even with no app attached: a definition the SDK cannot read fails the call that made it.
        var patch = WireWriter.DataSet(full: false, flags, segments);

        // Under the lock: every app sees the changes in the same order; each app's store queues its notifications
        // (its dispatcher runs the handlers after this returns, in commit order) and also recompiles, and notifies,
        // the flags that use a changed segment.
        foreach (var app in _apps)
        {
            app.Apply(patch);
        }
    }

    private void Restore(string key, FlagDefinition? previous)
    {
        lock (_lock)
        {
            if (previous is null)
            {
                _flags.Remove(key);
            }
            else
            {
                _flags[key] = previous;
            }

            Commit(key);
        }
    }

    private sealed class Scope(InMemoryFlags owner, string key, FlagDefinition? previous) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Restore(key, previous);
            }
        }
    }
}
