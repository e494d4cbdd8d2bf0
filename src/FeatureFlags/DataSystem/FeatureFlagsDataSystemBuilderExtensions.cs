using FeatureFlags.DataSystem.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FeatureFlags.DataSystem;

/// <summary>Plugs other data sources and persistent stores into the client's data system.</summary>
public static class FeatureFlagsDataSystemBuilderExtensions
{
    /// <summary>
    /// Replaces FeatBit streaming with <paramref name="factory"/>'s data source. The bootstrap file, the persistent store,
    /// local overrides, events and evaluation are unchanged; offline mode still runs no live source.
    /// </summary>
    /// <param name="builder">The SDK's builder.</param>
    /// <param name="factory">Builds the source (once, as a singleton).</param>
    /// <returns>The builder.</returns>
    public static IFeatureFlagsBuilder UseDataSource(this IFeatureFlagsBuilder builder, Func<IServiceProvider, IFlagDataSource> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Replace(ServiceDescriptor.Singleton(new LiveDataSourceFactory(factory)));
        return builder;
    }

    /// <summary>
    /// Uses <paramref name="factory"/>'s persistent store instead of the cache file
    /// (<see cref="FeatureFlagsOptions.CacheFile"/> is then ignored).
    /// </summary>
    /// <param name="builder">The SDK's builder.</param>
    /// <param name="factory">Builds the store (once, as a singleton).</param>
    /// <returns>The builder.</returns>
    public static IFeatureFlagsBuilder UsePersistentStore(this IFeatureFlagsBuilder builder, Func<IServiceProvider, IPersistentFlagStore> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Replace(ServiceDescriptor.Singleton(new PersistentStoreFactory(factory)));
        return builder;
    }
}
