using FeatureFlags.Hooks;

namespace FeatureFlags.AotSmoke;

/// <summary>
/// Counts the stages it runs, by requested type, and checks that the data of each before stage reaches its after stage:
/// generic virtual stages instantiated for bool, string, int, double and a source-generated JSON type under NativeAOT.
/// </summary>
internal sealed class SmokeHook : FeatureFlagsHook
{
    private int _before;
    private int _after;
    private int _dataKept;
    private int _json;

    public int Before => _before;

    public int After => _after;

    public int DataKept => _dataKept;

    public int Json => _json;

    public string? LastTrack { get; private set; }

    public override EvaluationSeriesData BeforeEvaluation<T>(in EvaluationSeriesContext<T> context)
    {
        Interlocked.Increment(ref _before);
        return new EvaluationSeriesData(context.FlagKey, 7);
    }

    public override void AfterEvaluation<T>(in EvaluationSeriesContext<T> context, EvaluationSeriesData data, in EvaluationDetail<T> detail)
    {
        Interlocked.Increment(ref _after);
        if (data.Number == 7 && Equals(data.State, context.FlagKey) && string.Equals(detail.FlagKey, context.FlagKey, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _dataKept);
        }

        if (context.ValueType == FlagValueType.Json)
        {
            Interlocked.Increment(ref _json);
        }
    }

    public override void AfterTrack(in TrackSeriesContext context) => LastTrack = context.EventName;
}
