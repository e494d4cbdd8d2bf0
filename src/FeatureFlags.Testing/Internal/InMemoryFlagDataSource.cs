using FeatureFlags.DataSystem;
using FeatureFlags.Events;

namespace FeatureFlags.Testing.Internal;

/// <summary>
/// One app's live data source (<c>UseDataSource</c>): when the app's data system starts it, it follows an
/// <see cref="InMemoryFlags"/> (every flag and segment at once, then each change) until the app stops or its service
/// provider is disposed.
/// </summary>
internal sealed class InMemoryFlagDataSource(InMemoryFlags flags) : IFlagDataSource
{
    public async Task RunAsync(IFlagDataSourceUpdates updates, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(updates);
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        flags.Attach(updates);

        // Detached by the cancellation itself (synchronously, as the container's disposal cancels): a change made
        // right after the app is gone never reaches it.
        using (stoppingToken.Register(() =>
        {
            flags.Detach(updates);
            stopped.TrySetResult();
        }))
        {
            await stopped.Task.ConfigureAwait(false);
        }
    }

    public override string ToString() => "FeatureFlags.Testing.InMemoryFlags";
}

/// <summary>Hands the SDK's events to <see cref="RecordedEvents"/> instead of FeatBit's event endpoint.</summary>
internal sealed class EventRecorderSink(RecordedEvents events) : IInsightEventSink
{
    public void Record(in InsightEventRecord insightEvent) => events.Add(insightEvent);
}

/// <summary>A persistent store that keeps nothing: the test's flags are the only source (the app's own store is not touched).</summary>
internal sealed class NoPersistentStore : IPersistentFlagStore
{
    public ValueTask<PersistedFlagData?> LoadAsync(string environmentId, CancellationToken cancellationToken) => ValueTask.FromResult<PersistedFlagData?>(null);

    public void Save(string environmentId, FlagDataSet data)
    {
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
