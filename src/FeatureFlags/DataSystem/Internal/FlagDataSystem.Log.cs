using Microsoft.Extensions.Logging;

namespace FeatureFlags.DataSystem.Internal;

// Data system log events (docs/logging.md).
internal sealed partial class FlagDataSystem
{
    [LoggerMessage(EventId = 2004, Level = LogLevel.Debug, Message = "Applied a {EventType} data set: {Applied} applied, {Ignored} ignored (not newer), {Invalid} invalid, in {ElapsedMs:F1} ms")]
    private partial void LogApplied(string eventType, int applied, int ignored, int invalid, double elapsedMs);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Warning, Message = "Flag data was not ready after StartWaitTime ({StartWaitTime}); the app starts and evaluations return defaults until data arrives. Last error: {LastError}")]
    private partial void LogNotReadyAfterStartWait(TimeSpan startWaitTime, string lastError);

    [LoggerMessage(EventId = 2015, Level = LogLevel.Information, Message = "Flag sync stopped")]
    private partial void LogStopped();

    [LoggerMessage(EventId = 2019, Level = LogLevel.Information, Message = "Offline mode: no connection to the flag server; flags come from the bootstrap file")]
    private partial void LogOffline();

    [LoggerMessage(EventId = 2030, Level = LogLevel.Warning, Message = "{Key} ({Endpoint}) is not encrypted: {What} would travel in clear text to a host that is not loopback, readable by anyone on the path and logged by proxies. Use wss:// or https://")]
    private partial void LogCleartext(string key, string endpoint, string what);

    [LoggerMessage(EventId = 2021, Level = LogLevel.Error, Message = "The data source {Source} failed; syncing stopped and the last flags keep serving")]
    private partial void LogSourceFailed(string source, Exception exception);

    [LoggerMessage(EventId = 2022, Level = LogLevel.Warning, Message = "The persistent store failed to {Operation} ({Exception}: {Error}); evaluation is unaffected")]
    private partial void LogPersistentStoreFailed(string operation, string exception, string error);

    [LoggerMessage(EventId = 2023, Level = LogLevel.Warning, Message = "The flag server accepts the connection again after a rejection; flag data flows again")]
    private partial void LogAcceptedAgain();
}
