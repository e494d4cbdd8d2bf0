using System.Diagnostics.CodeAnalysis;
using FeatureFlags;
using FeatureFlags.AspNetCore;
using FeatureFlags.AspNetCore.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>ASP.NET Core additions to the builder that <c>AddFeatureFlags</c> returns.</summary>
public static partial class FeatureFlagsBuilderExtensions
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

    /// <summary>
    /// Changes how <c>app.UseFeatureFlags()</c> builds each request's user (claim mapping, anonymous keys), after the
    /// <c>FeatureFlags:User</c> configuration section is bound.
    /// </summary>
    /// <param name="builder">The feature-flags builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>
    /// <c>FeatureFlags:User</c> is read from the app's configuration (the <c>IConfiguration</c> in the container, as
    /// <c>WebApplication</c> registers it), with or without this call. Callbacks run in registration order when the app
    /// starts, then the options are validated (a failure stops the start, naming the <c>FeatureFlags:User</c> key).
    /// An app that binds <c>FeatureFlags</c> from elsewhere binds the user mapping here too.
    /// </remarks>
    /// <example>
    /// <code>
    /// builder.Services.AddFeatureFlags(builder.Configuration).ConfigureUsers(o =>
    /// {
    ///     o.KeyClaim = "oid";
    ///     o.AnonymousKeySource = AnonymousKeySource.None;   // no cookie until the visitor consents
    /// });
    /// </code>
    /// </example>
    public static IFeatureFlagsBuilder ConfigureUsers(this IFeatureFlagsBuilder builder, Action<FeatureFlagUserOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
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
