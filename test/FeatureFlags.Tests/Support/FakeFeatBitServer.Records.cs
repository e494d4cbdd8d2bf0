namespace FeatureFlags.Tests.Support;

/// <summary>Bounded records and the waits on them.</summary>
internal sealed partial class FakeFeatBitServer
{
    /// <summary>Waits until <see cref="ConnectionCount"/> reaches <paramref name="count"/>.</summary>
    public Task WaitForConnectionsAsync(int count, TimeSpan timeout, CancellationToken ct = default)
        => WaitUntilAsync(
            () => ConnectionCount >= count,
            () => $"Expected at least {count} accepted connection(s) within {timeout} but saw {ConnectionCount} (open: {OpenConnections}).",
            timeout,
            ct);

    /// <summary>Waits until at least <paramref name="count"/> data-sync requests have been handled (in total, see <see cref="DataSyncTimestamps"/>).</summary>
    public Task WaitForDataSyncAsync(int count, TimeSpan timeout, CancellationToken ct = default)
        => WaitUntilAsync(
            () => Volatile.Read(ref _dataSyncCount) >= count,
            () => $"Expected at least {count} data-sync request(s) within {timeout} but saw {Volatile.Read(ref _dataSyncCount)} " +
                  $"(cursors: [{string.Join(", ", DataSyncTimestamps.TakeLast(20))}]; connections: {ConnectionCount}, open: {OpenConnections}).",
            timeout,
            ct);

    /// <summary>Waits until a received message (already received ones included) matches; returns the first match.</summary>
    public async Task<string> WaitForMessageAsync(Func<string, bool> predicate, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        string? match = null;
        await WaitUntilAsync(
            () => (match = ReceivedMessages.FirstOrDefault(predicate)) is not null,
            () =>
            {
                var messages = ReceivedMessages;
                return $"No received message matched within {timeout}; {Volatile.Read(ref _receivedCount)} received, last ones: " +
                       $"[{string.Join(", ", messages.TakeLast(5))}] (connections: {ConnectionCount}, open: {OpenConnections}).";
            },
            timeout,
            ct);
        return match!;
    }

    private IReadOnlyList<T> Snapshot<T>(Queue<T> queue)
    {
        lock (_recordLock)
        {
            return [.. queue];
        }
    }

    private void Record<T>(Queue<T> queue, T item, ref int total)
    {
        lock (_recordLock)
        {
            if (queue.Count >= MaxRecords)
            {
                queue.Dequeue();
            }

            queue.Enqueue(item);
        }

        Interlocked.Increment(ref total);
        Signal();
    }

    private void Signal() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private async Task WaitUntilAsync(Func<bool> condition, Func<string> describe, TimeSpan timeout, CancellationToken ct)
    {
        var start = TimeProvider.System.GetTimestamp();
        while (true)
        {
            // Read the signal before the condition: an event between the two completes the signal we hold.
            var changed = Volatile.Read(ref _changed).Task;
            if (condition())
            {
                return;
            }

            var remaining = timeout - TimeProvider.System.GetElapsedTime(start);
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException(describe());
            }

            try
            {
                await changed.WaitAsync(remaining, TimeProvider.System, ct);
            }
            catch (TimeoutException)
            {
                if (condition())
                {
                    return;
                }

                throw new TimeoutException(describe());
            }
        }
    }
}
