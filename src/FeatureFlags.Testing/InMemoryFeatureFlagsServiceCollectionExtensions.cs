using FeatureFlags;
using FeatureFlags.Events.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Testing;
using FeatureFlags.Testing.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Replaces the FeatBit server with an <see cref="InMemoryFlags"/> in a service collection (tests).</summary>
public static class InMemoryFeatureFlagsServiceCollectionExtensions
{
    /// <summary>
    /// Serves <paramref name="flags"/> through the app's real feature-flag SDK instead of a FeatBit server, and records
    /// its events in <see cref="InMemoryFlags.Events"/> instead of sending them. One line in
    /// <c>ConfigureTestServices</c>; also works on a plain <see cref="IServiceCollection"/> or host builder.
    /// </summary>
    /// <param name="services">The app's services, after its own <c>AddFeatureFlags</c> (or without it: the SDK is then added).</param>
    /// <param name="flags">The flags the test owns and changes.</param>
    /// <returns>The SDK's builder, for further set-up such as a user enricher.</returns>
    /// <remarks>
    /// <para>
    /// Nothing connects: the streaming sync service is removed, so no FeatBit server, secret or network is needed
    /// (options are validated as in offline mode), and events never leave the process. The store is loaded and the
    /// status is <see cref="FeatureFlagsState.Ready"/> as soon as the app first asks for its store, client or status.
    /// The app's <c>FeatureFlags:BootstrapFile</c>, <c>CacheFile</c> and <c>Overrides</c> are ignored: the test's
    /// flags are the only source. Every other option (user claims, gates, <c>Events:Enabled</c>, ...) stays the app's.
    /// </para>
    /// <para>
    /// One <see cref="InMemoryFlags"/> may serve several hosts at once (each change reaches all of them); each host
    /// stops following it when its service provider is disposed. Calling this again with another object replaces it.
    /// </para>
    /// </remarks>
    /// <example>
    /// <code>
    /// var flags = new InMemoryFlags();
    /// flags.Flag("new-checkout").On();
    /// using var client = factory
    ///     .WithWebHostBuilder(b => b.ConfigureTestServices(services => services.AddInMemoryFeatureFlags(flags)))
    ///     .CreateClient();
    /// </code>
    /// </example>
    public static IFeatureFlagsBuilder AddInMemoryFeatureFlags(this IServiceCollection services, InMemoryFlags flags)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(flags);

        // Registers the SDK when the app has not (a worker under test); otherwise adds a no-op configure step only.
        var builder = services.AddFeatureFlags(static _ => { });

        // After every Configure: offline needs no secret and stops the SDK's own sources; the recorder keeps events on.
        services.PostConfigure<FeatureFlagsOptions>(static o =>
        {
            o.Offline = true;
            o.BootstrapFile = null;
            o.CacheFile = null;
            o.Overrides.Clear();
        });

        for (var i = services.Count - 1; i >= 0; i--)
        {
            if (IsStreamingSyncHostedService(services[i]))
            {
                services.RemoveAt(i);
            }
        }

        services.RemoveAll<InMemoryFlagsBinding>();
        services.AddSingleton(sp => new InMemoryFlagsBinding(
            flags, ActivatorUtilities.CreateInstance<FlagStore>(sp), sp.GetRequiredService<StatusProvider>()));
        services.Replace(ServiceDescriptor.Singleton(static sp => sp.GetRequiredService<InMemoryFlagsBinding>().Store));

        // Whoever asks for the status first (a health check before any evaluation) gets the flags loaded too.
        services.Replace(ServiceDescriptor.Singleton<IFeatureFlagsStatusProvider>(static sp =>
        {
            _ = sp.GetRequiredService<InMemoryFlagsBinding>();
            return sp.GetRequiredService<StatusProvider>();
        }));
        services.Replace(ServiceDescriptor.Singleton<IInsightEventSink>(new EventRecorderSink(flags.Events)));
        return builder;
    }

    /// <summary>The hosted-service registration of the streaming sync (registered through a typed factory).</summary>
    private static bool IsStreamingSyncHostedService(ServiceDescriptor descriptor)
        => descriptor.ServiceType == typeof(IHostedService)
           && !descriptor.IsKeyedService
           && (descriptor.ImplementationType == typeof(FeatureFlags.DataSystem.Internal.FlagDataSystem)
               || descriptor.ImplementationInstance is FeatureFlags.DataSystem.Internal.FlagDataSystem
               || descriptor.ImplementationFactory?.GetType().GenericTypeArguments is [_, var type] && type == typeof(FeatureFlags.DataSystem.Internal.FlagDataSystem));
}
