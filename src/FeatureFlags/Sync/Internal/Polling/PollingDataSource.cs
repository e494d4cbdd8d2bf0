using System.Buffers;
using System.Globalization;
using FeatureFlags.DataSystem;
using FeatureFlags.Internal;
using FeatureFlags.Telemetry.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Sync.Internal.Polling;

/// <summary>
/// FeatBit HTTP polling (FeatBit server-SDK spec, "Polling mode"): one loop sends
/// <c>GET &lt;base&gt;/api/public/sdk/server/latest-all[?timestamp=&lt;cursor&gt;]</c> with the raw secret as
/// <c>Authorization</c>, commits the <c>data-sync</c> envelope through the data system, and schedules the next request
/// <c>Polling:Interval</c> after this one ended, so requests never overlap and a late response never overwrites newer data.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Cursor: the data system's <see cref="IFlagDataSourceUpdates.Cursor"/> (the version of committed data, 0 until
/// this source committed a full set), never the clock. A 200 with an empty body means nothing changed: nothing is
/// committed and the cursor stays.</item>
/// <item>Ready after a valid response was committed (or an empty 200 once data was committed); Interrupted (Stale) with
/// the error on a timeout, network error or unsuccessful status; a malformed payload is logged and ignored (status and
/// cursor unchanged, as the spec's invalid-data rules say).</item>
/// <item>Retries: after a failure the next request waits the interval, then doubles (jittered) up to
/// <see cref="MaxBackoff"/> (or the interval if longer). A 429 or 503 with <c>Retry-After</c> (seconds or an HTTP date)
/// waits that long, never less than the interval and at most <see cref="MaxRetryAfter"/>.</item>
/// <item>401/403: Off with a clear error and one error log; then, as the streaming source does after a 4003, a probe
/// every <c>Polling:RetryAfterRejection</c> (1 min; a FeatBit Agent that restarted refuses valid secrets until it is
/// loaded) asking for the full data set, or polling stops for good when that is infinite.</item>
/// <item>Stop: the in-flight request is cancelled, and a response read after stop is never committed.</item>
/// </list>
/// </remarks>
internal sealed partial class PollingDataSource : IFlagDataSource
{
    /// <summary>The name of the <see cref="IHttpClientFactory"/> client (no retries, no redirects, no HttpClient logging).</summary>
    public const string HttpClientName = "FeatureFlags.Polling";

    /// <summary>The path of the polling endpoint, relative to the polling base.</summary>
    public const string LatestAllPath = "api/public/sdk/server/latest-all";

    /// <summary>The longest backoff after repeated failures (unless the interval is longer).</summary>
    internal static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    /// <summary>The longest a <c>Retry-After</c> is honoured (unless the interval is longer).</summary>
    internal static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(10);

    private readonly IHttpClientFactory _factory;
    private readonly FeatureFlagsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PollingDataSource> _logger;
    private readonly FeatureFlagsMetrics? _metrics;

    // The pool response bodies are read into (tests pass one that counts rents and returns); null for the shared pool.
    private readonly ArrayPool<byte>? _bufferPool;
    private int _failures;
    private bool _rejected;
    private bool _requireFull;

    public PollingDataSource(
        IHttpClientFactory factory,
        IOptions<FeatureFlagsOptions> options,
        TimeProvider time,
        ILogger<PollingDataSource> logger,
        FeatureFlagsMetrics? metrics = null,
        ArrayPool<byte>? bufferPool = null)
    {
        _metrics = metrics;
        _bufferPool = bufferPool;
        _factory = factory;
        _options = options.Value;
        _time = time;
        _logger = logger;
        BaseUri = BaseOf(_options);
        Endpoint = EndpointOf(BaseUri);
    }

    /// <summary>The polling base: <c>Polling:Uri</c>, or <c>Streaming:Uri</c> read as HTTP.</summary>
    public Uri BaseUri { get; }

    /// <summary>The <c>latest-all</c> URL without a query (it carries no secret, so it may be logged).</summary>
    public Uri Endpoint { get; }

    /// <summary><c>Polling:Uri</c>, or the streaming URI with <c>ws</c> read as <c>http</c> and <c>wss</c> as <c>https</c> (path prefix kept).</summary>
    public static Uri BaseOf(FeatureFlagsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Polling.Uri is { } uri)
        {
            return uri;
        }

        var builder = new UriBuilder(options.Streaming.Uri);
        builder.Scheme = builder.Scheme switch
        {
            "ws" => "http",
            "wss" => "https",
            _ => builder.Scheme,
        };
        if (builder.Uri.IsDefaultPort)
        {
            builder.Port = -1;
        }

        return builder.Uri;
    }

    /// <summary>Builds <c>&lt;base&gt;/api/public/sdk/server/latest-all</c>, keeping any path prefix of the base.</summary>
    public static Uri EndpointOf(Uri pollingBase)
    {
        ArgumentNullException.ThrowIfNull(pollingBase);
        var builder = new UriBuilder(pollingBase) { Query = string.Empty, Fragment = string.Empty, UserName = string.Empty, Password = string.Empty };
        if (!builder.Path.EndsWith('/'))
        {
            builder.Path += "/";
        }

        return new Uri(builder.Uri, LatestAllPath);
    }

    public async Task RunAsync(IFlagDataSourceUpdates updates, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(updates);
        LogStarting(Endpoint.AbsoluteUri, _options.Polling.Interval);

        // One body buffer for the run: a response no larger than an earlier one reuses its segments; all go back to the
        // pool when the run ends.
        using var body = new PooledMessageBuffer(_bufferPool);
        while (!stoppingToken.IsCancellationRequested)
        {
            PollResult result;
            try
            {
                result = await PollOnceAsync(updates, body, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            if (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            _metrics?.RecordPoll(OutcomeName(result.Outcome));
            TimeSpan delay;
            switch (result.Outcome)
            {
                case PollOutcome.Rejected:
                    // Logged as an error once per run of refusals; the next accepted request asks for everything (a
                    // relay that restarted lost its data: deletions or a rollback may have happened meanwhile).
                    _requireFull = true;
                    if (!_rejected)
                    {
                        _rejected = true;
                        LogRejected(Endpoint.AbsoluteUri, result.StatusCode);
                    }

                    updates.UpdateStatus(FeatureFlagsState.Off, result.Error);
                    if (_options.Polling.RetryAfterRejection == Timeout.InfiniteTimeSpan)
                    {
                        return;
                    }

                    delay = _options.Polling.RetryAfterRejection;
                    LogProbingAfterRejection(delay);
                    break;

                case PollOutcome.Committed or PollOutcome.Unchanged:
                    _rejected = false;
                    if (_failures > 0)
                    {
                        LogRecovered(_failures);
                    }

                    _failures = 0;
                    delay = _options.Polling.Interval;
                    break;

                case PollOutcome.Invalid:
                    // Ignored (spec: no change of data, cursor or status); paced like a failure.
                    delay = NextBackoff();
                    LogInvalid(LogText.Escape(result.Error), delay);
                    break;

                default:
                    delay = result.RetryAfter is { } retryAfter ? ClampRetryAfter(retryAfter) : NextBackoff();
                    if (result.RetryAfter is not null)
                    {
                        _failures++;
                        LogThrottled(result.StatusCode, result.RetryAfter.Value, delay);
                    }
                    else
                    {
                        LogFailed(LogText.Escape(result.Error), delay);
                    }

                    updates.UpdateStatus(FeatureFlagsState.Interrupted, result.Error);
                    break;
            }

            await Delays.QuietlyAsync(delay, _time, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>The delay after the <c>n</c>th failure in a row: the interval, then doubling (uniform in [d/2, d], never below the interval) up to the cap.</summary>
    internal TimeSpan NextBackoff()
    {
        var interval = _options.Polling.Interval;
        var cap = interval > MaxBackoff ? interval : MaxBackoff;
        var exponent = Math.Min(_failures++, 20);
        var ceiling = TimeSpan.FromTicks(Math.Min(cap.Ticks, interval.Ticks * (1L << exponent)));
        if (ceiling <= interval)
        {
            return interval;
        }

        var floor = ceiling / 2 < interval ? interval : ceiling / 2;
        return floor + TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * (ceiling - floor).Ticks));
    }

    private TimeSpan ClampRetryAfter(TimeSpan retryAfter)
    {
        var interval = _options.Polling.Interval;
        var cap = interval > MaxRetryAfter ? interval : MaxRetryAfter;
        return retryAfter < interval ? interval : retryAfter > cap ? cap : retryAfter;
    }

    /// <summary>One request: the response read into <paramref name="body"/> (emptied again before this returns) and committed.</summary>
    internal async Task<PollResult> PollOnceAsync(IFlagDataSourceUpdates updates, PooledMessageBuffer body, CancellationToken stopping)
    {
        try
        {
            return await PollAndProcessAsync(updates, body, stopping).ConfigureAwait(false);
        }
        finally
        {
            body.Reset();
        }
    }

    private async Task<PollResult> PollAndProcessAsync(IFlagDataSourceUpdates updates, PooledMessageBuffer body, CancellationToken stopping)
    {
        var cursor = _requireFull ? 0 : updates.Cursor;
        var uri = cursor == 0 ? Endpoint : new Uri(Endpoint.AbsoluteUri + "?timestamp=" + cursor.ToString(CultureInfo.InvariantCulture));
        LogPolling(Endpoint.AbsoluteUri, cursor);

        // The body is read into pooled 16 KiB segments (never one large array) and parsed from them.
        using (var timeout = new CancellationTokenSource(_options.Polling.Timeout, _time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, timeout.Token))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.TryAddWithoutValidation("Authorization", _options.EnvSecret);
            request.Headers.TryAddWithoutValidation("User-Agent", StreamingSession.UserAgent);
            try
            {
                var client = _factory.CreateClient(HttpClientName);
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (status is 401 or 403)
                {
                    return new PollResult(PollOutcome.Rejected, status, string.Create(CultureInfo.InvariantCulture,
                        $"The flag server refused the environment secret (HTTP {status} from {Endpoint.AbsoluteUri}). Check FeatureFlags:EnvSecret (a server-side secret), or wait for a FeatBit Agent that restarted to be loaded."));
                }

                if (status is < 200 or >= 300)
                {
                    var retryAfter = status is 429 or 503 ? RetryAfterOf(response) : null;
                    return new PollResult(PollOutcome.Failed, status, string.Create(CultureInfo.InvariantCulture,
                        $"Polling {Endpoint.AbsoluteUri} failed: HTTP {status} {response.ReasonPhrase}"), retryAfter);
                }

                if (!await ReadBodyAsync(response, body, linked.Token).ConfigureAwait(false))
                {
                    return new PollResult(PollOutcome.Failed, status, string.Create(CultureInfo.InvariantCulture,
                        $"The response from {Endpoint.AbsoluteUri} is larger than Streaming:MaxMessageSize ({_options.Streaming.MaxMessageSize} bytes); it was refused"));
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                throw;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                return new PollResult(PollOutcome.Failed, 0, string.Create(CultureInfo.InvariantCulture,
                    $"Polling {Endpoint.AbsoluteUri} timed out after {_options.Polling.Timeout}"));
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                // Network errors, a body cut short, or a host torn down under us: retried.
                return new PollResult(PollOutcome.Failed, 0, $"Polling {Endpoint.AbsoluteUri} failed: {ex.GetType().Name}: {ex.Message}");
            }
        }

        // A response read after stop is never committed.
        stopping.ThrowIfCancellationRequested();
        return Process(body.GetSequence(), cursor, updates, stopping);
    }

    private TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - _time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private static string OutcomeName(PollOutcome outcome) => outcome switch
    {
        PollOutcome.Committed => "committed",
        PollOutcome.Unchanged => "unchanged",
        PollOutcome.Invalid => "invalid",
        PollOutcome.Rejected => "rejected",
        _ => "failed",
    };

    internal enum PollOutcome
    {
        Committed,
        Unchanged,
        Invalid,
        Failed,
        Rejected,
    }

    internal readonly record struct PollResult(PollOutcome Outcome, int StatusCode, string? Error, TimeSpan? RetryAfter = null);
}
