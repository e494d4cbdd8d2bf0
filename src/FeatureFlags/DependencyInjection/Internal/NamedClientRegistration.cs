using System.Diagnostics.Metrics;
using FeatureFlags.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FeatureFlags.DependencyInjection.Internal;

/// <summary>
/// A named client as registered in the app's service collection (a keyed singleton instance): its name, the
/// configuration path its options come from, and its private service collection, which the builder that
/// <c>AddFeatureFlags(name, ...)</c> returns exposes (so <c>UseDataSource</c>, <c>UseEventSink</c>, ... apply to this
/// client only). The private container is built from it when the app first resolves the client.
/// </summary>
internal sealed class NamedClientRegistration(string name, string keyPrefix)
{
    public string Name { get; } = name;

    public string KeyPrefix { get; } = keyPrefix;

    public IServiceCollection Services { get; } = new ServiceCollection();

    /// <summary>
    /// Builds the client's container: its own registrations, plus the app's logger factory (wrapped in the client's log
    /// scope), meter factory, time provider and host environment, shared (never disposed by the client).
    /// </summary>
    public ClientContainer Build(IServiceProvider app)
    {
        var services = new ServiceCollection();
        foreach (var descriptor in Services)
        {
            services.Add(descriptor);
        }

        var loggerFactory = app.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        services.RemoveAll<ILoggerFactory>();
        services.AddSingleton<ILoggerFactory>(new ClientLoggerFactory(loggerFactory, Name));
        services.RemoveAll<TimeProvider>();
        services.AddSingleton(app.GetService<TimeProvider>() ?? TimeProvider.System);
        if (app.GetService<IMeterFactory>() is { } meterFactory)
        {
            services.RemoveAll<IMeterFactory>();
            services.AddSingleton(meterFactory);
        }

        if (app.GetService<IHostEnvironment>() is { } environment)
        {
            services.RemoveAll<IHostEnvironment>();
            services.AddSingleton(environment);
        }

        var hosted = app.GetService<IServiceProviderIsService>()?.IsService(typeof(IHostApplicationLifetime)) == true;
        services.RemoveAll<ClientIdentity>();
        services.AddSingleton(new ClientIdentity(Name, KeyPrefix, hosted));

        // Lets the client find what the app registered (a hook type); the client never disposes it.
        services.RemoveAll<AppServices>();
        services.AddSingleton(new AppServices(app));
        return new ClientContainer(services.BuildServiceProvider());
    }
}

/// <summary>Starts and stops a named client's container with the app's host (one per named client).</summary>
internal sealed class NamedClientHostedService(ClientContainer container) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => container.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => container.StopAsync(cancellationToken);
}
