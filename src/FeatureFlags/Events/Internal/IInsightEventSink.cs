namespace FeatureFlags.Events.Internal;

/// <summary>
/// Where recorded events go instead of the HTTP endpoint (the FeatureFlags.Testing package's recorder). When one is
/// registered, the <see cref="EventProcessor"/> hands every accepted event to it on the caller's thread and sends
/// nothing: no buffer, no send loop, no network, even in offline mode.
/// </summary>
internal interface IInsightEventSink
{
    /// <summary>Takes one event; called on the thread that evaluated, tracked or identified. Must not throw.</summary>
    void Record(in InsightEvent insightEvent);
}
