using System.Diagnostics.Metrics;
using FeatureFlags;
using FeatureFlags.Bootstrap.Internal;
using FeatureFlags.Cache.Internal;
using FeatureFlags.DataSystem.Internal;
using FeatureFlags.DependencyInjection.Internal;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Events.Internal;
using FeatureFlags.Hooks.Internal;
using FeatureFlags.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Sync.Internal.Polling;
using FeatureFlags.Telemetry.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the feature-flag SDK in a service collection.</summary>
public static partial class FeatureFlagsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the feature-flag SDK with options bound from the <c>FeatureFlags</c> section of
    /// <paramref name="configuration"/> (or from <paramref name="configuration"/> itself when it is that section).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The app's configuration root, or the <c>FeatureFlags</c> section.</param>
    /// <returns>A builder for further set-up.</returns>
    /// <remarks>
    /// <para>
    /// Registers singletons (<see cref="IFeatureFlagClient"/>, <see cref="IFlagStore"/>, <see cref="IFlagTracker"/>,
    /// <see cref="IFeatureFlagsStatusProvider"/>), the scoped <see cref="IFeatureFlags"/> and the hosted service that
    /// streams flags from the FeatBit server. Options are validated when the host starts: a missing secret, a malformed
    /// URI, a negative timeout or an unknown key fails startup with a message naming the key.
    /// </para>
    /// <para>
    /// Nothing blocks here. The host's start waits at most <c>FeatureFlags:StartWaitTime</c> for the first flag data
    /// (asynchronously), then the app serves defaults until data arrives; <c>StartWaitTime = 0</c> does not wait, so the
    /// app starts without a flag server. Calling this method more than once is harmless: services are added once.
    /// </para>
    /// <para>
    /// Telemetry is on and costs nothing until something listens: subscribe to the activity source and the meter named
    /// in <see cref="FeatureFlagsTelemetry"/> (the meter comes from the container's <c>IMeterFactory</c>; this method
    /// calls <c>AddMetrics()</c>).
    /// </para>
    /// </remarks>
    /// <example>
    /// <code>
    /// var builder = WebApplication.CreateBuilder(args);
    /// builder.Services.AddFeatureFlags(builder.Configuration);   // reads "FeatureFlags" from appsettings.json
    /// var app = builder.Build();
    /// app.UseAuthentication();
    /// app.UseFeatureFlags();
    /// </code>
    /// </example>
    public static IFeatureFlagsBuilder AddFeatureFlags(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        var section = configuration is IConfigurationSection self
            && string.Equals(self.Key, FeatureFlagsOptions.SectionName, StringComparison.OrdinalIgnoreCase)
            ? self
            : configuration.GetSection(FeatureFlagsOptions.SectionName);
        var namedClients = NamedClientSections.Of(services);
        services.AddOptions<FeatureFlagsOptions>().Configure(options => ConfigurationKeys.Bind(section, options, Options.Options.DefaultName, namedClients));
        services.AddSingleton<IOptionsChangeTokenSource<FeatureFlagsOptions>>(new ConfigurationChangeTokenSource<FeatureFlagsOptions>(section));
        return AddCore(services);
    }

    /// <summary>Adds the feature-flag SDK with options set in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>A builder for further set-up.</returns>
    /// <remarks>
    /// Registers the same services as <see cref="AddFeatureFlags(IServiceCollection, IConfiguration)"/>, with the same
    /// start-time validation. Calling it again adds another configure step and nothing else.
    /// </remarks>
    /// <example>
    /// <code>
    /// services.AddFeatureFlags(o =>
    /// {
    ///     o.EnvSecret = secrets["featbit-secret"];
    ///     o.Streaming.Uri = new Uri("wss://featbit.contoso.com");
    ///     o.StartWaitTime = TimeSpan.FromSeconds(3);
    /// });
    /// </code>
    /// </example>
    public static IFeatureFlagsBuilder AddFeatureFlags(this IServiceCollection services, Action<FeatureFlagsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        services.AddOptions<FeatureFlagsOptions>().Configure(configure);
        return AddCore(services);
    }

    /// <summary>Relative file paths are relative to the host's content root (where appsettings.json is), not the process's working directory.</summary>
    private static void ResolveFilePaths(FeatureFlagsOptions options, IHostEnvironment? environment)
    {
        if (environment is null || string.IsNullOrEmpty(environment.ContentRootPath))
        {
            return;
        }

        if (!string.IsNullOrWhiteSpace(options.BootstrapFile) && !Path.IsPathRooted(options.BootstrapFile))
        {
            options.BootstrapFile = Path.Combine(environment.ContentRootPath, options.BootstrapFile);
        }

        if (!string.IsNullOrWhiteSpace(options.CacheFile) && !Path.IsPathRooted(options.CacheFile))
        {
            options.CacheFile = Path.Combine(environment.ContentRootPath, options.CacheFile);
        }
    }

    internal static FeatureFlagsBuilder AddCore(IServiceCollection services)
    {
        var builder = new FeatureFlagsBuilder(services);
        if (services.Any(static d => d.ServiceType == typeof(FeatureFlagsMarker)))
        {
            return builder;
        }

        services.AddSingleton<FeatureFlagsMarker>();
        services.AddOptions<FeatureFlagsOptions>()
            .PostConfigure<IServiceProvider>(static (options, sp) => ResolveFilePaths(options, sp.GetService<IHostEnvironment>()))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FeatureFlagsOptions>, FeatureFlagsOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        // Telemetry: the meter comes from the container's IMeterFactory (one meter per container); the store carries it
        // to the client and the sync service.
        services.AddMetrics();
        services.TryAddSingleton(static sp => new FeatureFlagsMetrics(sp.GetService<IMeterFactory>(), sp.GetService<EventProcessor>(), sp.GetService<ClientIdentity>()?.Name));
        services.TryAddSingleton<NotificationDispatcher>();
        services.TryAddSingleton<FlagStore>();
        services.TryAddSingleton<IFlagStore>(static sp => sp.GetRequiredService<FlagStore>());
        services.TryAddSingleton(static sp => HookRunner.Create(sp));
        services.TryAddSingleton<FeatureFlagClient>();
        services.TryAddSingleton<IFeatureFlagClient>(static sp => sp.GetRequiredService<FeatureFlagClient>());
        services.TryAddSingleton<StatusProvider>();
        services.TryAddSingleton<IFeatureFlagsStatusProvider>(static sp => sp.GetRequiredService<StatusProvider>());
        services.TryAddSingleton<FlagTracker>();
        services.TryAddSingleton<IFlagTracker>(static sp => sp.GetRequiredService<FlagTracker>());
        services.TryAddSingleton<IConnectionTokenProvider>(static sp => new ConnectionTokenProvider(sp.GetRequiredService<TimeProvider>()));
        services.TryAddScoped<IFeatureFlags, ScopedFeatureFlags>();

        // First of the hosted services: knows whether anything started them (EventId 1007 when nothing will).
        services.TryAddSingleton<HostStartWatch>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, HostStartWatch>(static sp => sp.GetRequiredService<HostStartWatch>()));

        // The data system is a singleton first (so tests and diagnostics can reach it), then the host's hosted service.
        // It owns the bootstrap file, the persistent store (the cache file unless replaced) and the live source
        // (FeatBit streaming unless replaced), and is the only writer of the status.
        services.TryAddSingleton<BootstrapFileSource>();
        services.TryAddSingleton(new LiveDataSourceFactory(static sp =>
            sp.GetRequiredService<IOptions<FeatureFlagsOptions>>().Value.DataSync switch
            {
                DataSyncMode.Polling => ActivatorUtilities.CreateInstance<PollingDataSource>(sp),
                DataSyncMode.Streaming => ActivatorUtilities.CreateInstance<StreamingDataSource>(sp),
                _ => new AutoDataSource(
                    ActivatorUtilities.CreateInstance<StreamingDataSource>(sp),
                    ActivatorUtilities.CreateInstance<PollingDataSource>(sp),
                    sp.GetRequiredService<IOptions<FeatureFlagsOptions>>(),
                    sp.GetRequiredService<TimeProvider>(),
                    sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<AutoDataSource>>(),
                    sp.GetService<FeatureFlagsMetrics>()),
            }));
        services.TryAddSingleton(new PersistentStoreFactory(static sp =>
        {
            var options = sp.GetRequiredService<IOptions<FeatureFlagsOptions>>().Value;
            return string.IsNullOrWhiteSpace(options.CacheFile) || options.Offline ? null : ActivatorUtilities.CreateInstance<FileFlagStore>(sp);
        }));
        services.TryAddSingleton(static sp => new FlagDataSystem(
            sp.GetRequiredService<IOptions<FeatureFlagsOptions>>(),
            sp.GetRequiredService<FlagStore>(),
            sp.GetRequiredService<StatusProvider>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<FlagDataSystem>>(),
            sp.GetRequiredService<IOptions<FeatureFlagsOptions>>().Value.Offline ? null : sp.GetRequiredService<LiveDataSourceFactory>().Create(sp),
            sp.GetRequiredService<PersistentStoreFactory>().Create(sp),
            sp.GetRequiredService<BootstrapFileSource>(),
            eventsOverHttp: sp.GetService<FeatureFlags.Events.IInsightEventSink>() is null,
            metrics: sp.GetService<FeatureFlagsMetrics>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, FlagDataSystem>(static sp => sp.GetRequiredService<FlagDataSystem>()));

        // Insight events: the named HttpClient with its resilience handler, the sender and the processor (hosted).
        services.AddFeatureFlagEvents();

        // HTTP polling (FeatureFlags:DataSync = Polling, or Auto after a failover): its named HttpClient, without retries or redirects.
        services.AddFeatureFlagPolling();
        return builder;
    }
}
