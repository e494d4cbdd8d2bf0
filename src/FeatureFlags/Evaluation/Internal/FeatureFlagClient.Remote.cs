using FeatureFlags.Store.Internal;

namespace FeatureFlags.Evaluation.Internal;

/// <content>Evaluations for remote callers (OFREP): the value type and OpenFeature's reason with the detail.</content>
internal sealed partial class FeatureFlagClient
{
    /// <summary>
    /// One flag through the ordinary evaluation path (events, telemetry, hooks), with the type and OpenFeature reason of
    /// the outcome it served: one evaluation, whose split (a percentage rollout chose the value) comes with it.
    /// </summary>
    internal RemoteEvaluation EvaluateRemote(string flagKey, FlagUser user)
    {
        var detail = Evaluate<string, StringConverter>(_store.Current, flagKey, user, string.Empty, record: true, out var flag, out var split);
        if (flag is null)
        {
            return new RemoteEvaluation(detail, FlagVariationType.Unknown, OpenFeatureReasons.Error);
        }

        return new RemoteEvaluation(detail, TypeOf(flag), OpenFeatureReasons.Of(detail.Kind, OpenFeatureReasons.IsStatic(flag), split));
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
            var detail = Convert<string, StringConverter>(flag, flag.Key, result, string.Empty);
            list[i] = new RemoteEvaluation(detail, TypeOf(flag), OpenFeatureReasons.Of(detail.Kind, OpenFeatureReasons.IsStatic(flag), result.Split));
        }

        Array.Sort(list, static (a, b) => string.CompareOrdinal(a.Detail.FlagKey, b.Detail.FlagKey));
        flags = list;
        return true;
    }

    private static FlagVariationType TypeOf(CompiledFlag flag)
        => Is(flag, "boolean") ? FlagVariationType.Boolean
            : Is(flag, "number") ? FlagVariationType.Number
            : Is(flag, "string") ? FlagVariationType.String
            : Is(flag, "json") ? FlagVariationType.Json
            : FlagVariationType.Unknown;

    private static bool Is(CompiledFlag flag, string type) => string.Equals(flag.VariationType, type, StringComparison.OrdinalIgnoreCase);
}
