using System.Collections.Frozen;
using System.Runtime.CompilerServices;

namespace FeatureFlags.Store.Internal;

/// <summary>
/// A set of strings (ordinal) chosen by size: up to <see cref="MaxLinear"/> items are an array scanned in place (no
/// hashing, nothing to build, a few dozen bytes); larger sets are a <see cref="FrozenSet{T}"/>, built once and the
/// fastest to probe. Most condition lists and segment lists hold a handful of values, and a data-sync builds thousands.
/// </summary>
internal sealed class StringSet
{
    /// <summary>The largest set kept as an array.</summary>
    public const int MaxLinear = 8;

    public static readonly StringSet Empty = new([], null);

    private readonly string[] _items;
    private readonly FrozenSet<string>? _frozen;

    private readonly int _count;

    private StringSet(string[] items, FrozenSet<string>? frozen)
    {
        _items = items;
        _frozen = frozen;
        _count = frozen?.Count ?? items.Length;
    }

    public int Count => _count;

    /// <summary>A set of the non-null <paramref name="values"/>, duplicates dropped.</summary>
    public static StringSet Of(IEnumerable<string?>? values)
    {
        if (values is null)
        {
            return Empty;
        }

        var distinct = new List<string>();
        foreach (var value in values)
        {
            if (value is not null && (distinct.Count > MaxLinear || !Contains(distinct, value)))
            {
                distinct.Add(value);
            }
        }

        return distinct.Count switch
        {
            0 => Empty,
            <= MaxLinear => new StringSet([.. distinct], null),
            _ => new StringSet([], distinct.ToFrozenSet(StringComparer.Ordinal)),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // a large set costs what its frozen set costs: one field and a null test more
    public bool Contains(string value) => _frozen is not null ? _frozen.Contains(value) : ContainsLinear(value);

    private bool ContainsLinear(string value)
    {
        foreach (var item in _items)
        {
            if (item.Length == value.Length && string.Equals(item, value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Contains(List<string> items, string value)
    {
        foreach (var item in items)
        {
            if (string.Equals(item, value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// User key -> the variation of the first target list that holds it, chosen by size like <see cref="StringSet"/>: a few
/// keys are scanned in place, more are a <see cref="FrozenDictionary{TKey, TValue}"/>. A null value is a dangling id.
/// </summary>
internal sealed class TargetMap
{
    public static readonly TargetMap Empty = new([], [], null);

    private readonly string[] _keys;
    private readonly CompiledVariation?[] _values;
    private readonly FrozenDictionary<string, CompiledVariation?>? _frozen;

    private readonly int _count;

    private TargetMap(string[] keys, CompiledVariation?[] values, FrozenDictionary<string, CompiledVariation?>? frozen)
    {
        _keys = keys;
        _values = values;
        _frozen = frozen;
        _count = frozen?.Count ?? keys.Length;
    }

    /// <summary>Number of targeted keys (a field: the evaluator tests it before every lookup).</summary>
    public int Count => _count;

    /// <summary>A map of <paramref name="targets"/> (keys distinct, in first-wins order).</summary>
    public static TargetMap Of(List<KeyValuePair<string, CompiledVariation?>> targets)
    {
        if (targets.Count == 0)
        {
            return Empty;
        }

        if (targets.Count <= StringSet.MaxLinear)
        {
            var keys = new string[targets.Count];
            var values = new CompiledVariation?[targets.Count];
            for (var i = 0; i < targets.Count; i++)
            {
                (keys[i], values[i]) = (targets[i].Key, targets[i].Value);
            }

            return new TargetMap(keys, values, null);
        }

        return new TargetMap([], [], targets.ToFrozenDictionary(StringComparer.Ordinal));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetValue(string key, out CompiledVariation? variation)
        => _frozen is not null ? _frozen.TryGetValue(key, out variation) : TryGetValueLinear(key, out variation);

    private bool TryGetValueLinear(string key, out CompiledVariation? variation)
    {
        var keys = _keys;
        for (var i = 0; i < keys.Length; i++)
        {
            if (keys[i].Length == key.Length && string.Equals(keys[i], key, StringComparison.Ordinal))
            {
                variation = _values[i];
                return true;
            }
        }

        variation = null;
        return false;
    }
}
