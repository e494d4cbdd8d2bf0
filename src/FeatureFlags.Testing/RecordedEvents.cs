using System.Globalization;
using FeatureFlags.Events;

namespace FeatureFlags.Testing;

/// <summary>
/// The insight events the apps using an <see cref="InMemoryFlags"/> produced, recorded at the moment they happen
/// (no flush, no waiting): what the SDK would have sent to FeatBit. Thread-safe; each list is a snapshot.
/// </summary>
/// <remarks>
/// An evaluation is recorded exactly when the SDK would send one: after a successful typed evaluation (not for a
/// missing flag, a wrong type, or an internal evaluation such as a change notification's). Nothing is recorded when
/// <c>FeatureFlags:Events:Enabled</c> is false. <see cref="RecordedEvent.Sequence"/> orders events of all kinds.
/// </remarks>
/// <example>
/// <code>
/// Assert.Contains(flags.Events.Evaluations, e => e.FlagKey == "checkout-ui" &amp;&amp; e.UserKey == "alice" &amp;&amp; e.Value == "v2");
/// var purchase = Assert.Single(flags.Events.Tracks, t => t.EventName == "purchase");
/// Assert.Equal(26.97, purchase.Value, 2);
/// </code>
/// </example>
public sealed class RecordedEvents
{
    private readonly Lock _lock = new();
    private readonly List<RecordedEvaluation> _evaluations = [];
    private readonly List<RecordedTrack> _tracks = [];
    private readonly List<RecordedIdentify> _identifies = [];
    private long _sequence;

    internal RecordedEvents()
    {
    }

    /// <summary>Gets the recorded flag evaluations, oldest first.</summary>
    public IReadOnlyList<RecordedEvaluation> Evaluations
    {
        get
        {
            lock (_lock)
            {
                return [.. _evaluations];
            }
        }
    }

    /// <summary>Gets the recorded custom metrics (<c>Track</c>), oldest first.</summary>
    public IReadOnlyList<RecordedTrack> Tracks
    {
        get
        {
            lock (_lock)
            {
                return [.. _tracks];
            }
        }
    }

    /// <summary>Gets the recorded <c>Identify</c> calls, oldest first.</summary>
    public IReadOnlyList<RecordedIdentify> Identifies
    {
        get
        {
            lock (_lock)
            {
                return [.. _identifies];
            }
        }
    }

    /// <summary>Forgets every recorded event.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _evaluations.Clear();
            _tracks.Clear();
            _identifies.Clear();
        }
    }

    internal void Add(in InsightEventRecord e)
    {
        lock (_lock)
        {
            var sequence = ++_sequence;
            switch (e.Kind)
            {
                case InsightEventRecordKind.Evaluation:
                    _evaluations.Add(new RecordedEvaluation(sequence, e.Timestamp, e.User, e.Key!, e.VariationId!, e.Value!, e.SendToExperiment));
                    break;
                case InsightEventRecordKind.Track:
                    _tracks.Add(new RecordedTrack(sequence, e.Timestamp, e.User, e.Key!, e.NumericValue));
                    break;
                case InsightEventRecordKind.PageView:
                    // Server-side page views (TrackPageView) are not an Identify; this recorder has no list for them yet.
                    break;
                default:
                    _identifies.Add(new RecordedIdentify(sequence, e.Timestamp, e.User));
                    break;
            }
        }
    }
}

/// <summary>What every recorded event has: who, when, and its place among all the recorded events.</summary>
public abstract class RecordedEvent
{
    private protected RecordedEvent(long sequence, DateTimeOffset timestamp, FlagUser user)
    {
        Sequence = sequence;
        Timestamp = timestamp;
        User = user;
    }

    /// <summary>Gets the event's position among all the events of its <see cref="RecordedEvents"/>, from 1 (events of all kinds share the count).</summary>
    public long Sequence { get; }

    /// <summary>Gets when the event was recorded, by the app's <see cref="TimeProvider"/>.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>Gets the user the event is about.</summary>
    public FlagUser User { get; }

    /// <summary>Gets the user's key.</summary>
    public string UserKey => User.Key;
}

/// <summary>A recorded flag evaluation: the variation a user was served.</summary>
public sealed class RecordedEvaluation : RecordedEvent
{
    internal RecordedEvaluation(long sequence, DateTimeOffset timestamp, FlagUser user, string flagKey, string variationId, string value, bool sendToExperiment)
        : base(sequence, timestamp, user)
    {
        FlagKey = flagKey;
        VariationId = variationId;
        Value = value;
        SendToExperiment = sendToExperiment;
    }

    /// <summary>Gets the flag key.</summary>
    public string FlagKey { get; }

    /// <summary>Gets the id of the variation served.</summary>
    public string VariationId { get; }

    /// <summary>Gets the value served, as FeatBit sends it: <c>true</c>, <c>v2</c>, <c>10</c>, <c>{"a":1}</c>.</summary>
    public string Value { get; }

    /// <summary>Gets whether the evaluation counts for an experiment (see <see cref="InMemoryFlagBuilder.InExperiment"/>).</summary>
    public bool SendToExperiment { get; }

    /// <summary>Describes the event, for assertion messages.</summary>
    /// <returns>For example <c>#3 evaluation checkout-ui = v2 for alice</c>.</returns>
    public override string ToString() => $"#{Sequence} evaluation {FlagKey} = {Value} for {UserKey}{(SendToExperiment ? " (experiment)" : string.Empty)}";
}

/// <summary>A recorded custom metric (<c>Track</c>).</summary>
public sealed class RecordedTrack : RecordedEvent
{
    internal RecordedTrack(long sequence, DateTimeOffset timestamp, FlagUser user, string eventName, double value)
        : base(sequence, timestamp, user)
    {
        EventName = eventName;
        Value = value;
    }

    /// <summary>Gets the event name.</summary>
    public string EventName { get; }

    /// <summary>Gets the numeric value (1 when the app gave none).</summary>
    public double Value { get; }

    /// <summary>Describes the event, for assertion messages.</summary>
    /// <returns>For example <c>#4 track purchase = 26.97 for alice</c>.</returns>
    public override string ToString() => $"#{Sequence} track {EventName} = {Value.ToString(CultureInfo.InvariantCulture)} for {UserKey}";
}

/// <summary>A recorded <c>Identify</c> call.</summary>
public sealed class RecordedIdentify : RecordedEvent
{
    internal RecordedIdentify(long sequence, DateTimeOffset timestamp, FlagUser user)
        : base(sequence, timestamp, user)
    {
    }

    /// <summary>Describes the event, for assertion messages.</summary>
    /// <returns>For example <c>#1 identify alice</c>.</returns>
    public override string ToString() => $"#{Sequence} identify {UserKey}";
}
