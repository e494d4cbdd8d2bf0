using System.Diagnostics.CodeAnalysis;
using FeatureFlags;
using FeatureFlags.AspNetCore;
using FeatureFlags.AspNetCore.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>ASP.NET Core additions to the builder that <c>AddFeatureFlags</c> returns.</summary>
public static class FeatureFlagsBuilderExtensions
{
    /// <summary>Adds a user enricher that <c>app.UseFeatureFlags()</c> calls once per request, after the claims mapping.</summary>
    /// <typeparam name="T">The enricher type; registered scoped, so it can use scoped services.</typeparam>
    /// <param name="builder">The feature-flags builder.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>Enrichers run in registration order; adding the same type twice registers it once.</remarks>
    /// <example>
    /// <code>
    /// builder.Services.AddFeatureFlags(builder.Configuration).AddUserEnricher&lt;PlanEnricher&gt;();
    /// </code>
    /// </example>
    public static IFeatureFlagsBuilder AddUserEnricher<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(this IFeatureFlagsBuilder builder)
        where T : class, IFeatureFlagUserEnricher
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Scoped<IFeatureFlagUserEnricher, T>());
        builder.Services.TryAddSingleton<UserEnricherMarker>();
        return builder;
    }

    /// <summary>Sets how requests rejected by a feature gate are answered (default: 404).</summary>
    /// <param name="builder">The feature-flags builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <example>
    /// <code>
    /// builder.Services.AddFeatureFlags(builder.Configuration).ConfigureGates(o => o.RedirectTo = "/coming-soon");
    /// </code>
    /// </example>
    public static IFeatureFlagsBuilder ConfigureGates(this IFeatureFlagsBuilder builder, Action<FeatureGateOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }
}
