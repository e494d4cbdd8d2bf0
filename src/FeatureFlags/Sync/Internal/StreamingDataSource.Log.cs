using Microsoft.Extensions.Logging;

namespace FeatureFlags.Sync.Internal;

// Streaming data source log events: EventIds 2012-2018, 2024 (docs/logging.md).
internal sealed partial class StreamingDataSource
{
    [LoggerMessage(EventId = 2012, Level = LogLevel.Information, Message = "Reconnecting (attempt {Attempt}) in {Delay}")]
    private partial void LogReconnecting(int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 2014, Level = LogLevel.Information, Message = "Reconnecting after an outage of {Outage}: requesting the full data set")]
    private partial void LogFullResync(TimeSpan outage);

    [LoggerMessage(EventId = 2016, Level = LogLevel.Warning, Message = "The app's reconnect pipeline gave up (last session: {LastError}); starting it again in {Delay}")]
    private partial void LogPipelineGaveUp(string lastError, TimeSpan delay);

    [LoggerMessage(EventId = 2017, Level = LogLevel.Error, Message = "The app's reconnect pipeline threw {ExceptionType}: {Error}; starting it again in {Delay}")]
    private partial void LogPipelineFailed(string exceptionType, string error, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 2018, Level = LogLevel.Information, Message = "Rejected by the flag server: probing again in {Delay} (a FeatBit Agent that restarted rejects valid secrets until it is loaded); the status stays Off until a connection is accepted")]
    private partial void LogProbingAfterRejection(TimeSpan delay);
}
