using System.Runtime.CompilerServices;
using System.Text.Json.Serialization.Metadata;
using FeatureFlags.Hooks;
using FeatureFlags.Hooks.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Telemetry.Internal;

namespace FeatureFlags.Evaluation.Internal;

/// <content>
/// Evaluations with hooks: the same evaluation, recording and telemetry as without, between the hooks' before and after
/// stages. Only reached when a hook is registered (the callers check one field), so the path without hooks is unchanged.
/// </content>
internal sealed partial class FeatureFlagClient
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    private EvaluationDetail<T> EvaluateWithHooks<T, TConverter>(
        HookRunner hooks, FlagSnapshot snapshot, string flagKey, FlagUser user, T defaultValue, out CompiledFlag? flag, out bool split)
        where TConverter : IVariationConverter<T>
    {
        var context = new EvaluationSeriesContext<T>(flagKey, user, defaultValue, ValueTypeOf<T>(), hooks.ClientName);
        var buffer = default(SeriesDataBuffer);
        Span<EvaluationSeriesData> data = hooks.Count <= HookRunner.InlineCapacity
            ? ((Span<EvaluationSeriesData>)buffer)[..hooks.Count]
            : new EvaluationSeriesData[hooks.Count];
        hooks.BeforeEvaluation(in context, data);

        var detail = EvaluateCore<T, TConverter>(snapshot, flagKey, user, defaultValue, out flag, out var served, out var sendToExperiment, out split);
        Record(user, flag, served, sendToExperiment, split, detail.FlagKey, detail.VariationId, detail.Kind, detail.Reason);

        hooks.AfterEvaluation(in context, data, in detail);
        return detail;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private EvaluationDetail<T> EvaluateJsonWithHooks<T>(
        HookRunner hooks, FlagSnapshot snapshot, string flagKey, FlagUser user, T defaultValue, JsonTypeInfo<T>? jsonTypeInfo)
    {
        var context = new EvaluationSeriesContext<T>(flagKey, user, defaultValue, FlagValueType.Json, hooks.ClientName);
        var buffer = default(SeriesDataBuffer);
        Span<EvaluationSeriesData> data = hooks.Count <= HookRunner.InlineCapacity
            ? ((Span<EvaluationSeriesData>)buffer)[..hooks.Count]
            : new EvaluationSeriesData[hooks.Count];
        hooks.BeforeEvaluation(in context, data);

        EvaluationDetail<T> detail;
        if (jsonTypeInfo is null)
        {
            detail = MissingJsonTypeInfo(snapshot, flagKey, user, defaultValue);
        }
        else
        {
            detail = EvaluateJsonCore(snapshot, flagKey, user, defaultValue, jsonTypeInfo, out var flag, out var split);
            EvaluationTelemetry.Record(_store.Metrics, flag, _traceUserKey ? user : null, detail.FlagKey, detail.VariationId, detail.Kind, detail.Reason, split);
        }

        hooks.AfterEvaluation(in context, data, in detail);
        return detail;
    }

    /// <summary>The requested type of a typed (non-JSON) evaluation; folded to a constant for each instantiation.</summary>
    private static FlagValueType ValueTypeOf<T>()
        => typeof(T) == typeof(bool) ? FlagValueType.Bool
            : typeof(T) == typeof(int) ? FlagValueType.Int
            : typeof(T) == typeof(double) ? FlagValueType.Double
            : FlagValueType.String;
}
