namespace FeatureFlags.Hooks;

/// <summary>
/// What a hook is told about one evaluation (a <c>*Variation</c> or <c>*VariationDetail</c> call): the same value is passed
/// to <see cref="FeatureFlagsHook.BeforeEvaluation{T}"/> and <see cref="FeatureFlagsHook.AfterEvaluation{T}"/>.
/// </summary>
/// <typeparam name="T">The requested value type (<see cref="bool"/>, <see cref="string"/>, <see cref="int"/>,
/// <see cref="double"/>, or the type a JSON flag is read as).</typeparam>
/// <remarks>
/// A read-only struct passed by reference: building it allocates nothing. It holds what the caller passed, unchecked: an
/// evaluation called without a user has a null <see cref="User"/> (its outcome is an error).
/// </remarks>
public readonly struct EvaluationSeriesContext<T>
{
    /// <summary>Creates a context (for testing a hook; the SDK creates one per evaluation).</summary>
    /// <param name="flagKey">The flag key asked for.</param>
    /// <param name="user">The user evaluated for.</param>
    /// <param name="defaultValue">The caller's default.</param>
    /// <param name="valueType">The requested value type.</param>
    /// <param name="clientName">The named client's name, or null for the default client.</param>
    public EvaluationSeriesContext(string flagKey, FlagUser? user, T defaultValue, FlagValueType valueType, string? clientName = null)
    {
        FlagKey = flagKey ?? string.Empty;
        User = user;
        DefaultValue = defaultValue;
        ValueType = valueType;
        ClientName = clientName;
    }

    /// <summary>Gets the flag key asked for (empty when the caller passed none).</summary>
    public string FlagKey { get; }

    /// <summary>Gets the user evaluated for; null when the caller passed none (the outcome is then an error).</summary>
    public FlagUser? User { get; }

    /// <summary>Gets the caller's default value.</summary>
    public T DefaultValue { get; }

    /// <summary>Gets the requested value type (which <c>*Variation</c> method was called).</summary>
    public FlagValueType ValueType { get; }

    /// <summary>
    /// Gets the name of the named client that evaluates (<c>AddFeatureFlags("eu", ...)</c>), or null for the default
    /// client (and a <see cref="FeatureFlagsClient"/>).
    /// </summary>
    public string? ClientName { get; }
}
