using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using FeatureFlags.Internal;
using FeatureFlags.Store.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Events.Internal;

/// <summary>
/// Buffers insight events and sends them in the background: callers only enqueue a small struct into a bounded,
/// lock-free buffer (never block, never throw; when full the event is dropped and counted); one loop sends batches of
/// at most <see cref="InsightEventsOptions.MaxEventsPerRequest"/> every <see cref="InsightEventsOptions.FlushInterval"/>
/// and as soon as a batch is full; the host's shutdown sends what is left, bounded by
/// <see cref="InsightEventsOptions.ShutdownFlushTimeout"/>.
/// </summary>
/// <remarks>
/// A 4xx answer other than 400/408/429 (a wrong or revoked secret) stops delivery for good, with one error log line:
/// from then on events are dropped at the door. Evaluation and sync are unaffected. Time (flush timer, timestamps,
/// shutdown deadline) comes from the injected <see cref="TimeProvider"/>.
/// </remarks>
internal sealed partial class EventProcessor : IHostedService, IDisposable
{
    /// <summary>The least time between two warnings of the same kind (full buffer, failing sends, bad input).</summary>
    internal static readonly TimeSpan WarningInterval = TimeSpan.FromMinutes(1);

    /// <summary>The longest page-view route recorded (a URL path; longer ones are refused, not cut).</summary>
    internal const int MaxRouteLength = 2048;

    private readonly ConcurrentQueue<InsightEvent> _queue = new();
    private readonly EventSender _sender;

    // Null unless the app registered a sink (UseEventSink; the testing package's recorder): then events go there at once and nothing is sent.
    private readonly IInsightEventSink? _sink;
    private readonly TimeProvider _time;
    private readonly ILogger<EventProcessor> _logger;
    private readonly TimeSpan _flushInterval;
    private readonly TimeSpan _shutdownFlushTimeout;
    private readonly int _capacity;
    private readonly long _maxBytes;
    private readonly int _batchSize;
    private readonly InsightEvent[] _batch;
    private readonly ArrayBufferWriter<byte> _body = new(16 * 1024);
    private readonly Utf8JsonWriter _writer;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ITimer? _timer;
    private Task? _loop;
    private readonly EventClock _clock;
    private int _count;
    private long _bytes;
    private int _flushDue;
    private int _flushTimerTicks;
    private int _batchWakeSent;
    private int _stopCalled;
    private int _disposed;
    private volatile bool _stopped;
    private long _dropped;
    private long _sent;
    private long _failed;
    private long _invalid;
    private long _droppedReported;
    private long _lastDropWarning = long.MinValue;
    private long _lastInvalidWarning = long.MinValue;
    private int _failedBatchesInARow;

    public EventProcessor(
        EventSender sender, IOptions<FeatureFlagsOptions> options, TimeProvider time, ILogger<EventProcessor> logger, IInsightEventSink? sink = null)
    {
        var o = options.Value;
        _sender = sender;
        _sink = sink;
        _time = time;
        _logger = logger;
        _flushInterval = o.Events.FlushInterval;
        _shutdownFlushTimeout = o.Events.ShutdownFlushTimeout;
        _capacity = o.Events.BufferCapacity;
        _maxBytes = o.Events.MaxBufferBytes;
        _batchSize = o.Events.MaxEventsPerRequest;
        _batch = new InsightEvent[_batchSize];
        _writer = new Utf8JsonWriter(_body, new JsonWriterOptions { SkipValidation = true });
        _abort = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        // Offline means "send nothing"; a local recorder sends nothing either, so it records offline too.
        IsEnabled = o.Events.Enabled && (!o.Offline || sink is not null);
        _clock = new EventClock(time);
    }

    /// <summary>
    /// False when <see cref="InsightEventsOptions.Enabled"/> is false, or offline without a recorder: the client then
    /// records nothing.
    /// </summary>
    public bool IsEnabled { get; }

    /// <summary>Whether events are sent over HTTP (buffer, send loop, flushes): enabled and no local recorder.</summary>
    private bool Sends => IsEnabled && _sink is null;

    /// <summary>Whether delivery has stopped for good (the endpoint refused the secret).</summary>
    public bool IsStopped => _stopped;

    /// <summary>Events waiting in the buffer.</summary>
    public int Pending => Volatile.Read(ref _count);

    /// <summary>The estimated bytes the waiting events hold (see <see cref="InsightEvent.EstimatedBytes"/>).</summary>
    public long PendingBytes => Interlocked.Read(ref _bytes);

    /// <summary>Events dropped because the buffer was full (events or bytes) or delivery had stopped.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Events the server acknowledged.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Events in batches that could not be delivered (after the retries) and were dropped.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary><c>Track</c>/<c>Identify</c> calls refused for bad input (null user, blank event name, non-finite value).</summary>
    public long Invalid => Interlocked.Read(ref _invalid);

    /// <summary>The send loop (for tests).</summary>
    internal Task? Loop => _loop;

    /// <summary>The timestamps' clock (for tests).</summary>
    internal EventClock Clock => _clock;

    /// <summary>
    /// How many times the flush timer has fired (for tests): the loop sends a batch that is not full only after it fires.
    /// </summary>
    internal int FlushTimerTicks => Volatile.Read(ref _flushTimerTicks);

    /// <summary>Records a successful typed evaluation. Hot path: no allocation, no lock, no I/O.</summary>
    public void RecordEvaluation(FlagUser user, string flagKey, CompiledVariation variation, bool sendToExperiment)
        => Enqueue(InsightEvent.ForEvaluation(user, flagKey, variation, sendToExperiment, Now()));

    /// <summary>Records a custom metric (<c>Track</c>); bad input is logged and dropped.</summary>
    public void Track(FlagUser user, string eventName, double numericValue)
    {
        if (user is null)
        {
            Refuse("Track was called with a null user");
            return;
        }

        if (string.IsNullOrWhiteSpace(eventName))
        {
            Refuse("Track was called with a blank event name");
            return;
        }

        if (eventName.Length > FlagUser.MaxKeyLength)
        {
            Refuse("Track was called with an event name longer than FlagUser.MaxKeyLength (256 characters)");
            return;
        }

        if (!double.IsFinite(numericValue))
        {
            Refuse("Track was called with a numeric value that is not a finite number");
            return;
        }

        Enqueue(InsightEvent.ForMetric(user, eventName, numericValue, Now()));
    }

    /// <summary>Records a page view for a page-view metric (<c>TrackPageView</c>); bad input is logged and dropped.</summary>
    public void TrackPageView(FlagUser user, string eventName, string route)
    {
        if (user is null)
        {
            Refuse("TrackPageView was called with a null user");
            return;
        }

        if (string.IsNullOrWhiteSpace(eventName) || eventName.Length > FlagUser.MaxKeyLength)
        {
            Refuse("TrackPageView was called with a blank event name or one longer than FlagUser.MaxKeyLength (256 characters)");
            return;
        }

        if (string.IsNullOrWhiteSpace(route) || route.Length > MaxRouteLength)
        {
            Refuse("TrackPageView was called with a blank route or one longer than 2048 characters");
            return;
        }

        Enqueue(InsightEvent.ForPageView(user, eventName, route, Now()));
    }

    /// <summary>Records a user registration without a flag or metric (<c>Identify</c>); a null user is logged and dropped.</summary>
    public void Identify(FlagUser user)
    {
        if (user is null)
        {
            Refuse("Identify was called with a null user");
            return;
        }

        Enqueue(InsightEvent.ForUser(user, Now()));
    }

    /// <summary>
    /// Sends every event buffered when called (in batches), then completes. Completes at once when delivery has
    /// stopped. Throws only <see cref="OperationCanceledException"/> for <paramref name="cancellationToken"/>.
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (!Sends)
        {
            return;
        }

        await SendPendingAsync(all: true, cancellationToken).ConfigureAwait(false);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!Sends || _loop is not null)
        {
            return Task.CompletedTask;
        }

        _timer = _time.CreateTimer(static state => ((EventProcessor)state!).OnFlushTimer(), this, _flushInterval, _flushInterval);
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        LogStarted(_sender.Endpoint, _flushInterval, _capacity);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!Sends || Volatile.Read(ref _disposed) == 1 || Interlocked.Exchange(ref _stopCalled, 1) == 1)
        {
            return;
        }

        // From now on a send may run for at most the shutdown flush timeout, or until the host gives up.
        _abort.CancelAfter(_shutdownFlushTimeout);
        using var hostGaveUp = cancellationToken.Register(static state => ((CancellationTokenSource)state!).Cancel(), _abort);
        _timer?.Dispose();
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        try
        {
            await SendPendingAsync(all: true, _abort.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LogShutdownFlushIncomplete(_shutdownFlushTimeout, Pending);
        }

        ReportDrops(force: true);

        // Delivery is over. What the final flush did not send (it was cut short, or the events were recorded while it
        // ran) and whatever is recorded from now on is counted as dropped: never left uncounted in the buffer.
        EndDelivery();
        LogStopped(Sent, Dropped, Failed, Invalid);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        // A host may dispose its services before (or instead of) stopping them (WebApplicationFactory does): stop the
        // timer and cancel the loop and any send so they end by themselves. The token sources, the send lock and the
        // writer are not disposed, so a loop still unwinding never meets a disposed object; none holds a native resource.
        _timer?.Dispose();
        _stopping.Cancel();
        _abort.Cancel();
        EndDelivery();
    }

    /// <summary>Stops accepting events for delivery and counts what the buffer still holds as dropped.</summary>
    private void EndDelivery()
    {
        _stopped = true;
        Interlocked.Add(ref _dropped, DiscardPending());
    }

    /// <summary>Unix ms for an event's timestamp (see <see cref="EventClock"/>).</summary>
    private long Now() => _clock.Now();

    /// <summary>Hands the event to the app's sink; a sink that throws loses the event (counted as dropped), never the caller's call.</summary>
    private void RecordToSink(in InsightEvent e)
    {
        try
        {
            _sink!.Record(e.ToRecord());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private void Enqueue(in InsightEvent e)
    {
        if (_sink is not null)
        {
            RecordToSink(e);
            return;
        }

        if (_stopped)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        if (Volatile.Read(ref _count) >= _capacity)
        {
            // Full (the endpoint is down or slow): drop without touching the buffer's count.
            Interlocked.Increment(ref _dropped);
            return;
        }

        // Reserve a place and the event's bytes first, so the buffer never holds more than either bound.
        var count = Interlocked.Increment(ref _count);
        if (count > _capacity)
        {
            Interlocked.Decrement(ref _count);
            Interlocked.Increment(ref _dropped);
            return;
        }

        var size = e.EstimatedBytes;
        if (Interlocked.Add(ref _bytes, size) > _maxBytes)
        {
            // Full in bytes (large users, the endpoint down or slow): dropped and counted as when full in events.
            Interlocked.Add(ref _bytes, -size);
            Interlocked.Decrement(ref _count);
            Interlocked.Increment(ref _dropped);
            return;
        }

        _queue.Enqueue(e);
        if (_stopped)
        {
            // Delivery ended between the check above and this enqueue: count it (and anything else left) as dropped.
            Interlocked.Add(ref _dropped, DiscardPending());
            return;
        }

        if (count >= _batchSize && Volatile.Read(ref _batchWakeSent) == 0 && Interlocked.Exchange(ref _batchWakeSent, 1) == 0)
        {
            // A batch is full: wake the loop, once until it has looked at the buffer again.
            Volatile.Read(ref _wake).TrySetResult();
        }
    }

    private void Refuse(string problem)
    {
        var invalid = Interlocked.Increment(ref _invalid);
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastInvalidWarning);
        if ((last == long.MinValue || _time.GetElapsedTime(last, now) >= WarningInterval)
            && Interlocked.CompareExchange(ref _lastInvalidWarning, now, last) == last)
        {
            LogInvalidInput(LogText.Escape(problem), invalid);
        }
    }

    private void OnFlushTimer()
    {
        Interlocked.Increment(ref _flushTimerTicks);
        Volatile.Write(ref _flushDue, 1);
        Volatile.Read(ref _wake).TrySetResult();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            // Arm the next wake-up before looking at the buffer, so a signal raised while we send is never lost.
            var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _wake, wake);
            Volatile.Write(ref _batchWakeSent, 0);
            var all = Interlocked.Exchange(ref _flushDue, 0) == 1;
            _clock.Anchor();
            try
            {
                await SendPendingAsync(all, _abort.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_abort.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Nothing above should throw; never let the loop die.
                LogLoopError(ex);
            }

            ReportDrops(force: false);
            await wake.Task.WaitAsync(stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Sends full batches, or (<paramref name="all"/>) everything buffered now; one sender at a time.</summary>
    private async Task SendPendingAsync(bool all, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var remaining = Volatile.Read(ref _count);
            while (!_stopped)
            {
                var pending = Volatile.Read(ref _count);
                if (all ? remaining <= 0 || pending == 0 : pending < _batchSize)
                {
                    return;
                }

                var taken = all ? Take(Math.Min(_batchSize, remaining), fullBatch: false) : Take(_batchSize, fullBatch: true);
                if (taken == 0)
                {
                    return;
                }

                remaining -= taken;
                await SendBatchAsync(taken, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private int Take(int max, bool fullBatch)
    {
        var taken = 0;
        long bytes = 0;
        var spin = default(SpinWait);
        while (taken < max)
        {
            if (_queue.TryDequeue(out var e))
            {
                _batch[taken++] = e;
                bytes += e.EstimatedBytes;
                continue;
            }

            // The count says a full batch is there, but a producer has reserved its place and not enqueued yet (a few
            // nanoseconds, unless it was descheduled): wait for it rather than send a short batch.
            if (!fullBatch || Volatile.Read(ref _count) < max)
            {
                break;
            }

            spin.SpinOnce();
        }

        Interlocked.Add(ref _bytes, -bytes);
        Interlocked.Add(ref _count, -taken);
        return taken;
    }

    private async Task SendBatchAsync(int count, CancellationToken cancellationToken)
    {
        SendResult result;
        try
        {
            _body.ResetWrittenCount();
            _writer.Reset(_body);
            EventSerializer.Write(_writer, _batch.AsSpan(0, count));

            result = await _sender.SendAsync(_body.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Add(ref _failed, count);
            throw;
        }
        finally
        {
            // Release the users and variations the batch referenced.
            Array.Clear(_batch, 0, count);
        }

        switch (result.Status)
        {
            case SendStatus.Delivered:
                Interlocked.Add(ref _sent, count);
                LogSent(count);
                if (_failedBatchesInARow > 0)
                {
                    LogRecovered(_failedBatchesInARow);
                    _failedBatchesInARow = 0;
                }

                break;
            case SendStatus.Rejected:
                Interlocked.Add(ref _failed, count);
                LogRejected(count);
                break;
            case SendStatus.Fatal:
                Interlocked.Add(ref _failed, count);
                StopDelivery(result.StatusCode);
                break;
            default:
                Interlocked.Add(ref _failed, count);
                if (_failedBatchesInARow++ == 0)
                {
                    LogSendFailed(count, _sender.Endpoint, LogText.Escape(result.Error ?? "unknown error"));
                }
                else
                {
                    var error = LogText.Escape(result.Error ?? "unknown error");
                    LogSendStillFailing(count, _failedBatchesInARow, error);
                }

                break;
        }
    }

    private void StopDelivery(int statusCode)
    {
        _timer?.Dispose();
        LogDeliveryStopped(_sender.Endpoint, statusCode);

        // Nothing will be sent any more: release what the buffer holds.
        EndDelivery();
    }

    /// <summary>Empties the buffer without sending (delivery stopped; benchmarks, which measure the enqueue alone).</summary>
    internal int DiscardPending()
    {
        var discarded = 0;
        long bytes = 0;
        while (_queue.TryDequeue(out var e))
        {
            discarded++;
            bytes += e.EstimatedBytes;
        }

        Interlocked.Add(ref _bytes, -bytes);
        Interlocked.Add(ref _count, -discarded);
        return discarded;
    }

    private void ReportDrops(bool force)
    {
        var dropped = Interlocked.Read(ref _dropped);
        var newDrops = dropped - _droppedReported;
        if (newDrops <= 0 || _stopped)
        {
            return;
        }

        var now = _time.GetTimestamp();
        if (force || _lastDropWarning == long.MinValue || _time.GetElapsedTime(_lastDropWarning, now) >= WarningInterval)
        {
            _lastDropWarning = now;
            _droppedReported = dropped;
            LogBufferFull(newDrops, _capacity, _maxBytes, dropped);
        }
    }
}
