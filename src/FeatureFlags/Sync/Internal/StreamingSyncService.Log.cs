using Microsoft.Extensions.Logging;

namespace FeatureFlags.Sync.Internal;

// Sync service log events: EventIds 2012-2019 and 2030 (docs/logging.md).
internal sealed partial class StreamingSyncService
{
    [LoggerMessage(EventId = 2012, Level = LogLevel.Information, Message = "Reconnecting (attempt {Attempt}) in {Delay}")]
    private partial void LogReconnecting(int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Warning, Message = "Flag data was not ready after StartWaitTime ({StartWaitTime}); the app starts and evaluations return defaults until data arrives. Last error: {LastError}")]
    private partial void LogNotReadyAfterStartWait(TimeSpan startWaitTime, string lastError);

    [LoggerMessage(EventId = 2014, Level = LogLevel.Information, Message = "Reconnecting after an outage of {Outage}: requesting the full data set")]
    private partial void LogFullResync(TimeSpan outage);

    [LoggerMessage(EventId = 2015, Level = LogLevel.Information, Message = "Flag sync stopped")]
    private partial void LogStopped();

    [LoggerMessage(EventId = 2016, Level = LogLevel.Warning, Message = "The custom reconnect pipeline gave up ({Exception}); starting it again in {Delay}")]
    private partial void LogPipelineGaveUp(string exception, TimeSpan delay);

    [LoggerMessage(EventId = 2019, Level = LogLevel.Information, Message = "Offline mode: no connection to the flag server; flags come from the bootstrap file")]
    private partial void LogOffline();

    [LoggerMessage(EventId = 2030, Level = LogLevel.Warning, Message = "{Key} ({Endpoint}) is not encrypted: {What} would travel in clear text to a host that is not loopback, readable by anyone on the path and logged by proxies. Use wss:// or https://")]
    private partial void LogCleartext(string key, string endpoint, string what);
}
