using FeatureFlags.Store.Internal;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>OpenFeature's reason for an evaluation's outcome, named by the evaluation API and by telemetry.</summary>
internal enum OpenFeatureReason : byte
{
    Static,
    Default,
    TargetingMatch,
    Split,
    Disabled,
    Error,
}

/// <summary>
/// The one mapping from an outcome to its <see cref="OpenFeatureReason"/>, and the reasons' names in the evaluation API
/// (<c>reason</c>, upper case); telemetry names the same reasons in lower case (<c>EvaluationTelemetry.ReasonOf</c>).
/// </summary>
internal static class OpenFeatureReasons
{
    public const string Static = "STATIC";
    public const string Default = "DEFAULT";
    public const string TargetingMatch = "TARGETING_MATCH";
    public const string Split = "SPLIT";
    public const string Disabled = "DISABLED";
    public const string Error = "ERROR";

    // Indexed by OpenFeatureReason.
    private static readonly string[] Names = [Static, Default, TargetingMatch, Split, Disabled, Error];

    /// <summary>The API's name of an outcome's reason; <paramref name="isStatic"/>: see <see cref="IsStatic"/>.</summary>
    public static string Of(EvaluationReasonKind kind, bool isStatic, bool split) => Names[(int)ReasonOf(kind, isStatic, split)];

    /// <summary>
    /// The reason of an outcome: a split when a rollout chose the variation, a static value when the flag has no
    /// targets and no rules and served its fallthrough, the default otherwise.
    /// </summary>
    public static OpenFeatureReason ReasonOf(EvaluationReasonKind kind, bool isStatic, bool split) => kind switch
    {
        EvaluationReasonKind.Off => OpenFeatureReason.Disabled,
        EvaluationReasonKind.LocalOverride => OpenFeatureReason.Static,
        EvaluationReasonKind.TargetMatch => OpenFeatureReason.TargetingMatch,
        EvaluationReasonKind.RuleMatch => split ? OpenFeatureReason.Split : OpenFeatureReason.TargetingMatch,
        EvaluationReasonKind.Fallthrough => split ? OpenFeatureReason.Split : isStatic ? OpenFeatureReason.Static : OpenFeatureReason.Default,
        _ => OpenFeatureReason.Error,
    };

    /// <summary>Whether <paramref name="flag"/> has no targets and no rules, so its fallthrough is a static value.</summary>
    public static bool IsStatic(CompiledFlag? flag) => flag is { Targets.Count: 0, Rules.Length: 0 };
}
