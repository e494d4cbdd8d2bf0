namespace FeatureFlags.Store.Internal;

/// <summary>
/// One immutable state of the store. Never mutated after it is published, so any number of threads may read it
/// without locks (a <see cref="Dictionary{TKey, TValue}"/> is safe for concurrent readers when nobody writes).
/// </summary>
internal sealed class FlagSnapshot
{
    public static readonly FlagSnapshot Empty = new(
        new Dictionary<string, CompiledFlag>(StringComparer.Ordinal), new Dictionary<Guid, CompiledSegment>(), isInitialized: false);

    public FlagSnapshot(Dictionary<string, CompiledFlag> flags, Dictionary<Guid, CompiledSegment> segments, bool isInitialized)
    {
        Flags = flags;
        Segments = segments;
        IsInitialized = isInitialized;

        long version = 0;
        var liveCount = 0;
        foreach (var flag in flags.Values)
        {
            version = Math.Max(version, flag.Version);
            liveCount += flag.IsArchived ? 0 : 1;
        }

        foreach (var segment in segments.Values)
        {
            version = Math.Max(version, segment.Version);
        }

        // The live flags and their keys, sized exactly and sorted together by key (one sort, no intermediate list).
        var liveFlags = new CompiledFlag[liveCount];
        var liveKeys = new string[liveCount];
        var i = 0;
        foreach (var flag in flags.Values)
        {
            if (!flag.IsArchived)
            {
                liveKeys[i] = flag.Key;
                liveFlags[i++] = flag;
            }
        }

        Array.Sort(liveKeys, liveFlags, StringComparer.Ordinal);
        LiveFlags = liveFlags;
        LiveKeys = liveKeys;
        Version = version;
        _index = new FlagKeyIndex(liveFlags);
    }

    private FlagSnapshot(
        Dictionary<string, CompiledFlag> flags, Dictionary<Guid, CompiledSegment> segments, CompiledFlag[] liveFlags, string[] liveKeys, FlagKeyIndex index, long version)
    {
        _index = index;
        Flags = flags;
        Segments = segments;
        IsInitialized = true;
        LiveFlags = liveFlags;
        LiveKeys = liveKeys;
        Version = version;
    }

    /// <summary>
    /// The snapshot after a patch: <paramref name="previous"/>'s sorted live flags with only <paramref name="changedKeys"/>
    /// replaced, inserted or removed (binary search), instead of a sort of every flag. A patch that only replaces live
    /// flags copies the live array once and shares the previous keys (unchanged); one that inserts or removes merges
    /// the sorted changes into new arrays of the final size in one pass. <paramref name="previous"/> is never modified.
    /// Patches only bring newer versions, so the version is the previous one raised by the changed flags and the segments.
    /// </summary>
    public static FlagSnapshot Patched(
        FlagSnapshot previous, Dictionary<string, CompiledFlag> flags, Dictionary<Guid, CompiledSegment> segments, IReadOnlyCollection<string> changedKeys)
    {
        if (changedKeys.Count > 64)
        {
            return new FlagSnapshot(flags, segments, isInitialized: true);
        }

        var version = previous.Version;
        foreach (var segment in segments.Values)
        {
            version = Math.Max(version, segment.Version);
        }

        var oldKeys = previous.LiveKeys;
        CompiledFlag[]? replaced = null;
        List<(string Key, CompiledFlag? Live)>? structural = null;
        foreach (var key in changedKeys)
        {
            var present = flags.TryGetValue(key, out var flag);
            if (present)
            {
                version = Math.Max(version, flag!.Version);
            }

            var live = present && !flag!.IsArchived ? flag : null;
            var index = Array.BinarySearch(oldKeys, key, StringComparer.Ordinal);
            if (index >= 0 && live is not null)
            {
                replaced ??= (CompiledFlag[])previous.LiveFlags.Clone();
                replaced[index] = live;
            }
            else if ((index >= 0 || live is not null) && !IsListed(structural, key))
            {
                (structural ??= []).Add((key, live)); // a removal (live is null) or an insertion
            }
        }

        if (structural is null)
        {
            return new FlagSnapshot(flags, segments, replaced ?? previous.LiveFlags, oldKeys, previous._index, version); // same keys, same positions
        }

        var (liveFlags, liveKeys) = Merge(replaced ?? previous.LiveFlags, oldKeys, structural);
        return new FlagSnapshot(flags, segments, liveFlags, liveKeys, new FlagKeyIndex(liveFlags), version);
    }

    private static bool IsListed(List<(string Key, CompiledFlag? Live)>? changes, string key)
        => changes is not null && changes.Exists(c => string.Equals(c.Key, key, StringComparison.Ordinal));

    /// <summary>
    /// The sorted live arrays with <paramref name="changes"/> applied: a key with a flag is inserted (it is not in
    /// <paramref name="keys"/>), a key without one is removed (it is). One pass over both, new arrays of the final size.
    /// </summary>
    private static (CompiledFlag[] Flags, string[] Keys) Merge(CompiledFlag[] flags, string[] keys, List<(string Key, CompiledFlag? Live)> changes)
    {
        changes.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var count = keys.Length;
        foreach (var (_, live) in changes)
        {
            count += live is null ? -1 : 1;
        }

        var newFlags = new CompiledFlag[count];
        var newKeys = new string[count];
        int from = 0, to = 0;
        foreach (var (key, live) in changes)
        {
            // Everything before the changed key is copied as one block.
            var index = Array.BinarySearch(keys, from, keys.Length - from, key, StringComparer.Ordinal);
            var end = index >= 0 ? index : ~index;
            Array.Copy(flags, from, newFlags, to, end - from);
            Array.Copy(keys, from, newKeys, to, end - from);
            to += end - from;
            from = end;
            if (live is null)
            {
                from++; // removed: it is at 'index', skipped
            }
            else
            {
                newFlags[to] = live;
                newKeys[to++] = key;
            }
        }

        Array.Copy(flags, from, newFlags, to, keys.Length - from);
        Array.Copy(keys, from, newKeys, to, keys.Length - from);
        return (newFlags, newKeys);
    }

    /// <summary>Every flag by key, archived tombstones included.</summary>
    public Dictionary<string, CompiledFlag> Flags { get; }

    /// <summary>Every segment by id, archived tombstones included.</summary>
    public Dictionary<Guid, CompiledSegment> Segments { get; }

    /// <summary>The live flags, ordered by key.</summary>
    public CompiledFlag[] LiveFlags { get; }

    public string[] LiveKeys { get; }

    public long Version { get; }

    public bool IsInitialized { get; }

    /// <summary>The live (not archived) flag <paramref name="key"/>, found through <see cref="FlagKeyIndex"/>.</summary>
    public bool TryGetLiveFlag(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CompiledFlag? flag)
    {
        flag = _index.Find(key, LiveFlags);
        return flag is not null;
    }

    // Positions in LiveFlags by key.
    private readonly FlagKeyIndex _index;
}
