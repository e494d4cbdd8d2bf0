using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FeatureFlags.Internal;

/// <summary>
/// Delivers the SDK's change notifications (<see cref="IFlagStore.FlagsChanged"/>, the <see cref="IFlagTracker"/>
/// handlers, <see cref="IFeatureFlagsStatusProvider.StatusChanged"/>) to user handlers: one per client (a DI singleton,
/// no static state), one ordered queue, one worker.
/// </summary>
/// <remarks>
/// <para>
/// A writer posts the notification (its arguments already built) while it still holds its own lock, which keeps the
/// commit order; the worker runs the handlers later, one notification at a time, outside every SDK lock. Posting never
/// blocks and never runs a handler, so a slow or blocking handler delays only the notifications behind it, never a
/// store update or a status change.
/// </para>
/// <para>
/// The queue holds at most <see cref="DefaultCapacity"/> notifications. When handlers fall that far behind, the
/// oldest pending notification is dropped for each new one (the newest state is what matters to a handler that is
/// catching up); one warning (1301) is logged per such episode, which ends when the queue is empty again.
/// </para>
/// <para>
/// Disposal stops accepting notifications, delivers what is queued for at most the drain timeout, then abandons the
/// rest (1302) and returns: a handler that never returns does not hang the app's shutdown.
/// </para>
/// </remarks>
internal sealed partial class NotificationDispatcher : IDisposable, IAsyncDisposable
{
    /// <summary>The most notifications that may wait for delivery.</summary>
    internal const int DefaultCapacity = 1_000;

    /// <summary>How long disposal waits for the queued notifications to be delivered.</summary>
    internal static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(5);

    private readonly Channel<Action> _queue;
    private readonly ILogger _logger;
    private readonly int _capacity;
    private readonly TimeSpan _drainTimeout;
    private readonly Task _worker;
    private int _overflowing;
    private long _dropped;
    private int _stopping;
    private int _abandoned;
    private int _deliveringThread;

    /// <summary>The dispatcher of one client (resolved from DI).</summary>
    public NotificationDispatcher(ILogger<NotificationDispatcher> logger)
        : this(logger, DefaultCapacity, DefaultDrainTimeout)
    {
    }

    /// <summary>A dispatcher with its own bounds (tests; components built without DI pass their own logger).</summary>
    internal NotificationDispatcher(ILogger? logger, int capacity = DefaultCapacity, TimeSpan? drainTimeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _logger = logger ?? NullLogger.Instance;
        _capacity = capacity;
        _drainTimeout = drainTimeout ?? DefaultDrainTimeout;
        _queue = Channel.CreateBounded<Action>(
            new BoundedChannelOptions(capacity)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
                SingleWriter = false,

                // Never run the worker's continuation on the writer's thread: the writer holds its lock.
                AllowSynchronousContinuations = false,
            },
            OnDropped);
        _worker = Task.Run(RunAsync);
    }

    /// <summary>How many notifications were dropped because the queue was full (since the dispatcher was created).</summary>
    internal long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>How many notifications wait for delivery.</summary>
    internal int Pending => _queue.Reader.Count;

    /// <summary>
    /// Queues <paramref name="notification"/> behind the ones already queued. Never blocks and never runs it on the
    /// caller's thread; ignored once the dispatcher is disposed. The notification catches and logs its handlers'
    /// exceptions itself (each component logs its own EventId).
    /// </summary>
    public void Post(Action notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        _queue.Writer.TryWrite(notification);
    }

    /// <summary>
    /// Completes when every notification queued before this call has been delivered (or the dispatcher stopped).
    /// For tests and for callers that must observe the handlers' effects.
    /// </summary>
    internal Task WhenDeliveredAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(() => done.TrySetResult()))
        {
            done.TrySetResult();
        }

        return done.Task;
    }

    public void Dispose()
    {
        if (!Stop())
        {
            return;
        }

        // A handler that disposes the app runs on the worker: waiting for the worker there would wait for itself.
        if (Volatile.Read(ref _deliveringThread) == Environment.CurrentManagedThreadId)
        {
            Abandon();
            return;
        }

        try
        {
            if (!_worker.Wait(_drainTimeout))
            {
                Abandon();
            }
        }
        catch (AggregateException)
        {
            // The worker does not fail (it catches everything); nothing to add if it did.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!Stop())
        {
            return;
        }

        if (Volatile.Read(ref _deliveringThread) == Environment.CurrentManagedThreadId)
        {
            Abandon();
            return;
        }

        try
        {
            await _worker.WaitAsync(_drainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Abandon();
        }
    }

    private bool Stop()
    {
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            return false;
        }

        _queue.Writer.TryComplete();
        return true;
    }

    private void Abandon()
    {
        Volatile.Write(ref _abandoned, 1);
        LogDrainTimedOut(_drainTimeout, _queue.Reader.Count);

        // Release what is queued (the handlers' arguments can hold whole snapshots); the blocked handler keeps its own.
        while (_queue.Reader.TryRead(out _))
        {
        }
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (Volatile.Read(ref _abandoned) == 0 && reader.TryRead(out var notification))
            {
                Deliver(notification);
            }

            if (Volatile.Read(ref _abandoned) != 0)
            {
                return;
            }

            // Caught up: a later overflow is a new episode and is logged again.
            Volatile.Write(ref _overflowing, 0);
        }
    }

    private void Deliver(Action notification)
    {
        Volatile.Write(ref _deliveringThread, Environment.CurrentManagedThreadId);
        try
        {
            notification();
        }
        catch (Exception ex)
        {
            // The components catch their handlers' exceptions; this only guards the worker.
            LogNotificationFailed(ex);
        }
        finally
        {
            Volatile.Write(ref _deliveringThread, 0);
        }
    }

    // Called by the channel on the writer's thread, for the oldest notification it dropped to make room.
    private void OnDropped(Action _)
    {
        Interlocked.Increment(ref _dropped);
        if (Interlocked.Exchange(ref _overflowing, 1) == 0)
        {
            LogOverflow(_capacity);
        }
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Change handlers are {Capacity} notifications behind: the oldest pending notifications are dropped until they catch up")]
    private partial void LogOverflow(int capacity);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "Change handlers did not finish within {Timeout} at shutdown; {Pending} pending notifications were not delivered")]
    private partial void LogDrainTimedOut(TimeSpan timeout, int pending);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Error, Message = "Delivering a change notification failed unexpectedly; the next notifications are still delivered")]
    private partial void LogNotificationFailed(Exception exception);
}
