using Microsoft.Extensions.Logging;

namespace FeatureFlags.Store.Internal;

// Store log events: EventIds 1000-1099 (listed in docs/logging.md).
internal sealed partial class FlagStore
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Skipped a {Kind} that could not be read: {Error}")]
    private partial void LogUnreadableEntity(string kind, string error);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Skipped a flag without a key (id '{Id}')")]
    private partial void LogInvalidFlag(string? id);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Skipped a segment whose id '{Id}' is not a GUID")]
    private partial void LogInvalidSegment(string? id);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Flag '{FlagKey}' has broken data; the affected rules return the caller's default: {Problems}")]
    private partial void LogBrokenFlag(string flagKey, string problems);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Segment '{SegmentId}' has broken data: {Problems}")]
    private partial void LogBrokenSegment(Guid segmentId, string problems);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Error, Message = "A FlagsChanged handler threw; the other handlers still ran")]
    private partial void LogHandlerFailed(Exception exception);
}
