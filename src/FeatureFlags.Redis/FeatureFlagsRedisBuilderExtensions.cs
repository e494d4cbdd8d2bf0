using FeatureFlags;
using FeatureFlags.DataSystem;
using FeatureFlags.Redis;
using FeatureFlags.Redis.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Puts a client on the shared Redis flag store (docs/scale.md).</summary>
public static class FeatureFlagsRedisBuilderExtensions
{
    /// <summary>
    /// Uses Redis as configured in <c>FeatureFlags:Redis</c> of <paramref name="configuration"/>: in
    /// <see cref="RedisStoreMode.Writer"/> mode (the default) as the persistent store, written behind each commit from
    /// FeatBit; in <see cref="RedisStoreMode.Daemon"/> mode as the only data source (no connection to FeatBit for flags).
    /// </summary>
    /// <param name="builder">The SDK's builder.</param>
    /// <param name="configuration">The app's configuration root, or its <c>FeatureFlags</c> or <c>FeatureFlags:Redis</c> section.</param>
    /// <returns>The builder.</returns>
    /// <remarks>
    /// <c>Mode</c> is read now, because it decides which services are registered; the other options bind when the host
    /// starts and are validated then (a missing connection string or an unknown key fails startup, naming the key).
    /// Nothing connects here: Redis is reached in the background when the host starts.
    /// </remarks>
    /// <example>
    /// <code>
    /// builder.Services.AddFeatureFlags(builder.Configuration).UseRedis(builder.Configuration);
    /// </code>
    /// </example>
    public static IFeatureFlagsBuilder UseRedis(this IFeatureFlagsBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        var section = SectionOf(configuration);
        var mode = Enum.TryParse<RedisStoreMode>(section[nameof(FeatureFlagsRedisOptions.Mode)], ignoreCase: true, out var parsed)
            ? parsed
            : RedisStoreMode.Writer; // a bad value fails at start, naming the key
        builder.Services.AddOptions<FeatureFlagsRedisOptions>().Configure(options => RedisConfiguration.Bind(section, options));
        return Register(builder, mode);
    }

    /// <summary>Uses Redis with options set in code (see <see cref="UseRedis(IFeatureFlagsBuilder, IConfiguration)"/>).</summary>
    /// <param name="builder">The SDK's builder.</param>
    /// <param name="configure">Sets the options; it is also run once now to read <see cref="FeatureFlagsRedisOptions.Mode"/>.</param>
    /// <returns>The builder.</returns>
    /// <example>
    /// <code>
    /// services.AddFeatureFlags(configuration).UseRedis(o =>
    /// {
    ///     o.ConnectionString = "redis.internal:6379,password=...";
    ///     o.Mode = RedisStoreMode.Daemon;
    /// });
    /// </code>
    /// </example>
    public static IFeatureFlagsBuilder UseRedis(this IFeatureFlagsBuilder builder, Action<FeatureFlagsRedisOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var probe = new FeatureFlagsRedisOptions();
        configure(probe);
        builder.Services.AddOptions<FeatureFlagsRedisOptions>().Configure(configure);
        return Register(builder, probe.Mode);
    }

    private static IConfigurationSection SectionOf(IConfiguration configuration)
    {
        if (configuration is IConfigurationSection section)
        {
            if (string.Equals(section.Path, FeatureFlagsRedisOptions.SectionName, StringComparison.OrdinalIgnoreCase))
            {
                return section;
            }

            if (string.Equals(section.Path, FeatureFlagsOptions.SectionName, StringComparison.OrdinalIgnoreCase))
            {
                return section.GetSection("Redis");
            }
        }

        return configuration.GetSection(FeatureFlagsRedisOptions.SectionName);
    }

    private static IFeatureFlagsBuilder Register(IFeatureFlagsBuilder builder, RedisStoreMode mode)
    {
        var services = builder.Services;
        services.AddOptions<FeatureFlagsRedisOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FeatureFlagsRedisOptions>, RedisOptionsValidator>());
        services.Replace(ServiceDescriptor.Singleton(new RedisRegistration(mode)));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RedisConnection>();
        if (mode == RedisStoreMode.Daemon)
        {
            services.TryAddSingleton(static sp => new RedisDaemonSource(
                sp.GetRequiredService<RedisConnection>(),
                sp.GetRequiredService<IOptions<FeatureFlagsRedisOptions>>(),
                sp.GetRequiredService<IOptions<FeatureFlagsOptions>>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<RedisDaemonSource>>()));
            return builder.UseDataSource(static sp => sp.GetRequiredService<RedisDaemonSource>());
        }

        services.TryAddSingleton(static sp => new RedisFlagStore(
            sp.GetRequiredService<RedisConnection>(),
            sp.GetRequiredService<IOptions<FeatureFlagsRedisOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<RedisFlagStore>>(),
            sp.GetService<IFeatureFlagsStatusProvider>()));
        return builder.UsePersistentStore(static sp => sp.GetRequiredService<RedisFlagStore>());
    }
}
