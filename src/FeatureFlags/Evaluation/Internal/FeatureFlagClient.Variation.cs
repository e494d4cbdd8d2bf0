using System.Runtime.CompilerServices;
using FeatureFlags.Store.Internal;
using FeatureFlags.Telemetry.Internal;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>The value-only evaluations (<c>BoolVariation</c>, <c>StringVariation</c>, ...): the same outcome as the detail path, without building the detail when the flag serves a value.</summary>
internal sealed partial class FeatureFlagClient
{
    /// <summary>
    /// <see cref="Evaluate{T, TConverter}(FlagSnapshot, string, FlagUser, T, bool)"/><c>.Value</c>, with the same event,
    /// telemetry and logging. The common case (no hook, a live flag that serves a value of type
    /// <typeparamref name="T"/>) returns the value as soon as it is recorded: no <see cref="EvaluationDetail{T}"/> is
    /// built for a caller that reads only its value. Every other case takes the detail path, either before anything was
    /// evaluated (hooks, a missing argument, a store not ready, an unknown flag) or, once the flag was evaluated, from
    /// its result (<see cref="VariationFailed{T, TConverter}"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal T Variation<T, TConverter>(FlagSnapshot snapshot, string flagKey, FlagUser user, T defaultValue)
        where TConverter : IVariationConverter<T>
    {
        if (_hooks is not null || flagKey is null || user is null || !snapshot.IsInitialized || !snapshot.TryGetLiveFlag(flagKey, out var flag))
        {
            return Evaluate<T, TConverter>(snapshot, flagKey!, user!, defaultValue).Value;
        }

        var result = Run(flag, user);
        if (result.Variation is not { } variation || !TConverter.TryConvert(variation, out var value))
        {
            return VariationFailed<T, TConverter>(flag, user, result, defaultValue);
        }

        // Record, with the reason's text looked up only when telemetry is on.
        _events?.RecordEvaluation(user, flag.Key, variation, result.SendToExperiment);
        if (EvaluationTelemetry.IsRecording(_store.Metrics))
        {
            RecordTelemetry(user, flag, variation, result);
        }

        return value;
    }

    /// <summary>The telemetry <see cref="Record"/> gives a served value, off the path taken when nothing listens.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecordTelemetry(FlagUser user, CompiledFlag flag, CompiledVariation variation, in EvalResult result)
        => EvaluationTelemetry.Record(_store.Metrics, flag, _traceUserKey ? user : null, flag.Key, variation.Id, result.Kind, result.ReasonFor(flag), result.Split);

    /// <summary>
    /// The end of <see cref="Variation{T, TConverter}"/> when <paramref name="flag"/>'s evaluation failed or its value is
    /// not a <typeparamref name="T"/>: what <see cref="EvaluateCore{T, TConverter}"/> and <see cref="Record"/> do with
    /// that <paramref name="result"/> (no event: nothing was served).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private T VariationFailed<T, TConverter>(CompiledFlag flag, FlagUser user, in EvalResult result, T defaultValue)
        where TConverter : IVariationConverter<T>
    {
        var detail = Convert<T, TConverter>(flag, flag.Key, result, defaultValue);
        if (detail.Kind == EvaluationReasonKind.WrongType)
        {
            ReportWrongType(flag, typeof(T));
        }

        Record(user, flag, served: null, sendToExperiment: false, split: false, detail.FlagKey, detail.VariationId, detail.Kind, detail.Reason);
        return detail.Value;
    }
}
