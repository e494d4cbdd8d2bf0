using FeatureFlags;
using FeatureFlags.DataSystem;
using FeatureFlags.Events;
using FeatureFlags.Testing;
using FeatureFlags.Testing.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Replaces the FeatBit server with an <see cref="InMemoryFlags"/> in a service collection (tests).</summary>
public static class InMemoryFeatureFlagsServiceCollectionExtensions
{
    /// <summary>The secret the options carry when the app has none: it is never sent anywhere.</summary>
    internal const string PlaceholderSecret = "featureflags-testing-in-memory";

    /// <summary>
    /// How long the host's start may wait for the flags: the in-memory source is ready at once, so this is only a
    /// bound that keeps the start deterministic whatever the app's own <c>StartWaitTime</c> (zero included).
    /// </summary>
    internal static readonly TimeSpan StartWaitTime = TimeSpan.FromSeconds(30);

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
    /// Nothing connects: <paramref name="flags"/> is the app's data source in place of FeatBit streaming
    /// (<see cref="FeatureFlagsDataSystemBuilderExtensions.UseDataSource"/>), so no FeatBit server, secret or network
    /// is needed (a placeholder secret makes the options valid), and events go to <see cref="InMemoryFlags.Events"/>
    /// (<see cref="FeatureFlagsEventsBuilderExtensions.UseEventSink"/>) and never leave the process.
    /// </para>
    /// <para>
    /// The flags are loaded, and the status turns <see cref="FeatureFlagsState.Ready"/>, when the host starts: the
    /// host's <c>StartAsync</c> returns with them in place (a <c>WebApplicationFactory</c> client, a started
    /// <c>IHost</c>). A bare service provider has no host: start its hosted services first (see the docs' "Without a
    /// host"); until then the store is empty and evaluations return defaults.
    /// </para>
    /// <para>
    /// The app's <c>FeatureFlags:Offline</c>, <c>BootstrapFile</c>, <c>CacheFile</c> (and any persistent store),
    /// <c>Overrides</c> and <c>StartWaitTime</c> are ignored: the test's flags are the only source, and the start
    /// waits for them (they are there at once). Every other option (user claims, gates, <c>Events:Enabled</c>, ...)
    /// stays the app's.
    /// </para>
    /// <para>
    /// One <see cref="InMemoryFlags"/> may serve several hosts at once (each change reaches all of them); each host
    /// stops following it when it stops or its service provider is disposed. Calling this again with another object
    /// replaces it.
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
        return Replace(services.AddFeatureFlags(static _ => { }), flags);
    }

    /// <summary>
    /// Serves <paramref name="flags"/> through the named client <paramref name="client"/> (<c>AddFeatureFlags(client, ...)</c>)
    /// instead of its FeatBit server, and records that client's events in <see cref="InMemoryFlags.Events"/>; the default
    /// client and other named clients are untouched. Give each client its own <see cref="InMemoryFlags"/>.
    /// </summary>
    /// <param name="services">The app's services, after its own <c>AddFeatureFlags(client, ...)</c> (or without it: the client is then added).</param>
    /// <param name="client">The named client's name.</param>
    /// <param name="flags">The flags the test owns and changes, for that client.</param>
    /// <returns>The named client's builder.</returns>
    /// <remarks>Works as <see cref="AddInMemoryFeatureFlags(IServiceCollection, InMemoryFlags)"/> does for the default client.</remarks>
    /// <example>
    /// <code>
    /// var eu = new InMemoryFlags();
    /// eu.Flag("new-checkout").On();
    /// using var client = factory
    ///     .WithWebHostBuilder(b => b.ConfigureTestServices(services => services.AddInMemoryFeatureFlags("eu", eu)))
    ///     .CreateClient();
    /// </code>
    /// </example>
    public static IFeatureFlagsBuilder AddInMemoryFeatureFlags(this IServiceCollection services, string client, InMemoryFlags flags)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(client);
        ArgumentNullException.ThrowIfNull(flags);
        return Replace(services.AddFeatureFlags(client, static _ => { }), flags);
    }

    private static IFeatureFlagsBuilder Replace(IFeatureFlagsBuilder builder, InMemoryFlags flags)
    {
        var services = builder.Services;

        // After every Configure: the in-memory source must run (offline runs none), the options must be valid without
        // a real secret, and the test's flags are the only data.
        services.PostConfigure<FeatureFlagsOptions>(static o =>
        {
            o.Offline = false;
            if (string.IsNullOrWhiteSpace(o.EnvSecret))
            {
                o.EnvSecret = PlaceholderSecret;
            }

            o.BootstrapFile = null;
            o.CacheFile = null;
            o.Overrides.Clear();
            o.StartWaitTime = StartWaitTime;
        });

        builder.UseDataSource(_ => new InMemoryFlagDataSource(flags));
        builder.UsePersistentStore(static _ => new NoPersistentStore());
        builder.UseEventSink(_ => new EventRecorderSink(flags.Events));
        return builder;
    }
}
