using FeatureFlags.DataSystem;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace FeatureFlags.Redis.Internal;

// The background loop's work: fold the queue, check the stored version, write the change (its patch, or the whole
// state; one script per write).
internal sealed partial class RedisFlagStore
{
    /// <summary>Folds the queue, runs the periodic check if due, and writes the state if it changed. False when Redis failed.</summary>
    private async Task<bool> WriteAsync(bool check)
    {
        Fold();
        if (_state is null || _environmentId is not { } environmentId)
        {
            return true;
        }

        var key = _connection.DataKey(environmentId);
        try
        {
            var db = (await _connection.GetAsync().ConfigureAwait(false)).GetDatabase();
            if (check)
            {
                _checkDue = false;
                await CheckAsync(db, key).ConfigureAwait(false);
            }

            if (_dirty && _storedBase == _state.Version)
            {
                await ConfirmAsync(db, key).ConfigureAwait(false);
            }

            if (_dirty)
            {
                await WriteStateAsync(db, key, environmentId).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            if (check)
            {
                _checkDue = true;
            }

            if (_failures++ == 0)
            {
                var error = _connection.Redact(ex.Message);
                LogWriteFailed(_connection.Endpoints, ex.GetType().Name, error);
            }

            return false;
        }

        if (_failures > 0)
        {
            LogWritingAgain(_connection.Endpoints, _failures);
            _failures = 0;
        }

        return true;
    }

    private void Fold()
    {
        List<FlagDataSet> queued;
        lock (_lock)
        {
            if (_queued.Count == 0)
            {
                return;
            }

            queued = [.. _queued];
            _queued.Clear();
        }

        foreach (var data in queued)
        {
            if (data.IsFull)
            {
                _state = data;
                _delta = null;
                _storedBase = null; // readers reload a full state
                _dirty = true;
            }
            else if (_state is null)
            {
                LogPatchWithoutState();
            }
            else
            {
                _state = _state.WithChanges(data);
                _delta = _delta is null ? data : _delta.WithChanges(data);
                _dirty = true;
            }
        }
    }

    private async Task CheckAsync(IDatabase db, string key)
    {
        var ready = _status?.Current.State == FeatureFlagsState.Ready;
        var result = (long)await db.ScriptEvaluateAsync(
            RedisLayout.CheckScript,
            [key],
            [_state!.Version, RedisLayout.Milliseconds(_time.GetUtcNow()), ready && !_dirty ? "1" : "0"]).ConfigureAwait(false);
        if (result < 0)
        {
            if (!_lossLogged)
            {
                _lossLogged = true;
                var description = RedisLayout.Describe(_state);
                LogStoreLost(_connection.Endpoints, key, description);
            }

            _storedBase = null;
            _delta = null;
            _dirty = true;
        }
        else if (result < _state.Version)
        {
            _storedBase = result;
            _dirty = true;
        }
    }

    /// <summary>
    /// Only patches with nothing newer than the stored version were committed (a cold start that resumed and got an
    /// empty patch, or a writer catching up with another): Redis already holds this state, and the live source has just
    /// confirmed it, so only <c>confirmedAt</c> is refreshed instead of sending the whole state again.
    /// </summary>
    private async Task ConfirmAsync(IDatabase db, string key)
    {
        var stored = (long)await db.ScriptEvaluateAsync(
            RedisLayout.CheckScript,
            [key],
            [_state!.Version, RedisLayout.Milliseconds(_time.GetUtcNow()), "1"]).ConfigureAwait(false);
        if (stored == _state.Version)
        {
            _dirty = false;
            _delta = null;
            LogConfirmed(_state.Version);
        }
        else
        {
            _storedBase = stored < 0 ? null : stored; // changed meanwhile: write the state
        }
    }

    /// <summary>
    /// Writes the change: only its patch while Redis holds the version the patch starts from
    /// (<see cref="RedisLayout.AppendScript"/>), else the whole state with the patch to publish
    /// (<see cref="RedisLayout.WriteScript"/>).
    /// </summary>
    private async Task WriteStateAsync(IDatabase db, string key, string environmentId)
    {
        var started = _time.GetTimestamp();
        var state = _state!;
        RedisKey channel = _connection.ChangesChannel(environmentId).ToString();
        var now = RedisLayout.Milliseconds(_time.GetUtcNow());

        // Serialised into pooled buffers and sent from them: no array of the state's size per write.
        using var patchJson = new PooledJsonBuffer();
        long? patchBase = null;
        if (_delta is { } delta && _storedBase is { } storedBase)
        {
            delta.WriteUtf8Json(patchJson);
            patchBase = storedBase;
            var appended = (RedisResult[])(await db.ScriptEvaluateAsync(
                RedisLayout.AppendScript,
                [key, channel],
                [state.Version, patchJson.WrittenMemory, now, storedBase, RedisLayout.MaxPatches]).ConfigureAwait(false))!;
            if ((int)appended[0] != RedisLayout.NeedsFullWrite)
            {
                Written(state, (int)appended[0], (long)appended[1], started, "patch appended");
                return;
            }
        }

        using var stateJson = new PooledJsonBuffer();
        state.WriteUtf8Json(stateJson);
        var result = (RedisResult[])(await db.ScriptEvaluateAsync(
            RedisLayout.WriteScript,
            [key, channel],
            [
                state.Version,
                stateJson.WrittenMemory,
                now,
                patchBase is { } b ? b : RedisValue.EmptyString,
                patchBase is null ? RedisValue.EmptyString : patchJson.WrittenMemory,
            ]).ConfigureAwait(false))!;
        var outcome = (int)result[0];
        Written(state, outcome, (long)result[1], started, outcome == 1 ? "written" : "unchanged (confirmed)");
    }

    /// <summary>Records a write's outcome: 0 refused (<paramref name="stored"/> is newer), else written or confirmed.</summary>
    private void Written(FlagDataSet state, int outcome, long stored, long started, string what)
    {
        _dirty = false;
        _delta = null;
        _lossLogged = false;
        SetStoredBase(Math.Max(stored, state.Version));
        if (outcome == 0)
        {
            LogNewerStored(stored, state.Version);
        }
        else if (_logger.IsEnabled(LogLevel.Debug))
        {
            var description = RedisLayout.Describe(state);
            var elapsed = _time.GetElapsedTime(started).TotalMilliseconds;
            LogWritten(description, what, elapsed);
        }
    }

    private void SetStoredBase(long version)
    {
        _storedBase = version;
        Interlocked.Exchange(ref _lastStored, version);
    }
}
