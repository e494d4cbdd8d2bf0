using System.Globalization;
using System.Text;

namespace FeatureFlags.Tests.Support;

/// <summary>
/// A scripted fault for one <c>latest-all</c> request (see <see cref="FakeFeatBitServer.EnqueuePollFault"/>). A fault
/// is taken by the next polling request before anything else is checked (it stands for a proxy, a load balancer or the
/// rate limiter in front of the endpoint), so it applies whatever the request's secret or cursor.
/// </summary>
internal sealed record PollFault
{
    private PollFault(string name)
    {
        Name = name;
    }

    /// <summary>A short description for records and messages (<c>429 Retry-After 5</c>, <c>delay 00:00:10</c>...).</summary>
    public string Name { get; }

    /// <summary>The status answered instead of serving the request; null for a delay (served normally afterwards) or a malformed body (200).</summary>
    public int? StatusCode { get; private init; }

    /// <summary>The raw <c>Retry-After</c> value sent with <see cref="StatusCode"/>; null sends none.</summary>
    public string? RetryAfter { get; private init; }

    /// <summary>How long the server waits (on its <see cref="TimeProvider"/>) before answering; zero for none.</summary>
    public TimeSpan Delay { get; private init; }

    /// <summary>A 200 <c>application/json</c> body sent as these bytes (which need not be UTF-8) instead of the real reply; null for none.</summary>
    public byte[]? RawBody { get; private init; }

    /// <summary>What FeatBit's rate limiter answers: 429 with <c>Retry-After: &lt;whole seconds, rounded up&gt;</c> and no body.</summary>
    public static PollFault RateLimit(TimeSpan retryAfter)
    {
        var seconds = DeltaSeconds(retryAfter);
        return new PollFault($"429 Retry-After {seconds}") { StatusCode = 429, RetryAfter = seconds };
    }

    /// <summary>503 with no body, with <c>Retry-After: &lt;whole seconds, rounded up&gt;</c> when <paramref name="retryAfter"/> is given.</summary>
    public static PollFault ServiceUnavailable(TimeSpan? retryAfter = null)
    {
        var seconds = retryAfter is { } r ? DeltaSeconds(r) : null;
        return new PollFault(seconds is null ? "503" : $"503 Retry-After {seconds}") { StatusCode = 503, RetryAfter = seconds };
    }

    /// <summary>Any status with no body; <paramref name="retryAfter"/> is sent verbatim (an HTTP date, garbage...) when not null.</summary>
    public static PollFault Status(int statusCode, string? retryAfter = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        return new PollFault(retryAfter is null ? statusCode.ToString(CultureInfo.InvariantCulture) : $"{statusCode} Retry-After {retryAfter}")
        {
            StatusCode = statusCode,
            RetryAfter = retryAfter,
        };
    }

    /// <summary>
    /// A slow server: waits <paramref name="delay"/> on the server's <see cref="TimeProvider"/> (a test on a
    /// <c>FakeTimeProvider</c> advances it; see <see cref="FakeFeatBitServer.WaitForDelayedPollsAsync"/>), then answers
    /// normally. A client that gives up first is recorded with status 0.
    /// </summary>
    public static PollFault Slow(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(delay, TimeSpan.Zero);
        return new PollFault($"delay {delay}") { Delay = delay };
    }

    /// <summary>200 <c>application/json; charset=utf-8</c> with a body that is not a valid data-sync (default: <c>not json {</c>).</summary>
    public static PollFault MalformedJson(string body = "not json {")
    {
        ArgumentNullException.ThrowIfNull(body);
        return new PollFault("malformed JSON") { RawBody = Encoding.UTF8.GetBytes(body) };
    }

    /// <summary>200 <c>application/json; charset=utf-8</c> with exactly <paramref name="body"/> (invalid UTF-8, for one).</summary>
    public static PollFault Raw(byte[] body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return new PollFault("raw body") { RawBody = body };
    }

    private static string DeltaSeconds(TimeSpan value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
        return ((long)Math.Ceiling(value.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>One <c>latest-all</c> request as the server handled it (see <see cref="FakeFeatBitServer.PollRequests"/>). No header is kept (never the secret).</summary>
/// <param name="PathAndQuery">The raw request target (<c>/prefix/api/public/sdk/server/latest-all?timestamp=...</c>).</param>
/// <param name="Cursor">The <c>timestamp</c> query value; null when it was missing or not a number.</param>
/// <param name="ReceivedAt">When the request arrived, on the server's <see cref="TimeProvider"/>.</param>
/// <param name="RespondedAt">When the answer was decided (after any delay), on the server's <see cref="TimeProvider"/>.</param>
/// <param name="StatusCode">The status answered; 0 when the client went away (or the server stopped) before an answer.</param>
/// <param name="EventType"><c>full</c> or <c>patch</c> for a data-sync body; null for an empty body, an error or a fault.</param>
/// <param name="Fault">The scripted fault applied to this request, if any.</param>
internal sealed record PollRequest(
    string PathAndQuery,
    long? Cursor,
    DateTimeOffset ReceivedAt,
    DateTimeOffset RespondedAt,
    int StatusCode,
    string? EventType,
    PollFault? Fault);
