using FeatureFlags.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Gates minimal-API endpoints and route groups behind feature flags.</summary>
public static class FeatureGateEndpointConventionBuilderExtensions
{
    /// <summary>Gates the endpoint(s) behind a boolean flag: rejected (404 by default) unless the flag is on.</summary>
    /// <typeparam name="TBuilder">The endpoint or group builder type.</typeparam>
    /// <param name="builder">The endpoint, or a route group (every endpoint in it).</param>
    /// <param name="flag">The flag key.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>Adds a <see cref="FeatureGateAttribute"/> as endpoint metadata; <c>app.UseFeatureFlags()</c> enforces it.</remarks>
    /// <example>
    /// <code>
    /// app.MapGet("/beta", () => "beta").RequireFeature("beta");
    /// var v2 = app.MapGroup("/v2").RequireFeature("api-v2");
    /// </code>
    /// </example>
    public static TBuilder RequireFeature<TBuilder>(this TBuilder builder, string flag)
        where TBuilder : IEndpointConventionBuilder
        => builder.RequireFeature(new FeatureGateAttribute(flag));

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
        return builder.WithMetadata(gate);
    }
}
