using System.Collections;
using System.Diagnostics.CodeAnalysis;
using FeatureFlags.Store.Internal;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>
/// One flag's outcome in an all-flags evaluation, 16 bytes with one reference: the variation served (null for an error),
/// the reason's kind, and the index of the rule that matched. The reason's text is not stored: it is the flag's (its off
/// reason, or the matched rule's) or a fixed text, read when the entry is read. Writing the entry into the result costs
/// one GC write barrier where a stored text would cost a second.
/// </summary>
internal readonly struct AllFlagsEntry(CompiledVariation? variation, EvaluationReasonKind kind, int rule)
{
    /// <summary>An evaluation result as stored: the variation served (null for an error) and its reason's kind; <paramref name="rule"/> is the matched rule's index when the kind is a rule match.</summary>
    public AllFlagsEntry(in EvalResult result, int rule)
        : this(result.Variation, result.Kind, rule)
    {
    }

    /// <summary>The detail a string evaluation of <paramref name="flag"/> (key <paramref name="key"/>) returns (the raw value, never a wrong type).</summary>
    public EvaluationDetail<string> ToDetail(string key, CompiledFlag flag)
        => variation is null
            ? new(key, string.Empty, string.Empty, kind, Reason(flag))
            : new(key, variation.Value, variation.Id, kind, Reason(flag));

    // The text the evaluator gave with this kind (as EvalResult.ReasonFor).
    private string Reason(CompiledFlag flag) => Reasons.Of(kind, flag, rule);
}

/// <summary>
/// The flags of an all-flags evaluation: keys in ordinal order and their flags (the snapshot's own arrays, shared) and
/// the entry of each key at the same index.
/// </summary>
internal readonly struct AllFlagsEntries
{
    private readonly string[]? _keys;
    private readonly CompiledFlag[]? _flags;
    private readonly AllFlagsEntry[]? _entries;

    /// <param name="sortedKeys">Distinct keys in <see cref="string.CompareOrdinal(string, string)"/> order (<see cref="FlagSnapshot.LiveKeys"/>).</param>
    /// <param name="flags">The flag of each key, at the key's index (<see cref="FlagSnapshot.LiveFlags"/>).</param>
    /// <param name="entries">The outcome of each key, at the key's index.</param>
    public AllFlagsEntries(string[] sortedKeys, CompiledFlag[] flags, AllFlagsEntry[] entries)
    {
        if (sortedKeys.Length != entries.Length || flags.Length != entries.Length)
        {
            throw new ArgumentException("One flag and one entry per key.", nameof(entries));
        }

        _keys = sortedKeys;
        _flags = flags;
        _entries = entries;
    }

    public int Count => _keys?.Length ?? 0;

    public string[] Keys => _keys ?? [];

    public EvaluationDetail<string> this[int index] => _entries![index].ToDetail(_keys![index], _flags![index]);

    public int IndexOf(string? key) => key is null || _keys is null ? -1 : Array.BinarySearch(_keys, key, StringComparer.Ordinal);

    public bool TryGetDetail(string? key, out EvaluationDetail<string> detail)
    {
        var index = IndexOf(key);
        if (index < 0)
        {
            detail = default;
            return false;
        }

        detail = this[index];
        return true;
    }
}

/// <summary><see cref="AllFlagsState.Flags"/>: a read-only dictionary view over <see cref="AllFlagsEntries"/>, created on first use.</summary>
internal sealed class AllFlagsView(AllFlagsEntries entries) : IReadOnlyDictionary<string, EvaluationDetail<string>>
{
    public int Count => entries.Count;

    // A read-only wrapper: the array is the snapshot's own.
    public IEnumerable<string> Keys => Array.AsReadOnly(entries.Keys);

    public IEnumerable<EvaluationDetail<string>> Values
    {
        get
        {
            for (var i = 0; i < entries.Count; i++)
            {
                yield return entries[i];
            }
        }
    }

    public EvaluationDetail<string> this[string key]
        => entries.TryGetDetail(key, out var detail) ? detail : throw new KeyNotFoundException($"The flag '{key}' is not in this state.");

    public bool ContainsKey(string key) => entries.IndexOf(key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out EvaluationDetail<string> value) => entries.TryGetDetail(key, out value);

    public IEnumerator<KeyValuePair<string, EvaluationDetail<string>>> GetEnumerator()
    {
        for (var i = 0; i < entries.Count; i++)
        {
            yield return new KeyValuePair<string, EvaluationDetail<string>>(entries.Keys[i], entries[i]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
