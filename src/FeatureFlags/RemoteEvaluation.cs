namespace FeatureFlags;

/// <summary>
/// A flag evaluated for a caller elsewhere (an OpenFeature provider, the OFREP endpoints): the evaluation detail with the
/// raw string value, the flag's declared value type, and the reason in OpenFeature's vocabulary.
/// </summary>
/// <param name="Detail">The evaluation, with the raw value (empty when <see cref="EvaluationDetail{T}.IsDefaultValue"/>).</param>
/// <param name="ValueType">The flag's declared value type; <see cref="FlagVariationType.Unknown"/> when the flag was not found.</param>
/// <param name="OpenFeatureReason">
/// OpenFeature's reason: <c>STATIC</c> (a flag without targets or rules, or a local override), <c>DEFAULT</c> (the
/// fallthrough served one variation), <c>TARGETING_MATCH</c> (an individual target, or a rule serving one variation),
/// <c>SPLIT</c> (a percentage rollout chose the variation), <c>DISABLED</c> (the flag is off) or <c>ERROR</c>.
/// </param>
public readonly record struct RemoteEvaluation(EvaluationDetail<string> Detail, FlagVariationType ValueType, string OpenFeatureReason);
