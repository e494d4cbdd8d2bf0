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
        var live = new List<CompiledFlag>(flags.Count);
        foreach (var flag in flags.Values)
        {
            version = Math.Max(version, flag.Version);
            if (!flag.IsArchived)
            {
                live.Add(flag);
            }
        }

        foreach (var segment in segments.Values)
        {
            version = Math.Max(version, segment.Version);
        }

        live.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        LiveFlags = [.. live];
        LiveKeys = Array.ConvertAll(LiveFlags, static f => f.Key);
        Version = version;
    }

    private FlagSnapshot(
        Dictionary<string, CompiledFlag> flags, Dictionary<Guid, CompiledSegment> segments, CompiledFlag[] liveFlags, long version)
    {
        Flags = flags;
        Segments = segments;
        IsInitialized = true;
        LiveFlags = liveFlags;
        LiveKeys = Array.ConvertAll(liveFlags, static f => f.Key);
        Version = version;
    }

    /// <summary>
    /// The snapshot after a patch: <paramref name="previous"/>'s sorted live flags with only <paramref name="changedKeys"/>
    /// replaced, inserted or removed (binary search), instead of a sort of every flag. Patches only bring newer versions,
    /// so the version is the previous one raised by the changed flags and the segments.
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

        var live = new List<CompiledFlag>(previous.LiveFlags.Length + changedKeys.Count);
        live.AddRange(previous.LiveFlags);
        foreach (var key in changedKeys)
        {
            var index = live.BinarySearch(null!, new KeyComparer(key));
            var present = flags.TryGetValue(key, out var flag);
            if (present)
            {
                version = Math.Max(version, flag!.Version);
            }

            var isLive = present && !flag!.IsArchived;
            if (index >= 0)
            {
                if (isLive)
                {
                    live[index] = flag!;
                }
                else
                {
                    live.RemoveAt(index);
                }
            }
            else if (isLive)
            {
                live.Insert(~index, flag!);
            }
        }

        return new FlagSnapshot(flags, segments, [.. live], version);
    }

    /// <summary>Compares a list element with one key (the searched value is ignored), ordinal, as the live list is sorted.</summary>
    private sealed class KeyComparer(string key) : IComparer<CompiledFlag>
    {
        public int Compare(CompiledFlag? x, CompiledFlag? y) => string.CompareOrdinal(x?.Key ?? key, y?.Key ?? key);
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

    public bool TryGetLiveFlag(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CompiledFlag? flag)
    {
        if (Flags.TryGetValue(key, out flag) && !flag.IsArchived)
        {
            return true;
        }

        flag = null;
        return false;
    }
}
