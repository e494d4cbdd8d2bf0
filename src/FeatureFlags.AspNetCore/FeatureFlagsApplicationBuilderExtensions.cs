using FeatureFlags;
using FeatureFlags.AspNetCore.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds the feature-flag middleware to a request pipeline.</summary>
public static class FeatureFlagsApplicationBuilderExtensions
{
    /// <summary>
    /// Adds the feature-flag middleware: builds each request's user (from its claims with the <c>FeatureFlags:User</c>
    /// mapping, else an anonymous key, then any <c>IFeatureFlagUserEnricher</c>), sets it on the scoped
    /// <c>IFeatureFlags</c>, and enforces the <c>[FeatureGate]</c>/<c>RequireFeature</c> gates of the selected endpoint.
    /// </summary>
    /// <param name="app">The application builder.</param>
    /// <returns><paramref name="app"/>.</returns>
    /// <exception cref="InvalidOperationException"><c>AddFeatureFlags</c> was not called.</exception>
    /// <remarks>
    /// <para>
    /// <b>Order matters.</b> Call it after <c>UseRouting()</c> (so the endpoint and its gates are known; in minimal hosting
    /// routing runs first implicitly unless the app calls <c>UseRouting()</c> itself) and after <c>UseAuthentication()</c>
    /// (so the claims are there), before the endpoints run. Gates fail closed: a gated endpoint never runs for a request
    /// this middleware did not evaluate (it is missing, or before <c>UseRouting()</c>); the request gets a 500 and an
    /// error naming the fix is logged once per endpoint (EventId 4002). When authentication services are registered and
    /// the authentication middleware has not run before this one, a warning is logged once (EventId 4003).
    /// </para>
    /// <para>
    /// An anonymous visitor gets an SDK-issued random key in a first-party cookie (<c>FeatureFlags:User:AnonymousKeySource</c>,
    /// default <c>Cookie</c>), so flags and percentage rollouts work before sign-in; a signed-in user is keyed only by
    /// the key claim. The middleware is a singleton, built when the app starts (the <c>FeatureFlags:User</c> settings are
    /// validated then); per request it allocates only the user. Requires <c>AddFeatureFlags</c>.
    /// </para>
    /// </remarks>
    /// <example>
    /// <code>
    /// app.UseRouting();          // optional in minimal hosting
    /// app.UseAuthentication();
    /// app.UseAuthorization();
    /// app.UseFeatureFlags();
    /// app.MapControllers();
    /// </code>
    /// </example>
    public static IApplicationBuilder UseFeatureFlags(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.ApplicationServices.GetService<IServiceProviderIsService>() is { } isService && !isService.IsService(typeof(IFeatureFlags)))
        {
            throw new InvalidOperationException(
                "UseFeatureFlags() needs the feature-flag services: call builder.Services.AddFeatureFlags(builder.Configuration) first.");
        }

        return app.UseMiddleware<FeatureFlagsMiddleware>();
    }
}
