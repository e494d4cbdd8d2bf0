namespace FeatureFlags.Evaluation.Internal;

/// <summary>OpenFeature's reason names (the evaluation API's <c>reason</c>; telemetry uses the same ones in lower case).</summary>
internal static class OpenFeatureReasons
{
    public const string Static = "STATIC";
    public const string Default = "DEFAULT";
    public const string TargetingMatch = "TARGETING_MATCH";
    public const string Split = "SPLIT";
    public const string Disabled = "DISABLED";
    public const string Error = "ERROR";

    /// <summary>The reason of an outcome; <paramref name="isStatic"/>: the flag has no targets and no rules.</summary>
    public static string Of(EvaluationReasonKind kind, bool isStatic, bool split) => kind switch
    {
        EvaluationReasonKind.Off => Disabled,
        EvaluationReasonKind.LocalOverride => Static,
        EvaluationReasonKind.TargetMatch => TargetingMatch,
        EvaluationReasonKind.RuleMatch => split ? Split : TargetingMatch,
        EvaluationReasonKind.Fallthrough => split ? Split : isStatic ? Static : Default,
        _ => Error,
    };
}
