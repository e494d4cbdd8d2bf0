namespace FeatureFlags;

/// <summary>
/// Every live flag evaluated for one user (the featureflag.co Python SDK's <c>AllFlagStates</c>): raw string values with reasons.
/// One broken flag is reported as an error for that flag and does not affect the others.
/// </summary>
public sealed class AllFlagsState
{
    private readonly Dictionary<string, EvaluationDetail<string>> _flags;

    internal AllFlagsState(bool isReady, string reason, Dictionary<string, EvaluationDetail<string>> flags)
    {
        IsReady = isReady;
        Reason = reason;
        _flags = flags;
    }

    /// <summary>Gets whether flag data was available; when false the state is empty and <see cref="Reason"/> says why.</summary>
    public bool IsReady { get; }

    /// <summary>Gets <c>"ok"</c>, or why the state is empty.</summary>
    public string Reason { get; }

    /// <summary>Gets the evaluation of every live flag by key.</summary>
    public IReadOnlyDictionary<string, EvaluationDetail<string>> Flags => _flags;

    /// <summary>Gets a flag's evaluation.</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="detail">The evaluation, when the flag exists.</param>
    /// <returns><see langword="true"/> when the flag exists.</returns>
    public bool TryGetDetail(string flagKey, out EvaluationDetail<string> detail) => _flags.TryGetValue(flagKey, out detail);

    /// <summary>Gets a flag's raw value, or <paramref name="defaultValue"/> when the flag is missing or failed.</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="defaultValue">The value to return otherwise.</param>
    /// <returns>The value.</returns>
    public string GetValue(string flagKey, string defaultValue = "")
        => _flags.TryGetValue(flagKey, out var d) && !d.IsDefaultValue ? d.Value : defaultValue;
}
