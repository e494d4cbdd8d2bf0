using System.Diagnostics.CodeAnalysis;
using FeatureFlags.DependencyInjection.Internal;
using FeatureFlags.Hooks.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FeatureFlags.Hooks;

/// <summary>Registers <see cref="FeatureFlagsHook"/>s with a client.</summary>
public static class FeatureFlagsHooksBuilderExtensions
{
    /// <summary>Adds a hook of type <typeparamref name="T"/>, a singleton resolved from the container.</summary>
    /// <typeparam name="T">The hook type.</typeparam>
    /// <param name="builder">The builder <c>AddFeatureFlags</c> returned: the default client's, or a named client's.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>
    /// <para>
    /// Hooks run in the order they were added (before stages; after stages in reverse). Adding the same type twice
    /// adds it once. The hook applies to the builder's client only: <c>AddFeatureFlags(...).AddHook&lt;T&gt;()</c> to
    /// the default client, <c>AddFeatureFlags("eu", ...).AddHook&lt;T&gt;()</c> to the named client <c>eu</c>.
    /// </para>
    /// <para>
    /// <typeparamref name="T"/> is resolved once, when the client is first resolved: the app's registration of
    /// <typeparamref name="T"/> if it has one (so one instance can serve several clients and use any app service),
    /// otherwise a singleton created for the client (a named client's own container then provides its constructor's
    /// dependencies: logging, metrics, <see cref="TimeProvider"/>; register <typeparamref name="T"/> in the app's
    /// services for anything else). A hook must not depend on <see cref="IFeatureFlagClient"/> (the client depends on its hooks).
    /// </para>
    /// </remarks>
    /// <example>
    /// <code>
    /// builder.Services.AddFeatureFlags(builder.Configuration).AddHook&lt;AuditHook&gt;();
    /// </code>
    /// </example>
    public static IFeatureFlagsBuilder AddHook<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(this IFeatureFlagsBuilder builder)
        where T : FeatureFlagsHook
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<T>();
        Add(builder.Services, new HookRegistration(typeof(T), static services => Resolve<T>(services)));
        return builder;
    }

    /// <summary>Adds a hook instance.</summary>
    /// <param name="builder">The builder <c>AddFeatureFlags</c> returned: the default client's, or a named client's.</param>
    /// <param name="hook">The hook; the app owns it (the container does not dispose it).</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>
    /// Hooks run in the order they were added (before stages; after stages in reverse); adding the same instance twice
    /// adds it once. The same instance may be added to several clients (its stages must then be thread-safe across them;
    /// <see cref="EvaluationSeriesContext{T}.ClientName"/> tells them apart).
    /// </remarks>
    /// <example>
    /// <code>
    /// builder.Services.AddFeatureFlags(builder.Configuration).AddHook(new EvaluationCounterHook());
    /// </code>
    /// </example>
    public static IFeatureFlagsBuilder AddHook(this IFeatureFlagsBuilder builder, FeatureFlagsHook hook)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(hook);
        Add(builder.Services, new HookRegistration(hook, _ => hook));
        return builder;
    }

    private static void Add(IServiceCollection services, HookRegistration registration)
    {
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(HookRegistration) && !descriptor.IsKeyedService
                && descriptor.ImplementationInstance is HookRegistration existing && Equals(existing.Key, registration.Key))
            {
                return;
            }
        }

        services.AddSingleton(registration);
    }

    /// <summary>The app's <typeparamref name="T"/> when a named client's app registered one, else the client container's.</summary>
    private static T Resolve<T>(IServiceProvider services)
        where T : FeatureFlagsHook
        => services.GetService<AppServices>()?.Provider.GetService<T>() ?? services.GetRequiredService<T>();
}
