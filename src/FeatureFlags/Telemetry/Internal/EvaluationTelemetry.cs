using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Store.Internal;
using static FeatureFlags.Telemetry.Internal.SemanticConventions;

namespace FeatureFlags.Telemetry.Internal;

/// <summary>
/// Records one evaluation: a <c>feature_flag.evaluation</c> event on the current activity (when the SDK's activity
/// source has a listener and the activity records data) and the <c>featureflags.evaluations</c> counter (when it is
/// enabled). With nobody listening, <see cref="Record"/> reads two fields and returns: nothing is built or allocated.
/// </summary>
internal static class EvaluationTelemetry
{
    /// <summary>The SDK's activity source. It starts no activities; it gates the events added to the caller's.</summary>
    public static readonly ActivitySource Source = new(FeatureFlagsTelemetry.ActivitySourceName, FeatureFlagsMetrics.SdkVersion);

    /// <summary>Records an evaluation outcome; cheap and allocation-free when nobody listens.</summary>
    /// <param name="metrics">The metrics of the store evaluated against; null when the store has none.</param>
    /// <param name="flag">The flag found in the snapshot, or null.</param>
    /// <param name="user">The user (may be null: an error outcome).</param>
    /// <param name="flagKey">
    /// The key as asked for. It is recorded only when <paramref name="flag"/> is not null (a live flag); any other key is
    /// recorded as <see cref="UnknownFlagKey"/>, so callers cannot create unbounded metric series or trace values.
    /// </param>
    /// <param name="variationId">The served variation's id, or empty when the default was returned.</param>
    /// <param name="kind">The outcome's kind.</param>
    /// <param name="reason">The outcome's reason text.</param>
    /// <param name="split">Whether a percentage rollout chose the variation.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Record(
        FeatureFlagsMetrics? metrics, CompiledFlag? flag, FlagUser? user, string flagKey, string variationId,
        EvaluationReasonKind kind, string reason, bool split)
    {
        if (IsRecording(metrics))
        {
            RecordCore(metrics, flag, user, flagKey, variationId, kind, reason, split);
        }
    }

    /// <summary>
    /// Whether <see cref="Record"/> would record anything (the evaluation counter is on, or the activity source has a
    /// listener): a caller whose reason text costs a look-up computes it only then.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsRecording(FeatureFlagsMetrics? metrics) => metrics is { Evaluations.Enabled: true } || Source.HasListeners();

    // SemanticConventions.Reason's names, indexed by OpenFeatureReason.
    private static readonly string[] ReasonNames =
        [Reason.Static, Reason.Default, Reason.TargetingMatch, Reason.Split, Reason.Disabled, Reason.Error];

    /// <summary>
    /// The semantic conventions' <c>feature_flag.result.reason</c> for an outcome: the evaluation API's reason
    /// (<see cref="OpenFeatureReasons.ReasonOf"/>) in lower case.
    /// </summary>
    public static string ReasonOf(EvaluationReasonKind kind, CompiledFlag? flag, bool split)
        => ReasonNames[(int)OpenFeatureReasons.ReasonOf(kind, OpenFeatureReasons.IsStatic(flag), split)];

    /// <summary>
    /// The <c>feature_flag.key</c> recorded for an evaluation: the key of a live flag, else <see cref="UnknownFlagKey"/>
    /// (bounded cardinality whatever keys callers pass).
    /// </summary>
    public static string KeyOf(CompiledFlag? flag, string? flagKey) => flag is null || flagKey is null ? UnknownFlagKey : flagKey;

    /// <summary>The <c>error.type</c> of an outcome, or null when it is not an error.</summary>
    public static string? ErrorTypeOf(EvaluationReasonKind kind, string reason) => kind switch
    {
        EvaluationReasonKind.ClientNotReady => EvaluationError.ProviderNotReady,
        EvaluationReasonKind.WrongType => EvaluationError.TypeMismatch,
        EvaluationReasonKind.FlagNotFound => EvaluationError.FlagNotFound,
        EvaluationReasonKind.MalformedFlag => EvaluationError.ParseError,
        EvaluationReasonKind.Error => string.Equals(reason, Reasons.UserNotSpecified, StringComparison.Ordinal)
            ? EvaluationError.TargetingKeyMissing
            : EvaluationError.General,
        _ => null,
    };

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RecordCore(
        FeatureFlagsMetrics? metrics, CompiledFlag? flag, FlagUser? user, string flagKey, string variationId,
        EvaluationReasonKind kind, string reason, bool split)
    {
        var resultReason = ReasonOf(kind, flag, split);
        var errorType = ErrorTypeOf(kind, reason);
        var variant = string.IsNullOrEmpty(variationId) ? null : variationId;
        var key = KeyOf(flag, flagKey);
        if (metrics is { Evaluations.Enabled: true })
        {
            metrics.RecordEvaluation(key, variant, resultReason, errorType);
        }

        if (Activity.Current is not { IsAllDataRequested: true } activity || !Source.HasListeners())
        {
            return;
        }

        var tags = new ActivityTagsCollection
        {
            [FlagKey] = key,
            [ProviderName] = Provider,
            [ResultReason] = resultReason,
        };
        if (variant is not null)
        {
            tags[ResultVariant] = variant;
        }

        if (flag is not null)
        {
            tags[FlagVersion] = flag.Version.ToString(CultureInfo.InvariantCulture);
        }

        if (user is not null)
        {
            tags[ContextId] = user.Key;
        }

        if (errorType is not null)
        {
            tags[ErrorType] = errorType;
            tags[ErrorMessage] = reason;
        }

        if (metrics?.ClientName is { } client)
        {
            tags[Client] = client;
        }

        activity.AddEvent(new ActivityEvent(EvaluationEventName, tags: tags));
    }
}
