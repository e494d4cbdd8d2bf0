namespace FeatureFlags.Events;

/// <summary>
/// Takes the client's insight events (evaluations, <c>Track</c>, <c>Identify</c>) instead of FeatBit's event endpoint:
/// a test recorder, or an app that forwards events elsewhere. Plugged in with
/// <see cref="FeatureFlagsEventsBuilderExtensions.UseEventSink"/>.
/// </summary>
/// <remarks>
/// <para>
/// With a sink, the client sends nothing over HTTP (no buffer, no send loop, no network), and records events even in
/// offline mode; <see cref="FeatureFlagsOptions.Events"/>' <c>Enabled</c> still turns them off. An event reaches the
/// sink exactly when it would have been sent: after a successful typed evaluation (not for a missing flag, a wrong
/// type or an internal evaluation), and for every accepted <c>Track</c> or <c>Identify</c>.
/// </para>
/// <para>
/// <see cref="Record"/> is called on the thread that evaluated, tracked or identified, on the hot path: it must be
/// thread-safe, return at once and not throw (an exception is swallowed and the event counted as dropped).
/// </para>
/// </remarks>
public interface IInsightEventSink
{
    /// <summary>Takes one event.</summary>
    /// <param name="insightEvent">The event.</param>
    void Record(in InsightEventRecord insightEvent);
}
