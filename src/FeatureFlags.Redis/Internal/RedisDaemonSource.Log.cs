using Microsoft.Extensions.Logging;

namespace FeatureFlags.Redis.Internal;

// Redis daemon (read-only source) log events, 6020-6039 (docs/logging.md). Connection strings are never logged.
internal sealed partial class RedisDaemonSource
{
    [LoggerMessage(EventId = 6020, Level = LogLevel.Information, Message = "Daemon mode: flags come from Redis ({Endpoints}, key {Key}); no connection to the flag server for flag data")]
    private partial void LogDaemon(string endpoints, string key);

    [LoggerMessage(EventId = 6021, Level = LogLevel.Debug, Message = "Loaded {Description} from Redis")]
    private partial void LogLoaded(string description);

    [LoggerMessage(EventId = 6022, Level = LogLevel.Warning, Message = "Redis ({Endpoints}) is unreachable ({Exception}: {Error}); serving {AsOf} and retrying")]
    private partial void LogUnreachable(string endpoints, string exception, string error, string asOf);

    [LoggerMessage(EventId = 6023, Level = LogLevel.Warning, Message = "The flag data in Redis ({Endpoints}, key {Key}) is missing (flushed, or the server restarted empty); serving {AsOf} until a writer repopulates it")]
    private partial void LogStoreLost(string endpoints, string key, string asOf);

    [LoggerMessage(EventId = 6024, Level = LogLevel.Information, Message = "Flag data from Redis ({Endpoints}) is current again")]
    private partial void LogCurrentAgain(string endpoints);

    [LoggerMessage(EventId = 6025, Level = LogLevel.Warning, Message = "Redis ({Endpoints}) holds no flag data under {Key} yet: no writer has synced this environment (check the writers' KeyPrefix and secret); waiting for one")]
    private partial void LogNothingStored(string endpoints, string key);

    [LoggerMessage(EventId = 6026, Level = LogLevel.Warning, Message = "A change message from Redis could not be read; reloading the stored data")]
    private partial void LogBadMessage();

    [LoggerMessage(EventId = 6027, Level = LogLevel.Warning, Message = "A change from Redis could not be applied ({Exception}: {Error}); the next version check reloads")]
    private partial void LogMessageFailed(string exception, string error);

    [LoggerMessage(EventId = 6028, Level = LogLevel.Warning, Message = "The flag data in Redis under {Key} could not be read ({Error})")]
    private partial void LogUnreadable(string key, string error);
}
