using Microsoft.Extensions.Logging;

namespace FeatureFlags.Redis.Internal;

// Redis store (writer) log events, 6000-6019 (docs/logging.md). Connection strings are never logged: endpoints only.
internal sealed partial class RedisFlagStore
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "Loaded {Description} from Redis ({Endpoints}, key {Key}), last confirmed by a live source at {ConfirmedAt}")]
    private partial void LogLoaded(string description, string endpoints, string key, string confirmedAt);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Redis ({Endpoints}) holds no flag data for this environment under {Key} yet; the first sync writes it")]
    private partial void LogNothingStored(string endpoints, string key);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Could not load flag data from Redis ({Endpoints}) within {LoadTimeout} ({Exception}: {Error}); starting without it")]
    private partial void LogLoadFailed(string endpoints, TimeSpan loadTimeout, string exception, string error);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "Could not write flag data to Redis ({Endpoints}) ({Exception}: {Error}); retrying with backoff, the newest state is kept; evaluation is unaffected")]
    private partial void LogWriteFailed(string endpoints, string exception, string error);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Information, Message = "Writing flag data to Redis ({Endpoints}) again after {Failures} failed attempts")]
    private partial void LogWritingAgain(string endpoints, int failures);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "The flag data in Redis ({Endpoints}, key {Key}) is missing (flushed, or the server restarted empty): writing this instance's {Description} again")]
    private partial void LogStoreLost(string endpoints, string key, string description);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Debug, Message = "Redis: {Description} {Outcome} in {ElapsedMs:F1} ms")]
    private partial void LogWritten(string description, string outcome, double elapsedMs);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Debug, Message = "Redis holds a newer version ({Stored}) than this instance ({Version}); it is not overwritten")]
    private partial void LogNewerStored(long stored, long version);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Debug, Message = "A patch was committed before any full data set or stored state; Redis is written after the next full data set")]
    private partial void LogPatchWithoutState();

    [LoggerMessage(EventId = 6010, Level = LogLevel.Debug, Message = "Redis already holds version {Version}: confirmed it instead of writing it again")]
    private partial void LogConfirmed(long version);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Warning, Message = "The flag data in Redis under {Key} could not be read ({Error}); starting without it")]
    private partial void LogUnreadable(string key, string error);
}
