using Microsoft.Extensions.Logging;

namespace FeatureFlags.Cache.Internal;

// Last-known-good cache log events: EventIds 5050-5099 (listed in docs/logging.md).
internal sealed partial class FileFlagStore
{
    [LoggerMessage(EventId = 5050, Level = LogLevel.Warning, Message = "Serving {Applied} cached entities from '{Path}' until the flag server answers")]
    private partial void LogLoaded(string path, int applied);

    [LoggerMessage(EventId = 5051, Level = LogLevel.Error, Message = "The cache file '{Path}' cannot be used: {Error}")]
    private partial void LogUnusable(string path, string error);

    [LoggerMessage(EventId = 5052, Level = LogLevel.Debug, Message = "Wrote the cache file '{Path}' ({Bytes} bytes)")]
    private partial void LogWritten(string path, long bytes);

    [LoggerMessage(EventId = 5053, Level = LogLevel.Error, Message = "Could not write the cache file '{Path}': {Error}")]
    private partial void LogWriteFailed(string path, string error);

    [LoggerMessage(EventId = 5054, Level = LogLevel.Warning, Message = "The cache file '{Path}' is ignored: {Reason}. It is replaced once the flag server has answered")]
    private partial void LogOtherEnvironment(string path, string reason);
}
