using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FeatureFlags.AspNetCore.Internal;

/// <summary>
/// Records FeatBit page-view metric events for the pages of <see cref="FeatureFlagPageViewOptions"/>, after the endpoint
/// ran: GET, 2xx, an endpoint that is not a static file, a health check or the SDK's own, and a request with a user.
/// Built once when the pipeline is built; <see cref="Create"/> returns <see langword="null"/> when page views are off,
/// so the middleware's request path is unchanged.
/// </summary>
internal sealed partial class PageViewRecorder
{
    /// <summary>The display name <c>MapHealthChecks</c> gives its endpoints.</summary>
    internal const string HealthChecksDisplayName = "Health checks";

    private readonly Page[] _pages;
    private readonly Func<HttpContext, string?>? _selector;
    private readonly string? _client;
    private readonly ILogger _logger;

    private PageViewRecorder(Page[] pages, Func<HttpContext, string?>? selector, string? client, ILogger logger)
    {
        _pages = pages;
        _selector = selector;
        _client = client;
        _logger = logger;
    }

    /// <summary>Loads and validates <c>FeatureFlags:PageViews</c> (throws naming the key); null when nothing is to be recorded.</summary>
    public static PageViewRecorder? Create(IServiceProvider services, ILogger logger)
    {
        var options = FrontEndOptionsLoader.LoadPageViews(services);
        if (options.Pages.Count == 0 && options.EventNameSelector is null)
        {
            return null;
        }

        var pages = options.Pages
            .SelectMany(static p => p.Value.Select(pattern => Page.Parse(pattern, p.Key)))
            .ToArray();
        return new PageViewRecorder(pages, options.EventNameSelector, options.Client, logger);
    }

    /// <summary>Runs the rest of the pipeline, then records the page view when the request qualifies.</summary>
    public Task InvokeAsync(RequestDelegate next, HttpContext context, IFeatureFlags flags)
        => HttpMethods.IsGet(context.Request.Method) ? NextThenRecordAsync(next, context, flags) : next(context);

    private async Task NextThenRecordAsync(RequestDelegate next, HttpContext context, IFeatureFlags flags)
    {
        await next(context).ConfigureAwait(false);
        if (context.Response.StatusCode is < 200 or > 299
            || context.GetEndpoint() is not { } endpoint
            || endpoint.Metadata.GetMetadata<SdkEndpointMetadata>() is not null
            || string.Equals(endpoint.DisplayName, HealthChecksDisplayName, StringComparison.Ordinal)
            || HasFileExtension(context.Request.Path)
            || flags.User is not { } user)
        {
            return;
        }

        var eventName = Match(context.Request.Path, endpoint) ?? _selector?.Invoke(context);
        if (string.IsNullOrWhiteSpace(eventName))
        {
            return;
        }

        var client = _client is null
            ? context.RequestServices.GetRequiredService<IFeatureFlagClient>()
            : context.RequestServices.GetRequiredKeyedService<IFeatureFlagClient>(_client);
        var route = context.Request.Path.Value!;
        client.TrackPageView(user, eventName, route);
        LogRecorded(eventName, route);
    }

    private string? Match(PathString path, Endpoint endpoint)
    {
        var value = path.Value ?? "/";
        var template = (endpoint as RouteEndpoint)?.RoutePattern.RawText;
        foreach (var page in _pages)
        {
            if (page.Matches(value, template))
            {
                return page.EventName;
            }
        }

        return null;
    }

    /// <summary>Whether the last path segment has an extension (<c>/css/site.css</c>): a static file, never a page view.</summary>
    internal static bool HasFileExtension(PathString path)
    {
        var value = path.Value.AsSpan();
        var lastSegment = value[(value.LastIndexOf('/') + 1)..];
        var dot = lastSegment.LastIndexOf('.');
        return dot >= 0 && dot < lastSegment.Length - 1;
    }

    [LoggerMessage(EventId = 4032, Level = LogLevel.Debug, Message = "Recorded page view '{EventName}' of {Route}")]
    private partial void LogRecorded(string eventName, string route);

    /// <summary>One page pattern: an exact path, a prefix (<c>/products/*</c>) or a route template.</summary>
    private sealed class Page(string path, bool prefix, string eventName)
    {
        public string EventName { get; } = eventName;

        public static Page Parse(string pattern, string eventName)
            => pattern.EndsWith("/*", StringComparison.Ordinal)
                ? new Page(pattern[..^2], prefix: true, eventName)
                : new Page(Trim(pattern), prefix: false, eventName);

        public bool Matches(string requestPath, string? template)
        {
            var request = Trim(requestPath);
            if (prefix)
            {
                return request.StartsWith(path, StringComparison.OrdinalIgnoreCase)
                    && (request.Length == path.Length || request[path.Length] == '/' || path.Length == 0);
            }

            return string.Equals(request, path, StringComparison.OrdinalIgnoreCase)
                || (template is not null && string.Equals(Trim(template.StartsWith('/') ? template : "/" + template), path, StringComparison.OrdinalIgnoreCase));
        }

        private static string Trim(string value) => value.Length > 1 && value[^1] == '/' ? value[..^1] : value;
    }
}

/// <summary>Marks the SDK's own endpoints (<c>MapFeatureFlags</c>), which never count as page views.</summary>
internal sealed class SdkEndpointMetadata
{
    public static readonly SdkEndpointMetadata Instance = new();
}
