using FeatureFlags.AspNetCore;
using FeatureFlags.AspNetCore.Internal;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Gates minimal-API endpoints and route groups behind feature flags.</summary>
public static class FeatureGateEndpointConventionBuilderExtensions
{
    /// <summary>Gates the endpoint(s) behind a boolean flag: rejected (404 by default) unless the flag is on.</summary>
    /// <typeparam name="TBuilder">The endpoint or group builder type.</typeparam>
    /// <param name="builder">The endpoint, or a route group (every endpoint in it).</param>
    /// <param name="flag">The flag key.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>
    /// Adds a <see cref="FeatureGateAttribute"/> as endpoint metadata; <c>app.UseFeatureFlags()</c> enforces it. The gate
    /// fails closed: the endpoint is also wrapped so that it never runs for a request whose gates the middleware did not
    /// evaluate (middleware forgotten or placed before <c>UseRouting()</c>); such a request gets a 500 and an error is
    /// logged once per endpoint.
    /// </remarks>
    /// <example>
    /// <code>
    /// app.MapGet("/beta", () => "beta").RequireFeature("beta");
    /// var v2 = app.MapGroup("/v2").RequireFeature("api-v2");
    /// </code>
    /// </example>
    public static TBuilder RequireFeature<TBuilder>(this TBuilder builder, string flag)
        where TBuilder : IEndpointConventionBuilder
        => builder.RequireFeature(new FeatureGateAttribute(flag));

    /// <summary>Gates the endpoint(s) behind a boolean flag of a named client (<c>AddFeatureFlags(client, ...)</c>).</summary>
    /// <typeparam name="TBuilder">The endpoint or group builder type.</typeparam>
    /// <param name="builder">The endpoint, or a route group (every endpoint in it).</param>
    /// <param name="flag">The flag key.</param>
    /// <param name="client">The named client whose flag is evaluated, for the request's user.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <example>
    /// <code>
    /// app.MapGet("/eu/beta", () => "beta").RequireFeature("beta", client: "eu");
    /// </code>
    /// </example>
    public static TBuilder RequireFeature<TBuilder>(this TBuilder builder, string flag, string client)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(client);
        return builder.RequireFeature(new FeatureGateAttribute(flag) { Client = client });
    }

    /// <summary>Gates the endpoint(s) behind several boolean flags that must all, or any, be on.</summary>
    /// <typeparam name="TBuilder">The endpoint or group builder type.</typeparam>
    /// <param name="builder">The endpoint, or a route group.</param>
    /// <param name="requirementType">Whether all flags or any flag must be on.</param>
    /// <param name="flags">The flag keys.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static TBuilder RequireFeature<TBuilder>(this TBuilder builder, FeatureGateRequirement requirementType, params string[] flags)
        where TBuilder : IEndpointConventionBuilder
        => builder.RequireFeature(new FeatureGateAttribute(requirementType, flags));

    /// <summary>Gates the endpoint(s) with a fully specified gate (negation, variation, rejection).</summary>
    /// <typeparam name="TBuilder">The endpoint or group builder type.</typeparam>
    /// <param name="builder">The endpoint, or a route group.</param>
    /// <param name="gate">The gate.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <example>
    /// <code>
    /// app.MapGet("/checkout", ...).RequireFeature(new FeatureGateAttribute("checkout-ui") { Variation = "v2", RedirectTo = "/checkout-v1" });
    /// </code>
    /// </example>
    public static TBuilder RequireFeature<TBuilder>(this TBuilder builder, FeatureGateAttribute gate)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(gate);
        builder.Add(static endpoint => GuardOnce(endpoint));
        return builder.WithMetadata(gate);
    }

    /// <summary>Wraps the endpoint's request delegate in the fail-closed check, once however many gates it has.</summary>
    private static void GuardOnce(EndpointBuilder endpoint)
    {
        if (endpoint.RequestDelegate is not { } inner || endpoint.Metadata.OfType<FeatureGateGuard>().Any())
        {
            return;
        }

        var guard = new FeatureGateGuard();
        endpoint.Metadata.Add(guard);
        endpoint.RequestDelegate = context =>
        {
            if (FeatureGateGuard.WasEvaluated(context))
            {
                return inner(context);
            }

            guard.Refuse(context);
            return Task.CompletedTask;
        };
    }
}
