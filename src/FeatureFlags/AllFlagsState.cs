using FeatureFlags.Evaluation.Internal;

namespace FeatureFlags;

/// <summary>
/// Every live flag evaluated for one user (the featureflag.co Python SDK's <c>AllFlagStates</c>): raw string values with reasons.
/// One broken flag is reported as an error for that flag and does not affect the others.
/// </summary>
public sealed class AllFlagsState
{
    // Compact storage: the snapshot's own sorted key array (shared, not copied) and one small entry per flag, from
    // which an EvaluationDetail is built on read. A lookup is a binary search over the keys.
    private readonly AllFlagsEntries _entries;
    private AllFlagsView? _view;

    internal AllFlagsState(bool isReady, string reason, AllFlagsEntries entries)
    {
        IsReady = isReady;
        Reason = reason;
        _entries = entries;
    }

    /// <summary>Gets whether flag data was available; when false the state is empty and <see cref="Reason"/> says why.</summary>
    public bool IsReady { get; }

    /// <summary>Gets <c>"ok"</c>, or why the state is empty.</summary>
    public string Reason { get; }

    /// <summary>Gets the evaluation of every live flag by key (in ordinal key order).</summary>
    public IReadOnlyDictionary<string, EvaluationDetail<string>> Flags => _view ??= new AllFlagsView(_entries);

    /// <summary>Gets a flag's evaluation.</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="detail">The evaluation, when the flag exists.</param>
    /// <returns><see langword="true"/> when the flag exists.</returns>
    public bool TryGetDetail(string flagKey, out EvaluationDetail<string> detail) => _entries.TryGetDetail(flagKey, out detail);

    /// <summary>Gets a flag's raw value, or <paramref name="defaultValue"/> when the flag is missing or failed.</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="defaultValue">The value to return otherwise.</param>
    /// <returns>The value.</returns>
    public string GetValue(string flagKey, string defaultValue = "")
        => _entries.TryGetDetail(flagKey, out var d) && !d.IsDefaultValue ? d.Value : defaultValue;
}
