using Microsoft.Extensions.Logging;

namespace FeatureFlags.Sync.Internal;

// DataSync = Auto log events: EventIds 2110-2119 (docs/logging.md).
internal sealed partial class AutoDataSource
{
    [LoggerMessage(EventId = 2110, Level = LogLevel.Warning, Message = "Streaming does not get through ({Reason}): failing over to polling {Endpoint}; the stream is probed again in about {ProbeInterval}")]
    private partial void LogFailedOver(string reason, string endpoint, TimeSpan probeInterval);

    [LoggerMessage(EventId = 2111, Level = LogLevel.Information, Message = "A stream probe held in sync for {Held}: switched back from polling to streaming")]
    private partial void LogSwitchedBack(TimeSpan held);

    [LoggerMessage(EventId = 2112, Level = LogLevel.Information, Message = "A stream probe did not hold ({Reason}: {Error}); polling goes on, next probe in about {Delay}")]
    private partial void LogProbeFailed(string reason, string error, TimeSpan delay);
}
