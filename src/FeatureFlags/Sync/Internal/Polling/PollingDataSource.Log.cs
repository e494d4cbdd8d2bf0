using Microsoft.Extensions.Logging;

namespace FeatureFlags.Sync.Internal.Polling;

// Polling data source log events: EventIds 2100-2108 (docs/logging.md). None carries the secret: the endpoint is
// logged without a query, and the Authorization header is never logged.
internal sealed partial class PollingDataSource
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Polling {Endpoint} every {Interval}")]
    private partial void LogStarting(string endpoint, TimeSpan interval);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Debug, Message = "Polling {Endpoint} (data-sync cursor {Cursor})")]
    private partial void LogPolling(string endpoint, long cursor);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Debug, Message = "Nothing changed since cursor {Cursor}")]
    private partial void LogUnchanged(long cursor);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "{Error}; polling again in {Delay}")]
    private partial void LogFailed(string error, TimeSpan delay);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Warning, Message = "The flag server is throttling (HTTP {StatusCode}, Retry-After {RetryAfter}); polling again in {Delay}")]
    private partial void LogThrottled(int statusCode, TimeSpan retryAfter, TimeSpan delay);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Error, Message = "{Endpoint} refused the environment secret (HTTP {StatusCode}): a wrong or client-side secret, or a FeatBit Agent that restarted and is not loaded yet; the last flags keep serving")]
    private partial void LogRejected(string endpoint, int statusCode);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Warning, Message = "Ignored a polling response that is not a valid data-sync payload ({Error}); the last good flags keep serving; polling again in {Delay}")]
    private partial void LogInvalid(string error, TimeSpan delay);

    [LoggerMessage(EventId = 2108, Level = LogLevel.Information, Message = "Refused by the flag server: polling again in {Delay}; the status stays Off until a request is accepted")]
    private partial void LogProbingAfterRejection(TimeSpan delay);

    [LoggerMessage(EventId = 2107, Level = LogLevel.Information, Message = "Polling recovered after {Failures} failed requests")]
    private partial void LogRecovered(int failures);
}
