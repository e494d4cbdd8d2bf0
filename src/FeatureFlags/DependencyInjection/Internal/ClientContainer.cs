using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FeatureFlags.DependencyInjection.Internal;

/// <summary>
/// The private container of a named client (<c>AddFeatureFlags("eu", ...)</c>) or of a client without a host
/// (<c>FeatureFlagsClient.StartAsync</c>): the whole core registration for that client's options, so each client has its
/// own data source, store, status, events and options. It validates the options and starts the hosted services (the
/// start watch, the data system, the event processor) in registration order, stops them in reverse order, and owns the
/// provider.
/// </summary>
internal sealed class ClientContainer(ServiceProvider provider) : IAsyncDisposable, IDisposable
{
    private readonly Lock _gate = new();
    private List<IHostedService>? _started;

    public IServiceProvider Services => provider;

    /// <summary>Validates the options (as a host does with <c>ValidateOnStart</c>), then starts every hosted service.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        provider.GetService<IStartupValidator>()?.Validate();
        var started = new List<IHostedService>();
        lock (_gate)
        {
            _started = started;
        }

        foreach (var service in provider.GetServices<IHostedService>())
        {
            await service.StartAsync(cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                started.Add(service);
            }
        }
    }

    /// <summary>Stops the started hosted services in reverse order (the event processor flushes, the data system closes); once.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        List<IHostedService>? started;
        lock (_gate)
        {
            started = _started;
            _started = null;
        }

        if (started is null)
        {
            return;
        }

        List<Exception>? errors = null;
        for (var i = started.Count - 1; i >= 0; i--)
        {
            try
            {
                await started[i].StopAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                (errors ??= []).Add(ex);
            }
        }

        if (errors is not null)
        {
            throw new AggregateException("Stopping the feature-flag client failed.", errors);
        }
    }

    public ValueTask DisposeAsync() => provider.DisposeAsync();

    /// <summary>For an app container disposed synchronously (an IAsyncDisposable-only singleton would make it throw).</summary>
    public void Dispose() => provider.Dispose();
}
