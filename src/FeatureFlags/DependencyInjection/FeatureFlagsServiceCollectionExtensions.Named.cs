using FeatureFlags;
using FeatureFlags.DependencyInjection.Internal;
using FeatureFlags.Evaluation.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <content>Named clients: one per FeatBit environment, resolved as keyed services.</content>
public static partial class FeatureFlagsServiceCollectionExtensions
{
    /// <summary>
    /// Adds a named client, for a second FeatBit environment (or more) in the same app, with options bound from
    /// <paramref name="configuration"/> (the client's own section, e.g. <c>FeatureFlags:Eu</c>).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The client's name: the service key it is resolved with (<c>[FromKeyedServices("eu")]</c>).</param>
    /// <param name="configuration">The client's configuration section (it has the same keys as <c>FeatureFlags</c>).</param>
    /// <returns>A builder whose <see cref="IFeatureFlagsBuilder.Services"/> is this client's own service collection.</returns>
    /// <remarks>
    /// <para>
    /// The client is resolved with its name as the service key: <see cref="IFeatureFlagClient"/>,
    /// <see cref="IFeatureFlagsStatusProvider"/>, <see cref="IFlagTracker"/>, <see cref="IFlagStore"/> (singletons) and
    /// the scoped <see cref="IFeatureFlags"/>, which evaluates for the user of the scope's default
    /// <see cref="IFeatureFlags"/> (the request's user in ASP.NET Core) unless its own <c>SetUser</c> is called.
    /// </para>
    /// <para>
    /// The client runs in a private container with the whole SDK for its options: its own data source, store, status,
    /// events, caches and HTTP clients, nothing shared with the default client or another named client except the app's
    /// logger factory, meter factory, time provider and host environment. Its log entries carry a
    /// <c>FeatureFlagsClient</c> scope, its measurements and evaluation events a <c>featureflags.client</c> tag. The
    /// host starts and stops it with the app (options validated at start, failures naming the full key, e.g.
    /// <c>FeatureFlags:Eu:EnvSecret</c>). The returned builder registers into that container, so
    /// <c>UseDataSource</c>, <c>UsePersistentStore</c> and <c>UseEventSink</c> apply to this client only. Calling this
    /// again with the same name adds to the same client.
    /// </para>
    /// </remarks>
    /// <example>
    /// <code>
    /// builder.Services.AddFeatureFlags(builder.Configuration);                                   // the default client
    /// builder.Services.AddFeatureFlags("eu", builder.Configuration.GetSection("FeatureFlags:Eu")); // a named client
    /// app.MapGet("/eu", ([FromKeyedServices("eu")] IFeatureFlags eu) => eu.IsEnabled("new-checkout"));
    /// </code>
    /// </example>
    public static IFeatureFlagsBuilder AddFeatureFlags(this IServiceCollection services, string name, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configuration);

        var keyPrefix = FeatureFlagsOptions.SectionName + ":";
        if (configuration is IConfigurationSection section)
        {
            // The default client's FeatureFlags section may contain this one (FeatureFlags:Eu): it is not an unknown key there.
            keyPrefix = section.Path + ":";
            NamedClientSections.Of(services).Add(section.Path);
        }

        var client = AddNamed(services, name, keyPrefix);
        client.Services.AddOptions<FeatureFlagsOptions>().Configure(options => ConfigurationKeys.Bind(configuration, options, Options.Options.DefaultName));
        client.Services.AddSingleton<IOptionsChangeTokenSource<FeatureFlagsOptions>>(new ConfigurationChangeTokenSource<FeatureFlagsOptions>(configuration));
        return new FeatureFlagsBuilder(client.Services);
    }

    /// <summary>Adds a named client, for a second FeatBit environment (or more) in the same app, with options set in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The client's name: the service key it is resolved with (<c>[FromKeyedServices("eu")]</c>).</param>
    /// <param name="configure">Sets the client's options.</param>
    /// <returns>A builder whose <see cref="IFeatureFlagsBuilder.Services"/> is this client's own service collection.</returns>
    /// <remarks>
    /// Registers the same services as <see cref="AddFeatureFlags(IServiceCollection, string, IConfiguration)"/>; option
    /// failures name the keys as <c>FeatureFlags:...</c> (they come from code).
    /// </remarks>
    /// <example>
    /// <code>
    /// services.AddFeatureFlags("eu", o =>
    /// {
    ///     o.EnvSecret = secrets["featbit-eu-secret"];
    ///     o.Streaming.Uri = new Uri("wss://featbit-eu.contoso.com");
    /// });
    /// </code>
    /// </example>
    public static IFeatureFlagsBuilder AddFeatureFlags(this IServiceCollection services, string name, Action<FeatureFlagsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);

        var client = AddNamed(services, name, FeatureFlagsOptions.SectionName + ":");
        client.Services.AddOptions<FeatureFlagsOptions>().Configure(configure);
        return new FeatureFlagsBuilder(client.Services);
    }

    /// <summary>The client's registration: found when the name was added before, else created with its keyed services.</summary>
    private static NamedClientRegistration AddNamed(IServiceCollection services, string name, string keyPrefix)
    {
        foreach (var descriptor in services)
        {
            if (descriptor.IsKeyedService && descriptor.ServiceType == typeof(NamedClientRegistration)
                && Equals(descriptor.ServiceKey, name) && descriptor.KeyedImplementationInstance is NamedClientRegistration existing)
            {
                return existing;
            }
        }

        var client = new NamedClientRegistration(name, keyPrefix);
        AddCore(client.Services);

        services.AddLogging();
        services.AddMetrics();
        services.AddKeyedSingleton(name, client);
        services.AddKeyedSingleton(name, static (sp, key) => sp.GetRequiredKeyedService<NamedClientRegistration>(key).Build(sp));
        services.AddKeyedSingleton(name, static (sp, key) => Resolve<FeatureFlagClient>(sp, key));
        services.AddKeyedSingleton<IFeatureFlagClient>(name, static (sp, key) => sp.GetRequiredKeyedService<FeatureFlagClient>(key));
        services.AddKeyedSingleton(name, static (sp, key) => Resolve<IFeatureFlagsStatusProvider>(sp, key));
        services.AddKeyedSingleton(name, static (sp, key) => Resolve<IFlagTracker>(sp, key));
        services.AddKeyedSingleton(name, static (sp, key) => Resolve<IFlagStore>(sp, key));
        services.AddKeyedScoped<IFeatureFlags>(name, static (sp, key) => new NamedScopedFeatureFlags(sp.GetRequiredKeyedService<FeatureFlagClient>(key), sp));
        services.AddSingleton<IHostedService>(sp => new NamedClientHostedService(sp.GetRequiredKeyedService<ClientContainer>(name)));
        return client;

        static T Resolve<T>(IServiceProvider sp, object? key)
            where T : notnull
            => sp.GetRequiredKeyedService<ClientContainer>(key).Services.GetRequiredService<T>();
    }
}
