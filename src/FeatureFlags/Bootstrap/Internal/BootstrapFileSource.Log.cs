using Microsoft.Extensions.Logging;

namespace FeatureFlags.Bootstrap.Internal;

// Bootstrap file log events: EventIds 5000-5099 (listed in docs/logging.md).
internal sealed partial class BootstrapFileSource
{
    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "Loaded bootstrap file '{Path}': {Applied} entities, {Changed} flags changed")]
    private partial void LogLoaded(string path, int applied, int changed);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "The edited bootstrap file '{Path}' was not applied; the last good flags are kept: {Error}")]
    private partial void LogInvalidFile(string path, string error);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "The bootstrap file '{Path}' could not be read again; the last good flags are kept: {Error}")]
    private partial void LogUnreadableFile(string path, string error);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Offline mode without FeatureFlags:BootstrapFile: there are no flags to serve, evaluations return the caller's default")]
    private partial void LogOfflineWithoutFile();
}
