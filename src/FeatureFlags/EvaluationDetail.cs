namespace FeatureFlags;

/// <summary>
/// The result of evaluating a flag with its explanation (the featureflag.co Python SDK's <c>FlagState</c>): the value, the id of the
/// variation served, and the reason.
/// </summary>
/// <typeparam name="T">The requested value type.</typeparam>
/// <param name="FlagKey">The flag's key.</param>
/// <param name="Value">The value: the flag's variation, or the caller's default when <see cref="IsDefaultValue"/>.</param>
/// <param name="VariationId">The id of the variation served; empty when the default was returned.</param>
/// <param name="Kind">The reason kind.</param>
/// <param name="Reason">The reason text, as the official FeatBit .NET SDK words it (for example <c>match rule beta</c>).</param>
public readonly record struct EvaluationDetail<T>(string FlagKey, T Value, string VariationId, EvaluationReasonKind Kind, string Reason)
{
    /// <summary>Gets whether the caller's default was returned (not ready, not found, broken or wrong type).</summary>
    public bool IsDefaultValue => Kind is EvaluationReasonKind.ClientNotReady or EvaluationReasonKind.WrongType or EvaluationReasonKind.Error
        or EvaluationReasonKind.FlagNotFound or EvaluationReasonKind.MalformedFlag;
}
