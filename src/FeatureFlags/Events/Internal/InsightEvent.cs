using FeatureFlags.Store.Internal;

namespace FeatureFlags.Events.Internal;

/// <summary>What an <see cref="InsightEvent"/> reports.</summary>
internal enum InsightEventKind : byte
{
    /// <summary>A user registration without a flag or metric (<c>{"user":...}</c>).</summary>
    User,

    /// <summary>A successful flag evaluation (<c>variations</c>).</summary>
    Evaluation,

    /// <summary>A custom metric (<c>metrics</c>).</summary>
    Metric,

    /// <summary>A page view (<c>metrics</c> with <c>type</c> <c>PageView</c> and the page's route).</summary>
    PageView,
}

/// <summary>
/// One recorded event, as the caller's thread leaves it in the buffer: references to objects that already exist (the
/// user, the flag key or event name, the compiled variation) and a timestamp. Nothing is formatted until the
/// background loop serialises a batch.
/// </summary>
internal readonly struct InsightEvent
{
    // The event in the buffer's segment (this struct) and the segment's bookkeeping for it.
    private const int EventOverheadBytes = 64;

    private InsightEvent(InsightEventKind kind, FlagUser user, string? name, CompiledVariation? variation, bool sendToExperiment, double numericValue, long timestamp, string? route = null)
    {
        Route = route;
        Kind = kind;
        User = user;
        Name = name;
        Variation = variation;
        SendToExperiment = sendToExperiment;
        NumericValue = numericValue;
        Timestamp = timestamp;
    }

    public InsightEventKind Kind { get; }

    public FlagUser User { get; }

    /// <summary>The flag key of an evaluation or the event name of a metric; null for a user event.</summary>
    public string? Name { get; }

    /// <summary>The variation served (evaluation events only).</summary>
    public CompiledVariation? Variation { get; }

    public bool SendToExperiment { get; }

    /// <summary>The page's route (page views only).</summary>
    public string? Route { get; }

    public double NumericValue { get; }

    /// <summary>Unix time in milliseconds when the event was recorded.</summary>
    public long Timestamp { get; }

    /// <summary>
    /// The memory the event may hold while it waits in the buffer: the user's estimate (see
    /// <see cref="FlagUser.EstimatedBytes"/>) plus the flag key or event name and the event itself. Reads two lengths
    /// and adds: no allocation.
    /// </summary>
    public int EstimatedBytes => EventOverheadBytes + User.EstimatedBytes + (Name is null ? 0 : 24 + (2 * Name.Length))
        + (Route is null ? 0 : 24 + (2 * Route.Length));

    /// <summary>The event as an <see cref="IInsightEventSink"/> receives it (allocates nothing; only sinks call it).</summary>
    public InsightEventRecord ToRecord() => new(
        Kind switch
        {
            InsightEventKind.Evaluation => InsightEventRecordKind.Evaluation,
            InsightEventKind.Metric => InsightEventRecordKind.Track,
            InsightEventKind.PageView => InsightEventRecordKind.PageView,
            _ => InsightEventRecordKind.Identify,
        },
        User,
        Name,
        Variation?.Id,
        Variation?.Value,
        SendToExperiment,
        NumericValue,
        DateTimeOffset.FromUnixTimeMilliseconds(Timestamp),
        Route);

    public static InsightEvent ForUser(FlagUser user, long timestamp)
        => new(InsightEventKind.User, user, null, null, false, 0, timestamp);

    public static InsightEvent ForEvaluation(FlagUser user, string flagKey, CompiledVariation variation, bool sendToExperiment, long timestamp)
        => new(InsightEventKind.Evaluation, user, flagKey, variation, sendToExperiment, 0, timestamp);

    public static InsightEvent ForMetric(FlagUser user, string eventName, double numericValue, long timestamp)
        => new(InsightEventKind.Metric, user, eventName, null, false, numericValue, timestamp);

    public static InsightEvent ForPageView(FlagUser user, string eventName, string route, long timestamp)
        => new(InsightEventKind.PageView, user, eventName, null, false, 1, timestamp, route);
}
