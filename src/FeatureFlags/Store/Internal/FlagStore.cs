using FeatureFlags.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Telemetry.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Store.Internal;

/// <summary>What applying a data set did.</summary>
internal readonly record struct ApplyResult(int Applied, int Ignored, int Invalid, IReadOnlyList<string> ChangedFlagKeys);

/// <summary>
/// The singleton flag store: an immutable <see cref="FlagSnapshot"/> swapped atomically. Writers are serialised
/// by a lock; readers take <see cref="Current"/> and never lock.
/// </summary>
/// <remarks>
/// Local overrides (<see cref="FeatureFlagsOptions.Overrides"/>) are compiled into the published snapshot: an overridden
/// flag is replaced by a constant, disabled flag serving the override, so evaluation pays nothing for them. The data
/// the server sent is kept apart (<c>_base</c>) and the snapshot is re-published when either changes.
/// </remarks>
internal sealed partial class FlagStore : IFlagStore, IDisposable
{
    private readonly Lock _writeLock = new();
    private readonly FlagCompiler _compiler;
    private readonly ILogger<FlagStore> _logger;
    private readonly IDisposable? _overridesSubscription;
    private readonly NotificationDispatcher _dispatcher;
    private readonly NotificationDispatcher? _ownDispatcher;
    private FlagSnapshot _current = FlagSnapshot.Empty;
    private FlagSnapshot _base = FlagSnapshot.Empty;
    private Dictionary<string, string> _overrides = new(StringComparer.Ordinal);

    public FlagStore(
        IOptions<FeatureFlagsOptions> options, ILogger<FlagStore> logger, IOptionsMonitor<FeatureFlagsOptions>? monitor = null,
        FeatureFlagsMetrics? metrics = null, TimeProvider? time = null, NotificationDispatcher? dispatcher = null)
        : this(options, logger, RegexPolicy.For(options.Value.Evaluation, time ?? TimeProvider.System), monitor, metrics, dispatcher)
    {
    }

    /// <summary>A store whose rule regexes follow <paramref name="regexPolicy"/> (the benchmarks compare policies).</summary>
    internal FlagStore(
        IOptions<FeatureFlagsOptions> options, ILogger<FlagStore> logger, RegexPolicy regexPolicy, IOptionsMonitor<FeatureFlagsOptions>? monitor = null,
        FeatureFlagsMetrics? metrics = null, NotificationDispatcher? dispatcher = null)
    {
        _compiler = new FlagCompiler(regexPolicy);
        _logger = logger;

        // Without the client's dispatcher (a store built directly, in tests), the store has its own and disposes it.
        _ownDispatcher = dispatcher is null ? new NotificationDispatcher(logger) : null;
        _dispatcher = dispatcher ?? _ownDispatcher!;
        Metrics = metrics;
        metrics?.ObserveStore(this);
        SetOverrides(options.Value.Overrides);
        _overridesSubscription = monitor?.OnChange((o, name) =>
        {
            if (name is null || name == Options.DefaultName)
            {
                SetOverrides(o.Overrides);
            }
        });
    }

    public event EventHandler<FlagsChangedEventArgs>? FlagsChanged;

    /// <summary>
    /// The SDK's instruments, shared through the store by every component that reads or writes it (the client, the
    /// sync); null when the store was built without them (nothing is then counted; evaluation events still work).
    /// </summary>
    internal FeatureFlagsMetrics? Metrics { get; }

    /// <summary>The snapshot every evaluation reads; replaced, never mutated.</summary>
    public FlagSnapshot Current => Volatile.Read(ref _current);

    public bool IsInitialized => Current.IsInitialized;

    public long Version => Current.Version;

    public IReadOnlyList<string> FlagKeys => Current.LiveKeys;

    public bool ContainsFlag(string flagKey) => flagKey is not null && Current.TryGetLiveFlag(flagKey, out _);

    /// <summary>Applies a <c>data-sync</c> payload: <c>full</c> replaces everything, anything else is a patch.</summary>
    public ApplyResult Apply(DataSyncPayloadDto payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var flags = payload.FeatureFlags?.Items ?? [];
        var segments = payload.Segments?.Items ?? [];
        var invalid = LogReadErrors("flag", payload.FeatureFlags) + LogReadErrors("segment", payload.Segments);
        var result = string.Equals(payload.EventType, "full", StringComparison.OrdinalIgnoreCase)
            ? ApplyFull(flags, segments)
            : ApplyPatch(flags, segments);
        return result with { Invalid = result.Invalid + invalid };
    }

    /// <summary>Replaces the whole data set, regardless of versions (a full data-sync).</summary>
    public ApplyResult ApplyFull(IReadOnlyList<FlagDto> flags, IReadOnlyList<SegmentDto> segments)
    {
        lock (_writeLock)
        {
            _compiler.EndApply(); // nothing left from an apply that threw
            var old = _base;
            var invalid = 0;
            var newSegments = new Dictionary<Guid, CompiledSegment>(segments.Count);
            foreach (var dto in segments)
            {
                if (FlagCompiler.IdOf(dto) is not { } id)
                {
                    invalid++;
                    LogInvalidSegment(LogText.Escape(dto.Id));
                    continue;
                }

                if (!newSegments.TryGetValue(id, out var existing) || existing.Version < dto.UpdatedAt)
                {
                    newSegments[id] = CompileSegment(dto, id);
                }
            }

            var newFlags = new Dictionary<string, CompiledFlag>(flags.Count, StringComparer.Ordinal);
            foreach (var dto in flags)
            {
                if (FlagCompiler.KeyOf(dto) is not { } key)
                {
                    invalid++;
                    LogInvalidFlag(LogText.Escape(dto.Id));
                    continue;
                }

                if (!newFlags.TryGetValue(key, out var existing) || existing.Version < dto.UpdatedAt)
                {
                    newFlags[key] = CompileFlag(dto, key, newSegments);
                }
            }

            // Which flags may now evaluate differently: added, removed, changed, or using a changed segment.
            var changed = new List<string>();
            foreach (var (key, flag) in newFlags)
            {
                if (!old.Flags.TryGetValue(key, out var before)
                    || before.Version != flag.Version
                    || before.IsArchived != flag.IsArchived
                    || UsesChangedSegment(flag, old.Segments, newSegments))
                {
                    changed.Add(key);
                }
            }

            foreach (var key in old.Flags.Keys)
            {
                if (!newFlags.ContainsKey(key))
                {
                    changed.Add(key);
                }
            }

            _compiler.EndApply();
            Publish(new FlagSnapshot(newFlags, newSegments, isInitialized: true), changed, isFullSync: true);
            return new ApplyResult(newFlags.Count + newSegments.Count, 0, invalid, changed);
        }
    }

    /// <summary>Upserts entities by version: newer wins; equal or older is ignored (a patch data-sync or push).</summary>
    public ApplyResult ApplyPatch(IReadOnlyList<FlagDto> flags, IReadOnlyList<SegmentDto> segments)
    {
        lock (_writeLock)
        {
            _compiler.EndApply(); // nothing left from an apply that threw
            var old = _base;
            int applied = 0, ignored = 0, invalid = 0;

            Dictionary<Guid, CompiledSegment>? newSegments = null;
            var changedSegments = new HashSet<Guid>();
            foreach (var dto in segments)
            {
                if (FlagCompiler.IdOf(dto) is not { } id)
                {
                    invalid++;
                    LogInvalidSegment(LogText.Escape(dto.Id));
                    continue;
                }

                var current = newSegments ?? old.Segments;
                if (current.TryGetValue(id, out var existing) && existing.Version >= dto.UpdatedAt)
                {
                    ignored++;
                    continue;
                }

                newSegments ??= new Dictionary<Guid, CompiledSegment>(old.Segments);
                newSegments[id] = CompileSegment(dto, id);
                changedSegments.Add(id);
                applied++;
            }

            var segmentsAfter = newSegments ?? old.Segments;
            Dictionary<string, CompiledFlag>? newFlags = null;
            var changed = new List<string>();
            var compiledNow = new HashSet<string>(StringComparer.Ordinal);
            foreach (var dto in flags)
            {
                if (FlagCompiler.KeyOf(dto) is not { } key)
                {
                    invalid++;
                    LogInvalidFlag(LogText.Escape(dto.Id));
                    continue;
                }

                var current = newFlags ?? old.Flags;
                if (current.TryGetValue(key, out var existing) && existing.Version >= dto.UpdatedAt)
                {
                    ignored++;
                    continue;
                }

                newFlags ??= new Dictionary<string, CompiledFlag>(old.Flags, StringComparer.Ordinal);
                newFlags[key] = CompileFlag(dto, key, segmentsAfter);
                if (compiledNow.Add(key))
                {
                    changed.Add(key);
                }

                applied++;
            }

            // Flags whose rules use a changed segment are recompiled against it (their own version is unchanged).
            if (changedSegments.Count > 0)
            {
                foreach (var flag in (newFlags ?? old.Flags).Values.ToArray())
                {
                    if (flag.Source is not null && !compiledNow.Contains(flag.Key) && Array.Exists(flag.SegmentIds, changedSegments.Contains))
                    {
                        newFlags ??= new Dictionary<string, CompiledFlag>(old.Flags, StringComparer.Ordinal);
                        newFlags[flag.Key] = _compiler.CompileFlag(flag.Source, flag.Key, segmentsAfter);
                        changed.Add(flag.Key);
                    }
                }
            }

            _compiler.EndApply();
            if (newFlags is not null || newSegments is not null || !old.IsInitialized)
            {
                // The sorted live list of the old snapshot is patched in place of a re-sort of every flag.
                var snapshot = old.IsInitialized && newFlags is not null
                    ? FlagSnapshot.Patched(old, newFlags, segmentsAfter, changed)
                    : new FlagSnapshot(newFlags ?? old.Flags, segmentsAfter, isInitialized: true);
                Publish(snapshot, changed, isFullSync: false);
            }

            return new ApplyResult(applied, ignored, invalid, changed);
        }
    }

    private static bool UsesChangedSegment(CompiledFlag flag, Dictionary<Guid, CompiledSegment> before, Dictionary<Guid, CompiledSegment> after)
    {
        foreach (var id in flag.SegmentIds)
        {
            var had = before.TryGetValue(id, out var b);
            var has = after.TryGetValue(id, out var a);
            if (had != has || (had && (b!.Version != a!.Version || b.IsArchived != a.IsArchived)))
            {
                return true;
            }
        }

        return false;
    }

    private CompiledSegment CompileSegment(SegmentDto dto, Guid id)
    {
        var segment = _compiler.CompileSegment(dto, id);
        if (segment.Problems.Length > 0)
        {
            LogBrokenSegment(id, LogText.Escape(string.Join("; ", segment.Problems)));
        }

        return segment;
    }

    private CompiledFlag CompileFlag(FlagDto dto, string key, Dictionary<Guid, CompiledSegment> segments)
    {
        var flag = _compiler.CompileFlag(dto, key, segments);
        if (flag.Problems.Length > 0 && !flag.IsArchived)
        {
            LogBrokenFlag(LogText.Escape(key), LogText.Escape(string.Join("; ", flag.Problems)));
        }

        return flag;
    }

    private int LogReadErrors<T>(string kind, TolerantList<T>? list)
        where T : class
    {
        if (list is null)
        {
            return 0;
        }

        foreach (var error in list.Errors)
        {
            LogUnreadableEntity(kind, LogText.Escape(error));
        }

        return list.Errors.Count;
    }

    public void Dispose()
    {
        _overridesSubscription?.Dispose();
        _ownDispatcher?.Dispose();
    }

    /// <summary>Replaces the local overrides and re-publishes the snapshot; the flags whose value changed are notified.</summary>
    public void SetOverrides(IDictionary<string, string>? overrides)
    {
        var next = new Dictionary<string, string>(overrides ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        lock (_writeLock)
        {
            var changed = new List<string>();
            foreach (var (key, value) in next)
            {
                if (!_overrides.TryGetValue(key, out var before) || !string.Equals(before, value, StringComparison.Ordinal))
                {
                    changed.Add(key);
                }
            }

            foreach (var key in _overrides.Keys)
            {
                if (!next.ContainsKey(key))
                {
                    changed.Add(key);
                }
            }

            if (changed.Count == 0)
            {
                return;
            }

            _overrides = next;
            PublishEffective(_base, changed, isFullSync: false);
        }
    }

    private static CompiledFlag CompileOverride(string key, string value, CompiledVariation parsed, CompiledFlag? real)
    {
        // The variation pre-parses the value; its parses also tell the type when the server has no such flag.
        var type = real?.VariationType is { Length: > 0 } known ? known
            : parsed.HasBool ? "boolean"
            : parsed.HasDouble ? "number"
            : value.TrimStart().StartsWith('{') || value.TrimStart().StartsWith('[') ? "json" : "string";
        var variation = type == "boolean" && parsed.HasBool
            ? new CompiledVariation("override", parsed.Bool ? "true" : "false") // configuration spells JSON booleans "True"/"False"
            : parsed;
        return new CompiledFlag
        {
            Key = key,
            Version = real?.Version ?? 0,
            IsArchived = false,
            IsEnabled = false,
            DisabledVariation = variation,
            OffReason = Evaluation.Internal.Reasons.Overridden,
            OffKind = EvaluationReasonKind.LocalOverride,
            Targets = TargetMap.Empty,
            Rules = [],
            Fallthrough = new CompiledRollout { DispatchKey = null, IncludedInExpt = false, Slices = [] },
            ExptIncludeAllTargets = false,
            Variations = [variation],
            VariationType = type,
            SegmentIds = [],
            Problems = [],
            Source = null,
        };
    }

    private void Publish(FlagSnapshot snapshot, List<string> changed, bool isFullSync)
    {
        if (_overrides.Count > 0)
        {
            // An overridden flag serves the same value whatever the server sends: no change to report for it.
            changed.RemoveAll(_overrides.ContainsKey);
        }

        PublishEffective(snapshot, changed, isFullSync);
    }

    private void PublishEffective(FlagSnapshot baseSnapshot, List<string> changed, bool isFullSync)
    {
        _base = baseSnapshot;
        var snapshot = baseSnapshot;
        if (_overrides.Count > 0)
        {
            var flags = new Dictionary<string, CompiledFlag>(baseSnapshot.Flags, StringComparer.Ordinal);
            foreach (var (key, value) in _overrides)
            {
                baseSnapshot.Flags.TryGetValue(key, out var real);
                flags[key] = CompileOverride(key, value, new CompiledVariation("override", value), real);
            }

            snapshot = new FlagSnapshot(flags, baseSnapshot.Segments, baseSnapshot.IsInitialized);
        }

        Volatile.Write(ref _current, snapshot);
        _commits++;
        var handlers = FlagsChanged;
        if (handlers is null || (changed.Count == 0 && !isFullSync))
        {
            return;
        }

        // Queued under the write lock, so notifications go out in commit order; the handlers run later on the
        // dispatcher's worker, outside every lock (RaiseFlagsChanged).
        var args = new FlagsChangedEventArgs(changed.AsReadOnly(), isFullSync, snapshot.Version) { Snapshot = snapshot, Commit = _commits };
        _dispatcher.Post(() => RaiseFlagsChanged(handlers, args));
    }
}
