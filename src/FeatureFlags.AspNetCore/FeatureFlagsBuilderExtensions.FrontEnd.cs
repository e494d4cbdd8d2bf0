using FeatureFlags;
using FeatureFlags.AspNetCore;

namespace Microsoft.Extensions.DependencyInjection;

/// <content>The front-end additions: the flags a page may bootstrap a browser with, and server-side page views.</content>
public static partial class FeatureFlagsBuilderExtensions
{
    /// <summary>
    /// Sets which flags the <c>&lt;feature-flags-bootstrap /&gt;</c> tag helper may write into a page, after the
    /// <c>FeatureFlags:ClientSide</c> configuration section is bound.
    /// </summary>
    /// <param name="builder">The feature-flags builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>
    /// Callbacks run in registration order when <c>app.UseFeatureFlags()</c> builds the pipeline, then the options are
    /// validated (a blank key stops the start). With no flag listed, the tag writes an empty array.
    /// </remarks>
    /// <example>
    /// <code>
    /// builder.Services.AddFeatureFlags(builder.Configuration).ConfigureClientSide(o => o.Flags = ["checkout-ui", "banner"]);
    /// </code>
    /// </example>
    public static IFeatureFlagsBuilder ConfigureClientSide(this IFeatureFlagsBuilder builder, Action<FeatureFlagClientSideOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>
    /// Turns on server-side page views for FeatBit experiments: <c>app.UseFeatureFlags()</c> records a page-view metric
    /// event for the request's user on the pages listed, after the <c>FeatureFlags:PageViews</c> section is bound.
    /// </summary>
    /// <param name="builder">The feature-flags builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>
    /// Callbacks run in registration order when <c>app.UseFeatureFlags()</c> builds the pipeline, then the options are
    /// validated (a failure stops the start, naming the key). See <see cref="FeatureFlagPageViewOptions"/> for what is
    /// and is not recorded.
    /// </remarks>
    /// <example>
    /// <code>
    /// builder.Services.AddFeatureFlags(builder.Configuration).ConfigurePageViews(o =>
    /// {
    ///     o.Pages["checkout-page-viewed"] = ["/checkout"];
    ///     o.EventNameSelector = context => context.Request.Path.StartsWithSegments("/blog") ? "blog-page-viewed" : null;
    /// });
    /// </code>
    /// </example>
    public static IFeatureFlagsBuilder ConfigurePageViews(this IFeatureFlagsBuilder builder, Action<FeatureFlagPageViewOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }
}
