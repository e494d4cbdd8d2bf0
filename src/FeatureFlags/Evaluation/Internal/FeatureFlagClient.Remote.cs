using FeatureFlags.Store.Internal;

namespace FeatureFlags.Evaluation.Internal;

/// <content>Evaluations for remote callers (OFREP): the value type and OpenFeature's reason with the detail.</content>
internal sealed partial class FeatureFlagClient
{
    /// <summary>
    /// One flag through the ordinary evaluation path (events, telemetry), then the type and reason from the same
    /// snapshot: the evaluator is pure, so running it again for the split gives the outcome the value came from.
    /// </summary>
    internal RemoteEvaluation EvaluateRemote(string flagKey, FlagUser user)
    {
        var snapshot = _store.Current;
        var detail = Evaluate<string, StringConverter>(snapshot, flagKey, user, string.Empty);
        if (!snapshot.IsInitialized || !snapshot.TryGetLiveFlag(flagKey, out var flag))
        {
            return new RemoteEvaluation(detail, FlagVariationType.Unknown, OpenFeatureReasons.Error);
        }

        return new RemoteEvaluation(detail, TypeOf(flag), ReasonOf(flag, user, detail.Kind));
    }

    /// <summary>Every live flag of one snapshot, ordered by key; records no events (as <see cref="GetAllFlags(FlagUser)"/>).</summary>
    internal bool TryEvaluateAllRemote(FlagUser user, out IReadOnlyList<RemoteEvaluation> flags)
    {
        var snapshot = _store.Current;
        if (!snapshot.IsInitialized)
        {
            _startWatch?.ReportNotReady();
            flags = [];
            return false;
        }

        var live = snapshot.LiveFlags;
        var list = new RemoteEvaluation[live.Length];
        for (var i = 0; i < live.Length; i++)
        {
            var flag = live[i];
            var result = Run(flag, user);
            var detail = Convert<string, StringConverter>(flag.Key, result, string.Empty);
            var isStatic = flag.Targets.Count == 0 && flag.Rules.Length == 0;
            list[i] = new RemoteEvaluation(detail, TypeOf(flag), OpenFeatureReasons.Of(detail.Kind, isStatic, result.Split));
        }

        Array.Sort(list, static (a, b) => string.CompareOrdinal(a.Detail.FlagKey, b.Detail.FlagKey));
        flags = list;
        return true;
    }

    private string ReasonOf(CompiledFlag flag, FlagUser user, EvaluationReasonKind kind)
    {
        var split = false;
        if (kind is EvaluationReasonKind.RuleMatch or EvaluationReasonKind.Fallthrough)
        {
            try
            {
                split = Evaluator.Evaluate(flag, user, _strict).Split;
            }
            catch (Exception)
            {
                // Evaluate already ran without throwing on the same snapshot; a split that cannot be told is not one.
            }
        }

        var isStatic = flag.Targets.Count == 0 && flag.Rules.Length == 0;
        return OpenFeatureReasons.Of(kind, isStatic, split);
    }

    private static FlagVariationType TypeOf(CompiledFlag flag)
        => Is(flag, "boolean") ? FlagVariationType.Boolean
            : Is(flag, "number") ? FlagVariationType.Number
            : Is(flag, "string") ? FlagVariationType.String
            : Is(flag, "json") ? FlagVariationType.Json
            : FlagVariationType.Unknown;

    private static bool Is(CompiledFlag flag, string type) => string.Equals(flag.VariationType, type, StringComparison.OrdinalIgnoreCase);
}
