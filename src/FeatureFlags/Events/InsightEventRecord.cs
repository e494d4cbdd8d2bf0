namespace FeatureFlags.Events;

/// <summary>What an <see cref="InsightEventRecord"/> reports.</summary>
public enum InsightEventRecordKind
{
    /// <summary>An <c>Identify</c> call: the user alone, no flag or metric.</summary>
    Identify,

    /// <summary>A successful flag evaluation: <see cref="InsightEventRecord.Key"/> is the flag key.</summary>
    Evaluation,

    /// <summary>A custom metric (<c>Track</c>): <see cref="InsightEventRecord.Key"/> is the event name.</summary>
    Track,

    /// <summary>
    /// A page view (<c>TrackPageView</c>): <see cref="InsightEventRecord.Key"/> is the metric's event name and
    /// <see cref="InsightEventRecord.Route"/> the page's path.
    /// </summary>
    PageView,
}

/// <summary>One insight event as an <see cref="IInsightEventSink"/> receives it. Immutable; built by the SDK only.</summary>
public readonly struct InsightEventRecord
{
    internal InsightEventRecord(
        InsightEventRecordKind kind, FlagUser user, string? key, string? variationId, string? value, bool sendToExperiment, double numericValue, DateTimeOffset timestamp,
        string? route = null)
    {
        Route = route;
        Kind = kind;
        User = user;
        Key = key;
        VariationId = variationId;
        Value = value;
        SendToExperiment = sendToExperiment;
        NumericValue = numericValue;
        Timestamp = timestamp;
    }

    /// <summary>Gets what the event reports.</summary>
    public InsightEventRecordKind Kind { get; }

    /// <summary>Gets the user the event is about.</summary>
    public FlagUser User { get; }

    /// <summary>Gets the flag key (evaluation) or the event name (<c>Track</c>, page view); <see langword="null"/> for <c>Identify</c>.</summary>
    public string? Key { get; }

    /// <summary>Gets the id of the variation served (evaluation only), otherwise <see langword="null"/>.</summary>
    public string? VariationId { get; }

    /// <summary>
    /// Gets the value served as FeatBit sends it (<c>true</c>, <c>v2</c>, <c>10</c>, <c>{"a":1}</c>; evaluation only),
    /// otherwise <see langword="null"/>.
    /// </summary>
    public string? Value { get; }

    /// <summary>Gets whether the evaluation counts for an experiment (evaluation only).</summary>
    public bool SendToExperiment { get; }

    /// <summary>Gets the page's path (page views only), otherwise <see langword="null"/>.</summary>
    public string? Route { get; }

    /// <summary>Gets the metric's value (<c>Track</c>: 1 when the app gave none; a page view: 1), otherwise 0.</summary>
    public double NumericValue { get; }

    /// <summary>Gets when the event was recorded, by the client's <see cref="TimeProvider"/> (millisecond precision).</summary>
    public DateTimeOffset Timestamp { get; }
}
