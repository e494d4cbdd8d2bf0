using System.Collections.Concurrent;
using FeatureFlags.Hooks;

namespace FeatureFlags.Tests.Hooks;

/// <summary>A hook that writes each stage it runs to a shared log, and hands "name-data" and a number from before to after.</summary>
internal sealed class RecordingHook(string name, ConcurrentQueue<string>? log = null) : FeatureFlagsHook
{
    public ConcurrentQueue<string> Log { get; } = log ?? new();

    public override string Name => name;

    public long Number { get; init; } = 42;

    /// <summary>The last evaluation the after stage saw, boxed (tests only).</summary>
    public (string FlagKey, FlagUser? User, object? DefaultValue, FlagValueType ValueType, string? Client, EvaluationSeriesData Data, object? Value, string VariationId, EvaluationReasonKind Kind, string Reason)? LastAfter { get; private set; }

    public TrackSeriesContext? LastTrack { get; private set; }

    public override EvaluationSeriesData BeforeEvaluation<T>(in EvaluationSeriesContext<T> context)
    {
        Log.Enqueue($"{name}.before {context.FlagKey}");
        return new(name + "-data", Number);
    }

    public override void AfterEvaluation<T>(in EvaluationSeriesContext<T> context, EvaluationSeriesData data, in EvaluationDetail<T> detail)
    {
        Log.Enqueue($"{name}.after {context.FlagKey}");
        LastAfter = (context.FlagKey, context.User, context.DefaultValue, context.ValueType, context.ClientName, data, detail.Value, detail.VariationId, detail.Kind, detail.Reason);
    }

    public override void AfterTrack(in TrackSeriesContext context)
    {
        Log.Enqueue($"{name}.track {context.EventName}");
        LastTrack = context;
    }
}

/// <summary>A hook whose every stage throws.</summary>
internal sealed class ThrowingHook : FeatureFlagsHook
{
    public int Calls;

    public override EvaluationSeriesData BeforeEvaluation<T>(in EvaluationSeriesContext<T> context)
    {
        Interlocked.Increment(ref Calls);
        throw new InvalidOperationException("before failed");
    }

    public override void AfterEvaluation<T>(in EvaluationSeriesContext<T> context, EvaluationSeriesData data, in EvaluationDetail<T> detail)
    {
        Interlocked.Increment(ref Calls);
        throw new InvalidOperationException("after failed");
    }

    public override void AfterTrack(in TrackSeriesContext context)
    {
        Interlocked.Increment(ref Calls);
        throw new InvalidOperationException("track failed");
    }
}

/// <summary>A hook that overrides nothing.</summary>
internal sealed class NoOpHook : FeatureFlagsHook;
