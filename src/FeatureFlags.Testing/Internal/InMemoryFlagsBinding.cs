using FeatureFlags.Events.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;

namespace FeatureFlags.Testing.Internal;

/// <summary>
/// Ties one app's store and status to an <see cref="InMemoryFlags"/>: built (as a singleton) the first time the app
/// asks for its store or status, it loads the flags and reports their status; the container's disposal detaches it.
/// </summary>
internal sealed class InMemoryFlagsBinding : IDisposable
{
    private readonly InMemoryFlags _flags;
    private int _disposed;

    public InMemoryFlagsBinding(InMemoryFlags flags, FlagStore store, StatusProvider status)
    {
        _flags = flags;
        Store = store;
        Status = status;
        flags.Attach(this);
    }

    public FlagStore Store { get; }

    public StatusProvider Status { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _flags.Detach(this);
        }
    }
}

/// <summary>Hands the SDK's events to <see cref="RecordedEvents"/> instead of the HTTP endpoint.</summary>
internal sealed class EventRecorderSink(RecordedEvents events) : IInsightEventSink
{
    public void Record(in InsightEvent insightEvent) => events.Add(insightEvent);
}
