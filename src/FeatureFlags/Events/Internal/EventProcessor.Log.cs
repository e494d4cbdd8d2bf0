using Microsoft.Extensions.Logging;

namespace FeatureFlags.Events.Internal;

// Event processor log events: EventIds 3001-3019 (docs/logging.md).
internal sealed partial class EventProcessor
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Sending events to {Endpoint} every {FlushInterval} (buffer capacity {Capacity})")]
    private partial void LogStarted(Uri endpoint, TimeSpan flushInterval, int capacity);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "The event buffer is full (capacity {Capacity} events or {MaxBytes} bytes): {Dropped} events were dropped ({TotalDropped} in total); the event endpoint is down or too slow")]
    private partial void LogBufferFull(long dropped, int capacity, long maxBytes, long totalDropped);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "{Problem}; the event was dropped ({Invalid} refused in total)")]
    private partial void LogInvalidInput(string problem, long invalid);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "The event endpoint {Endpoint} answered {StatusCode}: event delivery is stopped for good. Check FeatureFlags:EnvSecret; flag evaluation and sync are not affected")]
    private partial void LogDeliveryStopped(Uri endpoint, int statusCode);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Could not send {Count} events to {Endpoint} after retries; they were dropped: {Error}")]
    private partial void LogSendFailed(int count, Uri endpoint, string error);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Debug, Message = "Could not send {Count} events ({FailedBatches} failed batches in a row); they were dropped: {Error}")]
    private partial void LogSendStillFailing(int count, int failedBatches, string error);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "Event delivery recovered after {FailedBatches} failed batches")]
    private partial void LogRecovered(int failedBatches);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "The event endpoint refused a batch of {Count} events with 400 Bad Request; the batch was dropped")]
    private partial void LogRejected(int count);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Debug, Message = "Sent {Count} events")]
    private partial void LogSent(int count);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "The final send of events did not finish within {Timeout}; {Pending} buffered events were lost")]
    private partial void LogShutdownFlushIncomplete(TimeSpan timeout, int pending);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "Event processor stopped: {Sent} sent, {Dropped} dropped, {Failed} failed, {Invalid} refused")]
    private partial void LogStopped(long sent, long dropped, long failed, long invalid);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Error, Message = "The event send loop failed unexpectedly; it goes on")]
    private partial void LogLoopError(Exception exception);
}
