using System.Net;
using System.Net.Http.Headers;
using FeatureFlags.Sync.Internal;
using Microsoft.Extensions.Options;
using Polly.Timeout;

namespace FeatureFlags.Events.Internal;

/// <summary>How a batch fared.</summary>
internal enum SendStatus
{
    /// <summary>2xx: the server has the events.</summary>
    Delivered,

    /// <summary>400: the server refused this batch; retrying the same body cannot help, so it is dropped.</summary>
    Rejected,

    /// <summary>Any other 4xx except 408/429 (a wrong or revoked secret): event delivery must stop for good.</summary>
    Fatal,

    /// <summary>5xx, 408, 429, network error or timeout, still failing after the retries: the batch is dropped.</summary>
    Failed,
}

/// <summary>The outcome of sending one batch: the status, the HTTP status code (0 when there was no response) and the error.</summary>
internal readonly record struct SendResult(SendStatus Status, int StatusCode, string? Error);

/// <summary>
/// Posts a serialised batch to <c>&lt;Events:Uri&gt;/api/public/insight/track</c> through the named
/// <see cref="HttpClientName"/> client, whose resilience handler times out and retries each attempt
/// (<see cref="EventsServiceCollectionExtensions"/>). Never logs: the request carries the secret.
/// </summary>
internal sealed class EventSender
{
    /// <summary>The name of the <see cref="IHttpClientFactory"/> client (and of its resilience pipeline).</summary>
    public const string HttpClientName = "FeatureFlags.Events";

    /// <summary>The path of the insight endpoint, relative to <see cref="InsightEventsOptions.Uri"/>.</summary>
    public const string EventPath = "api/public/insight/track";

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };

    private readonly IHttpClientFactory _factory;
    private readonly string _secret;

    public EventSender(IHttpClientFactory factory, IOptions<FeatureFlagsOptions> options)
    {
        _factory = factory;
        _secret = options.Value.EnvSecret;
        Endpoint = EndpointOf(options.Value.Events.Uri);
    }

    /// <summary>The URL events are posted to (it carries no secret, so it may be logged).</summary>
    public Uri Endpoint { get; }

    /// <summary>Builds <c>&lt;base&gt;/api/public/insight/track</c>, keeping any path prefix of the base.</summary>
    public static Uri EndpointOf(Uri eventUri)
    {
        ArgumentNullException.ThrowIfNull(eventUri);
        var builder = new UriBuilder(eventUri) { Query = string.Empty, Fragment = string.Empty };
        if (!builder.Path.EndsWith('/'))
        {
            builder.Path += "/";
        }

        return new Uri(builder.Uri, EventPath);
    }

    /// <summary>Sends one batch; returns how it fared. Throws only <see cref="OperationCanceledException"/> for <paramref name="cancellationToken"/>.</summary>
    public async Task<SendResult> SendAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = JsonContentType;
        using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint) { Content = content };
        request.Headers.TryAddWithoutValidation("Authorization", _secret);
        request.Headers.TryAddWithoutValidation("User-Agent", StreamingSession.UserAgent);

        try
        {
            var client = _factory.CreateClient(HttpClientName);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            return Classify(response.StatusCode);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Network errors and timeouts that outlived the retries, or a host already torn down (its service provider
            // disposed before its final flush): the batch is dropped and counted, delivery goes on.
            return new SendResult(SendStatus.Failed, 0, ex.GetType().Name + ": " + ex.Message);
        }
    }

    internal static SendResult Classify(HttpStatusCode status)
    {
        var code = (int)status;
        return code switch
        {
            >= 200 and < 300 => new SendResult(SendStatus.Delivered, code, null),
            400 => new SendResult(SendStatus.Rejected, code, "400 Bad Request"),
            408 or 429 => new SendResult(SendStatus.Failed, code, $"HTTP {code}"),
            >= 400 and < 500 => new SendResult(SendStatus.Fatal, code, $"HTTP {code}"),
            _ => new SendResult(SendStatus.Failed, code, $"HTTP {code}"),
        };
    }
}
