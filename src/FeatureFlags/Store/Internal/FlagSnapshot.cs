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
