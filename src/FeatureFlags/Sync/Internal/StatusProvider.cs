using FeatureFlags.Internal;
using Microsoft.Extensions.Logging;

namespace FeatureFlags.Sync.Internal;

/// <summary>Holds the sync status; changes are serialised and published in order.</summary>
internal sealed partial class StatusProvider : IFeatureFlagsStatusProvider
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<StatusProvider> _logger;
    private readonly NotificationDispatcher _dispatcher;
    private FeatureFlagsStatus _current;
    private TaskCompletionSource<bool> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A status provider whose <see cref="StatusChanged"/> handlers run on <paramref name="dispatcher"/>.</summary>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="dispatcher">The client's notification dispatcher; null (tests) for one of its own.</param>
    public StatusProvider(TimeProvider timeProvider, ILogger<StatusProvider> logger, NotificationDispatcher? dispatcher = null)
    {
        _timeProvider = timeProvider;
        _logger = logger;
        _dispatcher = dispatcher ?? new NotificationDispatcher(logger);
        _current = new FeatureFlagsStatus(FeatureFlagsState.Initializing, timeProvider.GetUtcNow(), null, null);
    }

    public event EventHandler<FeatureFlagsStatus>? StatusChanged;

    public FeatureFlagsStatus Current => Volatile.Read(ref _current);

    /// <summary>The dispatcher that delivers <see cref="StatusChanged"/> (the client's, or the provider's own).</summary>
    internal NotificationDispatcher Dispatcher => _dispatcher;

    public async Task<bool> WaitForReadyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        Task<bool> ready;
        lock (_lock)
        {
            if (_current.State == FeatureFlagsState.Ready)
            {
                return true;
            }

            if (_current.State == FeatureFlagsState.Off)
            {
                return false;
            }

            ready = _ready.Task;
        }

        try
        {
            return await ready.WaitAsync(timeout, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Moves to <paramref name="state"/>; an error is recorded even when the state does not change.</summary>
    public void Set(FeatureFlagsState state, string? error = null)
    {
        // Nothing to change (an unchanged poll confirming Ready): no allocation, no lock.
        if (error is null && Volatile.Read(ref _current).State == state)
        {
            return;
        }

        // In a method of its own: the lambda's captures are allocated on entry to the method that holds them.
        SetChanged(state, error);
    }

    private void SetChanged(FeatureFlagsState state, string? error)
        => Update((previous, now) => previous with
        {
            State = state,
            Since = previous.State == state ? previous.Since : now,
            LastError = error ?? previous.LastError,
            LastErrorAt = error is null ? previous.LastErrorAt : now,
        });

    /// <summary>Records the transport that feeds the flags now; the state does not change.</summary>
    public void SetDataSource(string? name)
        => Update((previous, _) => previous with { DataSource = name });

    /// <summary>
    /// Records why the last bootstrap file edit was not applied (also as the last error), or clears it with
    /// <see langword="null"/> after a good edit; the state does not change.
    /// </summary>
    public void SetBootstrapFileError(string? error)
        => Update((previous, now) => previous with
        {
            BootstrapFileError = error,
            LastError = error ?? previous.LastError,
            LastErrorAt = error is null ? previous.LastErrorAt : now,
        });

    private void Update(Func<FeatureFlagsStatus, DateTimeOffset, FeatureFlagsStatus> change)
    {
        FeatureFlagsStatus next;
        lock (_lock)
        {
            var previous = _current;
            next = change(previous, _timeProvider.GetUtcNow());
            if (next == previous)
            {
                return;
            }

            Volatile.Write(ref _current, next);

            // Queued under the lock, so subscribers see changes in the order they happened (and after the flag
            // change that caused them); the handlers run later on the dispatcher's worker, outside every lock. Queued
            // before a waiter for Ready is released, so a waiter that then waits for the notifications queued so far
            // always includes this one.
            var handlers = StatusChanged;
            if (handlers is not null)
            {
                _dispatcher.Post(() => RaiseStatusChanged(handlers, next));
            }

            if (next.State == FeatureFlagsState.Ready)
            {
                _ready.TrySetResult(true);
            }
            else if (previous.State == FeatureFlagsState.Ready)
            {
                _ready = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            if (next.State == FeatureFlagsState.Off)
            {
                _ready.TrySetResult(false);
            }
        }
    }

    // On the dispatcher's worker, outside every lock: one failing handler does not stop the rest.
    private void RaiseStatusChanged(EventHandler<FeatureFlagsStatus> handlers, FeatureFlagsStatus status)
    {
        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((EventHandler<FeatureFlagsStatus>)handler)(this, status);
            }
            catch (Exception ex)
            {
                LogHandlerFailed(ex);
            }
        }
    }

    [LoggerMessage(EventId = 2020, Level = LogLevel.Error, Message = "A StatusChanged handler threw; the other handlers still ran")]
    private partial void LogHandlerFailed(Exception exception);
}
