using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FeatureFlags.Tests.Support;

/// <summary>
/// HTTP polling: <c>GET &lt;base&gt;/api/public/sdk/server/latest-all[?timestamp=&lt;cursor&gt;]</c> as the real server and
/// FeatBit Agent serve it (protocol.md §1.11, §1.12), scripted polling faults, and a proxy that refuses WebSocket upgrades.
/// </summary>
/// <remarks>
/// <para>Checks, in the real server's order: a queued <see cref="PollFault"/> (before everything: it stands for what
/// sits in front of the endpoint), then <c>Authorization</c> (exactly <see cref="Secret"/>: missing, <c>Bearer ...</c> or
/// any other value is 401 with no body), then, in <see cref="AgentMode"/>, an agent holding no data (after a restart)
/// answers 401 as for an unknown secret (the agent finds no environment for it, the HTTP analogue of its 4003 "secret is
/// not found"), then <c>timestamp</c> (not an integer, or empty: 400 <c>application/problem+json</c>, ASP.NET's
/// validation problem). Then the reply from the same composition as the WebSocket replies (database microseconds,
/// composed under the state lock): cursor missing or 0 gives the <c>full</c> envelope; a cursor with newer entities
/// a <c>patch</c> envelope; nothing newer 200 with an EMPTY body (Content-Length 0, no Content-Type). No ETag, no
/// rate-limit headers. <see cref="RacePushBeforeReply"/> and <see cref="RespondToDataSync"/> are WebSocket-only.</para>
/// <para>Served under any path prefix (<c>/featbit/api/public/sdk/server/latest-all</c>), as the streaming side is;
/// path matching is case-insensitive and a trailing slash is tolerated, as ASP.NET routing does. Other methods get 405.
/// While the server is stopping, 503.</para>
/// </remarks>
internal sealed partial class FakeFeatBitServer
{
    /// <summary>The polling path the SDK appends to its polling base.</summary>
    public const string PollingPath = "/api/public/sdk/server/latest-all";

    private readonly ConcurrentQueue<PollFault> _pollFaults = new();
    private readonly Queue<PollRequest> _pollRequests = new();
    private int _pollRequestCount;
    private int _pollsInFlight;
    private int _maxConcurrentPolls;
    private int _delayedPolls;
    private int _refusedUpgrades;

    /// <summary>
    /// When not zero, every polling request waits this long on the server's <see cref="TimeProvider"/> before it is
    /// answered (a slow server; a queued <see cref="PollFault.Slow"/> replaces it for its request). Zero by default.
    /// </summary>
    public TimeSpan PollDelay { get; set; }

    /// <summary>
    /// When true, a polling body is sent without <c>Content-Length</c>, in flushed chunks of <see cref="PollChunkSize"/>
    /// bytes (HTTP/1.1 chunked transfer encoding); when false (the default), with its length in one write.
    /// </summary>
    public bool ChunkedPollResponses { get; set; }

    /// <summary>The size of one chunk of a polling body sent with <see cref="ChunkedPollResponses"/>.</summary>
    public const int PollChunkSize = 4096;

    /// <summary>
    /// A proxy that refuses WebSocket upgrades: every upgrade request to a streaming path is answered with
    /// <see cref="RefusedUpgradeStatusCode"/> and a short text body, without switching protocols (a
    /// <see cref="System.Net.WebSockets.ClientWebSocket"/> fails to connect with <c>WebSocketError.NotAWebSocket</c>),
    /// while <c>latest-all</c> keeps working. Nothing is recorded in <see cref="RequestUris"/>; see <see cref="RefusedUpgrades"/>.
    /// </summary>
    public bool RefuseWebSocketUpgrades { get; set; }

    /// <summary>
    /// The status of a refused upgrade (<see cref="RefuseWebSocketUpgrades"/>); 200 by default: a proxy that strips the
    /// <c>Upgrade</c> header and answers the request as a plain GET. Any status but 101 is a failed upgrade for the client.
    /// </summary>
    public int RefusedUpgradeStatusCode { get; set; } = StatusCodes.Status200OK;

    /// <summary>WebSocket upgrade requests refused because of <see cref="RefuseWebSocketUpgrades"/>.</summary>
    public int RefusedUpgrades => Volatile.Read(ref _refusedUpgrades);

    /// <summary>Every <c>latest-all</c> request, in order of completion (the last <see cref="MaxRecords"/>), recorded once its answer was written.</summary>
    public IReadOnlyList<PollRequest> PollRequests => Snapshot(_pollRequests);

    /// <summary>Total <c>latest-all</c> requests handled (recorded), faults and rejections included.</summary>
    public int PollRequestCount => Volatile.Read(ref _pollRequestCount);

    /// <summary><c>latest-all</c> requests being handled now (from arrival until the answer starts to be written).</summary>
    public int PollsInFlight => Volatile.Read(ref _pollsInFlight);

    /// <summary>The highest <see cref="PollsInFlight"/> ever seen: 1 proves a client never overlapped its requests.</summary>
    public int MaxConcurrentPolls => Volatile.Read(ref _maxConcurrentPolls);

    /// <summary>Polling requests that started waiting (<see cref="PollDelay"/> or <see cref="PollFault.Slow"/>); the delay's timer exists once counted.</summary>
    public int DelayedPolls => Volatile.Read(ref _delayedPolls);

    /// <summary><see cref="BaseUri"/> with <see cref="PollingPath"/>: <c>http://127.0.0.1:port/api/public/sdk/server/latest-all</c>.</summary>
    public Uri PollingUri => new(BaseUri, PollingPath.TrimStart('/'));

    /// <summary>Queues a fault for the next polling request (one fault per request, in order); when the queue is empty, requests are served normally.</summary>
    public void EnqueuePollFault(PollFault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        _pollFaults.Enqueue(fault);
    }

    /// <summary>Waits until at least <paramref name="count"/> polling requests have been handled (in total, see <see cref="PollRequests"/>).</summary>
    public Task WaitForPollRequestsAsync(int count, TimeSpan timeout, CancellationToken ct = default)
        => WaitUntilAsync(
            () => PollRequestCount >= count,
            () => $"Expected at least {count} polling request(s) within {timeout} but saw {PollRequestCount} " +
                  $"(in flight: {PollsInFlight}; last: [{string.Join(", ", PollRequests.TakeLast(5).Select(r => $"{r.PathAndQuery} -> {r.StatusCode}"))}]).",
            timeout,
            ct);

    /// <summary>
    /// Waits until at least <paramref name="count"/> polling requests (in total) have started their delay; the delay's
    /// timer is registered by then, so advancing a fake clock afterwards releases it.
    /// </summary>
    public Task WaitForDelayedPollsAsync(int count, TimeSpan timeout, CancellationToken ct = default)
        => WaitUntilAsync(
            () => DelayedPolls >= count,
            () => $"Expected at least {count} delayed polling request(s) within {timeout} but saw {DelayedPolls} (handled: {PollRequestCount}).",
            timeout,
            ct);

    /// <summary>Routes a request: polling, a refused upgrade, or the streaming endpoint.</summary>
    private Task DispatchRequestAsync(HttpContext context)
    {
        if (IsPollingPath(context.Request.Path))
        {
            return HandlePollAsync(context);
        }

        if (RefuseWebSocketUpgrades && IsStreamingPath(context.Request.Path) && context.WebSockets.IsWebSocketRequest)
        {
            return RefuseUpgradeAsync(context);
        }

        return HandleRequestAsync(context);
    }

    private async Task RefuseUpgradeAsync(HttpContext context)
    {
        Interlocked.Increment(ref _refusedUpgrades);
        Signal();
        var body = "WebSocket upgrades are not allowed by this proxy."u8.ToArray();
        context.Response.StatusCode = RefusedUpgradeStatusCode;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private async Task HandlePollAsync(HttpContext context)
    {
        var receivedAt = _time.GetUtcNow();
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var pathAndQuery = string.IsNullOrEmpty(rawTarget) ? $"{context.Request.PathBase}{context.Request.Path}{context.Request.QueryString}" : rawTarget;
        var inFlight = Interlocked.Increment(ref _pollsInFlight);
        RaiseMaxConcurrentPolls(inFlight);
        Signal();
        var leftInFlight = false;
        var answer = PollAnswer.Aborted;
        long? cursor = null;
        PollFault? fault = null;
        try
        {
            var stopping = _appStopping?.Token ?? new CancellationToken(canceled: true);
            using var aborted = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
            try
            {
                (answer, cursor, fault) = await DecidePollAsync(context.Request, aborted.Token);
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                return; // recorded with status 0
            }

            // Out of flight BEFORE the answer can reach the client: a client that sends its next request as soon as it
            // has read this answer must never be counted as overlapping.
            Interlocked.Decrement(ref _pollsInFlight);
            leftInFlight = true;
            await WriteAsync(context.Response, answer, context.RequestAborted);
        }
        finally
        {
            if (!leftInFlight)
            {
                Interlocked.Decrement(ref _pollsInFlight);
            }

            Record(_pollRequests, new PollRequest(pathAndQuery, cursor, receivedAt, _time.GetUtcNow(), answer.StatusCode, answer.EventType, fault), ref _pollRequestCount);
        }
    }

    private async Task<(PollAnswer Answer, long? Cursor, PollFault? Fault)> DecidePollAsync(HttpRequest request, CancellationToken aborted)
    {
        if (!HttpMethods.IsGet(request.Method))
        {
            return (PollAnswer.Empty(StatusCodes.Status405MethodNotAllowed), null, null);
        }

        if (!_accepting)
        {
            return (PollAnswer.Empty(StatusCodes.Status503ServiceUnavailable), null, null);
        }

        var fault = _pollFaults.TryDequeue(out var next) ? next : null;
        var delay = fault is { Delay: var d } && d > TimeSpan.Zero ? d : PollDelay;
        if (delay > TimeSpan.Zero)
        {
            // The timer is registered before the count is published: a test that waits for the count then advances a
            // fake clock always releases this delay.
            var wait = Task.Delay(delay, _time, aborted);
            Interlocked.Increment(ref _delayedPolls);
            Signal();
            await wait;
        }

        var parsed = TryReadPollCursor(request.Query, out var cursor, out var rawTimestamp);
        long? recordedCursor = parsed && request.Query.ContainsKey("timestamp") ? cursor : null;
        if (fault is { StatusCode: { } status })
        {
            return (PollAnswer.Empty(status, fault.RetryAfter), recordedCursor, fault);
        }

        if (fault is { RawBody: { } raw })
        {
            return (PollAnswer.Raw(raw, eventType: null), recordedCursor, fault);
        }

        if (!string.Equals(request.Headers.Authorization.ToString(), Secret, StringComparison.Ordinal) || (AgentMode && !AgentHasData))
        {
            return (PollAnswer.Empty(StatusCodes.Status401Unauthorized), recordedCursor, fault);
        }

        if (!parsed)
        {
            return (PollAnswer.Problem(rawTimestamp), null, fault);
        }

        var reply = PollReply(cursor);
        return (reply is null ? PollAnswer.Empty(StatusCodes.Status200OK) : PollAnswer.Json(reply, cursor == 0 ? "full" : "patch"), recordedCursor, fault);
    }

    /// <summary>The data-sync reply for the cursor, or null for a patch with nothing newer (the real server's empty 200).</summary>
    private string? PollReply(long cursor)
    {
        lock (_stateLock)
        {
            if (cursor != 0
                && !_flags.Values.Any(f => UpdatedAtOf(f) > cursor)
                && !_segments.Values.Any(s => UpdatedAtOf(s) > cursor))
            {
                return null;
            }

            return DataSyncReply(cursor);
        }
    }

    /// <summary>
    /// The <c>timestamp</c> query value as ASP.NET binds a <c>long</c>: missing is 0; the first value when repeated; an
    /// integer with optional surrounding white space and sign; anything else (empty included) fails.
    /// </summary>
    private static bool TryReadPollCursor(IQueryCollection query, out long cursor, out string raw)
    {
        cursor = 0;
        raw = string.Empty;
        if (!query.TryGetValue("timestamp", out var values))
        {
            return true;
        }

        raw = values.Count > 0 ? values[0] ?? string.Empty : string.Empty;
        return long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out cursor);
    }

    /// <summary><see cref="PollingPath"/> at the end of the path (after any prefix), any case, with an optional trailing slash.</summary>
    private static bool IsPollingPath(PathString path)
    {
        var value = (path.Value ?? string.Empty).TrimEnd('/');
        return value.EndsWith(PollingPath, StringComparison.OrdinalIgnoreCase);
    }

    private async Task WriteAsync(HttpResponse response, PollAnswer answer, CancellationToken ct)
    {
        response.StatusCode = answer.StatusCode;
        if (answer.RetryAfter is not null)
        {
            response.Headers.RetryAfter = answer.RetryAfter;
        }

        if (answer.ContentType is null)
        {
            response.ContentLength = 0;
            return;
        }

        var bytes = answer.Body;
        response.ContentType = answer.ContentType;
        if (!ChunkedPollResponses)
        {
            response.ContentLength = bytes.Length;
            await response.Body.WriteAsync(bytes, ct);
            return;
        }

        // No Content-Length: Kestrel sends the body in chunks, as a JSON result streamed by an output formatter is sent.
        for (var offset = 0; offset < bytes.Length; offset += PollChunkSize)
        {
            await response.Body.WriteAsync(bytes.AsMemory(offset, Math.Min(PollChunkSize, bytes.Length - offset)), ct);
            await response.Body.FlushAsync(ct);
        }
    }

    private void RaiseMaxConcurrentPolls(int inFlight)
    {
        var max = Volatile.Read(ref _maxConcurrentPolls);
        while (inFlight > max)
        {
            var seen = Interlocked.CompareExchange(ref _maxConcurrentPolls, inFlight, max);
            if (seen == max)
            {
                return;
            }

            max = seen;
        }
    }

    /// <summary>What a polling request is answered: status, optional <c>Retry-After</c>, and a body with its type (none when null).</summary>
    private sealed record PollAnswer(int StatusCode, string? RetryAfter, string? ContentType, byte[] Body, string? EventType)
    {
        public static readonly PollAnswer Aborted = new(0, null, null, [], null);

        public static PollAnswer Empty(int statusCode, string? retryAfter = null) => new(statusCode, retryAfter, null, [], null);

        public static PollAnswer Json(string body, string? eventType) => Raw(Encoding.UTF8.GetBytes(body), eventType);

        public static PollAnswer Raw(byte[] body, string? eventType) => new(StatusCodes.Status200OK, null, "application/json; charset=utf-8", body, eventType);

        /// <summary>ASP.NET's answer to a query value it cannot bind (an <c>[ApiController]</c> validation problem).</summary>
        public static PollAnswer Problem(string rawTimestamp)
            => new(
                StatusCodes.Status400BadRequest,
                null,
                "application/problem+json; charset=utf-8",
                Encoding.UTF8.GetBytes(new JsonObject
                {
                    ["type"] = "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                    ["title"] = "One or more validation errors occurred.",
                    ["status"] = 400,
                    ["errors"] = new JsonObject
                    {
                        ["timestamp"] = new JsonArray(rawTimestamp.Length == 0 ? "The value '' is invalid." : $"The value '{rawTimestamp}' is not valid."),
                    },
                    ["traceId"] = "00-00000000000000000000000000000000-0000000000000000-00",
                }.ToJsonString()),
                null);
    }
}
