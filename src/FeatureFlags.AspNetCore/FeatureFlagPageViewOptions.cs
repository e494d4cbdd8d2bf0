using Microsoft.AspNetCore.Http;

namespace FeatureFlags.AspNetCore;

/// <summary>
/// Server-side page views for FeatBit experiments (the <c>FeatureFlags:PageViews</c> configuration section): which pages
/// <c>app.UseFeatureFlags()</c> records a page-view metric for, and under which event name.
/// </summary>
/// <remarks>
/// <para>
/// Opt-in: with no page listed and no <see cref="EventNameSelector"/>, nothing is recorded. A page view is recorded,
/// once the endpoint has run, only for a <c>GET</c> that was answered 2xx by an endpoint, for a request that has a
/// feature-flag user, and never for a static file (no endpoint, or a path whose last segment has a file extension),
/// a health check (<c>MapHealthChecks</c>) or the SDK's own endpoints (<c>MapFeatureFlags</c>). The event is FeatBit's
/// page-view metric event (<c>type</c> <c>PageView</c>, the event name, the request path as the route), sent with the
/// other insight events (<see cref="IFeatureFlagClient.TrackPageView"/>).
/// </para>
/// <para>
/// A page pattern is a path (<c>/checkout</c>: that path, case-insensitive, with or without a trailing slash), a path
/// prefix ending in <c>/*</c> (<c>/products/*</c>: <c>/products</c> and every path under it), or an endpoint's route
/// template as written (<c>/products/{id}</c>). Bound from <c>FeatureFlags:PageViews</c>, then changed by
/// <c>AddFeatureFlags(...).ConfigurePageViews(...)</c> callbacks, and validated when the pipeline is built (an unknown
/// key, a blank event name or a pattern that does not start with <c>/</c> fails start-up, naming the key).
/// </para>
/// </remarks>
/// <example>
/// <code>
/// "FeatureFlags": {
///   "PageViews": {
///     "Pages": {
///       "checkout-page-viewed": [ "/checkout" ],
///       "product-page-viewed": [ "/products/*" ]
///     }
///   }
/// }
/// </code>
/// </example>
public sealed class FeatureFlagPageViewOptions
{
    /// <summary>
    /// Gets the pages to record: a page-view metric's event name (as configured in FeatBit) to the page patterns that
    /// count as a view of it. Empty by default. Keep the events' patterns apart: when two match, the event enumerated
    /// first wins (configuration enumerates its keys in sorted order).
    /// </summary>
    public Dictionary<string, IList<string>> Pages { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Gets or sets a function that names the page-view event of a request that no <see cref="Pages"/> pattern matched,
    /// or returns <see langword="null"/> for none. Called after the endpoint ran, only for requests that pass the rules
    /// above (GET, 2xx, an endpoint, not a static file, health check or SDK endpoint, a user); must not throw.
    /// </summary>
    public Func<HttpContext, string?>? EventNameSelector { get; set; }

    /// <summary>
    /// Gets or sets the named client that records the page views (<c>AddFeatureFlags("eu", ...)</c>); none: the default
    /// client. Use the client of the FeatBit environment that runs the experiment.
    /// </summary>
    public string? Client { get; set; }
}
