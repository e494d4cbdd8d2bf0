using FeatureFlags;
using FeatureFlags.AspNetCore.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds the feature-flag middleware to a request pipeline.</summary>
public static class FeatureFlagsApplicationBuilderExtensions
{
    /// <summary>
    /// Adds the feature-flag middleware: builds each request's user from its claims (mapping from
    /// <c>FeatureFlags:User</c>, then any <c>IFeatureFlagUserEnricher</c>), sets it on the scoped
    /// <c>IFeatureFlags</c>, and enforces the <c>[FeatureGate]</c>/<c>RequireFeature</c> gates of the selected endpoint.
    /// </summary>
    /// <param name="app">The application builder.</param>
    /// <returns><paramref name="app"/>.</returns>
    /// <exception cref="InvalidOperationException"><c>AddFeatureFlags</c> was not called.</exception>
    /// <remarks>
    /// Place it after <c>UseRouting()</c> (so the endpoint is known; in minimal hosting routing runs first implicitly)
    /// and after <c>UseAuthentication()</c> (so the claims are there), before the endpoints run. The middleware is a
    /// singleton; per request it allocates only the user. Requires <c>AddFeatureFlags</c>.
    /// </remarks>
    /// <example>
    /// <code>
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
