using Microsoft.Extensions.Logging;

namespace FeatureFlags.Sync.Internal;

// Streaming log events: EventIds 2001-2019 (docs/logging.md). Endpoints are logged without the token.
internal sealed partial class StreamingSession
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Connecting to {Endpoint} (data-sync cursor {Cursor})")]
    private partial void LogConnecting(string endpoint, long cursor);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Connected to {Endpoint}")]
    private partial void LogConnected(string endpoint);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Could not connect to {Endpoint}: {Error}")]
    private partial void LogConnectFailed(string endpoint, string error);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Debug, Message = "Applied a {EventType} data-sync: {Applied} applied, {Ignored} ignored (not newer), {Invalid} invalid, in {ElapsedMs:F1} ms")]
    private partial void LogDataSyncApplied(string eventType, int applied, int ignored, int invalid, double elapsedMs);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Ignored a malformed message from the server; the last good flags keep serving: {Error}")]
    private partial void LogMalformedMessage(string error);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Debug, Message = "Ignored a server message of type '{MessageType}'")]
    private partial void LogIgnoredMessage(string messageType);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Error, Message = "The server sent a message larger than MaxMessageSize ({MaxMessageSize} bytes); it was refused and the connection will be replaced")]
    private partial void LogMessageTooLarge(int maxMessageSize);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, Message = "Nothing received for {Deadline}; the connection is presumed dead and will be replaced")]
    private partial void LogLivenessTimeout(TimeSpan deadline);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Error, Message = "{Endpoint} rejected the connection with close code 4003: the environment secret is wrong or not a server-side secret, or this machine's clock differs from the server's by more than 30 s. Syncing stops; the last flags keep serving")]
    private partial void LogRejected(string endpoint);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Streaming session with {Endpoint} ended ({End}): {Error}")]
    private partial void LogSessionEnded(string endpoint, SessionEnd end, string error);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Debug, Message = "Streaming session with {Endpoint} closed by the client on shutdown")]
    private partial void LogStoppedByClient(string endpoint);

    [LoggerMessage(EventId = 2025, Level = LogLevel.Warning, Message = "Could not connect to {Endpoint}: the WebSocket upgrade was answered with HTTP {StatusCode} instead of 101; something between this app and the server does not pass WebSockets (with FeatureFlags:DataSync = Auto the SDK polls instead)")]
    private partial void LogUpgradeRefused(string endpoint, int statusCode);

    [LoggerMessage(EventId = 2024, Level = LogLevel.Debug, Message = "Held a push (version {Version}) that arrived before the reply to the data-sync request; it is applied after the reply")]
    private partial void LogHeldPush(long version);
}
