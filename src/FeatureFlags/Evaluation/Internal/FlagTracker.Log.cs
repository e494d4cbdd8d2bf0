using Microsoft.Extensions.Logging;

namespace FeatureFlags.Evaluation.Internal;

// Flag tracker log events: EventIds 1101-1109 (listed in docs/logging.md).
internal sealed partial class FlagTracker
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Error, Message = "A flag change handler for '{FlagKey}' threw; the other handlers still ran")]
    private partial void LogChangeHandlerFailed(string flagKey, Exception exception);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "A flag value change handler for '{FlagKey}' threw; the other handlers still ran")]
    private partial void LogValueHandlerFailed(string flagKey, Exception exception);
}
